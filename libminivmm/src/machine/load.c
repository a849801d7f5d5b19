/*
 * load.c - putting an image into a machine and its vCPUs into a mode.
 *
 * The VMM plays boot loader (modes.h): it copies the image into RAM and
 * writes every vCPU's registers for the chosen mode directly. The mode
 * comes from the image unless the caller insists: an ELF's class says
 * what its code was compiled for (ELFCLASS64: long mode, ELFCLASS32:
 * protected mode; ELF spec, "e_ident"), and a flat binary is real-mode
 * code loaded where a BIOS would put a boot sector (layout.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine_internal.h"

static enum mvm_cpu_mode mode_of(const struct mvm_image_info *info)
{
	return info->kind == MVM_IMAGE_ELF64   ? MVM_MODE_LONG64
	       : info->kind == MVM_IMAGE_ELF32 ? MVM_MODE_PROT32
					       : MVM_MODE_REAL;
}

/* Every vCPU in `mode` at the image's entry, each with its own stack and
 * TSS; they share the page tables vCPU 0's setup builds. */
static int setup_all(struct mvm_machine *m, enum mvm_cpu_mode mode)
{
	struct mvm_mode_config mc = {
		.mode = mode,
		.entry = m->img.entry,
		.page_size = m->cfg.page_size,
		.map_size = m->cfg.map_size,
	};
	int rc = 0;

	for (int i = 0; rc == 0 && i < mvm_vm_ncpus(m->vm); i++)
		rc = mvm_vcpu_setup_mode(mvm_vm_vcpu(m->vm, i), &mc);
	if (rc)
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "cannot set up %s mode at entry 0x%llx: %s",
			 mvm_mode_name(mode), (unsigned long long)m->img.entry,
			 strerror(-rc));
	else
		m->mode = mode;
	return rc;
}

static int check_mode(struct mvm_machine *m, int mode)
{
	if (mode == MVM_MODE_AUTO ||
	    (mode >= MVM_MODE_REAL && mode <= MVM_MODE_LONG64))
		return 0;
	mvm_logf(&m->log, MVM_LOG_ERROR, "unknown CPU mode %d", mode);
	return -EINVAL;
}

int mvm_machine_load_buf(struct mvm_machine *m, const void *buf, size_t len,
			 uint64_t flat_gpa, int mode)
{
	struct mvm_memmap *mem = mvm_vm_mem(m->vm);
	int rc = check_mode(m, mode);

	if (rc)
		return rc;
	if (m->started)
		return -EBUSY;
	if (mvm_image_is_elf(buf, len))
		rc = mvm_load_elf(mem, buf, len, &m->img, &m->log);
	else
		rc = mvm_load_flat(mem, flat_gpa, buf, len, &m->img, &m->log);
	if (rc)
		return rc;
	if (mode != MVM_MODE_AUTO && m->img.kind != MVM_IMAGE_FLAT &&
	    (enum mvm_cpu_mode)mode != mode_of(&m->img))
		mvm_logf(&m->log, MVM_LOG_WARN,
			 "the image was built for %s mode but runs in %s mode "
			 "as asked",
			 mvm_mode_name(mode_of(&m->img)),
			 mvm_mode_name((enum mvm_cpu_mode)mode));
	return setup_all(m, mode == MVM_MODE_AUTO ? mode_of(&m->img)
						  : (enum mvm_cpu_mode)mode);
}

int mvm_machine_load(struct mvm_machine *m, const char *path, int mode)
{
	uint64_t flat_gpa = mode == MVM_MODE_AUTO || mode == MVM_MODE_REAL
				    ? MVM_REAL_LOAD_ADDR
				    : MVM_LOAD_ADDR;
	void *buf;
	size_t len;
	int rc = check_mode(m, mode);

	if (rc == 0)
		rc = mvm_file_read(path, mvm_vm_ram_size(m->vm), &buf, &len,
				   &m->log);
	if (rc)
		return rc;
	rc = mvm_machine_load_buf(m, buf, len, flat_gpa, mode);
	free(buf);
	return rc;
}
