/*
 * test_tui_irq.c - the interrupt and virtqueue panes on the real
 * screen at 80x24, driven through tmux (tmux_screen.h): Tab reaches
 * them after `stats`, F9 with `break irq` stops at the user-space
 * 8259A's injection and says which IRQ and vector on the status line,
 * and the virtq pane shows the blk request's chain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tmux_screen.h"

static char disk[] = "/tmp/mvmdbg-tui-disk-XXXXXX";

static int setup_user_pic(void **state)
{
	(void)state;
	start("--irqchip user", MVM_GUEST_DIR "/ticks.elf");
	return 0;
}

static int setup_virtio(void **state)
{
	char flags[64];
	int fd = mkstemp(disk);

	(void)state;
	if (fd < 0 || ftruncate(fd, 1 << 20))
		return -1;
	close(fd);
	snprintf(flags, sizeof(flags), "--disk %s", disk);
	start(flags, MVM_GUEST_DIR "/virtio-demo.elf");
	return 0;
}

static int teardown_virtio(void **state)
{
	tmux_teardown(state);
	unlink(disk);
	return 0;
}

/* Tab past exits, pt, mem, output, sregs and stats: the irq pane, with
 * the 8259A not yet initialised; then `break irq` and F9 stop at the
 * first tick's injection, and the pane shows it in service. */
static void f9_with_break_irq_stops_at_the_injection(void **state)
{
	(void)state;
	wait_for("exits pt mem output sregs stats irq virtq result (Tab)");
	tmux("send-keys -t %s Tab Tab Tab Tab Tab Tab", session);
	wait_for("controller: user-space 8259A pair");
	wait_for("not initialised (ICW1-4)");
	tmux("send-keys -t %s 'break irq' Enter", session);
	wait_for("breakpoint 1: irq (the VMM injects an interrupt)");
	tmux("send-keys -t %s F9", session);
	wait_for("irq: IRQ 0 injected as vector 0x20, handler");
	tmux("send-keys -t %s 'pane irq' Enter", session);
	wait_for("events: interrupt injected vector 0x20");
	wait_for("  00000001  11111110  0x20  edge");
}

/* `virtq blk` after the first SYNC: the read request's three
 * descriptors, scrolled into view with PgDn. */
static void virtq_pane_shows_the_blk_chain(void **state)
{
	(void)state;
	tmux("send-keys -t %s F9", session);
	wait_for("ucall SYNC 1");
	tmux("send-keys -t %s 'virtq blk' Enter", session);
	wait_for("virtio-blk: device 2 on virtio-mmio");
	wait_for("avail idx 1  last seen 1  used idx 1");
	tmux("send-keys -t %s NPage NPage", session);
	wait_for("used[0] id 0 len 4097: 0 -> 1 -> 2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			f9_with_break_irq_stops_at_the_injection,
			setup_user_pic, tmux_teardown),
		cmocka_unit_test_setup_teardown(virtq_pane_shows_the_blk_chain,
						setup_virtio, teardown_virtio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
