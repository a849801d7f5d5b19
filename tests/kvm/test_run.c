/*
 * test_run.c - the run step (mvm_vcpu_run_once / mvm_vcpu_run) on tiny
 * hand-assembled real-mode guests: port I/O (claimed, unclaimed, string
 * I/O), MMIO, HLT, the deadline, exit counting and tracing, and the
 * triple fault. Single-step, breakpoints and the int3 / int n fix-up are
 * in test_debug.c; user space MSRs in test_msr.c.
 *
 * Each guest is a few bytes of 16-bit code loaded at MVM_REAL_LOAD_ADDR
 * (0x7c00), with the instructions spelled out next to their bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fixture.h"

/* A port and an MMIO page no device of the fixture's machine claims (the
 * demo device sits at MVM_PORT_DEMO and MVM_MMIO_DEMO_ADDR). */
#define UNCLAIMED_PORT 0x0600
#define TEST_MMIO      0xd0100000ULL

#define ENTRY  MVM_REAL_LOAD_ADDR
#define RUN_MS 5000 /* generous: real-mode code is emulated here */

/* --- a test device that counts accesses --------------------------------- */

struct probe {
	int reads, writes;
	uint64_t last_off, last_val;
	uint32_t last_len;
	uint8_t next; /* reads return next, next + 1, ... */
};

static int probe_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      void *data, uint32_t len)
{
	struct probe *p = dev;

	p->reads++;
	p->last_off = off;
	p->last_len = len;
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)data)[i] = p->next++;
	return 0;
}

static int probe_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       const void *data, uint32_t len)
{
	struct probe *p = dev;

	p->writes++;
	p->last_off = off;
	p->last_len = len;
	p->last_val = 0;
	memcpy(&p->last_val, data, len);
	return 0;
}

static const struct mvm_dev_ops probe_ops = {
	.name = "probe",
	.read = probe_read,
	.write = probe_write,
};

/* --- tests -------------------------------------------------------------- */

static void hlt_stops_the_run_with_rip_after_it(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {0xf4}; /* hlt */
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_true(e.stop);
	assert_int_equal(e.rip, ENTRY + 1);
}

static void out_to_unclaimed_port_is_logged_and_not_fatal(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb0, 0x42,	  /* mov al, 0x42 */
		0xba, 0x00, 0x06, /* mov dx, UNCLAIMED_PORT */
		0xee,		  /* out dx, al */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.u.io.port, UNCLAIMED_PORT);
	assert_int_equal(e.u.io.is_write, 1);
	assert_int_equal(e.u.io.data[0], 0x42);
	assert_false(e.handled);
	assert_false(e.stop);
	assert_non_null(strstr(f->log, "warning: unclaimed port write 0x600"));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
}

static void unclaimed_access_warnings_are_capped(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb9, 0x64, 0x00, /* mov cx, 100 */
		0xe6, 0x80,	  /* 1: out 0x80, al */
		0xe2, 0xfc,	  /* loop 1b */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;
	int warnings = 0;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	for (const char *p = f->log; (p = strstr(p, "warning: unclaimed")); p++)
		warnings++;
	assert_in_range(warnings, 16, 64);
	assert_non_null(strstr(f->log, "further ones are logged at debug"));
}

static void in_from_unclaimed_port_reads_all_ones(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0x31, 0xc0, /* xor eax, eax */
		0xba, 0x00, 0x06, /* mov dx, UNCLAIMED_PORT */
		0x66, 0xed,	  /* in eax, dx */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.u.io.is_write, 0);
	assert_int_equal(e.u.io.size, 4);
	assert_memory_equal(e.u.io.data, "\xff\xff\xff\xff", 4);
	assert_non_null(strstr(f->log, "unclaimed port read 0x600 size 4"));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(fixture_rax(f) & 0xffffffff, 0xffffffff);
}

static void rep_outsb_delivers_every_byte_to_the_device(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xbe, 0x80, 0x7c, /* mov si, 0x7c80 */
		0xb9, 0x05, 0x00, /* mov cx, 5 */
		0xba, 0xe9, 0x00, /* mov dx, MVM_PORT_DEBUGCON */
		0xfc,		  /* cld */
		0xf3, 0x6e,	  /* rep outsb */
		0xf4,		  /* hlt */
	};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vm_write(f->vm, 0x7c80, "hello", 5), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_string_equal(f->out, "hello");
}

static void rep_insb_fills_memory_from_the_device(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xbf, 0x00, 0x7d, /* mov di, 0x7d00 */
		0xb9, 0x04, 0x00, /* mov cx, 4 */
		0xba, 0x00, 0x06, /* mov dx, 0x600 */
		0xfc,		  /* cld */
		0xf3, 0x6c,	  /* rep insb */
		0xf4,		  /* hlt */
	};
	struct probe p = {.next = 1};
	uint8_t got[4];
	struct mvm_exit e;

	assert_int_equal(mvm_bus_register(mvm_vm_pio_bus(f->vm), 0x600, 1,
					  &probe_ops, &p),
			 0);
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(p.reads, 4);
	assert_int_equal(mvm_vm_read(f->vm, 0x7d00, got, 4), 0);
	assert_memory_equal(got, "\x01\x02\x03\x04", 4);
}

static void mmio_write_and_read_reach_the_device(void **state)
{
	struct fixture *f = *state;
	/* DS base = TEST_MMIO, so [0x10] is the device's offset. */
	static const uint8_t code[] = {
		0x66, 0xb8, 0x0d, 0xf0, 0xfe, 0xca, /* mov eax, 0xcafef00d */
		0x66, 0xa3, 0x10, 0x00,		    /* mov [0x10], eax */
		0x66, 0xa1, 0x20, 0x00,		    /* mov eax, [0x20] */
		0xf4,				    /* hlt */
	};
	struct probe p = {.next = 0x11};
	struct mvm_exit e;

	assert_int_equal(mvm_bus_register(mvm_vm_mmio_bus(f->vm), TEST_MMIO,
					  0x1000, &probe_ops, &p),
			 0);
	fixture_real_code(f, code, sizeof(code), TEST_MMIO);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_MMIO);
	assert_int_equal(e.u.mmio.addr, TEST_MMIO + 0x10);
	assert_int_equal(e.u.mmio.len, 4);
	assert_true(e.u.mmio.is_write);
	assert_true(e.handled);
	assert_int_equal(p.last_val, 0xcafef00d);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(p.reads, 1);
	assert_int_equal(p.last_off, 0x20);
	assert_int_equal(fixture_rax(f) & 0xffffffff, 0x14131211);
}

static void unclaimed_mmio_read_returns_all_ones(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0x31, 0xc0,	/* xor eax, eax */
		0x66, 0xa1, 0x00, 0x00, /* mov eax, [0] */
		0xf4,			/* hlt */
	};
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), TEST_MMIO);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(fixture_rax(f) & 0xffffffff, 0xffffffff);
	assert_non_null(strstr(f->log, "unclaimed MMIO read 0xd0100000"));
}

static void device_stop_request_ends_the_run(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0xb8, 0x00,
		0x40, 0x00, 0x00, /* mov eax, MVM_UCALL_ADDR */
		0xba, 0x00, 0x10, /* mov dx, MVM_PORT_UCALL */
		0x66, 0xef,	  /* out dx, eax */
		0xeb, 0xfe,	  /* jmp $ */
	};
	struct mvm_ucall uc = {.cmd = MVM_UCALL_DONE};
	struct mvm_exit e;

	assert_int_equal(mvm_vm_write(f->vm, MVM_UCALL_ADDR, &uc, sizeof(uc)),
			 0);
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_true(e.stop);
	assert_int_equal(e.u.io.port, MVM_PORT_UCALL);
}

static void deadline_stops_a_guest_that_never_exits(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {0xeb, 0xfe}; /* jmp $ */
	struct mvm_exit e;
	uint64_t t0, ms;

	fixture_real_code(f, code, sizeof(code), 0);
	t0 = mvm_now_ns();
	assert_int_equal(fixture_run(f, 200, &e), -ETIMEDOUT);
	ms = (mvm_now_ns() - t0) / 1000000;
	assert_int_equal(e.reason, KVM_EXIT_INTR);
	assert_in_range(ms, 190, 2000);
	assert_in_range(e.rip, ENTRY, ENTRY + 1);
	/* Disarmed afterwards: the next run is not cut short. */
	static const uint8_t hlt[] = {0xf4};
	fixture_real_code(f, hlt, sizeof(hlt), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
}

static void exits_are_counted_with_tracing_off_and_no_rip_is_read(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb0, 'x',  /* mov al, 'x' */
		0xe6, 0xe9, /* out MVM_PORT_DEBUGCON, al */
		0xe6, 0xe9, /* out MVM_PORT_DEBUGCON, al */
		0xf4,	    /* hlt */
	};
	struct mvm_trace *t = mvm_vcpu_trace(f->vcpu);
	struct mvm_exit e;

	assert_false(t->enabled);
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.seq, 1);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(e.rip, 0); /* cheap step: no KVM_GET_REGS */
	assert_int_equal(e.handle_ns, 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.seq, 3);
	assert_int_equal(e.rip, ENTRY + sizeof(code)); /* stops do read it */
	assert_int_equal(mvm_trace_count(t, KVM_EXIT_IO), 2);
	assert_int_equal(mvm_trace_count(t, KVM_EXIT_HLT), 1);
	assert_int_equal(mvm_trace_len(t), 0);
	assert_string_equal(f->out, "xx");
}

static void tracing_on_records_rip_and_handler_time(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb0, 'y',  /* mov al, 'y' */
		0xe6, 0xe9, /* out MVM_PORT_DEBUGCON, al */
		0xf4,	    /* hlt */
	};
	struct mvm_trace *t = mvm_vcpu_trace(f->vcpu);
	const struct mvm_trace_entry *te;
	struct mvm_exit e;

	mvm_trace_enable(t, 1);
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	/* The OUT is at ENTRY + 2. Mainline KVM completes it (and moves
	 * RIP past it) on the next KVM_RUN; some backends (quirks.h) have
	 * already moved RIP at the exit. Either is a correct report of KVM's RIP. */
	assert_true(e.rip == ENTRY + 2 || e.rip == ENTRY + 4);
	assert_true(e.handle_ns > 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(mvm_trace_len(t), 2);
	te = mvm_trace_get(t, 1);
	assert_non_null(te);
	assert_int_equal(te->exit.reason, KVM_EXIT_IO);
	assert_true(te->t_ns > 0);
	assert_int_equal(mvm_trace_get(t, 0)->exit.reason, KVM_EXIT_HLT);
}

/* 32-bit protected mode with an empty IDT: #UD cannot be delivered,
 * neither can #GP nor #DF, so the CPU shuts down (Intel SDM Vol. 3A
 * 6.15, "Interrupt 8 - Double Fault Exception"). */
static void triple_fault_stops_with_shutdown(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x0f, 0x01, 0x1d, 0x80, 0x00, 0x10, 0x00, /* lidt [0x100080] */
		0x0f, 0x0b,				  /* ud2 */
	};
	static const uint8_t idtr[6] = {0}; /* limit 0, base 0 */
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_PROT32, MVM_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(
		mvm_vm_write(f->vm, MVM_LOAD_ADDR + 0x80, idtr, sizeof(idtr)),
		0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_SHUTDOWN);
	assert_true(e.stop);
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(hlt_stops_the_run_with_rip_after_it),
		T(out_to_unclaimed_port_is_logged_and_not_fatal),
		T(unclaimed_access_warnings_are_capped),
		T(in_from_unclaimed_port_reads_all_ones),
		T(rep_outsb_delivers_every_byte_to_the_device),
		T(rep_insb_fills_memory_from_the_device),
		T(mmio_write_and_read_reach_the_device),
		T(unclaimed_mmio_read_returns_all_ones),
		T(device_stop_request_ends_the_run),
		T(deadline_stops_a_guest_that_never_exits),
		T(exits_are_counted_with_tracing_off_and_no_rip_is_read),
		T(tracing_on_records_rip_and_handler_time),
		T(triple_fault_stops_with_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
