/*
 * elf.c - validate and load ELF32/ELF64 executables into guest memory.
 *
 * An ELF executable tells a loader what to do through its program
 * headers (System V gABI, "Program Loading"): each PT_LOAD entry says
 * "copy p_filesz bytes from file offset p_offset to address p_paddr, then
 * zero-fill up to p_memsz". That is all a VMM needs; section headers are
 * for linkers and debuggers and are ignored here.
 *
 * The file is untrusted (a student's half-built guest, or a fuzzer's).
 * So loading is two passes:
 *   1. parse_ehdr() and check_segments() check every number against the
 *      file size and guest memory, with overflow-safe arithmetic;
 *   2. only then load_segments() writes guest memory.
 * A bad file therefore never leaves a half-loaded guest behind.
 *
 * Why p_paddr and not p_vaddr: minivmm's protected-mode guests run with
 * paging off and its long-mode guests on identity-mapped page tables
 * (modes.h), so for our guests the two are equal. For a Linux vmlinux
 * they differ (p_vaddr is 0xffffffff81000000-ish, p_paddr is where the
 * bootloader must put it), and p_paddr is the right one for a loader that
 * writes physical memory.
 *
 * Entry point policy: e_entry must lie inside a loaded, executable
 * (PF_X) segment, either by physical or virtual address. Anything else is
 * an error (-ENOEXEC), not a warning: a wrong entry shows up later as a
 * baffling triple fault, and it is kinder to say so at load time.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

/* More program headers than this is not an image we built; the cap also
 * bounds the O(n^2) overlap check. */
#define ELF_MAX_PHNUM 64

/* The fields we use, the same for both classes after parsing. */
struct elf_file {
	const uint8_t *img; /* the whole file */
	size_t len;	    /* its size in bytes */
	int is64;	    /* ELFCLASS64 */
	uint64_t entry;	    /* e_entry */
	uint64_t phoff;	    /* e_phoff */
	unsigned phnum;	    /* e_phnum */
};

struct elf_seg {
	uint32_t type;	 /* p_type */
	uint32_t flags;	 /* PF_R | PF_W | PF_X */
	uint64_t offset; /* p_offset: where the bytes are in the file */
	uint64_t paddr;	 /* p_paddr: where they go in guest memory */
	uint64_t vaddr;	 /* p_vaddr: only for the entry-point check */
	uint64_t filesz; /* bytes copied from the file */
	uint64_t memsz;	 /* bytes in memory; the rest is zero (bss) */
};

int mvm_image_is_elf(const void *img, size_t len)
{
	return img && len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0;
}

/* e_ident: magic, class, byte order, version (gABI "ELF Identification").
 */
static int check_ident(struct elf_file *f, const struct mvm_log *log)
{
	const uint8_t *id = f->img;

	if (f->len < EI_NIDENT || !mvm_image_is_elf(id, f->len)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: not an ELF file (%zu bytes, no \\x7fELF magic)",
			 f->len);
		return -ENOEXEC;
	}
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) {
		mvm_logf(
			log, MVM_LOG_ERROR,
			"ELF: unknown class %u (want 1 = 32-bit or 2 = 64-bit)",
			id[EI_CLASS]);
		return -ENOEXEC;
	}
	if (id[EI_DATA] != ELFDATA2LSB) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: byte order %u is not little-endian (x86 is)",
			 id[EI_DATA]);
		return -ENOEXEC;
	}
	if (id[EI_VERSION] != EV_CURRENT) {
		mvm_logf(log, MVM_LOG_ERROR, "ELF: unknown version %u",
			 id[EI_VERSION]);
		return -ENOEXEC;
	}
	f->is64 = id[EI_CLASS] == ELFCLASS64;
	return 0;
}

/* The fields of Elf32_Ehdr and Elf64_Ehdr we check, widened. */
struct elf_hdr {
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

static int read_ehdr(struct elf_file *f, struct elf_hdr *h,
		     const struct mvm_log *log)
{
	size_t need = f->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);

	if (f->len < need) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: file of %zu bytes is shorter than the "
			 "%zu-byte ELF header",
			 f->len, need);
		return -ENOEXEC;
	}
	/* memcpy, not a cast: the buffer need not be aligned. */
	if (f->is64) {
		Elf64_Ehdr e;
		memcpy(&e, f->img, sizeof(e));
		*h = (struct elf_hdr){e.e_type,	 e.e_machine, e.e_phentsize,
				      e.e_phnum, e.e_entry,   e.e_phoff};
	} else {
		Elf32_Ehdr e;
		memcpy(&e, f->img, sizeof(e));
		*h = (struct elf_hdr){e.e_type,	 e.e_machine, e.e_phentsize,
				      e.e_phnum, e.e_entry,   e.e_phoff};
	}
	return 0;
}

/* Only fixed-address x86 executables: a PIE or shared object (ET_DYN)
 * would need relocation, which a VMM loader does not do. */
static int check_type(const struct elf_file *f, const struct elf_hdr *h,
		      const struct mvm_log *log)
{
	unsigned want = f->is64 ? EM_X86_64 : EM_386;

	if (h->type != ET_EXEC) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: type %u is not ET_EXEC (%s); link the guest "
			 "at a fixed address (-static, no -pie)",
			 h->type,
			 h->type == ET_DYN ? "ET_DYN: position-independent"
					   : "not an executable");
		return -ENOEXEC;
	}
	if (h->machine != want) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: machine %u is not %s (%u) for an ELF%d file",
			 h->machine, f->is64 ? "EM_X86_64" : "EM_386", want,
			 f->is64 ? 64 : 32);
		return -ENOEXEC;
	}
	return 0;
}

/* The program header table: a sane count, our entry size, in the file. */
static int check_phtable(const struct elf_file *f, const struct elf_hdr *h,
			 const struct mvm_log *log)
{
	size_t phent = f->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);

	if (h->phnum == 0 || h->phnum > ELF_MAX_PHNUM) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: %u program headers (need 1 to %d)", h->phnum,
			 ELF_MAX_PHNUM);
		return -ENOEXEC;
	}
	if (h->phentsize != phent) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: program header size %u, expected %zu",
			 h->phentsize, phent);
		return -ENOEXEC;
	}
	/* phnum * phent is at most 64 * 56: only phoff can overflow. */
	if (h->phoff > f->len ||
	    f->len - h->phoff < (uint64_t)h->phnum * phent) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: program headers at 0x%llx+%u*%zu run past the "
			 "end of the %zu-byte file",
			 (unsigned long long)h->phoff, h->phnum, phent, f->len);
		return -ENOEXEC;
	}
	return 0;
}

static int parse_ehdr(struct elf_file *f, const struct mvm_log *log)
{
	struct elf_hdr h;
	int rc = read_ehdr(f, &h, log);

	if (!rc)
		rc = check_type(f, &h, log);
	if (!rc)
		rc = check_phtable(f, &h, log);
	if (rc)
		return rc;
	f->entry = h.entry;
	f->phoff = h.phoff;
	f->phnum = h.phnum;
	return 0;
}

/* Program header i, widened to struct elf_seg (bounds checked above). */
static void read_phdr(const struct elf_file *f, unsigned i, struct elf_seg *s)
{
	if (f->is64) {
		Elf64_Phdr p;
		memcpy(&p, f->img + f->phoff + i * sizeof(p), sizeof(p));
		*s = (struct elf_seg){p.p_type,	 p.p_flags, p.p_offset,
				      p.p_paddr, p.p_vaddr, p.p_filesz,
				      p.p_memsz};
	} else {
		Elf32_Phdr p;
		memcpy(&p, f->img + f->phoff + i * sizeof(p), sizeof(p));
		*s = (struct elf_seg){p.p_type,	 p.p_flags, p.p_offset,
				      p.p_paddr, p.p_vaddr, p.p_filesz,
				      p.p_memsz};
	}
}

/* One PT_LOAD: file range inside the file, memory range inside RAM. */
static int check_segment(const struct elf_file *f, unsigned i,
			 const struct elf_seg *s, const struct mvm_memmap *mem,
			 const struct mvm_log *log)
{
	if (s->offset > f->len || f->len - s->offset < s->filesz) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: segment %u file range 0x%llx+0x%llx runs past "
			 "the end of the %zu-byte file",
			 i, (unsigned long long)s->offset,
			 (unsigned long long)s->filesz, f->len);
		return -ENOEXEC;
	}
	if (s->filesz > s->memsz) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: segment %u has p_filesz 0x%llx larger than "
			 "p_memsz 0x%llx",
			 i, (unsigned long long)s->filesz,
			 (unsigned long long)s->memsz);
		return -ENOEXEC;
	}
	/* mvm_memmap_hva() refuses ranges that wrap or leave one slot. */
	if (s->memsz && !mvm_memmap_hva(mem, s->paddr, s->memsz)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: segment %u at guest-physical 0x%llx+0x%llx is "
			 "not inside guest RAM (one memory slot)",
			 i, (unsigned long long)s->paddr,
			 (unsigned long long)s->memsz);
		return -EFAULT;
	}
	return 0;
}

/* Two PT_LOADs claiming the same guest bytes would silently clobber each
 * other; the gABI requires them sorted and disjoint. */
static int check_overlaps(const struct elf_seg *seg, const unsigned *idx, int n,
			  const struct mvm_log *log)
{
	for (int a = 0; a < n; a++) {
		for (int b = a + 1; b < n; b++) {
			const struct elf_seg *x = &seg[a], *y = &seg[b];

			if (!x->memsz || !y->memsz)
				continue;
			/* both ends were checked not to wrap */
			if (x->paddr < y->paddr + y->memsz &&
			    y->paddr < x->paddr + x->memsz) {
				mvm_logf(log, MVM_LOG_ERROR,
					 "ELF: segments %u (0x%llx+0x%llx) and "
					 "%u (0x%llx+0x%llx) overlap",
					 idx[a], (unsigned long long)x->paddr,
					 (unsigned long long)x->memsz, idx[b],
					 (unsigned long long)y->paddr,
					 (unsigned long long)y->memsz);
				return -ENOEXEC;
			}
		}
	}
	return 0;
}

static int in_range(uint64_t a, uint64_t base, uint64_t len)
{
	return a >= base && a - base < len;
}

/* See the entry point policy at the top of the file. */
static int check_entry(const struct elf_file *f, const struct elf_seg *seg,
		       int n, const struct mvm_log *log)
{
	for (int i = 0; i < n; i++) {
		if (!(seg[i].flags & PF_X))
			continue;
		if (in_range(f->entry, seg[i].paddr, seg[i].memsz) ||
		    in_range(f->entry, seg[i].vaddr, seg[i].memsz))
			return 0;
	}
	mvm_logf(log, MVM_LOG_ERROR,
		 "ELF: entry point 0x%llx is not inside a loaded executable "
		 "(PF_X) segment",
		 (unsigned long long)f->entry);
	return -ENOEXEC;
}

/* Pass 1: collect and check every PT_LOAD into seg[]; returns the count
 * or -errno. Nothing is written. */
static int check_segments(const struct elf_file *f,
			  const struct mvm_memmap *mem, struct elf_seg *seg,
			  const struct mvm_log *log)
{
	unsigned idx[ELF_MAX_PHNUM];
	int n = 0, rc;

	for (unsigned i = 0; i < f->phnum; i++) {
		read_phdr(f, i, &seg[n]);
		if (seg[n].type != PT_LOAD)
			continue;
		rc = check_segment(f, i, &seg[n], mem, log);
		if (rc)
			return rc;
		idx[n++] = i;
	}
	if (n == 0) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "ELF: no PT_LOAD program header: nothing to load");
		return -ENOEXEC;
	}
	rc = check_overlaps(seg, idx, n, log);
	if (!rc)
		rc = check_entry(f, seg, n, log);
	return rc ? rc : n;
}

/* Pass 2: copy file bytes and zero the bss tail of each segment. */
static void load_segments(const struct elf_file *f,
			  const struct mvm_memmap *mem,
			  const struct elf_seg *seg, int n,
			  struct mvm_image_info *info)
{
	info->lo = UINT64_MAX;
	info->hi = 0;
	for (int i = 0; i < n; i++) {
		const struct elf_seg *s = &seg[i];
		uint8_t *hva;

		if (!s->memsz)
			continue;
		hva = mvm_memmap_hva(mem, s->paddr, s->memsz);
		memcpy(hva, f->img + s->offset, s->filesz);
		memset(hva + s->filesz, 0, s->memsz - s->filesz);
		mvm_memmap_mark_dirty(mem, s->paddr, s->memsz); /* logging */
		if (s->paddr < info->lo)
			info->lo = s->paddr;
		if (s->paddr + s->memsz > info->hi)
			info->hi = s->paddr + s->memsz;
	}
	if (info->lo > info->hi)
		info->lo = info->hi; /* only empty segments */
}

int mvm_load_elf(struct mvm_memmap *mem, const void *img, size_t len,
		 struct mvm_image_info *info, const struct mvm_log *log)
{
	struct elf_file f = {.img = img, .len = len};
	struct elf_seg seg[ELF_MAX_PHNUM];
	int n;

	if (!mem || !img || !info)
		return -EINVAL;
	n = check_ident(&f, log);
	if (!n)
		n = parse_ehdr(&f, log);
	if (!n)
		n = check_segments(&f, mem, seg, log);
	if (n < 0)
		return n;
	load_segments(&f, mem, seg, n, info);
	info->kind = f.is64 ? MVM_IMAGE_ELF64 : MVM_IMAGE_ELF32;
	info->entry = f.entry;
	info->nsegments = n;
	mvm_logf(log, MVM_LOG_DEBUG,
		 "ELF%d: %d segment(s) in [0x%llx, 0x%llx), entry 0x%llx",
		 f.is64 ? 64 : 32, n, (unsigned long long)info->lo,
		 (unsigned long long)info->hi, (unsigned long long)info->entry);
	return 0;
}
