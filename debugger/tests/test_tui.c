/*
 * test_tui.c - the real ncurses screen, driven through tmux: keys go in
 * with `tmux send-keys`, the screen comes back with `tmux capture-pane`.
 *
 * Each test starts mvmdbg on the exit tour in a fresh detached tmux
 * session of 80x24 (the size the debugger promises to work at) and
 * always kills it afterwards - in the teardown, and from the SIGALRM
 * backstop if a test hangs. Skips, with the reason, without tmux or KVM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#include "tmux_screen.h"

#define IMAGE MVM_GUEST_DIR "/exit-tour.elf"

static int setup(void **state)
{
	(void)state;
	start("", IMAGE);
	return 0;
}

/* With NO_COLOR set: no colours at all (https://no-color.org). */
static int setup_no_color(void **state)
{
	(void)state;
	env = "NO_COLOR=1 ";
	start("", IMAGE);
	env = "";
	return 0;
}

static int setup_light(void **state)
{
	(void)state;
	start("--theme light", IMAGE);
	return 0;
}

/* What `make demo` runs (DEMO_FLAGS in debugger/build.mk). */
static int setup_demo(void **state)
{
	(void)state;
	start("--pages 4k", IMAGE);
	return 0;
}

/* A real-mode guest that exits forever: out 0xe9,al; jmp back. */
static char loop_image[64];

static int setup_loop(void **state)
{
	(void)state;
	static const unsigned char code[] = {0xe6, 0xe9, 0xeb, 0xfc};
	snprintf(loop_image, sizeof(loop_image), "/tmp/mvmdbg-loop-XXXXXX.bin");
	int fd = mkstemps(loop_image, 4); /* .bin: flat (loader.h) */
	assert_true(fd >= 0);
	assert_int_equal(write(fd, code, sizeof(code)), (ssize_t)sizeof(code));
	close(fd);
	start("", loop_image);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kill_session();
	if (loop_image[0])
		unlink(loop_image);
	loop_image[0] = '\0';
	alarm(0);
	return 0;
}

static void stepping_changes_rip_on_screen(void **state)
{
	(void)state;
	wait_for("rip 0000000000100000\n");
	wait_for("=> 0x00100000");
	tmux("send-keys -t %s F7", session);
	wait_for("rip 0000000000100001*");
	wait_for("=> 0x00100001");
	tmux("send-keys -t %s F8", session);
	wait_for("ucall PRINT \"step 1: OUT 0x42");
	tmux("send-keys -t %s F8", session);
	wait_for("out port 0x0500 size 1 data 0x42");
}

static void pt_pane_shows_the_walk_for_rip(void **state)
{
	(void)state;
	tmux("send-keys -t %s pt Enter", session);
	wait_for("walk of 0x0000000000100000 from CR3 0x10000");
	wait_for("PML4[  0] @0x00010000");
	wait_for("PD  [  0] @0x00012000");
	wait_for("=> 0x100000 (2 MiB page");
	/* The pane follows RIP: a step updates the walk. */
	tmux("send-keys -t %s F7", session);
	wait_for("walk of 0x0000000000100001");
}

static void bad_command_leaves_an_error_and_a_working_screen(void **state)
{
	(void)state;
	tmux("send-keys -t %s bogus Enter", session);
	wait_for("unknown command 'bogus' (type `help`)");
	tmux("send-keys -t %s 'x/4xb 0xdeadbeef000' Enter", session);
	wait_for("0xdeadbeef000 does not translate");
	tmux("send-keys -t %s F7", session);
	wait_for("rip 0000000000100001*");
	wait_for("F7 stepi  F8 next exit"); /* the help line is intact */
}

static void resize_redraws_in_the_new_layout(void **state)
{
	(void)state;
	tmux("resize-window -t %s -x 160 -y 48", session);
	wait_for("segments and control registers");
	wait_for("cr0  0000000080010031  [PE ET NE WP PG]");
	tmux("resize-window -t %s -x 60 -y 20", session);
	wait_for("too small");
	/* Keys do not step the guest unseen: F8 is refused. */
	tmux("send-keys -t %s F8", session);
	wait_for("not run: the terminal is too small to show it (60x20");
	tmux("resize-window -t %s -x 80 -y 24", session);
	wait_for("rip 0000000000100000\n");
	wait_for("no exits yet");
}

static void tab_switches_the_bottom_pane_and_pgdn_scrolls_it(void **state)
{
	(void)state;
	wait_for("no exits yet");
	tmux("send-keys -t %s Tab", session);
	wait_for("walk of 0x0000000000100000");
	tmux("send-keys -t %s Tab Tab Tab", session);
	wait_for("cs  sel 0x0010 base 0x0000000000000000");
	/* Six rows at 80x24: the control registers are below; scroll. */
	tmux("send-keys -t %s NPage", session);
	wait_for("efer 0000000000000d00  [LME LMA NXE]");
}

static void ctrl_c_interrupts_a_long_run_and_clears_the_line(void **state)
{
	(void)state;
	tmux("send-keys -t %s 'nexit 1000000' Enter", session);
	wait_for("running nexit 1000000 ... (Ctrl-C stops it)");
	tmux("send-keys -t %s C-c", session);
	wait_for("interrupted (Ctrl-C) at rip 0x7c0");
	tmux("send-keys -t %s 'half typed'", session);
	wait_for("(mvmdbg) half typed");
	tmux("send-keys -t %s C-c", session);
	wait_for("line cleared");
	capture();
	assert_null(strstr(screen, "half typed"));
}

/* A changed register is bold and underlined (SGR 1;4), so it reads on any
 * background; without colours nothing asks for one (SGR 30-37, 38;5). */
static void no_color_draws_without_colours_and_underlines_changes(void **state)
{
	(void)state;
	tmux("send-keys -t %s F7", session);
	wait_for("rip 0000000000100001*");
	capture_sgr();
	assert_non_null(strstr(screen, "\033[1;4m0000000000100001*"));
	assert_null(strstr(screen, "\033[33m"));
	assert_null(strstr(screen, "\033[35m"));
	assert_null(strstr(screen, "\033[46m"));
	assert_null(strstr(screen, "38;5"));
}

/* The light theme: changed values in magenta, bold and underlined. */
static void light_theme_underlines_changes_in_a_dark_colour(void **state)
{
	(void)state;
	tmux("send-keys -t %s F7", session);
	wait_for("rip 0000000000100001*");
	capture_sgr();
	assert_non_null(strstr(screen, "\033[1;4m\033[35m0000000000100001*"));
	assert_null(strstr(screen, "\033[33m")); /* no yellow */
}

/*
 * The classroom demo (COURSE.md, "The classroom demo, step by step"):
 * `make demo` opens the exit tour with 4 KiB pages and the instructor
 * presses F8 through the whole tour. Every exit's status line is checked
 * in order, with the extra commands the demo uses at the MMIO exit, up to
 * the HLT and the guest's DONE: the tour must never triple-fault on the
 * projector.
 */
static const char *const tour[] = {
	"exit #1 IO ucall PRINT \"step 1: OUT 0x42 to the demo port\"",
	"exit #2 IO out port 0x0500 size 1 data 0x42 'B'",
	"exit #3 IO ucall PRINT \"step 2: IN from the demo port\"",
	"exit #4 IO in port 0x0500 size 1 -> 0x42 'B'",
	"exit #5 IO ucall PRINT \"step 3: MMIO write 0x12345678",
	"exit #6 MMIO write 0xd0000000 len 4 data 0x12345678",
	"exit #7 IO ucall PRINT \"step 4: MMIO read from the demo address\"",
	"exit #8 MMIO read 0xd0000000 len 4 -> 0x12345678",
	"exit #9 IO ucall PRINT \"step 5: CPUID leaf 0",
	"exit #10 IO ucall PRINT \"  CPUID vendor",
	"exit #11 IO ucall PRINT \"step 6: RDMSR of a made-up MSR\"",
	"exit #12 RDMSR 0x400000ff -> 0x4f4d45442d4d564d",
	"exit #13 IO ucall PRINT \"  IN returned 0x42, MMIO read returned "
	"0x12345678",
	"exit #14 IO ucall PRINT \"step 7: HLT\"",
	"exit #15 HLT",
	"exit #16 IO ucall DONE \"done\"",
};

static void demo_tour_runs_to_its_end_exit_by_exit(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(tour) / sizeof(tour[0]); i++) {
		tmux("send-keys -t %s F8", session);
		wait_for(tour[i]);
		/* The line under the status says what the exit is and
		 * where RIP stands (judged from the code at RIP). */
		if (i + 1 == 2)
			wait_for("KVM_EXIT_IO | RIP 0x100686 past the OUT");
		if (i + 1 == 4)
			wait_for("KVM_EXIT_IO | RIP 0x1006a1 still on the IN");
		if (i + 1 == 8)
			wait_for("KVM_EXIT_MMIO | RIP 0x1006f9 still on the "
				 "load");
		if (i + 1 == 6) { /* step 5 of the demo: the MMIO exit */
			wait_for("KVM_EXIT_MMIO | RIP 0x1006cf past the store");
			tmux("send-keys -t %s pt Enter", session);
			wait_for("PT  [256] @0x00013800");
			tmux("send-keys -t %s NPage", session); /* 5 rows */
			wait_for("=> 0x1006cf (4 KiB page");
			tmux("send-keys -t %s 'translate 0xd0000000' Enter",
			     session);
			wait_for("-> no memory slot (MMIO)");
			tmux("send-keys -t %s 'pane exits' Enter", session);
		}
	}
	wait_for("#15    HLT       rip 00100992");
	capture();
	assert_null(strstr(screen, "SHUTDOWN"));
	tmux("send-keys -t %s 'pane stats' Enter", session);
	wait_for("IO                       12");
	wait_for("MMIO                      2");
	wait_for("X86_RDMSR                 1");
}

/* Shift-Right scrolls the bottom pane sideways: the end of a long exit
 * row (cut at 80 columns) comes into view; Shift-Left brings it back. */
static void shift_arrows_scroll_long_log_rows_sideways(void **state)
{
	(void)state;
	const char *tail = "out 0x1000 ucall PRINT \"step 1: OUT 0x42 to the "
			   "demo port\"";
	tmux("send-keys -t %s F8", session);
	wait_for("exit #1 IO ucall PRINT");
	capture();
	assert_null(strstr(screen, tail));
	tmux("send-keys -t %s S-Right", session);
	wait_for(tail);
	tmux("send-keys -t %s S-Left", session);
	wait_for("#1     IO        rip 00100581");
}

/* `q` Enter ends mvmdbg with status 0 (the wrapper in start() then
 * prints it), and the terminal is given back: the shell line shows. */
static void quit_ends_the_program(void **state)
{
	(void)state;
	tmux("send-keys -t %s q Enter", session);
	wait_for("[mvmdbg exited: 0]");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(stepping_changes_rip_on_screen),
		T(pt_pane_shows_the_walk_for_rip),
		T(bad_command_leaves_an_error_and_a_working_screen),
		T(resize_redraws_in_the_new_layout),
		T(tab_switches_the_bottom_pane_and_pgdn_scrolls_it),
		cmocka_unit_test_setup_teardown(
			ctrl_c_interrupts_a_long_run_and_clears_the_line,
			setup_loop, teardown),
		T(shift_arrows_scroll_long_log_rows_sideways),
		T(quit_ends_the_program),
		cmocka_unit_test_setup_teardown(
			demo_tour_runs_to_its_end_exit_by_exit, setup_demo,
			teardown),
		cmocka_unit_test_setup_teardown(
			no_color_draws_without_colours_and_underlines_changes,
			setup_no_color, teardown),
		cmocka_unit_test_setup_teardown(
			light_theme_underlines_changes_in_a_dark_colour,
			setup_light, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
