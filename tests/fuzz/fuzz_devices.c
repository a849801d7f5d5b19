/*
 * fuzz_devices.c - every device's register interface, as a guest sees it.
 *
 * The devices (debugcon, ucall, UART, demo, CMOS RTC, hypercall port) sit
 * on the port and MMIO buses of a VM without KVM (fakevm.c) whose RAM
 * is 64 KiB of host memory, so addresses the guest passes (ucall and
 * hypercall structures) often land in it. Input: a sequence of 12-byte
 * operations:
 *
 *   byte 0      what: 0 port read, 1 port write, 2 MMIO read, 3 MMIO
 *               write, 4 poke guest RAM, 5 save + load a device's state
 *               (odd bytes 2-3: every device's, mvm_bus_save_all), 6 load
 *               the rest of the input as one device's state (odd bytes
 *               2-3: as the whole bus's, mvm_bus_load_all), 7 UART input
 *   byte 1      access size (1, 2, 4 or 8 from its low bits)
 *   bytes 2-3   the port, or the offset into the demo register / RAM
 *   bytes 4-11  the value written
 *
 * Devices must answer any access with 0 or an error, and must not be
 * broken by any state blob they are asked to load.
 */
#include "fakevm.h"
#include "fuzz.h"
#include "minivmm/state.h"

static struct fakevm fake;
static int ready;

/* Ports with devices behind them, so most accesses reach one. */
static const uint16_t ports[] = {
	MVM_PORT_DEBUGCON, MVM_PORT_UCALL, MVM_PORT_COM1,
	MVM_PORT_DEMO,	   MVM_PORT_CMOS,  MVM_PORT_HCALL,
};
#define NPORTS (sizeof(ports) / sizeof(ports[0]))

static const struct mvm_bus_entry *device(unsigned i)
{
	const struct mvm_bus *bus = &fake.vm.pio;

	return &bus->e[i % (unsigned)bus->n];
}

/* Save a device's state (d NULL: every device's) and load it back: it
 * must accept its own blob. */
static void roundtrip(const struct mvm_bus_entry *d)
{
	uint8_t blob[4096];
	int n;

	if (!d) {
		n = mvm_bus_save_all(&fake.vm.pio, blob, sizeof(blob));
		if (n < 0 || mvm_bus_load_all(&fake.vm.pio, blob, (size_t)n))
			abort();
		return;
	}
	if (!d->ops->save || !d->ops->load)
		return;
	n = d->ops->save(d->dev, blob, sizeof(blob));
	if (n >= 0 && d->ops->load(d->dev, blob, (size_t)n) < 0)
		abort();
}

static void one_op(struct fuzz_in *in)
{
	unsigned what = fuzz_u8(in) & 7;
	unsigned len = 1u << (fuzz_u8(in) & 3);
	unsigned where = fuzz_u16(in);
	uint8_t val[8];
	uint16_t port;

	memcpy(val, in->p, in->left < 8 ? in->left : 8);
	if (in->left < 8)
		memset(val + in->left, 0, 8 - in->left);
	fuzz_u64(in);
	/* Low byte picks a device port, high byte an offset from it (the
	 * UART has 8 registers); any port when the top bit is set. */
	port = (where & 0x8000) ? (uint16_t)where
				: (uint16_t)(ports[(where & 0xff) % NPORTS] +
					     ((where >> 8) & 7));
	switch (what) {
	case 0:
	case 1:
		if (len == 8)
			len = 4; /* IN/OUT move at most 4 bytes */
		mvm_bus_access(&fake.vm.pio, &fake.vcpu, port, what, val, len);
		break;
	case 2:
	case 3:
		mvm_bus_access(&fake.vm.mmio, &fake.vcpu,
			       MVM_MMIO_DEMO_ADDR + (where & 15), what & 1, val,
			       len);
		break;
	case 4:
		memcpy(fake.vm.ram + (where % (FAKEVM_RAM - 8)), val, 8);
		break;
	case 5:
		roundtrip((where & 1) ? NULL : device(where));
		break;
	case 6: {
		/* The rest of the input is a state blob. */
		const struct mvm_bus_entry *d = device(where);

		if (where & 1)
			mvm_bus_load_all(&fake.vm.pio, in->p, in->left);
		else if (d->ops->load)
			d->ops->load(d->dev, in->p, in->left);
		in->left = 0;
		break;
	}
	case 7:
		mvm_uart_input(fake.std.uart, (const char *)val, len);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	if (!ready) {
		fakevm_init(&fake);
		ready = 1;
	}
	fakevm_reset(&fake);
	while (in.left)
		one_op(&in);
	return 0;
}
