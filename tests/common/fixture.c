/*
 * fixture.c - see fixture.h. Test support code: it may print and abort
 * (through cmocka), unlike the library.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

/* Seconds the alarm() backstop adds on top of a run's own deadline. */
#define BACKSTOP_SLACK_S 10

/* Append to a fixed buffer, always NUL-terminated, dropping the excess. */
static void append(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= cap)
		return;
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

static void fixture_output(void *ctx, const char *buf, size_t len)
{
	struct fixture *f = ctx;

	append(f->out, sizeof(f->out), &f->out_len, buf, len);
}

void fixture_log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct fixture *f = ctx;
	const char *name = mvm_log_level_name(level);

	append(f->log, sizeof(f->log), &f->log_len, name, strlen(name));
	append(f->log, sizeof(f->log), &f->log_len, ": ", 2);
	append(f->log, sizeof(f->log), &f->log_len, msg, strlen(msg));
	append(f->log, sizeof(f->log), &f->log_len, "\n", 1);
	if (getenv("MVM_TEST_LOG"))
		fprintf(stderr, "[lib] %s: %s\n", name, msg);
}

void fixture_logbuf_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct fixture_logbuf *b = ctx;
	const char *name = mvm_log_level_name(level);

	append(b->text, sizeof(b->text), &b->len, name, strlen(name));
	append(b->text, sizeof(b->text), &b->len, ": ", 2);
	append(b->text, sizeof(b->text), &b->len, msg, strlen(msg));
	append(b->text, sizeof(b->text), &b->len, "\n", 1);
}

double fixture_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void why_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	char **why = ctx;

	if (level == MVM_LOG_ERROR && (*why)[0] == '\0')
		snprintf(*why, 256, "%s", msg);
}

int fixture_kvm_usable(char *why, size_t len)
{
	char msg[256] = "";
	char *p = msg;
	struct mvm_log log = {why_log, &p};
	int fd = mvm_kvm_open(&log);

	if (fd < 0) {
		snprintf(why, len, "%s", msg[0] ? msg : "cannot open /dev/kvm");
		return 0;
	}
	close(fd);
	return 1;
}

/*
 * cmocka 1.1.5 (Debian 12) reports skip() called from a setup function as
 * "Test setup failed", i.e. as an error, not a skip. So a program whose
 * tests need KVM ends here instead, with the reason and one SKIPPED line
 * in cmocka's format, which scripts/run-tests.sh counts.
 */
void fixture_require_kvm(void)
{
	char why[256];

	if (fixture_kvm_usable(why, sizeof(why)))
		return;
	printf("\nSKIP: KVM not usable here: %s\n"
	       "[  SKIPPED ] %s: the remaining tests need /dev/kvm\n",
	       why, program_invocation_short_name);
	fflush(stdout);
	exit(0);
}

/* The fixture's machine is the one every tool builds (machine.h): the
 * default devices, output and log captured in the fixture. */
static int setup_machine(void **state, enum mvm_irqchip irqchip,
			 unsigned devices)
{
	struct fixture *f;
	int r;

	fixture_require_kvm();
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	struct mvm_machine_config cfg = {
		.ram_size = FIXTURE_RAM,
		.ncpus = 1,
		.irqchip = irqchip,
		.devices = devices,
		.out = fixture_output,
		.out_ctx = f,
		.log = {fixture_log_fn, f},
	};
	r = mvm_machine_create(&cfg, &f->m);
	if (r < 0) {
		/* KVM is usable, so this is a real failure: say why. */
		print_message("mvm_machine_create: %s\n%s", strerror(-r),
			      f->log);
		free(f);
		return -1;
	}
	f->vm = mvm_machine_vm(f->m);
	f->vcpu = mvm_machine_vcpu(f->m, 0);
	f->devs = *mvm_machine_devices(f->m);
	*state = f;
	return 0;
}

int fixture_setup(void **state)
{
	return setup_machine(state, MVM_IRQCHIP_NONE, 0);
}

int fixture_setup_no_demo(void **state)
{
	return setup_machine(state, MVM_IRQCHIP_NONE,
			     MVM_MDEV_DEBUGCON | MVM_MDEV_UCALL |
				     MVM_MDEV_UART);
}

int fixture_setup_bare(void **state)
{
	return setup_machine(state, MVM_IRQCHIP_NONE, MVM_MDEV_NONE);
}

int fixture_setup_irqchip(void **state)
{
	return setup_machine(state, MVM_IRQCHIP_KERNEL, 0);
}

int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	mvm_machine_destroy(f->m);
	free(f);
	*state = NULL;
	return 0;
}

void fixture_load(struct fixture *f, const char *name, enum mvm_cpu_mode mode)
{
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/%s", MVM_GUEST_DIR, name);
	r = mvm_machine_load(f->m, path, (int)mode);
	if (r < 0)
		fail_msg("loading %s in %s mode: %s\n%s", path,
			 mvm_mode_name(mode), strerror(-r), f->log);
	f->img = *mvm_machine_image(f->m);
}

void fixture_load_code(struct fixture *f, enum mvm_cpu_mode mode, uint64_t gpa,
		       const void *code, size_t len)
{
	int r = mvm_machine_load_buf(f->m, code, len, gpa, (int)mode);

	if (r < 0)
		fail_msg("loading %zu bytes at 0x%llx in %s mode: %s\n%s", len,
			 (unsigned long long)gpa, mvm_mode_name(mode),
			 strerror(-r), f->log);
	f->img = *mvm_machine_image(f->m);
}

static void real_seg(struct kvm_segment *s, uint64_t base, int code)
{
	*s = (struct kvm_segment){
		.base = base,
		.limit = 0xffff,
		.selector = (uint16_t)(base < 0x100000 ? base >> 4 : 0),
		.type = code ? 0xb
			     : 0x3, /* execute/read or read/write, accessed */
		.present = 1,
		.s = 1,
	};
}

void fixture_real_mode(struct fixture *f, uint64_t entry, uint64_t ds_base)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rip = entry, .rsp = 0x7000, .rflags = 2};

	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &sregs), 0);
	real_seg(&sregs.cs, 0, 1);
	real_seg(&sregs.ds, ds_base, 0);
	real_seg(&sregs.es, 0, 0);
	real_seg(&sregs.fs, 0, 0);
	real_seg(&sregs.gs, 0, 0);
	real_seg(&sregs.ss, 0, 0);
	sregs.cr0 &= ~MVM_CR0_PE; /* real mode */
	assert_int_equal(mvm_vcpu_set_sregs(f->vcpu, &sregs), 0);
	assert_int_equal(mvm_vcpu_set_regs(f->vcpu, &regs), 0);
}

void fixture_real_code(struct fixture *f, const void *code, size_t len,
		       uint64_t ds_base)
{
	assert_int_equal(mvm_vm_write(f->vm, MVM_REAL_LOAD_ADDR, code, len), 0);
	fixture_real_mode(f, MVM_REAL_LOAD_ADDR, ds_base);
}

uint64_t fixture_rax(struct fixture *f)
{
	struct kvm_regs regs;

	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &regs), 0);
	return regs.rax;
}

void fixture_user_msr(struct fixture *f, const uint32_t *filter, int n,
		      mvm_msr_fn *fn, void *ctx)
{
	int rc = mvm_vm_enable_user_msr(f->vm, filter, n, fn, ctx);

	if (rc == -EOPNOTSUPP) {
		print_message("SKIP: KVM lacks user-space MSR exits (%s)\n",
			      n ? "KVM_CAP_X86_USER_SPACE_MSR/MSR_FILTER"
				: "KVM_CAP_X86_USER_SPACE_MSR");
		skip();
	}
	assert_int_equal(rc, 0);
}

static void backstop(int sig)
{
	static const char msg[] =
		"\nFATAL: guest run did not return (alarm backstop); "
		"the run deadline failed\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(125);
	_exit(124);
}

void fixture_backstop(unsigned timeout_ms)
{
	signal(SIGALRM, backstop);
	alarm((timeout_ms ? timeout_ms / 1000 : 60) + BACKSTOP_SLACK_S);
}

int fixture_run(struct fixture *f, unsigned timeout_ms, struct mvm_exit *e)
{
	int r;

	fixture_backstop(timeout_ms);
	r = mvm_vcpu_run(f->vcpu, timeout_ms, e);
	alarm(0);
	return r;
}

int fixture_run_once(struct fixture *f, unsigned timeout_ms, struct mvm_exit *e)
{
	int r;

	fixture_backstop(timeout_ms);
	r = mvm_vcpu_set_deadline(f->vcpu, timeout_ms);
	if (r == 0)
		r = mvm_vcpu_run_once(f->vcpu, e);
	mvm_vcpu_set_deadline(f->vcpu, 0);
	alarm(0);
	return r;
}
