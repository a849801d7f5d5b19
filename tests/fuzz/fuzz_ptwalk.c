/*
 * fuzz_ptwalk.c - the page-table walker over tables the guest wrote.
 *
 * The debugger walks the guest's page tables (`pt`, `translate`, the
 * page-table pane) and the guest owns every byte of them: entries may
 * point anywhere, at themselves, outside RAM, with reserved bits set.
 * Input: one byte choosing the paging mode (bits 0-1: none, 32-bit, PAE,
 * 4-level; bit 2 EFER.NXE; bit 3 CR4.PSE; bit 4 CR4.LA57; bit 5 also
 * list the mapped ranges), 8 bytes of CR3 (its low 16 bits used, within
 * RAM), 8 bytes of the virtual address, then the tables: copied to the
 * start of 64 KiB of RAM, the rest of RAM a copy of the same bytes so
 * entries pointing further up find tables too.
 */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "hostram.h"

#define RAM_SIZE (64u << 10)

static struct hostram *ram;

/* Stop listing after a few ranges: the walk itself is what is tested. */
static int count_range(void *ctx, const struct mvm_pt_range *r)
{
	unsigned *n = ctx;

	if (r->size == 0)
		abort(); /* a run always maps something */
	return ++*n >= 64;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint64_t cr0 = MVM_CR0_PE, cr4 = 0, efer = 0, cr3, gva;
	unsigned mode, n = 0;
	struct mvm_pt_walk w;
	int rc;

	if (!ram && !(ram = hostram_new(RAM_SIZE, 0)))
		abort();
	mode = fuzz_u8(&in);
	cr3 = fuzz_u64(&in) & 0xffff;
	gva = fuzz_u64(&in);
	if ((mode & 3) != 0)
		cr0 |= MVM_CR0_PG;
	if ((mode & 3) >= 2)
		cr4 |= MVM_CR4_PAE;
	if ((mode & 3) == 3)
		efer |= MVM_EFER_LME | MVM_EFER_LMA;
	if (mode & 4)
		efer |= MVM_EFER_NXE;
	if (mode & 8)
		cr4 |= MVM_CR4_PSE;
	if (mode & 16)
		cr4 |= MVM_CR4_LA57;
	memset(ram->ram, 0, RAM_SIZE);
	for (size_t off = 0; in.left && off < RAM_SIZE; off += in.left)
		memcpy(ram->ram + off, in.p,
		       in.left < RAM_SIZE - off ? in.left : RAM_SIZE - off);

	rc = mvm_pt_walk(&ram->mem, cr0, cr3, cr4, efer, gva, &w);
	if (rc != 0 && rc != -EFAULT)
		abort();
	if (rc == 0 && w.fault != MVM_PT_OK && w.fault != MVM_PT_NO_PAGING)
		abort();
	if (w.nlevels < 0 || w.nlevels > 5 || !memchr(w.why, 0, sizeof(w.why)))
		abort();
	(void)mvm_pt_fault_name(w.fault);
	if (mode & 32)
		mvm_pt_for_each_range_efer(&ram->mem, cr3, efer, count_range,
					   &n);
	return 0;
}
