/*
 * fakevm.c - a VM and a vCPU without /dev/kvm (see fakevm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "fakevm.h"
#include "fuzz.h"
#include "hostram.h"

/* Guest output goes where `mvm run` sends it: through mvm_escape()
 * (log.h), which must make any bytes safe and fit its buffer. */
static void drop_output(void *ctx, const char *buf, size_t len)
{
	char esc[64];
	size_t need;

	(void)ctx;
	need = mvm_escape(esc, sizeof(esc), buf, len, len & 1);
	if (need < len || strnlen(esc, sizeof(esc)) == sizeof(esc))
		abort(); /* every byte needs at least one; always terminated */
	for (size_t i = 0; esc[i]; i++) {
		unsigned char c = (unsigned char)esc[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c >= 0x7f)
			abort(); /* a control or non-ASCII byte got through */
	}
}

/* A fixed clock: the CMOS device shows the same time for every input,
 * so a crash found once is found again. */
static int64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 1700000000;
}

static void must(int rc)
{
	if (rc)
		abort();
}

void fakevm_init(struct fakevm *f)
{
	struct mvm_vm *vm = &f->vm;

	memset(f, 0, sizeof(*f));
	vm->log = fuzz_log;
	vm->fd = vm->kvm_fd = -1;
	mvm_bus_init(&vm->pio, "pio");
	mvm_bus_init(&vm->mmio, "mmio");
	vm->ram = hostram_map(&vm->mem, FAKEVM_RAM, 0);
	if (!vm->ram)
		abort();
	vm->ram_size = FAKEVM_RAM;
	f->run = aligned_alloc(4096, FAKEVM_RUN);
	if (!f->run)
		abort();
	f->vcpu.vm = vm;
	f->vcpu.fd = -1;
	f->vcpu.wake_fd = -1;
	f->vcpu.run = f->run;
	f->vcpu.run_size = FAKEVM_RUN;
	vm->vcpu[0] = &f->vcpu;
	vm->ncpus = 1;

	must(mvm_std_devices_attach(vm, drop_output, NULL, &f->std));
	must(mvm_demo_create(NULL, NULL, &f->demo));
	must(mvm_bus_register(&vm->pio, MVM_PORT_DEMO, 1, &mvm_demo_ops,
			      f->demo));
	must(mvm_bus_register(&vm->mmio, MVM_MMIO_DEMO_ADDR, 8, &mvm_demo_ops,
			      f->demo));
	/* The MSR table directly: mvm_vm_add_msr_handler() would ask KVM
	 * for an MSR filter. */
	vm->msr[vm->nmsr++] =
		(struct mvm_msr_range){MVM_DEMO_MSR, 1, mvm_demo_msr, f->demo};
	must(mvm_cmos_create(fixed_clock, NULL, &fuzz_log, &f->cmos));
	must(mvm_bus_register(&vm->pio, MVM_PORT_CMOS, MVM_PORT_CMOS_LEN,
			      &mvm_cmos_ops, f->cmos));
	must(mvm_hcall_create(&vm->mem, drop_output, NULL, &fuzz_log,
			      &f->hcall));
	must(mvm_bus_register(&vm->pio, MVM_PORT_HCALL, 1, &mvm_hcall_ops,
			      f->hcall));
}

void fakevm_reset(struct fakevm *f)
{
	mvm_bus_reset(&f->vm.pio);
	mvm_bus_reset(&f->vm.mmio);
	memset(f->vm.ram, 0, FAKEVM_RAM);
	memset(f->run, 0, FAKEVM_RUN);
	f->vcpu.hlt = MVM_HLT_STOP;
	f->vcpu.unclaimed = 0;
}
