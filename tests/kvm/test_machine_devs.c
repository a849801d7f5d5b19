/*
 * test_machine_devs.c - what the machine gives devices: MSR handlers by
 * range (several coexist), interrupt lines into the machine's
 * controller, devices added only while no vCPU runs, and a device in a
 * vCPU thread changing the bus inside mvm_machine_paused().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS 20000

/* Load hand-assembled real-mode code at MVM_REAL_LOAD_ADDR and run
 * vCPU 0 to the end of the run (deadline and alarm backstop). */
static enum mvm_verdict run_real(struct mvm_machine *m, const uint8_t *code,
				 size_t len, struct mvm_exit *e)
{
	enum mvm_verdict v;

	assert_int_equal(mvm_machine_load_buf(m, code, len, MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, e);
	alarm(0);
	return v;
}

#define TEST_MSR     0x40000010u
#define TEST_MSR_VAL 0x1122334455667788ULL

static int test_msr(void *ctx, struct mvm_vcpu *vcpu, struct mvm_exit_msr *msr)
{
	(void)ctx, (void)vcpu;
	msr->data = TEST_MSR_VAL;
	return 0;
}

/* Three MSR handlers by range in one VM: the demo device's, Lab 1's and
 * a test's; each answers its own MSRs, overlaps are refused. */
static void msr_handlers_by_range_coexist(void **state)
{
	static const uint8_t code[] = {
		0x66, 0xb9, 0xff, 0x00, 0x00, 0x40, /* mov ecx, demo MSR */
		0x0f, 0x32,			    /* rdmsr */
		0x66, 0x89, 0xc3,		    /* mov ebx, eax */
		0x66, 0xb9, 0xe0, 0x00, 0x00, 0x40, /* mov ecx, lab ID MSR */
		0x0f, 0x32,			    /* rdmsr */
		0x66, 0x89, 0xc6,		    /* mov esi, eax */
		0x66, 0xb9, 0x10, 0x00, 0x00, 0x40, /* mov ecx, TEST_MSR */
		0x0f, 0x32,			    /* rdmsr */
		0xf4,				    /* hlt */
	};
	struct box b = {0};
	struct mvm_machine_config cfg = {.devices = MVM_MDEV_DEFAULT |
						    MVM_MDEV_LAB1};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct mvm_vm *vm = mvm_machine_vm(m);
	struct kvm_regs r;
	struct mvm_exit e;

	(void)state;
	if (strstr(b.log, "no user-space MSR exits")) {
		mvm_machine_destroy(m);
		skip();
	}
	assert_int_equal(
		mvm_vm_add_msr_handler(vm, TEST_MSR, 1, test_msr, NULL), 0);
	assert_int_equal(
		mvm_vm_add_msr_handler(vm, 0x400000e1, 4, test_msr, NULL),
		-EEXIST);
	assert_int_equal(run_real(m, code, sizeof(code), &e), MVM_DONE);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_vcpu_get_regs(mvm_machine_vcpu(m, 0), &r), 0);
	assert_int_equal(r.rbx & 0xffffffff, 0x2d4d564d); /* "MVM-" */
	assert_int_equal(r.rsi & 0xffffffff, MVM_LABMSR_ID_VALUE);
	assert_int_equal(r.rax & 0xffffffff, TEST_MSR_VAL & 0xffffffff);
	assert_int_equal(r.rdx & 0xffffffff, TEST_MSR_VAL >> 32);
	mvm_machine_destroy(m);
}

/* A device that pulses its interrupt line on every write. */
static int pulse_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       const void *data, uint32_t len)
{
	struct mvm_dev_ctx *ctx = dev;

	(void)vcpu, (void)off, (void)data, (void)len;
	return mvm_irq_pulse(ctx->irq);
}

static const struct mvm_dev_ops pulse_ops = {
	.name = "pulser",
	.write = pulse_write,
};

/* The two pulsers at ports 0x600 (GSI 5) and 0x601 (GSI 6). */
static void plug_pulsers(struct mvm_machine *m, struct mvm_dev_ctx *d5,
			 struct mvm_dev_ctx *d6)
{
	assert_int_equal(mvm_machine_add_device(m, 0, 0x600, 1, &pulse_ops, d5),
			 0);
	assert_int_equal(mvm_machine_add_device(m, 0, 0x601, 1, &pulse_ops, d6),
			 0);
}

struct levels {
	int n;
	unsigned gsi[8];
	int level[8];
};

static void record_level(void *ctx, unsigned gsi, int level)
{
	struct levels *l = ctx;

	if (l->n < 8) {
		l->gsi[l->n] = gsi;
		l->level[l->n++] = level;
	}
}

/* Two devices, each with its own interrupt line from the machine, on a
 * machine whose interrupt controller lives in user space: each write
 * pulses that device's GSI at the controller, in order. */
static void two_devices_with_interrupt_lines_coexist(void **state)
{
	static const uint8_t code[] = {
		0xba, 0x00, 0x06, /* mov dx, 0x600 */
		0xee,		  /* out dx, al */
		0x42,		  /* inc dx */
		0xee,		  /* out dx, al */
		0xf4,		  /* hlt */
	};
	struct levels lv = {0};
	struct mvm_irq_sink sink = {record_level, &lv};
	struct box b = {0};
	struct mvm_machine_config cfg = {.irqchip = MVM_IRQCHIP_USER};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct mvm_dev_ctx d5, d6;
	struct mvm_exit e;

	(void)state;
	assert_int_equal(mvm_machine_dev_ctx(m, 5, &d5), -ENODEV);
	assert_int_equal(mvm_machine_set_irq_sink(m, &sink), 0);
	assert_int_equal(mvm_machine_dev_ctx(m, 5, &d5), 0);
	assert_int_equal(mvm_machine_dev_ctx(m, 6, &d6), 0);
	assert_ptr_equal(d5.mem, mvm_vm_mem(mvm_machine_vm(m)));
	plug_pulsers(m, &d5, &d6);
	assert_int_equal(run_real(m, code, sizeof(code), &e), MVM_DONE);
	assert_int_equal(lv.n, 4);
	assert_int_equal(lv.gsi[0], 5);
	assert_int_equal(lv.level[0], 1);
	assert_int_equal(lv.gsi[1], 5);
	assert_int_equal(lv.level[1], 0);
	assert_int_equal(lv.gsi[2], 6);
	assert_int_equal(lv.level[2], 1);
	assert_int_equal(lv.gsi[3], 6);
	assert_int_equal(lv.level[3], 0);
	mvm_machine_destroy(m);
}

/* The buses change only while no vCPU runs: adding a device to a
 * running machine is refused, inside a pause it works. */
static void devices_are_added_only_while_paused(void **state)
{
	static const uint8_t spin[] = {0xeb, 0xfe};
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 1};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct mvm_dev_ctx d = {0};

	(void)state;
	assert_int_equal(mvm_machine_load_buf(m, spin, sizeof(spin),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	assert_int_equal(mvm_machine_add_device(m, 0, 0x600, 1, &pulse_ops, &d),
			 -EBUSY);
	assert_int_equal(mvm_machine_pause(m), 0);
	assert_int_equal(mvm_machine_add_device(m, 0, 0x600, 1, &pulse_ops, &d),
			 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	assert_int_equal(mvm_machine_stop(m), 0);
	alarm(0);
	mvm_machine_destroy(m);
}

/* A device that, on its first write, plugs in a second device: what a
 * guest's PCI BAR write does. It runs in a vCPU thread, so it must park
 * the other vCPUs first (mvm_machine_paused()). */
struct plug {
	struct mvm_machine *m;
	pthread_mutex_t lock;
	int plugged, hits;
};

static int count_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       const void *data, uint32_t len)
{
	struct plug *p = dev;

	(void)vcpu, (void)off, (void)data, (void)len;
	pthread_mutex_lock(&p->lock);
	p->hits++;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static const struct mvm_dev_ops count_ops = {.name = "counter",
					     .write = count_write};

static int plug_in(struct mvm_machine *m, void *ctx)
{
	struct plug *p = ctx;

	if (p->plugged++)
		return 0; /* the other vCPU was first */
	return mvm_machine_add_device(m, 0, 0x601, 1, &count_ops, p);
}

static int plug_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      const void *data, uint32_t len)
{
	struct plug *p = dev;

	(void)vcpu, (void)off, (void)data, (void)len;
	return mvm_machine_paused(p->m, plug_in, p);
}

static const struct mvm_dev_ops plug_ops = {.name = "plug",
					    .write = plug_write};

static void a_vcpu_thread_changes_the_bus_inside_a_pause(void **state)
{
	static const uint8_t code[] = {
		0xba, 0x00, 0x06, /* mov dx, 0x600 */
		0xee,		  /* out dx, al: plug in 0x601 */
		0x42,		  /* inc dx */
		0xee,		  /* out dx, al: the new device */
		0xf4,		  /* hlt */
	};
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 2};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct plug p = {.m = m};
	enum mvm_verdict v;

	(void)state;
	pthread_mutex_init(&p.lock, NULL);
	assert_int_equal(mvm_machine_add_device(m, 0, 0x600, 1, &plug_ops, &p),
			 0);
	assert_int_equal(mvm_machine_load_buf(m, code, sizeof(code),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	assert_int_equal(mvm_machine_wait(m, RUN_MS), 0);
	alarm(0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mvm_machine_result(m, i, &v, NULL), 0);
		assert_int_equal(v, MVM_DONE);
	}
	assert_int_equal(p.plugged, 2);
	assert_int_equal(p.hits, 2); /* both vCPUs reached the new device */
	assert_null(strstr(b.log, "unclaimed"));
	mvm_machine_destroy(m);
}

/* The "done means" in one VM: two devices with interrupt lines
 * and several MSR handlers (the demo device's, Lab 1's, a test's) side
 * by side, all reached by one guest. */
static void lines_and_msr_handlers_share_one_vm(void **state)
{
	static const uint8_t code[] = {
		0xba, 0x00, 0x06,		    /* mov dx, 0x600 */
		0xee,				    /* out dx, al */
		0x42,				    /* inc dx */
		0xee,				    /* out dx, al */
		0x66, 0xb9, 0xe0, 0x00, 0x00, 0x40, /* mov ecx, lab ID MSR */
		0x0f, 0x32,			    /* rdmsr */
		0x66, 0x89, 0xc6,		    /* mov esi, eax */
		0x66, 0xb9, 0x10, 0x00, 0x00, 0x40, /* mov ecx, TEST_MSR */
		0x0f, 0x32,			    /* rdmsr */
		0xf4,				    /* hlt */
	};
	struct levels lv = {0};
	struct mvm_irq_sink sink = {record_level, &lv};
	struct box b = {0};
	struct mvm_machine_config cfg = {.irqchip = MVM_IRQCHIP_USER,
					 .devices = MVM_MDEV_DEFAULT |
						    MVM_MDEV_LAB1};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct mvm_dev_ctx d5, d6;
	struct kvm_regs r;
	struct mvm_exit e;

	(void)state;
	if (strstr(b.log, "no user-space MSR exits")) {
		mvm_machine_destroy(m);
		skip();
	}
	assert_int_equal(mvm_machine_set_irq_sink(m, &sink), 0);
	assert_int_equal(mvm_machine_dev_ctx(m, 5, &d5), 0);
	assert_int_equal(mvm_machine_dev_ctx(m, 6, &d6), 0);
	plug_pulsers(m, &d5, &d6);
	assert_int_equal(mvm_vm_add_msr_handler(mvm_machine_vm(m), TEST_MSR, 1,
						test_msr, NULL),
			 0);
	assert_int_equal(run_real(m, code, sizeof(code), &e), MVM_DONE);
	assert_int_equal(lv.n, 4);
	assert_int_equal(lv.gsi[0], 5);
	assert_int_equal(lv.gsi[2], 6);
	assert_int_equal(mvm_vcpu_get_regs(mvm_machine_vcpu(m, 0), &r), 0);
	assert_int_equal(r.rsi & 0xffffffff, MVM_LABMSR_ID_VALUE);
	assert_int_equal(r.rax & 0xffffffff, TEST_MSR_VAL & 0xffffffff);
	mvm_machine_destroy(m);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(msr_handlers_by_range_coexist),
		cmocka_unit_test(two_devices_with_interrupt_lines_coexist),
		cmocka_unit_test(devices_are_added_only_while_paused),
		cmocka_unit_test(a_vcpu_thread_changes_the_bus_inside_a_pause),
		cmocka_unit_test(lines_and_msr_handlers_share_one_vm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
