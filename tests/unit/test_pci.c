/*
 * test_pci.c - the PCI host bridge without a VM: configuration
 * mechanism #1 through its ports (PCI Local Bus Spec 3.0, 3.2.2.3.2),
 * the type-0 header, BAR sizing and decoding, capabilities, and a
 * hostile guest's config accesses that must never crash the VMM.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/minivmm.h"

/* A device model behind a BAR: remembers the last access. */
struct fake {
	int reads, writes;
	uint64_t off;
	uint32_t len, val;
	int maps;
	int map_bar;
	uint64_t map_addr;
	int cfg_writes;
	uint32_t cfg_off;
};

static int fake_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		     uint32_t len)
{
	struct fake *f = dev;
	uint32_t v = 0xa5a50000u | (uint32_t)off;

	(void)vcpu;
	f->reads++;
	f->off = off;
	f->len = len;
	memset(data, 0, len);
	memcpy(data, &v, len < 4 ? len : 4);
	return 0;
}

static int fake_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      const void *data, uint32_t len)
{
	struct fake *f = dev;

	(void)vcpu;
	f->writes++;
	f->off = off;
	f->len = len;
	f->val = 0;
	memcpy(&f->val, data, len < 4 ? len : 4);
	return 0;
}

static const struct mvm_dev_ops fake_ops = {
	.name = "fake", .read = fake_read, .write = fake_write};

static void fake_map(void *ctx, int bar, uint64_t addr)
{
	struct fake *f = ctx;

	f->maps++;
	f->map_bar = bar;
	f->map_addr = addr;
}

static void fake_cfg_write(void *ctx, struct mvm_pci_dev *d, uint32_t off,
			   uint32_t len)
{
	struct fake *f = ctx;

	(void)d, (void)len;
	f->cfg_writes++;
	f->cfg_off = off;
}

/* 4 KiB memory BAR 0, 32-byte I/O BAR 1, 16 KiB 64-bit prefetchable
 * memory BAR 2 (+3), BAR 4-5 empty; INTA#. */
static struct mvm_pci_info fake_info(struct fake *f)
{
	struct mvm_pci_info in = {
		.name = "fake",
		.vendor = 0x1af4,
		.device = 0x1042,
		.class_code = 0x018000,
		.revision = 1,
		.subsys_vendor = 0x1af4,
		.subsys = 2,
		.intx = 1,
		.map = fake_map,
		.cfg_write = fake_cfg_write,
		.ctx = f,
	};
	in.bar[0] = (struct mvm_pci_bar){0x1000, 0, &fake_ops, f};
	in.bar[1] = (struct mvm_pci_bar){32, MVM_PCI_BAR_IO, &fake_ops, f};
	in.bar[2] = (struct mvm_pci_bar){
		0x4000, MVM_PCI_BAR_MEM64 | MVM_PCI_BAR_PREFETCH, &fake_ops, f};
	return in;
}

struct env {
	struct mvm_pci *pci;
	struct mvm_pci_dev *dev;
	struct fake f;
};

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct mvm_pci_info in;

	if (!e || mvm_pci_create(NULL, &e->pci) < 0)
		return -1;
	in = fake_info(&e->f);
	if (mvm_pci_add(e->pci, &in, &e->dev) < 0)
		return -1;
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	mvm_pci_destroy(e->pci);
	free(e);
	return 0;
}

/* The guest's side: port accesses at offsets from 0xCF8. */
static uint32_t port_in(struct mvm_pci *pci, uint64_t off, uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(mvm_pci_config_ops.read(pci, NULL, off, &v, len), 0);
	return v;
}

static void port_out(struct mvm_pci *pci, uint64_t off, uint32_t v,
		     uint32_t len)
{
	assert_int_equal(mvm_pci_config_ops.write(pci, NULL, off, &v, len), 0);
}

static uint32_t cfg_addr(unsigned bus, unsigned slot, unsigned fn, unsigned reg)
{
	return MVM_PCI_ADDR_ENABLE | bus << 16 | slot << 11 | fn << 8 |
	       (reg & 0xfc);
}

/* Read len bytes of register reg of bus 0 slot s, as a guest does. */
static uint32_t cfg_rd(struct mvm_pci *pci, unsigned s, unsigned reg,
		       uint32_t len)
{
	port_out(pci, 0, cfg_addr(0, s, 0, reg), 4);
	return port_in(pci, 4 + (reg & 3), len);
}

static void cfg_wr(struct mvm_pci *pci, unsigned s, unsigned reg, uint32_t v,
		   uint32_t len)
{
	port_out(pci, 0, cfg_addr(0, s, 0, reg), 4);
	port_out(pci, 4 + (reg & 3), v, len);
}

static void host_bridge_is_slot_0_with_bridge_class(void **state)
{
	struct env *e = *state;

	assert_int_equal(cfg_rd(e->pci, 0, 0, 2), MVM_PCI_VENDOR_MINIVMM);
	assert_int_equal(cfg_rd(e->pci, 0, 2, 2), MVM_PCI_DEVICE_HOST);
	assert_int_equal(cfg_rd(e->pci, 0, 8, 4) >> 8, 0x060000);
	assert_int_equal(cfg_rd(e->pci, 0, MVM_PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_rd(e->pci, 1, 0, 4), 0x10421af4);
	assert_int_equal(cfg_rd(e->pci, 1, 8, 4), 0x01800001);
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_SUBSYS_VID, 4), 0x00021af4);
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_INT_PIN, 1), 1);
	/* Not on a machine: no line to name. */
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_INT_LINE, 1), 0xff);
}

static void absent_devices_read_all_ones_and_ignore_writes(void **state)
{
	struct env *e = *state;

	assert_int_equal(cfg_rd(e->pci, 2, 0, 4), 0xffffffffu);
	assert_int_equal(cfg_rd(e->pci, 31, 0, 2), 0xffff);
	port_out(e->pci, 0, cfg_addr(1, 1, 0, 0), 4); /* bus 1 */
	assert_int_equal(port_in(e->pci, 4, 4), 0xffffffffu);
	port_out(e->pci, 0, cfg_addr(0, 1, 3, 0), 4); /* function 3 */
	assert_int_equal(port_in(e->pci, 4, 4), 0xffffffffu);
	port_out(e->pci, 0, cfg_addr(0, 1, 0, 0) & ~MVM_PCI_ADDR_ENABLE, 4);
	assert_int_equal(port_in(e->pci, 4, 4), 0xffffffffu);
	cfg_wr(e->pci, 9, MVM_PCI_COMMAND, 0xffff, 2);
	assert_int_equal(cfg_rd(e->pci, 1, 0, 4), 0x10421af4);
}

/* CONFIG_ADDRESS keeps bits 31, 23:2 (3.2.2.3.2); only a dword access
 * at 0xCF8 is one. */
static void config_address_masks_and_needs_dword_access(void **state)
{
	struct env *e = *state;

	port_out(e->pci, 0, 0xffffffffu, 4);
	assert_int_equal(port_in(e->pci, 0, 4), 0x80fffffcu);
	port_out(e->pci, 0, 0x12, 1); /* byte write to 0xCF8 */
	port_out(e->pci, 3, 0x01, 1); /* 0xCFB, as Linux's probe does */
	port_out(e->pci, 2, 0x1234, 2);
	assert_int_equal(port_in(e->pci, 0, 4), 0x80fffffcu);
	assert_int_equal(port_in(e->pci, 0, 2), 0xffff);
	assert_int_equal(port_in(e->pci, 1, 1), 0xff);
}

static void data_port_moves_bytes_words_and_dwords_of_the_register(void **state)
{
	struct env *e = *state;

	port_out(e->pci, 0, cfg_addr(0, 1, 0, 0), 4);
	assert_int_equal(port_in(e->pci, 4, 1), 0xf4);
	assert_int_equal(port_in(e->pci, 5, 1), 0x1a);
	assert_int_equal(port_in(e->pci, 6, 2), 0x1042);
	assert_int_equal(port_in(e->pci, 7, 1), 0x10);
	assert_int_equal(port_in(e->pci, 5, 2), 0x421a);
	/* Past the 8 ports, or wider than a dword: all ones, no crash. */
	assert_int_equal(port_in(e->pci, 6, 4), 0xffffffffu);
	assert_int_equal(port_in(e->pci, 9, 1), 0xff);
	port_out(e->pci, 7, 0xffffffffu, 4);
	assert_int_equal(cfg_rd(e->pci, 1, 0, 4), 0x10421af4);
}

/* Spec 6.2.5.1: write all ones, read back ~(size - 1) | type bits. */
static void bars_answer_the_sizing_protocol(void **state)
{
	struct env *e = *state;

	for (unsigned r = MVM_PCI_BAR0; r < MVM_PCI_BAR0 + 24; r += 4)
		cfg_wr(e->pci, 1, r, 0xffffffffu, 4);
	assert_int_equal(cfg_rd(e->pci, 1, 0x10, 4), 0xfffff000u);
	assert_int_equal(cfg_rd(e->pci, 1, 0x14, 4), 0xffffffe1u);
	assert_int_equal(cfg_rd(e->pci, 1, 0x18, 4), 0xffffc00cu);
	assert_int_equal(cfg_rd(e->pci, 1, 0x1c, 4), 0xffffffffu);
	assert_int_equal(cfg_rd(e->pci, 1, 0x20, 4), 0);
	assert_int_equal(cfg_rd(e->pci, 1, 0x24, 4), 0);
	/* Read-only registers stayed. */
	cfg_wr(e->pci, 1, 0, 0, 4);
	cfg_wr(e->pci, 1, 8, 0, 4);
	assert_int_equal(cfg_rd(e->pci, 1, 0, 4), 0x10421af4);
	assert_int_equal(cfg_rd(e->pci, 1, 8, 4), 0x01800001);
}

/* The "firmware" placed the BARs in the windows, page-aligned. */
static void bars_start_in_the_windows(void **state)
{
	struct env *e = *state;
	uint32_t b0 = cfg_rd(e->pci, 1, 0x10, 4);
	uint32_t b1 = cfg_rd(e->pci, 1, 0x14, 4);
	uint32_t b2 = cfg_rd(e->pci, 1, 0x18, 4);

	assert_int_equal(b0, MVM_PCI_MMIO_BASE);
	assert_int_equal(b1, MVM_PCI_IO_BASE | MVM_PCI_BAR_IO);
	assert_int_equal(b2 & 0xf, 0xc);
	assert_int_equal((b2 & ~0xfu) % 0x4000, 0);
	assert_true((b2 & ~0xfu) >= MVM_PCI_MMIO_BASE + 0x1000);
	assert_int_equal(cfg_rd(e->pci, 1, 0x1c, 4), 0);
	/* Decoding is off until the guest turns it on. */
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_COMMAND, 2), 0);
	assert_int_equal(mvm_pci_bar_addr(e->dev, 0), 0);
}

static uint32_t mmio_in(struct env *e, uint64_t gpa, uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(mvm_pci_mmio_ops.read(e->pci, NULL,
					       gpa - MVM_PCI_MMIO_BASE, &v,
					       len),
			 0);
	return v;
}

/* Command bits 0-1 gate decoding (6.2.2); a moved BAR answers at its
 * new address only; one outside the window answers nowhere. */
static void bar_accesses_follow_command_and_bar_writes(void **state)
{
	struct env *e = *state;
	uint64_t b0 = MVM_PCI_MMIO_BASE, io = MVM_PCI_IO_BASE;
	uint32_t v = 0x55;

	assert_int_equal(mmio_in(e, b0 + 8, 4), 0xffffffffu);
	assert_int_equal(e->f.reads, 0);
	cfg_wr(e->pci, 1, MVM_PCI_COMMAND, MVM_PCI_CMD_MEM, 2);
	assert_int_equal(e->f.maps, 2); /* BAR 0 and BAR 2 */
	assert_int_equal(mmio_in(e, b0 + 8, 4), 0xa5a50008u);
	assert_int_equal(e->f.off, 8);
	/* Straddling the BAR's end: nobody decodes it. */
	assert_int_equal(mmio_in(e, b0 + 0xffe, 4), 0xffffffffu);
	assert_int_equal(e->f.reads, 1);
	/* I/O decode still off. */
	assert_int_equal(mvm_pci_io_ops.write(e->pci, NULL, 0, &v, 1), 0);
	assert_int_equal(e->f.writes, 0);
	cfg_wr(e->pci, 1, MVM_PCI_COMMAND, MVM_PCI_CMD_MEM | MVM_PCI_CMD_IO, 2);
	assert_int_equal(mvm_pci_io_ops.write(e->pci, NULL, 3, &v, 1), 0);
	assert_int_equal(e->f.writes, 1);
	assert_int_equal(e->f.off, 3);
	assert_int_equal(mvm_pci_bar_addr(e->dev, 1), io);
	/* Move BAR 0 up by 1 MiB. */
	cfg_wr(e->pci, 1, 0x10, (uint32_t)(b0 + 0x100000), 4);
	assert_int_equal(e->f.map_bar, 0);
	assert_int_equal(e->f.map_addr, b0 + 0x100000);
	assert_int_equal(mmio_in(e, b0, 4), 0xffffffffu);
	assert_int_equal(mmio_in(e, b0 + 0x100004, 4), 0xa5a50004u);
	/* Outside the window: decodes, but no access can reach it. */
	cfg_wr(e->pci, 1, 0x10, 0x1000, 4);
	assert_int_equal(mvm_pci_bar_addr(e->dev, 0), 0x1000);
	assert_int_equal(mmio_in(e, b0 + 0x100004, 4), 0xffffffffu);
	/* Decoding off again: map() hears 0. */
	cfg_wr(e->pci, 1, MVM_PCI_COMMAND, 0, 2);
	assert_int_equal(e->f.map_addr, 0);
	assert_int_equal(mvm_pci_bar_addr(e->dev, 2), 0);
}

static void capabilities_form_a_list_from_0x34(void **state)
{
	struct env *e = *state;
	uint8_t vendor[16] = {0x09, 0xee, 16, 1, 2, 3};
	uint8_t wm[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t second[4] = {0x05, 0, 0x11, 0x22};
	int a, b;

	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_STATUS, 2) &
				 MVM_PCI_STATUS_CAP_LIST,
			 0);
	a = mvm_pci_add_cap(e->dev, vendor, sizeof(vendor), wm);
	b = mvm_pci_add_cap(e->dev, second, 3, NULL);
	assert_int_equal(a, MVM_PCI_CAP_START);
	assert_int_equal(b, MVM_PCI_CAP_START + 16);
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_STATUS, 2) &
				 MVM_PCI_STATUS_CAP_LIST,
			 MVM_PCI_STATUS_CAP_LIST);
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_CAP_PTR, 1), a);
	assert_int_equal(cfg_rd(e->pci, 1, a, 2), 0x09 | b << 8);
	assert_int_equal(cfg_rd(e->pci, 1, b, 4), 0x00110005);
	/* ID and link are read-only even under an all-ones mask; bytes
	 * 8-9 are writable and the device hears of the write. */
	cfg_wr(e->pci, 1, a, 0xffffffffu, 4);
	cfg_wr(e->pci, 1, a + 8, 0xabcdef01u, 4);
	assert_int_equal(cfg_rd(e->pci, 1, a, 2), 0x09 | b << 8);
	assert_int_equal(cfg_rd(e->pci, 1, a + 8, 4), 0xef01);
	assert_int_equal(e->f.cfg_writes, 2);
	assert_int_equal(e->f.cfg_off, a + 8);
	/* No room for a capability past 256 bytes. */
	assert_int_equal(mvm_pci_add_cap(e->dev, vendor, 250, NULL), -ENOSPC);
	assert_int_equal(mvm_pci_add_cap(e->dev, vendor, 1, NULL), -EINVAL);
}

/* Status bit 3 shows the device's request; Interrupt Disable does not
 * hide it (6.2.3). */
static void intx_request_shows_in_status(void **state)
{
	struct env *e = *state;

	assert_int_equal(mvm_pci_set_intx(e->dev, 1), 0);
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_STATUS, 1) &
				 MVM_PCI_STATUS_INTX,
			 MVM_PCI_STATUS_INTX);
	cfg_wr(e->pci, 1, MVM_PCI_COMMAND, MVM_PCI_CMD_INTX_DISABLE, 2);
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_STATUS, 1) &
				 MVM_PCI_STATUS_INTX,
			 MVM_PCI_STATUS_INTX);
	assert_int_equal(mvm_pci_set_intx(e->dev, 0), 0);
	assert_int_equal(
		cfg_rd(e->pci, 1, MVM_PCI_STATUS, 1) & MVM_PCI_STATUS_INTX, 0);
}

static void bad_device_descriptions_are_refused(void **state)
{
	struct env *e = *state;
	struct mvm_pci_info in = fake_info(&e->f);

	in.bar[0].size = 3000; /* not a power of two */
	assert_int_equal(mvm_pci_add(e->pci, &in, NULL), -EINVAL);
	in = fake_info(&e->f);
	in.bar[3].size = 16; /* upper half of BAR 2 */
	in.bar[3].ops = &fake_ops;
	assert_int_equal(mvm_pci_add(e->pci, &in, NULL), -EINVAL);
	in = fake_info(&e->f);
	in.bar[5] =
		(struct mvm_pci_bar){16, MVM_PCI_BAR_MEM64, &fake_ops, NULL};
	assert_int_equal(mvm_pci_add(e->pci, &in, NULL), -EINVAL);
	in = fake_info(&e->f);
	in.bar[1].size = 512; /* I/O BARs are at most 256 bytes */
	assert_int_equal(mvm_pci_add(e->pci, &in, NULL), -EINVAL);
	in = fake_info(&e->f);
	in.vendor = 0xffff;
	assert_int_equal(mvm_pci_add(e->pci, &in, NULL), -EINVAL);
	in = fake_info(&e->f);
	in.bar[0].size = MVM_PCI_MMIO_SIZE; /* will not fit any more */
	assert_int_equal(mvm_pci_add(e->pci, &in, NULL), -ENOSPC);
	in = fake_info(&e->f);
	for (int i = 2; i <= MVM_PCI_MAX_DEVS; i++)
		assert_int_equal(mvm_pci_add(e->pci, &in, NULL), 0);
	assert_int_equal(mvm_pci_add(e->pci, &in, NULL), -ENOSPC);
	assert_int_equal(cfg_rd(e->pci, MVM_PCI_MAX_DEVS, 0, 2), 0x1af4);
}

/* A device whose setup failed leaves the bus: its slot reads as empty,
 * its BARs route nowhere, its INTx no longer holds the line. */
static void unplugged_device_is_gone_from_the_bus(void **state)
{
	static uint8_t blob[8192];
	struct env *e = *state;
	int n;

	cfg_wr(e->pci, 1, MVM_PCI_COMMAND, MVM_PCI_CMD_MEM, 2);
	assert_int_equal(mvm_pci_set_intx(e->dev, 1), 0);
	assert_int_equal(mmio_in(e, MVM_PCI_MMIO_BASE, 4), 0xa5a50000u);
	mvm_pci_unplug(e->dev);
	e->dev = NULL;
	assert_int_equal(cfg_rd(e->pci, 1, 0, 4), 0xffffffffu);
	assert_int_equal(mmio_in(e, MVM_PCI_MMIO_BASE, 4), 0xffffffffu);
	assert_int_equal(e->f.reads, 1);
	mvm_pci_config_ops.reset(e->pci); /* skips the empty slot */
	mvm_pci_unplug(NULL);
	/* A snapshot holds the slot as empty and loads back (pci_state.c). */
	n = mvm_pci_config_ops.save(e->pci, blob, sizeof(blob));
	assert_true(n > 0);
	assert_int_equal(mvm_pci_config_ops.load(e->pci, blob, (size_t)n), 0);
	assert_int_equal(cfg_rd(e->pci, 1, 0, 4), 0xffffffffu);
}

/* A hostile guest: every register, every width and offset, random
 * values, interleaved with window accesses. Nothing may crash, and the
 * IDs must survive. */
static void random_config_traffic_never_breaks_the_bridge(void **state)
{
	struct env *e = *state;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 200000; i++) {
		uint32_t v, len;
		uint64_t off, buf; /* room for the widest access, 8 bytes */

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = (uint32_t)(x >> 32);
		len = 1u << (x & 3); /* 1, 2, 4, 8 */
		off = (x >> 2) & 7;
		buf = x;
		switch ((x >> 5) & 3) {
		case 0: /* aim at slot 0-3, sometimes another bus */
			v = (v & 0x8001f7fcu & ~0xf800u) |
			    (uint32_t)((x >> 8) & 3) << 11;
			port_out(e->pci, 0, v, 4);
			break;
		case 1:
			mvm_pci_config_ops.write(e->pci, NULL, off, &buf, len);
			break;
		case 2:
			mvm_pci_config_ops.read(e->pci, NULL, off, &buf, len);
			break;
		default:
			off = (x >> 12) % MVM_PCI_MMIO_SIZE;
			mvm_pci_mmio_ops.read(e->pci, NULL, off, &buf, len);
			mvm_pci_io_ops.write(e->pci, NULL, off & 0xfff, &buf,
					     len > 4 ? 4 : len);
		}
	}
	assert_int_equal(cfg_rd(e->pci, 0, 0, 4),
			 MVM_PCI_DEVICE_HOST << 16 | MVM_PCI_VENDOR_MINIVMM);
	assert_int_equal(cfg_rd(e->pci, 1, 0, 4), 0x10421af4);
	assert_int_equal(cfg_rd(e->pci, 1, 8, 4), 0x01800001);
	/* A reset puts the BARs back where the firmware put them. */
	mvm_pci_config_ops.reset(e->pci);
	assert_int_equal(cfg_rd(e->pci, 1, 0x10, 4), MVM_PCI_MMIO_BASE);
	assert_int_equal(cfg_rd(e->pci, 1, MVM_PCI_COMMAND, 2), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)
	static const struct CMUnitTest tests[] = {
		T(host_bridge_is_slot_0_with_bridge_class),
		T(absent_devices_read_all_ones_and_ignore_writes),
		T(config_address_masks_and_needs_dword_access),
		T(data_port_moves_bytes_words_and_dwords_of_the_register),
		T(bars_answer_the_sizing_protocol),
		T(bars_start_in_the_windows),
		T(bar_accesses_follow_command_and_bar_writes),
		T(capabilities_form_a_list_from_0x34),
		T(intx_request_shows_in_status),
		T(bad_device_descriptions_are_refused),
		T(unplugged_device_is_gone_from_the_bus),
		T(random_config_traffic_never_breaks_the_bridge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
