/*
 * test_pci.c - the PCI host bridge on a real machine: a guest enumerates
 * bus 0 (examples/pci-enum.c), sizes the BARs, walks a capability list
 * and reads through BARs it enabled; INTx reaches the machine's
 * interrupt lines as the OR of the devices on a line; a guest's odd
 * port accesses around 0xCF8 end in all ones, not in a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS 60000

/* A device model behind BARs: every read returns 0xa5a5 << 16 | offset. */
struct fake {
	int reads;
};

static int fake_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		     uint32_t len)
{
	struct fake *f = dev;
	uint32_t v = 0xa5a50000u | (uint32_t)off;

	(void)vcpu;
	__atomic_add_fetch(&f->reads, 1, __ATOMIC_SEQ_CST);
	memset(data, 0, len);
	memcpy(data, &v, len < 4 ? len : 4);
	return 0;
}

static const struct mvm_dev_ops fake_ops = {.name = "fake", .read = fake_read};

static struct mvm_pci_info fake_info(struct fake *f)
{
	struct mvm_pci_info in = {
		.name = "fake",
		.vendor = 0x1af4,
		.device = 0x1042,
		.class_code = 0x018000,
		.intx = 1,
	};
	in.bar[0] = (struct mvm_pci_bar){0x1000, 0, &fake_ops, f};
	in.bar[1] = (struct mvm_pci_bar){32, MVM_PCI_BAR_IO, &fake_ops, f};
	in.bar[2] =
		(struct mvm_pci_bar){0x4000, MVM_PCI_BAR_MEM64, &fake_ops, f};
	return in;
}

/* Count the configuration-port exits the guest made. */
static void count_cfg(void *ctx, struct mvm_vcpu *vcpu,
		      const struct mvm_exit *e)
{
	unsigned *n = ctx;

	(void)vcpu;
	if (e->reason == KVM_EXIT_IO &&
	    e->u.io.port - MVM_PORT_PCI_CONFIG < MVM_PORT_PCI_CONFIG_LEN)
		(*n)++;
}

static void guest_enumerates_bus_sizes_bars_and_reads_them(void **state)
{
	struct box b = {0};
	struct mvm_machine_config cfg = {.irqchip = MVM_IRQCHIP_KERNEL};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct fake f = {0};
	struct mvm_pci_info in = fake_info(&f);
	uint8_t cap[8] = {0x09, 0, 8, 0x42};
	struct mvm_pci *pci;
	struct mvm_pci_dev *d;
	struct mvm_ucall uc;
	struct mvm_exit e;
	unsigned ncfg = 0;
	enum mvm_verdict v;

	(void)state;
	assert_int_equal(mvm_pci_create(mvm_machine_log(m), &pci), 0);
	assert_int_equal(mvm_pci_add(pci, &in, &d), 0);
	assert_int_equal(mvm_pci_add_cap(d, cap, sizeof(cap), NULL), 0x40);
	assert_int_equal(mvm_pci_attach(pci, m), 0);
	assert_int_equal(mvm_pci_attach(pci, m), -EBUSY);
	assert_int_equal(mvm_machine_load(m, MVM_GUEST_DIR "/pci-enum.elf",
					  MVM_MODE_AUTO),
			 0);
	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 1, count_cfg, &ncfg, &e);
	alarm(0);
	assert_int_equal(v, MVM_SYNC);
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(m)->ucall, 0, &uc),
		MVM_UCALL_SYNC);
	assert_int_equal(uc.args[0], 2); /* host bridge + the fake device */
	assert_non_null(strstr(b.out, "pci 0x0 id 0x1234:0x1 class 0x60000 "
				      "pin 0x0 line 0xff\n"));
	assert_non_null(strstr(b.out, "pci 0x1 id 0x1af4:0x1042 class "
				      "0x18000 pin 0x1 line 0xb\n"));
	assert_non_null(strstr(b.out, "  bar 0x0 mem 0xe0000000 size 0x1000 "
				      "reads 0xa5a50000\n"));
	assert_non_null(strstr(b.out, "  bar 0x1 io 0xc000 size 0x20 "
				      "reads 0xa5a50000\n"));
	assert_non_null(strstr(b.out, "  bar 0x2 mem64 0xe0004000 size 0x4000 "
				      "reads 0xa5a50000\n"));
	assert_non_null(strstr(b.out, "  cap 0x9 at 0x40\n"));
	assert_int_equal(f.reads, 3);
	/* Every config access is an address OUT plus a data IN/OUT. */
	assert_true(ncfg >= 2 * 32);
	assert_int_equal(ncfg % 2, 0);
	/* The guest left decoding on: the BARs decode where it found them. */
	assert_int_equal(mvm_pci_bar_addr(d, 0), MVM_PCI_MMIO_BASE);
	mvm_machine_destroy(m);
	mvm_pci_destroy(pci);
}

struct levels {
	int n;
	unsigned gsi[16];
	int level[16];
};

static void record_level(void *ctx, unsigned gsi, int level)
{
	struct levels *l = ctx;

	if (l->n < 16) {
		l->gsi[l->n] = gsi;
		l->level[l->n++] = level;
	}
}

static void set_command(struct mvm_pci *pci, unsigned slot, uint16_t cmd)
{
	uint32_t a = MVM_PCI_ADDR_ENABLE | slot << 11 | MVM_PCI_COMMAND;

	assert_int_equal(mvm_pci_config_ops.write(pci, NULL, 0, &a, 4), 0);
	assert_int_equal(mvm_pci_config_ops.write(pci, NULL, 4, &cmd, 2), 0);
}

/* Slots 1 and 5 share INTA# line GSI 11, slot 2 has GSI 14: the line is
 * high while any device on it asserts with Interrupt Disable clear. */
static void intx_is_the_or_of_devices_on_a_machine_line(void **state)
{
	struct levels lv = {0};
	struct mvm_irq_sink sink = {record_level, &lv};
	struct box b = {0};
	struct mvm_machine_config cfg = {.irqchip = MVM_IRQCHIP_USER};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct fake f = {0};
	struct mvm_pci_info in = fake_info(&f);
	struct mvm_pci_dev *d[6] = {0};
	struct mvm_pci *pci;
	uint8_t line;

	(void)state;
	assert_int_equal(mvm_machine_set_irq_sink(m, &sink), 0);
	assert_int_equal(mvm_pci_create(mvm_machine_log(m), &pci), 0);
	for (int s = 1; s <= 5; s++)
		assert_int_equal(mvm_pci_add(pci, &in, &d[s]), 0);
	assert_int_equal(mvm_pci_attach(pci, m), 0);
	assert_int_equal(mvm_pci_cfg_get(d[5], MVM_PCI_INT_LINE, &line, 1), 0);
	assert_int_equal(line, MVM_PCI_INTX_GSI(5));
	assert_int_equal(MVM_PCI_INTX_GSI(1), MVM_PCI_INTX_GSI(5));
	assert_int_equal(mvm_pci_set_intx(d[1], 1), 0);
	assert_int_equal(mvm_pci_set_intx(d[5], 1), 0); /* already high */
	assert_int_equal(mvm_pci_set_intx(d[2], 1), 0);
	assert_int_equal(mvm_pci_set_intx(d[1], 0), 0); /* slot 5 holds it */
	assert_int_equal(lv.n, 2);
	assert_int_equal(lv.gsi[0], 11);
	assert_int_equal(lv.level[0], 1);
	assert_int_equal(lv.gsi[1], 14);
	assert_int_equal(lv.level[1], 1);
	/* The guest masks slot 5 with Interrupt Disable: GSI 11 drops. */
	set_command(pci, 5, MVM_PCI_CMD_INTX_DISABLE);
	assert_int_equal(lv.n, 3);
	assert_int_equal(lv.gsi[2], 11);
	assert_int_equal(lv.level[2], 0);
	set_command(pci, 5, 0);
	assert_int_equal(mvm_pci_set_intx(d[5], 0), 0);
	assert_int_equal(lv.n, 5);
	assert_int_equal(lv.level[3], 1);
	assert_int_equal(lv.level[4], 0);
	mvm_machine_destroy(m);
	mvm_pci_destroy(pci);
}

/* Real-mode code poking the configuration ports oddly: a dword IN that
 * straddles the end of CONFIG_DATA, a word write to CONFIG_ADDRESS, a
 * string IN from CONFIG_DATA of a non-existent device. */
static void odd_config_port_accesses_read_all_ones(void **state)
{
	static const uint8_t code[] = {
		0xba, 0xfe, 0x0c,		    /* mov dx, 0xcfe */
		0x66, 0xed,			    /* in eax, dx: straddles */
		0x66, 0x89, 0xc3,		    /* mov ebx, eax */
		0xba, 0xf8, 0x0c,		    /* mov dx, 0xcf8 */
		0x66, 0xb8, 0x00, 0xf8, 0x00, 0x80, /* mov eax, slot 31 */
		0x66, 0xef,			    /* out dx, eax */
		0xb8, 0x34, 0x12,		    /* mov ax, 0x1234 */
		0xef,				    /* out dx, ax: ignored */
		0x66, 0xed,			    /* in eax, dx */
		0x66, 0x89, 0xc6,		    /* mov esi, eax */
		0xba, 0xfc, 0x0c,		    /* mov dx, 0xcfc */
		0xbf, 0x00, 0x60,		    /* mov di, 0x6000 */
		0xb9, 0x04, 0x00,		    /* mov cx, 4 */
		0xf3, 0x66, 0x6d,		    /* rep insd */
		0x66, 0xa1, 0x0c, 0x60,		    /* mov eax, [0x600c] */
		0xf4,				    /* hlt */
	};
	struct box b = {0};
	struct mvm_machine_config cfg = {0};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	struct mvm_pci *pci;
	struct kvm_regs r;
	struct mvm_exit e;
	enum mvm_verdict v;

	(void)state;
	assert_int_equal(mvm_pci_create(mvm_machine_log(m), &pci), 0);
	assert_int_equal(mvm_pci_attach(pci, m), 0); /* no irqchip: no lines */
	assert_int_equal(mvm_machine_load_buf(m, code, sizeof(code),
					      MVM_REAL_LOAD_ADDR,
					      MVM_MODE_REAL),
			 0);
	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, &e);
	alarm(0);
	assert_int_equal(v, MVM_DONE);
	assert_int_equal(mvm_vcpu_get_regs(mvm_machine_vcpu(m, 0), &r), 0);
	assert_int_equal(r.rbx & 0xffffffff, 0xffffffffu);
	assert_int_equal(r.rsi & 0xffffffff, 0x8000f800u);
	assert_int_equal(r.rax & 0xffffffff, 0xffffffffu);
	mvm_machine_destroy(m);
	mvm_pci_destroy(pci);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			guest_enumerates_bus_sizes_bars_and_reads_them),
		cmocka_unit_test(intx_is_the_or_of_devices_on_a_machine_line),
		cmocka_unit_test(odd_config_port_accesses_read_all_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
