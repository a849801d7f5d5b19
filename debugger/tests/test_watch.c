/*
 * test_watch.c - data watchpoints in mvmdbg: `watch`, `awatch`, the
 * breakpoint table that shares DR0-DR3 between them and `break rip`
 * (bp.c), and which debug exit belongs to which (DR6.Bn, Intel SDM
 * Vol. 3B 18.2.3).
 *
 * The table tests need no KVM. The guest tests run a few bytes of real
 * mode code at 0x7c00 that write a byte at 0x500. Where the backend
 * never fires watchpoints (quirks.h NO_WATCHPOINTS) `watch` refuses and
 * the firing test skips, saying so; one test clears the quirk bit (the
 * VM's private fields, internal.h) to show the command programs the
 * watchpoint and that the backend then runs past the write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session.h"
#include "../../libminivmm/src/internal.h"

static struct dbg_session s;
static char path[64];

static const uint8_t code[] = {
	0xc6, 0x06, 0x00, 0x05, 0x11, /* mov byte [0x500], 0x11 */
	0x90,			      /* nop */
	0xf4,			      /* hlt */
};

/* --- the table, no KVM ------------------------------------------------ */

static void add_ok(struct dbg_bps *b, enum dbg_bp_kind k, uint32_t reason,
		   uint64_t lo, uint64_t hi)
{
	char err[200];
	struct dbg_bp bp = {.kind = k, .reason = reason, .lo = lo, .hi = hi};
	assert_true(dbg_bp_add(b, &bp, err, sizeof(err)) > 0);
}

static void watchpoints_share_dr0_dr3_with_rip_breakpoints(void **state)
{
	(void)state;
	struct dbg_bps b;
	struct mvm_hwbp hw[4];
	uint64_t addrs[4];
	char err[200];
	dbg_bps_init(&b);
	add_ok(&b, DBG_BP_RIP, 0, 0x7c00, 0x7c00);
	add_ok(&b, DBG_BP_WATCH, MVM_HWBP_WRITE, 0x500, 0x503);
	add_ok(&b, DBG_BP_IO, 0, 0x3f8, 0x3ff); /* no debug register */
	add_ok(&b, DBG_BP_WATCH, MVM_HWBP_ACCESS, 0x600, 0x600);
	add_ok(&b, DBG_BP_RIP, 0, 0x7c10, 0x7c10);
	assert_int_equal(dbg_bp_hw(&b, hw), 4);
	assert_int_equal(hw[0].kind, MVM_HWBP_EXEC);
	assert_int_equal(hw[1].addr, 0x500);
	assert_int_equal(hw[1].kind, MVM_HWBP_WRITE);
	assert_int_equal(hw[1].len, 4);
	assert_int_equal(hw[2].kind, MVM_HWBP_ACCESS);
	assert_int_equal(hw[2].len, 1);
	assert_int_equal(hw[3].addr, 0x7c10);
	/* The code pane marks instructions only. */
	assert_int_equal(dbg_bp_hw_addrs(&b, addrs), 2);
	struct dbg_bp fifth = {.kind = DBG_BP_WATCH,
			       .reason = MVM_HWBP_WRITE,
			       .lo = 0x700,
			       .hi = 0x700};
	assert_int_equal(dbg_bp_add(&b, &fifth, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "DR0-DR3"));
}

/* Each hit names its debug register in DR6 (B0-B3). */
static void a_debug_exit_matches_the_watchpoint_of_its_register(void **state)
{
	(void)state;
	struct dbg_bps b;
	struct mvm_exit e = {.reason = KVM_EXIT_DEBUG};
	dbg_bps_init(&b);
	add_ok(&b, DBG_BP_RIP, 0, 0x7c00, 0x7c00);
	add_ok(&b, DBG_BP_WATCH, MVM_HWBP_WRITE, 0x500, 0x500);
	e.u.debug.pc = 0x7c05;
	e.u.debug.dr6 = 0xffff0ff2; /* B1: DR1, the watchpoint */
	struct dbg_bp *hit = dbg_bp_match(&b, &e, 0);
	assert_non_null(hit);
	assert_int_equal(hit->kind, DBG_BP_WATCH);
	assert_int_equal(hit->hits, 1);
	e.u.debug.pc = 0x7c00;
	e.u.debug.dr6 = 0xffff0ff1; /* B0: DR0, the instruction */
	hit = dbg_bp_match(&b, &e, 0);
	assert_non_null(hit);
	assert_int_equal(hit->kind, DBG_BP_RIP);
	e.u.debug.dr6 = 0xffff4ff0; /* BS: a single step, no breakpoint */
	e.u.debug.pc = 0x7c06;
	assert_null(dbg_bp_match(&b, &e, 0));
}

/* --- on a guest --------------------------------------------------------- */

static void quiet_log(void *ctx, enum mvm_log_level l, const char *m)
{
	(void)ctx, (void)l, (void)m;
}

static void open_guest(void)
{
	struct mvm_log log = {quiet_log, NULL};
	int fd = mvm_kvm_open(&log);
	if (fd < 0) {
		printf("SKIP: /dev/kvm missing or unusable; these tests run "
		       "real guests\n");
		skip();
	}
	close(fd);
	snprintf(path, sizeof(path), "/tmp/mvmdbg-watch-XXXXXX.bin");
	fd = mkstemps(path, 4); /* .bin: a flat image at 0x7c00 */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, code, sizeof(code)), (ssize_t)sizeof(code));
	close(fd);
	dbg_session_init(&s);
	s.stable = 1;
	alarm(30);
	assert_int_equal(dbg_session_open(&s, path, MVM_MODE_REAL), 0);
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	dbg_session_close(&s);
	if (path[0])
		unlink(path);
	path[0] = '\0';
	return 0;
}

static int no_watchpoints(void)
{
	return mvm_vm_backend(s.vm)->quirks & MVM_QUIRK_NO_WATCHPOINTS;
}

/* Length and alignment are the CPU's rules, checked on every backend. */
static void watch_checks_length_and_alignment(void **state)
{
	(void)state;
	open_guest();
	assert_int_equal(dbg_exec(&s, "watch/3 0x500"), -EINVAL);
	assert_non_null(strstr(s.status, "1, 2, 4 or 8 bytes"));
	assert_int_equal(dbg_exec(&s, "watch/4 0x502"), -EINVAL);
	assert_non_null(strstr(s.status, "not 4-byte aligned"));
	assert_int_equal(dbg_exec(&s, "watch"), -EINVAL);
	assert_non_null(strstr(s.status, "expected an address"));
	assert_int_equal(s.bps.n, 0);
}

static void watch_stops_cont_right_after_the_write(void **state)
{
	(void)state;
	open_guest();
	int rc = dbg_exec(&s, "watch 0x500");
	if (no_watchpoints()) {
		assert_int_equal(rc, -ENOTSUP);
		assert_non_null(
			strstr(s.status, "not offered on this backend"));
		printf("SKIP: data watchpoints never fire on the %s backend "
		       "(quirks.h NO_WATCHPOINTS)\n",
		       mvm_vm_backend(s.vm)->name);
		skip();
	}
	assert_int_equal(rc, 0);
	assert_int_equal(dbg_exec(&s, "cont"), 0);
	assert_non_null(strstr(s.status, "watchpoint 1: watch write 0x500"));
	assert_non_null(strstr(s.status, "now 0x11"));
	assert_int_equal(s.cur.regs.rip, 0x7c05); /* past the write */
}

/* The quirk's symptom, through the debugger: with the bit cleared the
 * command programs DR0 (the table has it, `cont` sets it), and the
 * guest runs past the write to its HLT. */
static void without_the_quirk_watch_is_set_but_never_fires_here(void **state)
{
	(void)state;
	open_guest();
	if (!no_watchpoints()) {
		printf("SKIP: the %s backend fires data watchpoints\n",
		       mvm_vm_backend(s.vm)->name);
		skip();
	}
	s.vm->backend.quirks &= ~MVM_QUIRK_NO_WATCHPOINTS;
	assert_int_equal(dbg_exec(&s, "awatch/2 0x500"), 0);
	assert_non_null(
		strstr(s.status, "watchpoint 1: watch read/write 0x500, 2"));
	int rc = dbg_exec(&s, "cont");
	s.vm->backend.quirks |= MVM_QUIRK_NO_WATCHPOINTS;
	assert_int_equal(rc, 0);
	assert_int_equal(s.last.reason, KVM_EXIT_HLT);
	assert_int_equal(s.bps.bp[0].hits, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			watchpoints_share_dr0_dr3_with_rip_breakpoints),
		cmocka_unit_test(
			a_debug_exit_matches_the_watchpoint_of_its_register),
#define T(fn) cmocka_unit_test_teardown(fn, teardown)
		T(watch_checks_length_and_alignment),
		T(watch_stops_cont_right_after_the_write),
		T(without_the_quirk_watch_is_set_but_never_fires_here),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
