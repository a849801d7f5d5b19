/*
 * test_virtio_pci.c - virtio-blk as a modern virtio-pci function
 * (virtio 1.2, 4.1) on the PCI host bridge, without KVM.
 *
 * The test is the driver, and it knows only what a PCI driver may: it
 * finds the function by vendor and device ID through configuration
 * mechanism #1, follows the vendor capabilities to the regions of BAR 0,
 * turns memory decoding on, initialises the device through the common
 * configuration (natural widths, 64-bit fields as two halves), kicks
 * through the notify address and reads the ISR. Host memory stands in
 * for guest RAM; data is checked byte for byte against the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostram.h"
#include "pcibus.h"
#include "minivmm/minivmm.h"

#define RAM   (1u << 20)
#define QSIZE 16
#define RINGS 0x1000ULL
#define BUF   0x10000ULL
#define DISK  (32 * 1024)

struct env {
	struct hostram *h;
	struct mvm_dev_ctx ctx;
	struct mvm_pci *pci;
	struct mvm_virtio_blk *blk;
	struct mvm_virtio_pci *t;
	char path[64];
	unsigned slot;
	uint64_t common, notify, isr, device; /* GPAs found via the caps */
	uint32_t mult;			      /* notify_off_multiplier */
	uint16_t avail;
};

/* --- configuration space, as a guest reaches it ------------------------- */

static uint32_t cfg_rd(struct env *e, unsigned reg, uint32_t len)
{
	return pcibus_cfg_read(e->pci, e->slot, reg, len);
}

static void cfg_wr(struct env *e, unsigned reg, uint32_t v, uint32_t len)
{
	pcibus_cfg_write(e->pci, e->slot, reg, v, len);
}

/* --- BAR 0, through the bridge's MMIO window ------------------------------ */

static uint64_t mrd(struct env *e, uint64_t gpa, uint32_t len)
{
	int rc;
	uint64_t v = pcibus_mmio_read(e->pci, gpa, len, &rc);

	assert_int_equal(rc, 0);
	return v;
}

static void mwr(struct env *e, uint64_t gpa, uint64_t v, uint32_t len)
{
	int rc;

	pcibus_mmio_write(e->pci, gpa, v, len, &rc);
	assert_int_equal(rc, 0);
}

/* Walk the capability list: every vendor cap names a region of BAR 0. */
static void find_regions(struct env *e)
{
	uint64_t bar = cfg_rd(e, MVM_PCI_BAR0, 4) & ~0xfull;
	unsigned at = cfg_rd(e, MVM_PCI_CAP_PTR, 1), n = 0;

	assert_true(cfg_rd(e, MVM_PCI_STATUS, 2) & MVM_PCI_STATUS_CAP_LIST);
	for (; at >= MVM_PCI_CAP_START && n < 16; n++) {
		unsigned type = cfg_rd(e, at + MVM_VPCI_CAP_TYPE_OFF, 1);
		uint64_t where =
			bar + cfg_rd(e, at + MVM_VPCI_CAP_OFFSET_OFF, 4);

		assert_int_equal(cfg_rd(e, at, 1), 0x09);
		if (type != MVM_VPCI_CAP_PCI)
			assert_int_equal(
				cfg_rd(e, at + MVM_VPCI_CAP_BAR_OFF, 1), 0);
		if (type == MVM_VPCI_CAP_COMMON)
			e->common = where;
		else if (type == MVM_VPCI_CAP_NOTIFY) {
			e->notify = where;
			e->mult = cfg_rd(e, at + MVM_VPCI_CAP_MULT_OFF, 4);
		} else if (type == MVM_VPCI_CAP_ISR)
			e->isr = where;
		else if (type == MVM_VPCI_CAP_DEVICE)
			e->device = where;
		at = cfg_rd(e, at + 1, 1);
	}
	assert_int_equal(n, 5); /* common, notify, ISR, device, pci_cfg */
	assert_true(e->common && e->notify && e->isr && e->device);
}

/* 3.1.1 and 4.1.5.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK,
 * queue 0, DRIVER_OK. */
static void driver_init(struct env *e)
{
	uint64_t c = e->common;
	uint64_t r = RINGS;

	mwr(e, c + MVM_VPCI_STATUS, 0, 1);
	assert_int_equal(mrd(e, c + MVM_VPCI_STATUS, 1), 0);
	mwr(e, c + MVM_VPCI_STATUS, MVM_VIRTIO_S_ACKNOWLEDGE, 1);
	mwr(e, c + MVM_VPCI_STATUS,
	    MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER, 1);
	mwr(e, c + MVM_VPCI_DFSELECT, 1, 4);
	assert_true(mrd(e, c + MVM_VPCI_DF, 4) & 1); /* VERSION_1 */
	mwr(e, c + MVM_VPCI_GFSELECT, 1, 4);
	mwr(e, c + MVM_VPCI_GF, 1, 4);
	assert_int_equal(mrd(e, c + MVM_VPCI_GF, 4), 1);
	mwr(e, c + MVM_VPCI_STATUS, 0x0b, 1);
	assert_int_equal(mrd(e, c + MVM_VPCI_STATUS, 1), 0x0b);
	assert_int_equal(mrd(e, c + MVM_VPCI_NUM_QUEUES, 2), 1);
	mwr(e, c + MVM_VPCI_Q_SELECT, 0, 2);
	assert_true(mrd(e, c + MVM_VPCI_Q_SIZE, 2) >= QSIZE);
	assert_int_equal(mrd(e, c + MVM_VPCI_Q_MSIX, 2), MVM_VPCI_NO_VECTOR);
	mwr(e, c + MVM_VPCI_Q_SIZE, QSIZE, 2);
	mwr(e, c + MVM_VPCI_Q_DESC, (uint32_t)r, 4); /* two halves */
	mwr(e, c + MVM_VPCI_Q_DESC + 4, 0, 4);
	mwr(e, c + MVM_VPCI_Q_DRIVER, r + 0x400, 8); /* or all at once */
	mwr(e, c + MVM_VPCI_Q_DEVICE, (uint32_t)(r + 0x800), 4);
	mwr(e, c + MVM_VPCI_Q_DEVICE + 4, 0, 4);
	assert_int_equal(mrd(e, c + MVM_VPCI_Q_DRIVER, 8), r + 0x400);
	mwr(e, c + MVM_VPCI_Q_ENABLE, 1, 2);
	assert_int_equal(mrd(e, c + MVM_VPCI_Q_ENABLE, 2), 1);
	assert_int_equal(mrd(e, c + MVM_VPCI_Q_NOFF, 2), 0);
	mwr(e, c + MVM_VPCI_STATUS, 0x0f, 1);
	assert_int_equal(mrd(e, c + MVM_VPCI_STATUS, 1), 0x0f);
}

static void put_desc(struct env *e, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags)
{
	struct mvm_vring_desc d = {addr, len, flags, (uint16_t)(i + 1)};

	if (!(flags & MVM_VIRTQ_DESC_F_NEXT))
		d.next = 0;
	memcpy(e->h->ram + RINGS + 16 * i, &d, sizeof(d));
}

static uint16_t used_idx(struct env *e)
{
	return __atomic_load_n((uint16_t *)(e->h->ram + RINGS + 0x800 + 2),
			       __ATOMIC_ACQUIRE);
}

/* A blk read of `len` bytes at sector into BUF + 0x1000; the status. */
static uint8_t blk_read(struct env *e, uint64_t sector, uint32_t len)
{
	struct mvm_virtio_blk_req h = {MVM_VIRTIO_BLK_T_IN, 0, sector};
	uint8_t *avail = e->h->ram + RINGS + 0x400;
	uint16_t want = (uint16_t)(e->avail + 1), zero = 0;

	memcpy(e->h->ram + BUF, &h, sizeof(h));
	e->h->ram[BUF + 0x100] = 0xee;
	put_desc(e, 0, BUF, sizeof(h), MVM_VIRTQ_DESC_F_NEXT);
	put_desc(e, 1, BUF + 0x1000, len,
		 MVM_VIRTQ_DESC_F_NEXT | MVM_VIRTQ_DESC_F_WRITE);
	put_desc(e, 2, BUF + 0x100, 1, MVM_VIRTQ_DESC_F_WRITE);
	memcpy(avail + 4 + 2 * (e->avail % QSIZE), &zero, 2);
	__atomic_store_n((uint16_t *)(avail + 2), want, __ATOMIC_RELEASE);
	e->avail = want;
	mwr(e, e->notify + 0 * e->mult, 0, 2); /* queue 0's notify address */
	for (int i = 0; i < 2000 && used_idx(e) != want; i++)
		usleep(1000);
	assert_int_equal(used_idx(e), want);
	return e->h->ram[BUF + 0x100];
}

/* --- fixture ---------------------------------------------------------------- */

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	int fd;

	if (!e || !(e->h = hostram_new(RAM, 0)))
		return -1;
	e->ctx.mem = &e->h->mem;
	snprintf(e->path, sizeof(e->path), "/tmp/mvm-vpci-XXXXXX");
	fd = mkstemp(e->path);
	if (fd < 0)
		return -1;
	for (unsigned i = 0; i < DISK; i++) {
		uint8_t c = (uint8_t)(i * 7 + i / 512);

		if (write(fd, &c, 1) != 1)
			return -1;
	}
	close(fd);
	if (mvm_virtio_blk_create(&e->ctx, e->path, 0, &e->blk) < 0 ||
	    mvm_pci_create(NULL, &e->pci) < 0 ||
	    mvm_virtio_pci_create(e->pci, NULL, mvm_virtio_blk_dev(e->blk), 0,
				  &e->t) < 0)
		return -1;
	e->slot = (unsigned)mvm_pci_slot(mvm_virtio_pci_func(e->t));
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	mvm_virtio_pci_destroy(e->t);
	mvm_pci_destroy(e->pci);
	mvm_virtio_blk_destroy(e->blk);
	hostram_free(e->h);
	unlink(e->path);
	free(e);
	return 0;
}

/* --- tests ------------------------------------------------------------------ */

static void function_has_modern_virtio_ids(void **state)
{
	struct env *e = *state;

	assert_int_equal(e->slot, 1);
	assert_int_equal(cfg_rd(e, MVM_PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(e, MVM_PCI_DEVICE_ID, 2), 0x1040 + 2);
	assert_true(cfg_rd(e, MVM_PCI_REVISION, 1) >= 1);
	assert_int_equal(cfg_rd(e, MVM_PCI_INT_PIN, 1), 1);
	/* BAR 0: 16 KiB of 32-bit memory. */
	cfg_wr(e, MVM_PCI_BAR0, 0xffffffffu, 4);
	assert_int_equal(cfg_rd(e, MVM_PCI_BAR0, 4), 0xffffc000u);
	cfg_wr(e, MVM_PCI_BAR0, MVM_PCI_MMIO_BASE, 4);
}

static void blk_read_over_virtio_pci_matches_the_file(void **state)
{
	struct env *e = *state;
	uint8_t want[1024];
	int fd = open(e->path, O_RDONLY);

	find_regions(e);
	/* Decoding is off: the BAR answers nothing yet. */
	assert_int_equal(mrd(e, e->common + MVM_VPCI_NUM_QUEUES, 2), 0xffff);
	cfg_wr(e, MVM_PCI_COMMAND, MVM_PCI_CMD_MEM | MVM_PCI_CMD_MASTER, 2);
	assert_int_equal(e->mult, MVM_VPCI_NOTIFY_MULT);
	driver_init(e);
	/* Device config: capacity (le64) in sectors (5.2.4). */
	assert_int_equal(mrd(e, e->device, 8), DISK / 512);
	assert_int_equal(blk_read(e, 3, sizeof(want)), MVM_VIRTIO_BLK_S_OK);
	assert_int_equal(pread(fd, want, sizeof(want), 3 * 512), sizeof(want));
	close(fd);
	assert_memory_equal(e->h->ram + BUF + 0x1000, want, sizeof(want));
	/* The used buffer raised INTx; reading the ISR returns the cause,
	 * clears it and drops INTx (4.1.4.5). */
	assert_true(cfg_rd(e, MVM_PCI_STATUS, 1) & MVM_PCI_STATUS_INTX);
	assert_int_equal(mrd(e, e->isr, 1), MVM_VIRTIO_INT_VRING);
	assert_int_equal(cfg_rd(e, MVM_PCI_STATUS, 1) & MVM_PCI_STATUS_INTX, 0);
	assert_int_equal(mrd(e, e->isr, 1), 0);
	/* Reset: status 0, and the queue is off. */
	mwr(e, e->common + MVM_VPCI_STATUS, 0, 1);
	assert_int_equal(mrd(e, e->common + MVM_VPCI_Q_ENABLE, 2), 0);
}

/* 4.1.4.9: the same registers through configuration space alone. */
static void pci_cfg_capability_is_a_window_into_bar0(void **state)
{
	struct env *e = *state;
	unsigned at = cfg_rd(e, MVM_PCI_CAP_PTR, 1);

	while (at && cfg_rd(e, at + MVM_VPCI_CAP_TYPE_OFF, 1) != 5)
		at = cfg_rd(e, at + 1, 1);
	assert_true(at >= MVM_PCI_CAP_START);
	cfg_wr(e, at + MVM_VPCI_CAP_BAR_OFF, 0, 1);
	cfg_wr(e, at + MVM_VPCI_CAP_OFFSET_OFF, MVM_VPCI_NUM_QUEUES, 4);
	cfg_wr(e, at + MVM_VPCI_CAP_LENGTH_OFF, 2, 4);
	assert_int_equal(cfg_rd(e, at + MVM_VPCI_CAP_DATA_OFF, 2), 1);
	/* A write through it: device_status = ACKNOWLEDGE. */
	cfg_wr(e, at + MVM_VPCI_CAP_OFFSET_OFF, MVM_VPCI_STATUS, 4);
	cfg_wr(e, at + MVM_VPCI_CAP_LENGTH_OFF, 1, 4);
	cfg_wr(e, at + MVM_VPCI_CAP_DATA_OFF, MVM_VIRTIO_S_ACKNOWLEDGE, 1);
	assert_int_equal(cfg_rd(e, at + MVM_VPCI_CAP_DATA_OFF, 1),
			 MVM_VIRTIO_S_ACKNOWLEDGE);
	/* A bad window (length 3, another BAR) does nothing. */
	cfg_wr(e, at + MVM_VPCI_CAP_LENGTH_OFF, 3, 4);
	cfg_wr(e, at + MVM_VPCI_CAP_DATA_OFF, 0, 1);
	cfg_wr(e, at + MVM_VPCI_CAP_BAR_OFF, 5, 1);
	cfg_wr(e, at + MVM_VPCI_CAP_LENGTH_OFF, 1, 4);
	cfg_wr(e, at + MVM_VPCI_CAP_DATA_OFF, 0, 1);
	cfg_wr(e, MVM_PCI_COMMAND, MVM_PCI_CMD_MEM, 2);
	assert_int_equal(mrd(e, MVM_PCI_MMIO_BASE + MVM_VPCI_STATUS, 1),
			 MVM_VIRTIO_S_ACKNOWLEDGE);
}

/* A hostile driver: every offset of BAR 0 and of configuration space,
 * every width, random values. Nothing may crash. */
static void random_bar_and_config_traffic_is_survived(void **state)
{
	struct env *e = *state;
	uint64_t x = 0x6a09e667f3bcc908ULL;

	cfg_wr(e, MVM_PCI_COMMAND, MVM_PCI_CMD_MEM, 2);
	for (int i = 0; i < 100000; i++) {
		uint64_t v, off;
		uint32_t len;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = x * 0x9e3779b97f4a7c15ULL;
		len = 1u << (x & 3);
		off = (x >> 8) % MVM_VPCI_BAR_SIZE;
		if ((x >> 4) & 1)
			mvm_pci_mmio_ops.write(e->pci, NULL, off, &v, len);
		else
			mvm_pci_mmio_ops.read(e->pci, NULL, off, &v, len);
		if ((x >> 5) % 16 == 0) {
			unsigned reg = (unsigned)(x >> 20) & 0xff;

			if (reg >= MVM_PCI_BAR0 + 4 || reg < MVM_PCI_BAR0)
				cfg_wr(e, reg, (uint32_t)v, len > 4 ? 4 : len);
			else
				(void)cfg_rd(e, reg, len > 4 ? 4 : len);
		}
	}
	assert_int_equal(cfg_rd(e, MVM_PCI_VENDOR_ID, 4), 0x10421af4);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	static const struct CMUnitTest tests[] = {
		T(function_has_modern_virtio_ids),
		T(blk_read_over_virtio_pci_matches_the_file),
		T(pci_cfg_capability_is_a_window_into_bar0),
		T(random_bar_and_config_traffic_is_survived),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
