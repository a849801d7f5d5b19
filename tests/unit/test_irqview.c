/*
 * test_irqview.c - the decoders of irqview.h (I/O APIC redirection
 * entries, the local APIC's register page) and the shared virtio
 * command-line options (virtio_opts.h), without /dev/kvm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "minivmm/minivmm.h"

static void put32(struct kvm_lapic_state *st, unsigned off, uint32_t v)
{
	memcpy(st->regs + off, &v, sizeof(v));
}

/* Vector 0x31, lowest priority, logical, level, active low, masked,
 * remote IRR, destination 0x0f (82093AA 3.2.4 bit positions). */
static void ioapic_entry_fields_decode_by_bit_position(void **state)
{
	(void)state;
	uint64_t raw = 0x31 | 1ull << 8 | 1ull << 11 | 1ull << 13 | 1ull << 14 |
		       1ull << 15 | 1ull << 16 | 0x0full << 56;
	struct mvm_ioapic_redir r;

	mvm_ioapic_redir_decode(raw, &r);
	assert_int_equal(r.vector, 0x31);
	assert_int_equal(r.delivery, MVM_IOAPIC_LOWEST);
	assert_int_equal(r.logical, 1);
	assert_int_equal(r.pending, 0);
	assert_int_equal(r.low_active, 1);
	assert_int_equal(r.remote_irr, 1);
	assert_int_equal(r.level, 1);
	assert_int_equal(r.masked, 1);
	assert_int_equal(r.dest, 0x0f);
	assert_string_equal(mvm_ioapic_delivery_name(7), "ExtINT");
	assert_string_equal(mvm_ioapic_delivery_name(3), "reserved");
}

/* TPR, the highest ISR/IRR vectors, the LVT timer and its divisor. */
static void lapic_page_decodes_timer_and_priorities(void **state)
{
	(void)state;
	struct kvm_lapic_state st;
	struct mvm_lapic_info li;

	memset(&st, 0, sizeof(st));
	put32(&st, 0x20, 3u << 24);		/* APIC ID 3 */
	put32(&st, 0x80, 0x20);			/* TPR */
	put32(&st, 0xf0, 0x1ff);		/* enabled, spurious 0xff */
	put32(&st, 0x100 + 0x10 * 1, 1u << 1);	/* ISR: vector 0x21 */
	put32(&st, 0x200 + 0x10 * 7, 1u << 31); /* IRR: vector 0xff */
	put32(&st, 0x200, 1u << 5);		/* and a lower one */
	put32(&st, 0x320, 0xec | 1u << 17);	/* periodic, vector 0xec */
	put32(&st, 0x380, 100000);
	put32(&st, 0x390, 4242);
	put32(&st, 0x3e0, 0x3); /* divide by 16 (SDM Figure 11-10) */
	mvm_lapic_decode(&st, &li);
	assert_int_equal(li.id, 3);
	assert_int_equal(li.tpr, 0x20);
	assert_int_equal(li.enabled, 1);
	assert_int_equal(li.spurious, 0xff);
	assert_int_equal(li.isr_top, 0x21);
	assert_int_equal(li.irr_top, 0xff);
	assert_int_equal(li.timer_vector, 0xec);
	assert_int_equal(li.timer_masked, 0);
	assert_int_equal(li.timer_mode, MVM_LAPIC_PERIODIC);
	assert_int_equal(li.timer_initial, 100000);
	assert_int_equal(li.timer_current, 4242);
	assert_int_equal(li.timer_divide, 16);
	put32(&st, 0x3e0, 0xb); /* 1011b: divide by 1 */
	put32(&st, 0x320, 1u << 16);
	memset(st.regs + 0x100, 0, 0x80);
	mvm_lapic_decode(&st, &li);
	assert_int_equal(li.timer_divide, 1);
	assert_int_equal(li.timer_masked, 1);
	assert_int_equal(li.isr_top, -1);
	assert_string_equal(mvm_lapic_timer_mode_name(2), "TSC-deadline");
}

static void virtio_opts_build_the_same_config_as_mvm_run(void **state)
{
	(void)state;
	struct mvm_virtio_opts o;
	struct mvm_machine_config cfg;
	char err[160];

	memset(&o, 0, sizeof(o));
	memset(&cfg, 0, sizeof(cfg));
	mvm_virtio_opts_config(&o, &cfg);
	assert_int_equal(cfg.virtio, 0); /* nothing asked, nothing made */
	assert_int_equal(
		mvm_virtio_opts_parse(&o, "disk", "d.img,ro", err, sizeof(err)),
		0);
	assert_int_equal(
		mvm_virtio_opts_parse(&o, "virtio", "pci", err, sizeof(err)),
		0);
	mvm_virtio_opts_config(&o, &cfg);
	assert_int_equal(cfg.virtio, MVM_VIRTIO_DEV_BLK | MVM_VIRTIO_DEV_RNG |
					     MVM_VIRTIO_DEV_CONSOLE);
	assert_string_equal(cfg.disk, "d.img");
	assert_int_equal(cfg.disk_ro, 1);
	assert_int_equal(cfg.virtio_transport, MVM_VIRTIO_TRANSPORT_PCI);
	assert_int_equal(
		mvm_virtio_opts_parse(&o, "virtio", "usb", err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "bad --virtio 'usb': use mmio or pci");
	assert_int_equal(
		mvm_virtio_opts_parse(&o, "disk", "", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(
		mvm_virtio_opts_parse(&o, "net", "x", err, sizeof(err)),
		-ENOENT);
}

static void virtio_status_names_every_bit_in_order(void **state)
{
	(void)state;
	char buf[128];

	mvm_virtio_status_str(MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER |
				      MVM_VIRTIO_S_FEATURES_OK |
				      MVM_VIRTIO_S_DRIVER_OK |
				      MVM_VIRTIO_S_NEEDS_RESET,
			      buf, sizeof(buf));
	assert_string_equal(buf, "ACKNOWLEDGE DRIVER FEATURES_OK DRIVER_OK "
				 "NEEDS_RESET");
	mvm_virtio_status_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	/* Cut short, still a C string. */
	assert_true(mvm_virtio_status_str(0x0f, buf, 8) > 8);
	assert_string_equal(buf, "ACKNOWL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ioapic_entry_fields_decode_by_bit_position),
		cmocka_unit_test(lapic_page_decodes_timer_and_priorities),
		cmocka_unit_test(virtio_opts_build_the_same_config_as_mvm_run),
		cmocka_unit_test(virtio_status_names_every_bit_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
