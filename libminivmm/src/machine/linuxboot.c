/*
 * linuxboot.c - booting Linux on a machine (linux.h).
 *
 * The loader (loader/bootparams.c) puts the kernel, initrd, command line
 * and zero page into RAM. What is left is the CPU state the 64-bit boot
 * protocol asks for (Documentation/arch/x86/boot.rst, "64-bit Boot
 * Protocol"), which is minivmm's ordinary long mode (modes.h) plus one
 * register:
 *
 *   paging on, identity map   the low 4 GiB in 2 MiB pages covers the
 *                             kernel, the zero page and the command line
 *   GDT: 0x10 code, 0x18 data MVM_SEL_CODE64 and MVM_SEL_DATA are
 *                             exactly __BOOT_CS and __BOOT_DS
 *   interrupts off            RFLAGS = 0x2
 *   %rsi                      the zero page's address
 *
 * Only vCPU 0 starts: the kernel brings up the others itself (INIT and
 * SIPI through the local APIC) once it has found them.
 */
#include <errno.h>
#include <string.h>

#include "machine_internal.h"
#include "minivmm/linux.h"

int mvm_machine_load_linux(struct mvm_machine *m,
			   const struct mvm_linux_config *cfg,
			   struct mvm_linux_info *info)
{
	struct mvm_mode_config mc = {.mode = MVM_MODE_LONG64};
	struct mvm_vcpu *v;
	struct kvm_regs regs;
	int rc;

	if (!m || !cfg || !info)
		return -EINVAL;
	if (m->started)
		return -EBUSY;
	rc = mvm_linux_load(mvm_vm_mem(m->vm), cfg, info, &m->log);
	if (rc)
		return rc;
	v = mvm_vm_vcpu(m->vm, 0);
	mc.entry = info->entry;
	rc = mvm_vcpu_setup_mode(v, &mc);
	if (!rc)
		rc = mvm_vcpu_get_regs(v, &regs);
	if (!rc) {
		regs.rsi = info->boot_params;
		rc = mvm_vcpu_set_regs(v, &regs);
	}
	if (rc) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "cannot enter the kernel at 0x%llx: %s",
			 (unsigned long long)info->entry, strerror(-rc));
		return rc;
	}
	m->img = (struct mvm_image_info){
		.kind = MVM_IMAGE_FLAT,
		.entry = info->entry,
		.lo = info->kernel_lo,
		.hi = info->kernel_hi,
		.nsegments = 1,
	};
	m->mode = MVM_MODE_LONG64;
	return 0;
}
