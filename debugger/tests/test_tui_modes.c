/*
 * test_tui_modes.c - the screen shows the registers and addresses of the
 * guest's CPU mode (16-bit with CS:IP in real mode, 32-bit in protected
 * mode), marks breakpoints in the code pane, and completes `info` topics
 * with Tab. Driven through tmux like test_tui.c (tmux_screen.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tmux_screen.h"

static int setup_real(void **state)
{
	(void)state;
	start("", MVM_GUEST_DIR "/hello-real.bin");
	return 0;
}

static int setup_prot(void **state)
{
	(void)state;
	start("", MVM_GUEST_DIR "/hello-prot.elf");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	kill_session();
	alarm(0);
	return 0;
}

/* Real mode: ax..bp, the selectors, CS:IP and SS:SP; code rows as
 * seg:offset; nothing 64-bit. A step moves CS:IP, marked changed. */
static void real_mode_shows_16_bit_registers_and_cs_ip(void **state)
{
	(void)state;
	wait_for("cs:ip 0000:7c00  ss:sp 9000:f000");
	wait_for("ax 0000  bx 0000");
	wait_for("=> 0000:7c00   be 12 7c");
	capture();
	assert_null(strstr(screen, "r8 "));
	assert_null(strstr(screen, "rax"));
	tmux("send-keys -t %s F7", session);
	wait_for("cs:ip 0000:7c03*");
	wait_for("si 7c12*");
	wait_for("event D1 at 0000:7c03"); /* the status line says it too */
}

/* A breakpoint is marked in the code pane, "B>" once RIP is on it. */
static void breakpoints_are_marked_in_the_code_pane(void **state)
{
	(void)state;
	tmux("send-keys -t %s 'break 0x7c03' Enter", session);
	wait_for("B  0000:7c03   ba e9 00");
	tmux("send-keys -t %s 'cont' Enter", session);
	wait_for("B> 0000:7c03   ba e9 00");
}

/* Tab after `info ` offers its topics, not registers or commands. */
static void tab_after_info_completes_its_topics(void **state)
{
	(void)state;
	tmux("send-keys -t %s 'info reg' Tab", session);
	wait_for("(mvmdbg) info registers");
	tmux("send-keys -t %s C-c", session);
	wait_for("line cleared");
	tmux("send-keys -t %s 'info ' Tab", session);
	wait_for("break exits mem registers stats tab tlb");
}

/* 32-bit protected mode: eax..ebp, eip, eflags; no r8-r15. */
static void prot_mode_shows_32_bit_registers(void **state)
{
	(void)state;
	wait_for("eax 00000000  ebx 00000000");
	wait_for("eip 00100000");
	wait_for("eflags 00000002");
	capture();
	assert_null(strstr(screen, "r8 "));
	assert_null(strstr(screen, "rip "));
}

static int setup_gdb(void **state)
{
	(void)state;
	start("--gdb 127.0.0.1:0", MVM_GUEST_DIR "/hello-long.elf");
	return 0;
}

/* --gdb in the TUI: the screen says where it waits; real gdb steps the
 * guest and detaches; the screen shows the RIP gdb left. */
static void tui_hands_the_guest_to_gdb_and_takes_it_back(void **state)
{
	(void)state;
	int port = 0;
	char cmd[300];
	if (system("command -v gdb >/dev/null 2>&1") != 0) {
		printf("SKIP: gdb is not installed\n");
		skip();
	}
	wait_for("waiting for gdb on 127.0.0.1:");
	const char *p = strstr(screen, "127.0.0.1:");
	assert_int_equal(sscanf(p, "127.0.0.1:%d", &port), 1);
	snprintf(cmd, sizeof(cmd),
		 "timeout 30 gdb -batch -nx -ex 'target remote :%d' -ex stepi "
		 "-ex detach >/dev/null 2>&1",
		 port);
	assert_int_equal(system(cmd), 0);
	wait_for("gdb detached at rip 0x100001");
	wait_for("rip 0000000000100001*");
}

int main(void)
{
#define R(fn) cmocka_unit_test_setup_teardown(fn, setup_real, teardown)
	const struct CMUnitTest tests[] = {
		R(real_mode_shows_16_bit_registers_and_cs_ip),
		R(breakpoints_are_marked_in_the_code_pane),
		R(tab_after_info_completes_its_topics),
		cmocka_unit_test_setup_teardown(
			prot_mode_shows_32_bit_registers, setup_prot, teardown),
		cmocka_unit_test_setup_teardown(
			tui_hands_the_guest_to_gdb_and_takes_it_back, setup_gdb,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
