/*
 * bootparams.c - loading a Linux kernel and writing its "zero page"
 * (linux.h; Documentation/arch/x86/boot.rst, "boot.rst" below).
 *
 * mvm_linux_load() works in two passes, like the ELF loader: first a
 * plan (where the kernel, the initrd and the command line go, and
 * whether each fits), with every check done; then the copies. The
 * kernel's RAM needs come from its header: a bzImage decompresses itself
 * into init_size bytes at its preferred address (2.10+: pref_address,
 * init_size), so the initrd must stay above that; boot.rst ("Details of
 * Header Fields", ramdisk_image) recommends placing the initrd "as high
 * in memory as possible", below initrd_addr_max.
 *
 * The e820 map (zero-page.rst: e820_table at 0x2d0) is the guest's only
 * view of its RAM: one entry per memory slot, RAM for writable slots and
 * reserved for read-only ones, with the PC's legacy hole (640 KiB to
 * 1 MiB) left out as on real hardware.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "minivmm/linux.h"

/* Values a vmlinux gets in the setup header minivmm writes for it. */
#define VMLINUX_CMDLINE_MAX 2047       /* x86 COMMAND_LINE_SIZE - 1 */
#define INITRD_ADDR_MAX_DEF 0x7fffffff /* boot.rst, initrd_addr_max */
#define LOADER_UNDEFINED    0xff       /* boot.rst, type_of_loader */
#define PAGE		    4096ULL

struct plan {
	struct mvm_bzimage bz;	 /* bzImage header (kind BZIMAGE) */
	uint64_t ram_end;	 /* end of the RAM slot at 0 */
	uint32_t cmdline_max;	 /* longest command line */
	uint32_t initrd_max;	 /* highest initrd byte */
	struct mvm_linux_info i; /* the result */
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* A bzImage: its protected-mode part goes to 1 MiB (code32_start) and
 * decompresses at max(aligned load address, pref_address). */
static int plan_bzimage(const struct mvm_linux_config *c, struct plan *p,
			const struct mvm_log *log)
{
	uint64_t start, load = MVM_LOAD_ADDR;
	int rc = mvm_bzimage_parse(c->kernel, c->kernel_len, &p->bz, log);

	if (rc)
		return rc;
	start = p->bz.relocatable ? align_up(load, p->bz.kernel_align)
				  : p->bz.pref_address;
	if (start < p->bz.pref_address)
		start = p->bz.pref_address;
	p->i.kind = MVM_LINUX_BZIMAGE;
	p->i.version = p->bz.version;
	p->i.entry = load + MVM_BZIMAGE_ENTRY64;
	p->i.kernel_lo = load;
	p->i.kernel_hi = start + p->bz.init_size;
	if (p->i.kernel_hi < load + p->bz.kernel_size)
		p->i.kernel_hi = load + p->bz.kernel_size;
	p->cmdline_max = p->bz.cmdline_size;
	p->initrd_max = p->bz.initrd_addr_max;
	return 0;
}

/* A vmlinux: the RAM it needs is its PT_LOAD segments (bss included).
 * Only their extent is read here; elf.c checks the file for real. */
static int plan_vmlinux(const struct mvm_linux_config *c, struct plan *p,
			const struct mvm_log *log)
{
	const uint8_t *img = c->kernel;
	Elf64_Ehdr eh;

	if (c->kernel_len < sizeof(eh) || img[EI_CLASS] != ELFCLASS64) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "vmlinux: not a 64-bit ELF file (%zu bytes)",
			 c->kernel_len);
		return -ENOEXEC;
	}
	memcpy(&eh, img, sizeof(eh));
	p->i.kernel_lo = UINT64_MAX;
	for (unsigned n = 0; n < eh.e_phnum; n++) {
		uint64_t off = eh.e_phoff + (uint64_t)n * sizeof(Elf64_Phdr);
		Elf64_Phdr ph;

		if (off < eh.e_phoff || off > c->kernel_len ||
		    c->kernel_len - off < sizeof(ph)) {
			mvm_logf(log, MVM_LOG_ERROR,
				 "vmlinux: truncated: program header %u is "
				 "past the end of the file",
				 n);
			return -ENOEXEC;
		}
		memcpy(&ph, img + off, sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_paddr < p->i.kernel_lo)
			p->i.kernel_lo = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > p->i.kernel_hi)
			p->i.kernel_hi = ph.p_paddr + ph.p_memsz;
	}
	p->i.kind = MVM_LINUX_VMLINUX;
	p->i.version = MVM_BOOT_VERSION_MIN;
	p->i.entry = eh.e_entry;
	p->cmdline_max = VMLINUX_CMDLINE_MAX;
	p->initrd_max = INITRD_ADDR_MAX_DEF;
	return 0;
}

/* RAM: the kernel must fit; the initrd goes as high as it can. */
static int plan_ram(const struct mvm_linux_config *c, struct plan *p,
		    const struct mvm_log *log)
{
	uint64_t top, len = c->initrd_len;

	if (p->i.kernel_hi > p->ram_end) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "the kernel needs RAM up to %llu MiB to boot (0x%llx; "
			 "init_size), the machine has %llu MiB",
			 (unsigned long long)(p->i.kernel_hi + (1 << 20) - 1) >>
				 20,
			 (unsigned long long)p->i.kernel_hi,
			 (unsigned long long)p->ram_end >> 20);
		return -EFBIG;
	}
	if (len == 0)
		return 0;
	if (len >= p->ram_end) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "initrd of %llu bytes is larger than the guest's RAM "
			 "(%llu MiB)",
			 (unsigned long long)len,
			 (unsigned long long)p->ram_end >> 20);
		return -EFBIG;
	}
	top = p->ram_end;
	if (top > (uint64_t)p->initrd_max + 1)
		top = (uint64_t)p->initrd_max + 1;
	top &= ~(PAGE - 1);
	if (len > top ||
	    ((top - len) & ~(PAGE - 1)) < align_up(p->i.kernel_hi, PAGE)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "initrd of %llu bytes does not fit between the "
			 "kernel's end (0x%llx) and 0x%llx (top of RAM or "
			 "initrd_addr_max)",
			 (unsigned long long)len,
			 (unsigned long long)p->i.kernel_hi,
			 (unsigned long long)top);
		return -ENOSPC;
	}
	p->i.initrd_gpa = (top - len) & ~(PAGE - 1);
	p->i.initrd_len = len;
	return 0;
}

static int plan_cmdline(const struct mvm_linux_config *c, struct plan *p,
			const struct mvm_log *log)
{
	size_t len = c->cmdline ? strlen(c->cmdline) : 0;
	uint64_t max = p->cmdline_max;

	if (max > MVM_LINUX_CMDLINE_MAX - 1)
		max = MVM_LINUX_CMDLINE_MAX - 1;
	if (len > max) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "command line of %zu bytes is longer than the "
			 "kernel's limit of %llu (cmdline_size)",
			 len, (unsigned long long)max);
		return -E2BIG;
	}
	p->i.cmdline_len = len;
	return 0;
}

/* Pass 1: everything checked, nothing written. */
static int plan(struct mvm_memmap *mem, const struct mvm_linux_config *c,
		struct plan *p, const struct mvm_log *log)
{
	const struct mvm_slot *ram = mvm_memmap_find(mem, 0);
	int rc;

	p->i.boot_params =
		c->boot_params ? c->boot_params : MVM_LINUX_BOOT_PARAMS;
	p->i.cmdline_gpa = c->cmdline_gpa ? c->cmdline_gpa : MVM_LINUX_CMDLINE;
	if (!ram || !mvm_memmap_hva(mem, p->i.boot_params, MVM_BP_SIZE) ||
	    !mvm_memmap_hva(mem, p->i.cmdline_gpa, MVM_LINUX_CMDLINE_MAX)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "no RAM for the zero page and command line");
		return -EFAULT;
	}
	p->ram_end = ram->gpa + ram->size;
	rc = mvm_image_is_elf(c->kernel, c->kernel_len)
		     ? plan_vmlinux(c, p, log)
		     : plan_bzimage(c, p, log);
	if (!rc)
		rc = plan_cmdline(c, p, log);
	if (!rc)
		rc = plan_ram(c, p, log);
	return rc;
}

static void wr16(uint8_t *bp, size_t off, uint16_t v)
{
	bp[off] = (uint8_t)v;
	bp[off + 1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *bp, size_t off, uint32_t v)
{
	wr16(bp, off, (uint16_t)v);
	wr16(bp, off + 2, (uint16_t)(v >> 16));
}

static void wr64(uint8_t *bp, size_t off, uint64_t v)
{
	wr32(bp, off, (uint32_t)v);
	wr32(bp, off + 4, (uint32_t)(v >> 32));
}

/* One e820 entry: {u64 addr, u64 size, u32 type}, 20 bytes packed. */
static int e820_add(uint8_t *bp, int n, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	size_t off = MVM_BP_E820_TABLE + (size_t)n * 20;

	if (size == 0 || n >= MVM_E820_MAX)
		return n;
	wr64(bp, off, addr);
	wr64(bp, off + 8, size);
	wr32(bp, off + 16, type);
	return n + 1;
}

/* The memory map from the slots, lowest address first. */
static int build_e820(const struct mvm_memmap *mem, uint8_t *bp)
{
	uint64_t at = 0;
	int n = 0;

	for (;;) {
		const struct mvm_slot *s = NULL;

		for (int i = 0; i < MVM_MAX_SLOTS; i++) {
			const struct mvm_slot *t = &mem->slots[i];

			if (t->used && t->gpa >= at && (!s || t->gpa < s->gpa))
				s = t;
		}
		if (!s)
			break;
		uint64_t end = s->gpa + s->size;
		uint32_t type = (s->flags & MVM_MEM_READONLY)
					? MVM_E820_RESERVED
					: MVM_E820_RAM;

		if (type == MVM_E820_RAM && s->gpa < MVM_LOAD_ADDR) {
			/* below 1 MiB: conventional memory only */
			uint64_t low =
				end < MVM_LEGACY_HOLE ? end : MVM_LEGACY_HOLE;

			n = e820_add(bp, n, s->gpa, low - s->gpa, type);
			if (end > MVM_LOAD_ADDR)
				n = e820_add(bp, n, MVM_LOAD_ADDR,
					     end - MVM_LOAD_ADDR, type);
		} else {
			n = e820_add(bp, n, s->gpa, s->size, type);
		}
		at = end;
	}
	bp[MVM_BP_E820_ENTRIES] = (uint8_t)n;
	return n;
}

/* The zero page: the kernel's own setup header (a vmlinux has none: we
 * write the fields it reads), then what the loader fills in (boot.rst,
 * "Details of Header Fields": fields marked "write" or "modify"). */
static void build_zero_page(const struct mvm_memmap *mem,
			    const struct mvm_linux_config *c, struct plan *p,
			    uint8_t *bp)
{
	uint8_t loadflags = MVM_LOADED_HIGH;

	memset(bp, 0, MVM_BP_SIZE);
	if (p->i.kind == MVM_LINUX_BZIMAGE) {
		memcpy(bp + MVM_BP_SETUP_SECTS,
		       (const uint8_t *)c->kernel + MVM_BP_SETUP_SECTS,
		       p->bz.hdr_end - MVM_BP_SETUP_SECTS);
		loadflags = p->bz.loadflags;
		wr32(bp, MVM_BP_CODE32_START, (uint32_t)p->i.kernel_lo);
	} else {
		wr16(bp, MVM_BP_BOOT_FLAG, MVM_BOOT_FLAG);
		wr32(bp, MVM_BP_HEADER, MVM_BOOT_HDRS);
		wr16(bp, MVM_BP_VERSION, p->i.version);
		wr32(bp, MVM_BP_CMDLINE_SIZE, p->cmdline_max);
	}
	bp[MVM_BP_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[MVM_BP_LOADFLAGS] = loadflags;
	wr32(bp, MVM_BP_CMD_LINE_PTR, (uint32_t)p->i.cmdline_gpa);
	wr32(bp, MVM_BP_RAMDISK_IMAGE, (uint32_t)p->i.initrd_gpa);
	wr32(bp, MVM_BP_RAMDISK_SIZE, (uint32_t)p->i.initrd_len);
	p->i.e820_entries = build_e820(mem, bp);
}

/* Pass 2: the copies. Only a vmlinux can still fail here (elf.c checks
 * its segments in full). */
static int copy_all(struct mvm_memmap *mem, const struct mvm_linux_config *c,
		    struct plan *p, const struct mvm_log *log)
{
	const uint8_t *k = c->kernel;
	uint8_t bp[MVM_BP_SIZE];
	struct mvm_image_info ii;
	int rc;

	if (p->i.kind == MVM_LINUX_VMLINUX)
		rc = mvm_load_elf(mem, k, c->kernel_len, &ii, log);
	else
		rc = mvm_memmap_write(mem, p->i.kernel_lo, k + p->bz.setup_size,
				      p->bz.kernel_size, 0);
	if (!rc && p->i.initrd_len)
		rc = mvm_memmap_write(mem, p->i.initrd_gpa, c->initrd,
				      p->i.initrd_len, 0);
	if (!rc)
		rc = mvm_memmap_write(mem, p->i.cmdline_gpa,
				      c->cmdline ? c->cmdline : "",
				      p->i.cmdline_len + 1, 0);
	if (rc)
		return rc;
	build_zero_page(mem, c, p, bp);
	return mvm_memmap_write(mem, p->i.boot_params, bp, sizeof(bp), 0);
}

int mvm_linux_load(struct mvm_memmap *mem, const struct mvm_linux_config *cfg,
		   struct mvm_linux_info *info, const struct mvm_log *log)
{
	struct plan p = {0};
	int rc;

	if (!mem || !cfg || !info || !cfg->kernel ||
	    (cfg->initrd_len && !cfg->initrd))
		return -EINVAL;
	rc = plan(mem, cfg, &p, log);
	if (!rc)
		rc = copy_all(mem, cfg, &p, log);
	if (rc)
		return rc;
	*info = p.i;
	mvm_logf(log, MVM_LOG_DEBUG,
		 "Linux %s, boot protocol %u.%02u: kernel [0x%llx, 0x%llx), "
		 "entry 0x%llx, initrd %llu bytes at 0x%llx, %d e820 entries",
		 p.i.kind == MVM_LINUX_BZIMAGE ? "bzImage" : "vmlinux",
		 p.i.version >> 8, p.i.version & 0xff,
		 (unsigned long long)p.i.kernel_lo,
		 (unsigned long long)p.i.kernel_hi,
		 (unsigned long long)p.i.entry,
		 (unsigned long long)p.i.initrd_len,
		 (unsigned long long)p.i.initrd_gpa, p.i.e820_entries);
	return 0;
}
