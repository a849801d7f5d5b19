/*
 * fixture.h - the shared KVM test fixture: one VM, one vCPU, the
 * standard devices, and buffers that capture what the guest printed and
 * what the library logged, so tests can assert on both.
 *
 *   static const struct CMUnitTest tests[] = {
 *           cmocka_unit_test_setup_teardown(my_test, fixture_setup,
 *                                           fixture_teardown),
 *   };
 *
 * fixture_setup() skips, with the reason printed, when /dev/kvm is
 * missing or unusable (see fixture_require_kvm()). Every guest run goes
 * through fixture_run() or fixture_run_once(), which arm the run deadline
 * and an alarm() backstop.
 */
#ifndef MINIVMM_TEST_FIXTURE_H
#define MINIVMM_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

/* RAM of the fixture's VM. */
#define FIXTURE_RAM (64ULL << 20)

struct fixture {
	struct mvm_machine *m;	     /* from the machine layer */
	struct mvm_vm *vm;	     /* its VM */
	struct mvm_vcpu *vcpu;	     /* vCPU 0 */
	struct mvm_std_devices devs; /* its standard devices (not owned) */
	char out[65536]; /* guest output: debugcon, UART, ucall PRINT */
	size_t out_len;
	char log[16384]; /* library log, one "level: message" per line */
	size_t log_len;
	struct mvm_image_info img; /* the last image loaded */
};

/* cmocka setup/teardown: the machine every tool builds (machine.h) with
 * FIXTURE_RAM, 1 vCPU and the default devices (debug port, ucall, UART,
 * demo device); _irqchip adds KVM's in-kernel irqchip. */
int fixture_setup(void **state);
int fixture_setup_irqchip(void **state); /* same with MVM_VM_IRQCHIP */
int fixture_setup_no_demo(void **state); /* without the demo device */
int fixture_setup_bare(void **state);	 /* without any device */
int fixture_teardown(void **state);

/* Load MVM_GUEST_DIR "/" name (ELF, or flat at the mode's load address)
 * and set the vCPU up in `mode` at the image's entry. Fails the test on
 * error, with the library's log. */
void fixture_load(struct fixture *f, const char *name, enum mvm_cpu_mode mode);

/* Copy code to gpa and set the vCPU up in `mode` with RIP = gpa. */
void fixture_load_code(struct fixture *f, enum mvm_cpu_mode mode, uint64_t gpa,
		       const void *code, size_t len);

/* Real mode without mvm_vcpu_setup_mode(): CS = 0 (so CS:IP = 0:entry),
 * SS = ES = 0, DS base = ds_base (any 32-bit base, so a 16-bit guest can
 * reach memory above 1 MiB with small offsets), SP = 0x7000. For tests of
 * the run step on hand-assembled guests. */
void fixture_real_mode(struct fixture *f, uint64_t entry, uint64_t ds_base);

/* Copy hand-assembled 16-bit code to MVM_REAL_LOAD_ADDR and enter it
 * there with fixture_real_mode(). Fails the test on error. */
void fixture_real_code(struct fixture *f, const void *code, size_t len,
		       uint64_t ds_base);

/* mvm_vm_enable_user_msr(); cmocka skip(), with the reason printed, when
 * this KVM cannot send MSR accesses to user space (or, with a filter,
 * lacks MSR filters); any other error fails the test. */
void fixture_user_msr(struct fixture *f, const uint32_t *filter, int n,
		      mvm_msr_fn *fn, void *ctx);

/* The vCPU's RAX (where the test guests leave a result); fails the test
 * when the registers cannot be read. */
uint64_t fixture_rax(struct fixture *f);

/* mvm_vcpu_run() with timeout_ms plus an alarm() backstop a few seconds
 * later (the process dies with a message if even the deadline fails).
 * Returns mvm_vcpu_run()'s result. */
int fixture_run(struct fixture *f, unsigned timeout_ms, struct mvm_exit *e);

/* Arm the alarm() backstop BACKSTOP_SLACK_S seconds past a run deadline of
 * timeout_ms (0: past 60 s): if even the deadline fails, the process exits
 * with a message instead of hanging. alarm(0) disarms it. For tests that
 * drive several run steps under one mvm_vcpu_set_deadline(). */
void fixture_backstop(unsigned timeout_ms);

/* One mvm_vcpu_run_once() under the same deadline and backstop, for tests
 * that assert on a single exit. Returns its result (-ETIMEDOUT when the
 * guest did not exit within timeout_ms). */
int fixture_run_once(struct fixture *f, unsigned timeout_ms,
		     struct mvm_exit *e);

/* For setup functions of KVM tests: if KVM is not usable, print the
 * reason and end the program with a SKIPPED line (cmocka 1.1.5 cannot
 * skip from a setup function). In a test body use skip() instead. */
void fixture_require_kvm(void);

/* 1 if /dev/kvm opens and has what minivmm needs; otherwise 0 and why
 * holds the reason. */
int fixture_kvm_usable(char *why, size_t len);

/* The log sink fixtures use, for tests that create their own VMs: appends
 * "level: message\n" to f->log. ctx is the struct fixture. With the
 * environment variable MVM_TEST_LOG set, every message is also printed to
 * stderr (handy when a test fails). */
void fixture_log_fn(void *ctx, enum mvm_log_level level, const char *msg);

/* The same into a buffer of its own, for tests that build their machine
 * through machine.h rather than a fixture: cfg.log = {fixture_logbuf_fn,
 * &buf}; show buf.text when a run fails. */
struct fixture_logbuf {
	char text[4096];
	size_t len;
};
void fixture_logbuf_fn(void *ctx, enum mvm_log_level level, const char *msg);

/* CLOCK_MONOTONIC in seconds: tests time guests with the host's clock. */
double fixture_now_s(void);

#endif
