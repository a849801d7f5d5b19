/*
 * test_virtio_msix.c - the virtio-pci transport's MSI-X (PCI Local Bus
 * Spec 3.0, 6.8.2; virtio 1.2, 4.1.5.3) without KVM: the capability, the
 * table and PBA in BAR 1, what a guest may and may not write there, the
 * vector fields of the common configuration, and which events become
 * messages, pending bits or INTx. With no machine the transport counts
 * and records each message instead of sending it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostram.h"
#include "pcibus.h"
#include "minivmm/minivmm.h"

#define RAM (1u << 20)

struct env {
	struct hostram *h;
	struct mvm_dev_ctx ctx;
	struct mvm_pci *pci;
	struct mvm_virtio_rng *rng;
	struct mvm_virtio_pci *t;
	unsigned slot, cap;
	uint64_t bar0, bar1;
};

static uint32_t cfg_rd(struct env *e, unsigned reg, uint32_t len)
{
	return pcibus_cfg_read(e->pci, e->slot, reg, len);
}

static void cfg_wr(struct env *e, unsigned reg, uint32_t v, uint32_t len)
{
	pcibus_cfg_write(e->pci, e->slot, reg, v, len);
}

static uint64_t mrd(struct env *e, uint64_t gpa, uint32_t len)
{
	return pcibus_mmio_read(e->pci, gpa, len, NULL);
}

static void mwr(struct env *e, uint64_t gpa, uint64_t v, uint32_t len)
{
	pcibus_mmio_write(e->pci, gpa, v, len, NULL);
}

static struct mvm_virtio_pci_msix info(struct env *e)
{
	struct mvm_virtio_pci_msix x;

	assert_int_equal(mvm_virtio_pci_msix_info(e->t, &x), 0);
	return x;
}

/* Entry v's address of dword `word` (0 addr lo, 1 hi, 2 data, 3 ctrl). */
static uint64_t entry(struct env *e, unsigned v, unsigned word)
{
	return e->bar1 + MVM_VPCI_MSIX_TABLE + 16 * v + 4 * word;
}

/* A config-change event, as a device raises it (dev->lock held). */
static void config_event(struct env *e)
{
	struct mvm_virtio_dev *d = mvm_virtio_rng_dev(e->rng);

	pthread_mutex_lock(&d->lock);
	mvm_virtio_interrupt(d, MVM_VIRTIO_INT_CONFIG);
	pthread_mutex_unlock(&d->lock);
}

static int intx_asserted(struct env *e)
{
	return !!(cfg_rd(e, MVM_PCI_STATUS, 2) & MVM_PCI_STATUS_INTX);
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e || !(e->h = hostram_new(RAM, 0)))
		return -1;
	e->ctx.mem = &e->h->mem;
	if (mvm_virtio_rng_create(&e->ctx, &e->rng) < 0 ||
	    mvm_pci_create(NULL, &e->pci) < 0 ||
	    mvm_virtio_pci_create(e->pci, NULL, mvm_virtio_rng_dev(e->rng),
				  MVM_VIRTIO_PCI_MSIX, &e->t) < 0)
		return -1;
	e->slot = (unsigned)mvm_pci_slot(mvm_virtio_pci_func(e->t));
	for (unsigned at = cfg_rd(e, MVM_PCI_CAP_PTR, 1), n = 0;
	     at && n < 16 && !e->cap; at = cfg_rd(e, at + 1, 1), n++)
		if (cfg_rd(e, at, 1) == MVM_PCI_CAP_ID_MSIX)
			e->cap = at;
	e->bar0 = cfg_rd(e, MVM_PCI_BAR0, 4) & ~0xfull;
	e->bar1 = cfg_rd(e, MVM_PCI_BAR0 + 4, 4) & ~0xfull;
	cfg_wr(e, MVM_PCI_COMMAND, MVM_PCI_CMD_MEM, 2);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	mvm_virtio_pci_destroy(e->t);
	mvm_pci_destroy(e->pci);
	mvm_virtio_rng_destroy(e->rng);
	hostram_free(e->h);
	free(e);
	return 0;
}

/* --- tests ------------------------------------------------------------------ */

static void capability_names_table_and_pba_in_bar1(void **state)
{
	struct env *e = *state;

	assert_true(e->cap >= MVM_PCI_CAP_START);
	/* rng: one queue + config = 2 entries (Table Size is N - 1). */
	assert_int_equal(cfg_rd(e, e->cap + MVM_PCI_MSIX_CTRL, 2), 1);
	assert_int_equal(cfg_rd(e, e->cap + MVM_PCI_MSIX_TABLE, 4),
			 MVM_VPCI_MSIX_TABLE | 1);
	assert_int_equal(cfg_rd(e, e->cap + MVM_PCI_MSIX_PBA, 4),
			 MVM_VPCI_MSIX_PBA | 1);
	cfg_wr(e, MVM_PCI_BAR0 + 4, 0xffffffffu, 4); /* sizing: 4 KiB */
	assert_int_equal(cfg_rd(e, MVM_PCI_BAR0 + 4, 4), 0xfffff000u);
	cfg_wr(e, MVM_PCI_BAR0 + 4, (uint32_t)e->bar1, 4);
	/* Only Enable and Function Mask are the guest's. */
	cfg_wr(e, e->cap + MVM_PCI_MSIX_CTRL, 0xffff, 2);
	assert_int_equal(cfg_rd(e, e->cap + MVM_PCI_MSIX_CTRL, 2),
			 MVM_PCI_MSIX_ENABLE | MVM_PCI_MSIX_FMASK | 1);
	assert_true(info(e).enabled && info(e).masked);
}

static void table_refuses_odd_accesses_and_reserved_bits(void **state)
{
	struct env *e = *state;

	/* Entries start masked (6.8.2.9). */
	assert_int_equal(mrd(e, entry(e, 0, 3), 4), 1);
	assert_int_equal(mrd(e, entry(e, 1, 3), 4), 1);
	mwr(e, entry(e, 0, 0), 0xfee00003u, 4); /* bits 1:0 reserved */
	assert_int_equal(mrd(e, entry(e, 0, 0), 4), 0xfee00000u);
	mwr(e, entry(e, 0, 3), 0xfffffffeu, 4); /* unmask; the rest reserved */
	assert_int_equal(mrd(e, entry(e, 0, 3), 4), 0);
	mwr(e, entry(e, 0, 2), 0x1234, 2);	    /* not a DWORD: dropped */
	mwr(e, entry(e, 0, 2) + 1, 0x55555555u, 4); /* unaligned */
	assert_int_equal(mrd(e, entry(e, 0, 2), 4), 0);
	assert_int_equal(mrd(e, entry(e, 0, 0), 2), 0); /* reads 0 too */
	mwr(e, entry(e, 1, 2), 0x42ULL << 32 | 0xfee01000u, 8); /* QWORD */
	assert_int_equal(mrd(e, entry(e, 1, 2), 4), 0xfee01000u);
	assert_int_equal(mrd(e, entry(e, 1, 3), 4), 0); /* 0x42 & 1 */
	/* Past the two entries, and the read-only PBA. */
	mwr(e, entry(e, 2, 0), 0xfee00000u, 4);
	assert_int_equal(mrd(e, entry(e, 2, 0), 4), 0);
	mwr(e, e->bar1 + MVM_VPCI_MSIX_PBA, 3, 4);
	assert_int_equal(mrd(e, e->bar1 + MVM_VPCI_MSIX_PBA, 8), 0);
}

static void vector_beyond_the_table_reads_no_vector(void **state)
{
	struct env *e = *state;
	uint64_t c = e->bar0 + MVM_VPCI_COMMON;

	assert_int_equal(mrd(e, c + MVM_VPCI_MSIX_CONFIG, 2),
			 MVM_VPCI_NO_VECTOR);
	mwr(e, c + MVM_VPCI_MSIX_CONFIG, 1, 2);
	assert_int_equal(mrd(e, c + MVM_VPCI_MSIX_CONFIG, 2), 1);
	mwr(e, c + MVM_VPCI_MSIX_CONFIG, 2, 2); /* 2 entries: 0 and 1 */
	assert_int_equal(mrd(e, c + MVM_VPCI_MSIX_CONFIG, 2),
			 MVM_VPCI_NO_VECTOR);
	mwr(e, c + MVM_VPCI_Q_SELECT, 0, 2);
	mwr(e, c + MVM_VPCI_Q_MSIX, 0, 2);
	assert_int_equal(mrd(e, c + MVM_VPCI_Q_MSIX, 2), 0);
	mwr(e, c + MVM_VPCI_Q_SELECT, 5, 2); /* no queue 5: nothing kept */
	mwr(e, c + MVM_VPCI_Q_MSIX, 0, 2);
	assert_int_equal(mrd(e, c + MVM_VPCI_Q_MSIX, 2), MVM_VPCI_NO_VECTOR);
	/* A device reset unmaps the events. */
	mwr(e, c + MVM_VPCI_STATUS, 0, 1);
	mwr(e, c + MVM_VPCI_Q_SELECT, 0, 2);
	assert_int_equal(mrd(e, c + MVM_VPCI_Q_MSIX, 2), MVM_VPCI_NO_VECTOR);
}

static void masked_vector_holds_its_message_until_unmasked(void **state)
{
	struct env *e = *state;
	uint64_t c = e->bar0 + MVM_VPCI_COMMON;

	mwr(e, entry(e, 1, 0), 0xfee00000u, 4);
	mwr(e, entry(e, 1, 2), 0x42, 4); /* still masked */
	mwr(e, c + MVM_VPCI_MSIX_CONFIG, 1, 2);
	cfg_wr(e, e->cap + MVM_PCI_MSIX_CTRL, MVM_PCI_MSIX_ENABLE, 2);
	config_event(e);
	assert_int_equal(info(e).messages, 0);
	assert_int_equal(info(e).held, 1);
	assert_int_equal(mrd(e, e->bar1 + MVM_VPCI_MSIX_PBA, 4), 1u << 1);
	assert_false(intx_asserted(e)); /* MSI-X on: never INTx */
	mwr(e, entry(e, 1, 3), 0, 4);	/* unmask: it goes now */
	assert_int_equal(info(e).messages, 1);
	assert_int_equal(info(e).last_addr, 0xfee00000u);
	assert_int_equal(info(e).last_data, 0x42);
	assert_int_equal(mrd(e, e->bar1 + MVM_VPCI_MSIX_PBA, 4), 0);
	/* The function mask holds it the same way. */
	cfg_wr(e, e->cap + MVM_PCI_MSIX_CTRL,
	       MVM_PCI_MSIX_ENABLE | MVM_PCI_MSIX_FMASK, 2);
	config_event(e);
	assert_int_equal(info(e).messages, 1);
	cfg_wr(e, e->cap + MVM_PCI_MSIX_CTRL, MVM_PCI_MSIX_ENABLE, 2);
	assert_int_equal(info(e).messages, 2);
}

static void bad_address_and_no_vector_send_nothing(void **state)
{
	struct env *e = *state;
	uint64_t c = e->bar0 + MVM_VPCI_COMMON;

	mwr(e, entry(e, 0, 0), 0x1000, 4); /* RAM, not the MSI window */
	mwr(e, entry(e, 0, 3), 0, 4);
	mwr(e, c + MVM_VPCI_MSIX_CONFIG, 0, 2);
	cfg_wr(e, e->cap + MVM_PCI_MSIX_CTRL, MVM_PCI_MSIX_ENABLE, 2);
	config_event(e);
	assert_int_equal(info(e).refused, 1);
	assert_int_equal(info(e).messages, 0);
	mwr(e, c + MVM_VPCI_MSIX_CONFIG, MVM_VPCI_NO_VECTOR, 2);
	config_event(e);
	assert_int_equal(info(e).unrouted, 1);
	assert_int_equal(info(e).messages, 0);
	assert_false(intx_asserted(e));
}

static void intx_while_msix_is_disabled(void **state)
{
	struct env *e = *state;

	config_event(e);
	assert_true(intx_asserted(e));
	assert_int_equal(info(e).messages, 0);
	/* Enabling MSI-X takes the function off INTx (6.8.2). */
	cfg_wr(e, e->cap + MVM_PCI_MSIX_CTRL, MVM_PCI_MSIX_ENABLE, 2);
	assert_false(intx_asserted(e));
}

/* Without MVM_VIRTIO_PCI_MSIX: no capability, no BAR 1. */
static void no_msix_unless_asked_for(void **state)
{
	struct env *e = *state;
	struct mvm_virtio_pci_msix x;
	struct mvm_virtio_rng *rng;
	struct mvm_virtio_pci *t;
	struct mvm_pci *pci;
	uint32_t bar1 = 1;

	assert_int_equal(mvm_virtio_rng_create(&e->ctx, &rng), 0);
	assert_int_equal(mvm_pci_create(NULL, &pci), 0);
	assert_int_equal(mvm_virtio_pci_create(pci, NULL,
					       mvm_virtio_rng_dev(rng), 0, &t),
			 0);
	assert_int_equal(mvm_virtio_pci_msix_info(t, &x), -ENODEV);
	assert_int_equal(mvm_pci_cfg_get(mvm_virtio_pci_func(t),
					 MVM_PCI_BAR0 + 4, &bar1, 4),
			 0);
	assert_int_equal(bar1, 0);
	mvm_virtio_pci_destroy(t);
	mvm_pci_destroy(pci);
	mvm_virtio_rng_destroy(rng);
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		T(capability_names_table_and_pba_in_bar1),
		T(table_refuses_odd_accesses_and_reserved_bits),
		T(vector_beyond_the_table_reads_no_vector),
		T(masked_vector_holds_its_message_until_unmasked),
		T(bad_address_and_no_vector_send_nothing),
		T(intx_while_msix_is_disabled),
		T(no_msix_unless_asked_for),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
