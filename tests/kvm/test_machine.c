/*
 * test_machine.c - the machine layer: one config, threads, pause,
 * resume, kicks, the HLT wait, MSR handlers by range and devices with
 * interrupt lines side by side.
 *
 * These are the threaded tests `make SANITIZE=thread test` runs under
 * ThreadSanitizer. Every run has a deadline and an alarm() backstop.
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

#include "../../examples/runtime/demo.h"
#include "fixture.h"

#define RUN_MS 20000

/* Output from several vCPU threads: the callback must be thread-safe
 * (machine.h, rule 5). */
struct box {
	pthread_mutex_t lock;
	char out[4096];
	size_t len;
	char log[8192];
	size_t loglen;
};

static void box_out(void *ctx, const char *buf, size_t len)
{
	struct box *b = ctx;

	pthread_mutex_lock(&b->lock);
	if (len > sizeof(b->out) - 1 - b->len)
		len = sizeof(b->out) - 1 - b->len;
	memcpy(b->out + b->len, buf, len);
	b->len += len;
	b->out[b->len] = '\0';
	pthread_mutex_unlock(&b->lock);
}

static void box_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct box *b = ctx;
	int n;

	(void)level;
	pthread_mutex_lock(&b->lock);
	n = snprintf(b->log + b->loglen, sizeof(b->log) - b->loglen, "%s\n",
		     msg);
	if (n > 0 && (size_t)n < sizeof(b->log) - b->loglen)
		b->loglen += (size_t)n;
	pthread_mutex_unlock(&b->lock);
}

static struct mvm_machine *make(struct box *b, struct mvm_machine_config *cfg)
{
	struct mvm_machine *m;

	fixture_require_kvm();
	pthread_mutex_init(&b->lock, NULL);
	cfg->out = box_out;
	cfg->out_ctx = b;
	cfg->log = (struct mvm_log){box_log, b};
	if (mvm_machine_create(cfg, &m) < 0)
		fail_msg("mvm_machine_create:\n%s", b->log);
	return m;
}

static uint64_t slot(struct mvm_machine *m, int i)
{
	uint64_t v;

	assert_int_equal(mvm_vm_read(mvm_machine_vm(m),
				     MVM_SCRATCH_ADDR + 8 * (uint64_t)i, &v, 8),
			 0);
	return v;
}

static void set_slot(struct mvm_machine *m, int i, uint64_t v)
{
	assert_int_equal(mvm_vm_write(mvm_machine_vm(m),
				      MVM_SCRATCH_ADDR + 8 * (uint64_t)i, &v,
				      8),
			 0);
}

/* Both vCPUs count in parallel, one thread each; the machine is paused
 * (counters stand still), each vCPU's complete state and the VM's go
 * out, the registers get clobbered, everything goes back in, and after
 * resume both count to the end and say DONE. With the in-kernel irqchip,
 * so the LAPIC, PIC, IOAPIC, PIT and clock travel too. */
static void two_vcpus_pause_save_restore_resume(void **state)
{
	char path[4096];
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 2,
					 .irqchip = MVM_IRQCHIP_KERNEL};
	struct mvm_machine *m = make(&b, &cfg);
	static struct mvm_vcpu_state st[2];
	static struct mvm_vm_state vst;
	struct kvm_regs junk = {.rip = 0xdead, .rflags = 2}, r;
	enum mvm_verdict v;
	uint64_t c0, c1;

	(void)state;
	snprintf(path, sizeof(path), "%s/smp-count.elf", MVM_GUEST_DIR);
	assert_int_equal(mvm_machine_load(m, path, MVM_MODE_AUTO), 0);
	set_slot(m, SMP_HOLD_SLOT, 1);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	while (slot(m, 0) == 0 || slot(m, 1) == 0)
		usleep(1000);
	assert_int_equal(mvm_machine_pause(m), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(mvm_machine_result(m, i, NULL, NULL), 0);
	c0 = slot(m, 0), c1 = slot(m, 1);
	usleep(20000);
	assert_int_equal(slot(m, 0), c0); /* paused: nothing moves */
	assert_int_equal(slot(m, 1), c1);
	assert_int_equal(mvm_vm_state_get(mvm_machine_vm(m), &vst), 0);
	for (int i = 0; i < 2; i++) {
		struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, i);

		assert_int_equal(mvm_vcpu_state_get(vcpu, &st[i]), 0);
		assert_true(st[i].have & MVM_STATE_LAPIC);
		assert_int_equal(mvm_vcpu_set_regs(vcpu, &junk), 0);
		assert_int_equal(mvm_vcpu_get_regs(vcpu, &r), 0);
		assert_int_equal(r.rip, 0xdead);
	}
	assert_int_not_equal(st[0].regs.rsp, st[1].regs.rsp); /* own stacks */
	for (int i = 0; i < 2; i++)
		assert_int_equal(
			mvm_vcpu_state_set(mvm_machine_vcpu(m, i), &st[i]), 0);
	assert_int_equal(mvm_vm_state_set(mvm_machine_vm(m), &vst), 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	while (slot(m, 0) < SMP_COUNT_TO || slot(m, 1) < SMP_COUNT_TO)
		usleep(1000);
	set_slot(m, SMP_RELEASE_SLOT, 1);
	assert_int_equal(mvm_machine_wait(m, RUN_MS), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mvm_machine_result(m, i, &v, NULL), 0);
		assert_int_equal(v, MVM_DONE);
	}
	alarm(0);
	if (!strstr(b.out, "vCPU 0 counted to 20000"))
		fail_msg("output:\n%s\nlog:\n%s", b.out, b.log);
	assert_non_null(strstr(b.out, "vCPU 0 counted to 20000"));
	assert_non_null(strstr(b.out, "vCPU 1 counted to 20000"));
	mvm_machine_destroy(m);
}

/* A second pause by the same thread nests; resume from a thread that
 * does not hold the pause is refused; stop joins spinning vCPUs. */
static void pause_nests_and_stop_joins_spinning_vcpus(void **state)
{
	static const uint8_t spin[] = {0xeb, 0xfe}; /* jmp $ */
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 2};
	struct mvm_machine *m = make(&b, &cfg);

	(void)state;
	assert_int_equal(mvm_machine_load_buf(m, spin, sizeof(spin),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), -EBUSY);
	assert_int_equal(mvm_machine_step(m, 0, &(struct mvm_exit){0}, NULL),
			 -EBUSY);
	assert_int_equal(mvm_machine_pause(m), 0);
	assert_int_equal(mvm_machine_pause(m), 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	assert_int_equal(mvm_machine_result(m, 1, NULL, NULL), 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	assert_int_equal(mvm_machine_resume(m), -EINVAL);
	assert_int_equal(mvm_machine_wait(m, 50), -ETIMEDOUT);
	assert_int_equal(mvm_machine_stop(m), 0);
	alarm(0);
	mvm_machine_destroy(m);
}

static void *kick_later(void *arg)
{
	usleep(50000);
	mvm_vcpu_kick(arg);
	return NULL;
}

/* A kick from another thread gets a spinning vCPU out of KVM_RUN: the
 * step returns KVM_EXIT_INTR, not a timeout, well before the deadline. */
static void kick_from_another_thread_ends_the_step(void **state)
{
	static const uint8_t spin[] = {0xeb, 0xfe};
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 1};
	struct mvm_machine *m = make(&b, &cfg);
	struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, 0);
	struct mvm_exit e;
	enum mvm_verdict v;
	pthread_t t;

	(void)state;
	assert_int_equal(mvm_machine_load_buf(m, spin, sizeof(spin),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_vcpu_set_deadline(vcpu, RUN_MS), 0);
	assert_int_equal(pthread_create(&t, NULL, kick_later, vcpu), 0);
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	pthread_join(t, NULL);
	assert_int_equal(e.reason, KVM_EXIT_INTR);
	assert_int_equal(v, MVM_GO_ON);
	/* A kick that arrives while no step runs is kept for the next. */
	mvm_vcpu_kick(vcpu);
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	assert_int_equal(e.reason, KVM_EXIT_INTR);
	mvm_vcpu_set_deadline(vcpu, 0);
	alarm(0);
	mvm_machine_destroy(m);
}

static void *wake_later(void *arg)
{
	usleep(50000);
	mvm_vcpu_wake(arg);
	return NULL;
}

/* HLT policy WAIT: the step sleeps in the HLT until the vCPU is woken,
 * then the guest goes on past it. */
static void hlt_wait_sleeps_until_woken(void **state)
{
	static const uint8_t code[] = {
		0xf4,	    /* hlt */
		0xb0, 0x21, /* mov al, '!' */
		0xe6, 0xe9, /* out 0xe9, al */
		0xeb, 0xfe, /* jmp $ */
	};
	struct box b = {0};
	struct mvm_machine_config cfg = {.ncpus = 1, .hlt = MVM_HLT_WAIT};
	struct mvm_machine *m = make(&b, &cfg);
	struct mvm_vcpu *vcpu = mvm_machine_vcpu(m, 0);
	struct mvm_exit e;
	enum mvm_verdict v;
	uint64_t t0;
	pthread_t t;

	(void)state;
	assert_int_equal(mvm_machine_load_buf(m, code, sizeof(code),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_vcpu_set_deadline(vcpu, RUN_MS), 0);
	assert_int_equal(pthread_create(&t, NULL, wake_later, vcpu), 0);
	t0 = mvm_now_ns();
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	pthread_join(t, NULL);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_true(e.handled);
	assert_int_equal(v, MVM_GO_ON);
	assert_true(mvm_now_ns() - t0 >= 40 * 1000000ULL);
	assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_string_equal(b.out, "!");
	mvm_vcpu_set_deadline(vcpu, 0);
	alarm(0);
	mvm_machine_destroy(m);
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
	struct mvm_machine *m = make(&b, &cfg);
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
	assert_int_equal(mvm_machine_load_buf(m, code, sizeof(code),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, &e),
			 MVM_DONE);
	alarm(0);
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
	struct mvm_machine *m = make(&b, &cfg);
	struct mvm_dev_ctx d5, d6;
	struct mvm_exit e;

	(void)state;
	assert_int_equal(mvm_machine_dev_ctx(m, 5, &d5), -ENODEV);
	assert_int_equal(mvm_machine_set_irq_sink(m, &sink), 0);
	assert_int_equal(mvm_machine_dev_ctx(m, 5, &d5), 0);
	assert_int_equal(mvm_machine_dev_ctx(m, 6, &d6), 0);
	assert_ptr_equal(d5.mem, mvm_vm_mem(mvm_machine_vm(m)));
	assert_int_equal(
		mvm_machine_add_device(m, 0, 0x600, 1, &pulse_ops, &d5), 0);
	assert_int_equal(
		mvm_machine_add_device(m, 0, 0x601, 1, &pulse_ops, &d6), 0);
	assert_int_equal(mvm_machine_load_buf(m, code, sizeof(code),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, &e),
			 MVM_DONE);
	alarm(0);
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
	struct mvm_machine *m = make(&b, &cfg);
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
	struct mvm_machine *m = make(&b, &cfg);
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
	struct mvm_machine *m = make(&b, &cfg);
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
	assert_int_equal(
		mvm_machine_add_device(m, 0, 0x600, 1, &pulse_ops, &d5), 0);
	assert_int_equal(
		mvm_machine_add_device(m, 0, 0x601, 1, &pulse_ops, &d6), 0);
	assert_int_equal(mvm_vm_add_msr_handler(mvm_machine_vm(m), TEST_MSR, 1,
						test_msr, NULL),
			 0);
	assert_int_equal(mvm_machine_load_buf(m, code, sizeof(code),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, &e),
			 MVM_DONE);
	alarm(0);
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
		cmocka_unit_test(two_vcpus_pause_save_restore_resume),
		cmocka_unit_test(pause_nests_and_stop_joins_spinning_vcpus),
		cmocka_unit_test(kick_from_another_thread_ends_the_step),
		cmocka_unit_test(hlt_wait_sleeps_until_woken),
		cmocka_unit_test(msr_handlers_by_range_coexist),
		cmocka_unit_test(two_devices_with_interrupt_lines_coexist),
		cmocka_unit_test(devices_are_added_only_while_paused),
		cmocka_unit_test(a_vcpu_thread_changes_the_bus_inside_a_pause),
		cmocka_unit_test(lines_and_msr_handlers_share_one_vm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
