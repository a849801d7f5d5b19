/*
 * test_batch.c - mvmdbg --batch on the example guests: golden
 * transcripts (the exact text students and slides see) and the exit
 * sequence of every example.
 *
 * The program under test is the built build/mvmdbg, run as a child with
 * --stable (no timings or host addresses). A golden mismatch prints a
 * unified diff; MVMDBG_UPDATE_GOLDEN=1 rewrites the golden files after a
 * deliberate change (review the diff before committing it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_run.h"

static void batch_exit_tour_matches_golden(void **state)
{
	(void)state;
	golden("exit-tour", "exit-tour.elf");
}

static void batch_hello_real_matches_golden(void **state)
{
	(void)state;
	golden("hello-real", "hello-real.bin");
}

static void batch_hello_prot_matches_golden(void **state)
{
	(void)state;
	golden("hello-prot", "hello-prot.elf");
}

static void exits_of_hello_real_are_six_outs_then_hlt(void **state)
{
	(void)state;
	static const char *const p[] = {"in real mode at 0x7c00",
					"exit #7 at 0000:7c10 HLT",
					"#1     IO",
					"data 0x48 'H'",
					"#6     IO",
					"data 0x0a",
					"#7     HLT",
					"IO                        6",
					"(mvmdbg) output",
					"Hello",
					NULL};
	check_guest("hello-real.bin", "cont\nexits\noutput\n", p);
}

static void exits_of_hello_prot_end_with_ucall_done(void **state)
{
	(void)state;
	static const char *const p[] = {"in prot mode", "ucall DONE",
					"Hello from 32-bit protected mode",
					NULL};
	check_guest("hello-prot.elf", "cont\noutput\n", p);
}

static void exits_of_hello_long_end_with_ucall_done(void **state)
{
	(void)state;
	static const char *const p[] = {"in long mode", "ucall DONE",
					"Hello from 64-bit long mode", NULL};
	check_guest("hello-long.elf", "cont\noutput\n", p);
}

static void exits_of_triple_fault_end_in_shutdown(void **state)
{
	(void)state;
	/* The explanation names the cause it sees; `restart` brings the
	 * guest back without quitting, with its breakpoint. */
	static const char *const p[] = {
		"SHUTDOWN at RIP",
		"What this guest's state shows:",
		"the IDT is empty (IDTR limit 0)",
		"breakpoint 1: exit SHUTDOWN, hit 1 time",
		"#2     SHUTDOWN",
		"(mvmdbg) check",
		"(registers only: `explain` walks RIP and the stack",
		"(mvmdbg) cont",
		"error: the guest cannot run after SHUTDOWN",
		"(mvmdbg) restart",
		"restarted triple-fault.elf: a fresh machine, 1 breakpoint "
		"kept",
		"(mvmdbg) cont",
		"breakpoint 1: exit SHUTDOWN, hit 1 time", /* counts anew */
		"(mvmdbg) exits",
		"#1     IO",
		"#2     SHUTDOWN",
		NULL};
	check_guest("triple-fault.elf",
		    "break exit shutdown\ncont\nexits\ncheck\ncont\nrestart\n"
		    "cont\n"
		    "exits\n",
		    p);
}

static void exits_of_ucall_tour_stop_at_each_sync_and_the_assert(void **state)
{
	(void)state;
	static const char *const p[] = {"ucall SYNC 1", "ucall SYNC 2",
					"error: exit #5 IO ucall ASSERT",
					"ucall DONE", NULL};
	check_guest("ucall-tour.elf", "cont\ncont\ncont\ncont\n", p);
}

static void exits_of_exit_tour_visit_every_kind(void **state)
{
	(void)state;
	static const char *const p[] = {
		"out port 0x0500 size 1 data 0x42",
		"in port 0x0500 size 1",
		"MMIO      rip",
		"write 0xd0000000 len 4 data 0x12345678",
		"read 0xd0000000 len 4",
		"X86_RDMSR rip",
		"RDMSR 0x400000ff",
		"HLT       rip",
		"step 7: HLT",
		NULL};
	check_guest("exit-tour.elf", "cont\nexits\noutput\n", p);
}

static void exits_of_cpl_compute_bracket_both_loops_with_markers(void **state)
{
	(void)state;
	/* MMIO markers (examples/runtime/demo.h): BEGIN/END of loop 0 at
	 * CPL 0, of loop 1 at CPL 3, then STOP (ring 3 cannot HLT). */
	static const char *const p[] = {
		"write 0xd0000000 len 4 data 0x6d6b0100",
		"write 0xd0000000 len 4 data 0x6d6b0200",
		"write 0xd0000000 len 4 data 0x6d6b0101",
		"write 0xd0000000 len 4 data 0x6d6b0201",
		"write 0xd0000000 len 4 data 0x6d6b0300",
		NULL};
	check_guest("cpl-compute.elf", "cont\nexits\n", p);
}

static void pages_4k_make_pt_show_all_four_levels(void **state)
{
	(void)state;
	static const char *const p[] = {"(4-level paging)",
					"PML4[  0]",
					"PDPT[  0]",
					"PD  [  0]",
					"-> PT 0x",
					"PT  [256]",
					"-> page 0x100000",
					"=> 0x100000 (4 KiB page",
					NULL};
	char image[512], cmd[1024];
	snprintf(image, sizeof(image), "%s/hello-long.elf", MVM_GUEST_DIR);
	need_kvm_and(image);
	snprintf(cmd, sizeof(cmd),
		 "printf 'pt\\n' | timeout 60 %s --pages 4k --stable --batch - "
		 "%s 2>&1",
		 MVMDBG_BIN, image);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	out[fread(out, 1, sizeof(out) - 1, f)] = '\0';
	pclose(f);
	in_order(p);
}

/* Record the whole exit tour, replay it: the output pane is the same,
 * including the tour's lines longer than 64 bytes (a record once cut
 * them there). */
static void replay_shows_the_whole_output_of_the_recorded_run(void **state)
{
	(void)state;
	char image[512], trace[] = "/tmp/mvmdbg-tour-XXXXXX", flags[600];
	char script[] = "/tmp/mvmdbg-batch-XXXXXX";
	static char live[OUT_MAX];
	const char *long_line = "  IN returned 0x42, MMIO read returned "
				"0x12345678, RDMSR returned "
				"0x4f4d45442d4d564d\n";
	snprintf(image, sizeof(image), "%s/exit-tour.elf", MVM_GUEST_DIR);
	need_kvm_and(image);
	int fd = mkstemp(trace);
	assert_true(fd >= 0);
	close(fd);
	fd = mkstemp(script);
	assert_true(fd >= 0);
	/* Single steps first: debugger events D1-D3 before guest exit #1,
	 * which must come back as events, without guest exits' notes. */
	const char *cmds =
		"stepi 3\ncont\ncont\ncont\ncont\noutput\nexits all\n";
	assert_int_equal(write(fd, cmds, strlen(cmds)), (ssize_t)strlen(cmds));
	close(fd);
	snprintf(flags, sizeof(flags), "--record %s", trace);
	run_flags(flags, image, script);
	const char *o = strstr(out, "(mvmdbg) output\n");
	assert_non_null(o);
	assert_non_null(strstr(o, long_line));
	assert_non_null(strstr(o, "D3     DEBUG"));
	snprintf(live, sizeof(live), "%s", o);
	snprintf(flags, sizeof(flags), "--replay %s", trace);
	run_flags(flags, "", script);
	o = strstr(out, "(mvmdbg) output\n");
	assert_non_null(o);
	assert_string_equal(o, live);
	unlink(trace);
	unlink(script);
}

static void bad_input_gets_one_line_errors_and_the_run_goes_on(void **state)
{
	(void)state;
	static const char *const p[] = {"error: unknown command 'bogus'",
					"error: x/4xq: unknown letter 'q'",
					"error: x: bad address 'nowhere'",
					"error: 0x40000000+1 is not guest RAM",
					"(mvmdbg) nexit",
					"exit #1",
					NULL};
	check_guest("hello-real.bin",
		    "bogus\nx/4xq rip\nx nowhere\nxp 0x40000000\nnexit\n", p);
}

/* The limit on a run without a VM exit is --no-exit-limit SEC (mvm
 * run's --timeout is the whole run); the old --timeout MS still works
 * and says what it became. A FIFO as the image is refused at once. */
static void no_exit_limit_stops_a_spinning_guest_in_seconds(void **state)
{
	(void)state;
	static const unsigned char spin[] = {0xeb, 0xfe}; /* jmp $ */
	char image[] = "/tmp/mvmdbg-spin-XXXXXX.bin", fifo[64];
	char script[] = "/tmp/mvmdbg-cont-XXXXXX";
	int fd = mkstemps(image, 4), sfd = mkstemp(script);
	assert_true(fd >= 0 && sfd >= 0);
	assert_int_equal(write(fd, spin, 2), 2);
	assert_int_equal(write(sfd, "cont\n", 5), 5);
	close(fd);
	close(sfd);
	need_kvm_and(image);
	run_flags("--no-exit-limit 0.2", image, script);
	assert_non_null(strstr(out, "error: no VM exit for over 0.2 s"));
	run_flags("--timeout 200", image, script);
	assert_non_null(strstr(out, "taking --no-exit-limit 0.2"));
	assert_non_null(strstr(out, "error: no VM exit for over 0.2 s"));
	unlink(image);
	unlink(script);
	snprintf(fifo, sizeof(fifo), "%s.fifo", image);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	run_flags("", fifo, "/dev/null");
	unlink(fifo);
	assert_non_null(strstr(out, "not a regular file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_exit_tour_matches_golden),
		cmocka_unit_test(batch_hello_real_matches_golden),
		cmocka_unit_test(batch_hello_prot_matches_golden),
		cmocka_unit_test(
			no_exit_limit_stops_a_spinning_guest_in_seconds),
		cmocka_unit_test(exits_of_hello_real_are_six_outs_then_hlt),
		cmocka_unit_test(exits_of_hello_prot_end_with_ucall_done),
		cmocka_unit_test(exits_of_hello_long_end_with_ucall_done),
		cmocka_unit_test(exits_of_triple_fault_end_in_shutdown),
		cmocka_unit_test(
			exits_of_ucall_tour_stop_at_each_sync_and_the_assert),
		cmocka_unit_test(exits_of_exit_tour_visit_every_kind),
		cmocka_unit_test(
			exits_of_cpl_compute_bracket_both_loops_with_markers),
		cmocka_unit_test(pages_4k_make_pt_show_all_four_levels),
		cmocka_unit_test(
			replay_shows_the_whole_output_of_the_recorded_run),
		cmocka_unit_test(
			bad_input_gets_one_line_errors_and_the_run_goes_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
