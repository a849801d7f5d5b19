/*
 * test_irqpane.c - the interrupt pane and the virtqueue pane rendered
 * from hand-built state (no KVM): the user-space 8259A's registers and
 * the IRQs it lets through, KVM's I/O APIC entries and LAPIC timer, an
 * injected event, and a ring with a chain, a loop and NEEDS_RESET.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "irqpane.h"
#include "pane_text.h"
#include "vqpane.h"

static struct dbg_irqview v;
static struct dbg_vqview q;

static void put32(struct kvm_lapic_state *st, unsigned off, uint32_t val)
{
	memcpy(st->regs + off, &val, sizeof(val));
}

/* The PC's pair after the tick guest's ICW1-4: IRQ 0 unmasked and in
 * service, vector 0x20 injected, its handler from the IDT. */
static void user_pic_shows_registers_routes_and_the_injection(void **state)
{
	(void)state;
	memset(&v, 0, sizeof(v));
	v.chip = MVM_IRQCHIP_USER;
	v.rflags = 0x202;
	v.have_run = v.have_events = v.have_upic = 1;
	v.ev.interrupt.injected = 1;
	v.ev.interrupt.nr = 0x20;
	v.upic[0] = (struct mvm_pic_regs){
		.isr = 1, .imr = 0xfe, .vbase = 0x20, .ready = 1};
	v.upic[1] =
		(struct mvm_pic_regs){.imr = 0xff, .vbase = 0x28, .ready = 1};
	v.ustats.injected = 7;
	v.handler[0x20] = 0x1005e0;
	dbg_render_irq(&v, &t);
	has("IF 1 (RFLAGS bit 9)");
	has("events: interrupt injected vector 0x20 -> 0x1005e0");
	has("user-space 8259A pair");
	has("master   00000000  00000001  11111110  0x20  edge");
	has("slave    00000000  00000000  11111111  0x28  edge");
	has("IRQ 0:  vector 0x20, handler 0x1005e0");
	has("injected 7  windows 0");
	assert_int_equal(dbg_text_find(&t, "IRQ 1 "), -1); /* masked */
}

/* KVM's chip: one unmasked I/O APIC pin (level, active low, logical),
 * the rest listed as masked ranges; the LAPIC's timer decoded. */
static void kernel_chip_shows_redirection_entries_and_lapic_timer(void **state)
{
	(void)state;
	memset(&v, 0, sizeof(v));
	v.chip = MVM_IRQCHIP_KERNEL;
	v.irqfd = 1;
	v.have_events = v.have_kchip = v.have_lapic = 1;
	v.kpic[0].chip.pic.imr = v.kpic[1].chip.pic.imr = 0xff;
	for (int i = 0; i < MVM_IOAPIC_ENTRIES; i++)
		v.ioapic.chip.ioapic.redirtbl[i].bits = 1ull << 16;
	v.ioapic.chip.ioapic.redirtbl[4].bits =
		0x34 | 1ull << 11 | 1ull << 13 | 1ull << 15 | 3ull << 56;
	v.ioapic.chip.ioapic.redirtbl[9].bits = 0x39;
	v.handler[0x34] = 0x101000;
	put32(&v.lapic, 0xf0, 0x1ff);
	put32(&v.lapic, 0x320, 0xec | 1u << 17);
	put32(&v.lapic, 0x380, 100000);
	put32(&v.lapic, 0x390, 777);
	put32(&v.lapic, 0x3e0, 0x3);
	dbg_render_irq(&v, &t);
	has("lines by irqfd, no exits");
	has("every IRQ is masked (IMR)");
	has("4  0x34    fixed     level    low       logical 0x03 -> "
	    "0x101000");
	has("9  0x39    fixed     edge     high      phys 0x00");
	has("masked pins: 0-3 5-8 10-23");
	has("timer: periodic, vector 0xec, unmasked");
	has("count: initial 100000, current 777, divide by 16");
}

static void no_controller_says_how_to_get_one(void **state)
{
	(void)state;
	memset(&v, 0, sizeof(v));
	dbg_render_irq(&v, &t);
	has("IF 0");
	has("events: not read");
	has("controller: none (mvmdbg --irqchip user|kernel");
}

static void ring(uint16_t size)
{
	memset(&q, 0, sizeof(q));
	snprintf(q.name, sizeof(q.name), "virtio-blk");
	q.device_id = MVM_VIRTIO_ID_BLOCK;
	q.transport = "mmio";
	q.nqueues = 1;
	q.q.size = size;
	q.q.max_size = 128;
	q.q.ready = q.q.rings_ok = q.desc_ok = 1;
	q.q.desc = 0x105000;
}

/* A blk request: header, data, status byte; one used, one waiting. */
static void virtq_pane_follows_chains_and_shows_indices(void **state)
{
	(void)state;
	ring(8);
	q.status = 0x0f;
	q.q.avail_idx = 2, q.q.last_avail = 1, q.q.used_idx = 1;
	q.q.dev_used_idx = 1;
	q.desc[0] = (struct mvm_vring_desc){0x104010, 16, 1, 1};
	q.desc[1] = (struct mvm_vring_desc){0x5000, 4096, 3, 2};
	q.desc[2] = (struct mvm_vring_desc){0x104000, 1, 2, 0};
	q.desc[4] = (struct mvm_vring_desc){0x6000, 8, 2, 0};
	q.nused = 1;
	q.used[0] = (struct mvm_vring_used_elem){0, 4097};
	q.npend = 1;
	q.pend[0] = 4;
	dbg_render_virtq(&q, 4, &t);
	has("virtio-blk: device 2 on virtio-mmio");
	has("status 0x0f ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK");
	has("avail idx 2  last seen 1  used idx 1 (device wrote 1)  waiting 1");
	has("     1  0x0000000000005000  4096      NW     2");
	has("(4 more: `virtq DEV Q all` lists them)");
	has("used[0] id 0 len 4097: 0 -> 1 -> 2  (readable 16, writable "
	    "4097)");
	has("avail[1] head 4: 4  (readable 0, writable 8)");
}

/* A driver's loop and an index past the table end the walk with a
 * word, not a hang; NEEDS_RESET is in the status. */
static void virtq_pane_names_a_loop_and_needs_reset(void **state)
{
	(void)state;
	ring(4);
	q.status = 0x0f | MVM_VIRTIO_S_NEEDS_RESET;
	q.q.avail_idx = 2;
	q.desc[0] = (struct mvm_vring_desc){0x1000, 16, 1, 1};
	q.desc[1] = (struct mvm_vring_desc){0x1000, 16, 1, 0};
	q.desc[2] = (struct mvm_vring_desc){0x1000, 16, 1, 9};
	q.npend = 2;
	q.pend[0] = 0;
	q.pend[1] = 2;
	dbg_render_virtq(&q, 0, &t);
	has("DRIVER_OK NEEDS_RESET");
	has("avail[0] head 0: 0 -> 1 -> 0 -> 1 (loop)");
	has("avail[1] head 2: 2 (index 9 is past the table)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			user_pic_shows_registers_routes_and_the_injection,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			kernel_chip_shows_redirection_entries_and_lapic_timer,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			no_controller_says_how_to_get_one, setup, teardown),
		cmocka_unit_test_setup_teardown(
			virtq_pane_follows_chains_and_shows_indices, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			virtq_pane_names_a_loop_and_needs_reset, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
