/*
 * fuzz_ptwalk.c - the page-table walker over tables the guest wrote.
 *
 * The debugger walks the guest's page tables (`pt`, `translate`, the
 * page-table pane) and the guest owns every byte of them: entries may
 * point anywhere, at themselves, outside RAM, with reserved bits set.
 * Input: one byte choosing the paging mode (bits 0-1: none, 32-bit, PAE,
 * 4-level; bit 2 EFER.NXE; bit 3 CR4.PSE; bit 4 CR4.LA57; bit 5 also
 * list the mapped ranges; bits 6-7 the access mvm_pt_access() checks:
 * read, user write, fetch, write with A/D updates), 8 bytes of CR3 (its low 16 bits used, within
 * RAM), 8 bytes of the virtual address, then the tables: copied to the
 * start of 64 KiB of RAM, the rest of RAM a copy of the same bytes so
 * entries pointing further up find tables too.
 *
 * With 4-level paging the 2D walk (ept.h) runs on the same tables over
 * an EPT model of the RAM, and must agree with the one-dimensional walk:
 * when it succeeds, with the same GPA; when the walk finds a GPA in RAM,
 * it must succeed too; never more than 24 references.
 */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "hostram.h"

#define RAM_SIZE (64u << 10)

static struct hostram *ram;
static struct mvm_ept *ept;

static const unsigned access_of[4] = {0, MVM_PT_USER | MVM_PT_WRITE,
				      MVM_PT_FETCH,
				      MVM_PT_WRITE | MVM_PT_SET_AD};

/* The 2D walk against the 1D walk w (result rc) on the same tables. */
static void check_2d(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
		     uint64_t gva, const struct mvm_pt_walk *w, int rc)
{
	struct mvm_walk2d w2;
	int rc2;

	if (!ept && mvm_ept_create(&ram->mem, MVM_PAGE_4K, &ept) < 0)
		abort();
	rc2 = mvm_walk2d(&ram->mem, ept, cr0, cr3, cr4, efer, gva, 0, &w2);
	if (w2.nrefs < 0 || w2.nrefs > MVM_WALK2D_MAX_REFS)
		abort();
	if (rc2 == 0 && (rc != 0 || w2.gpa != w->gpa))
		abort();
	if (rc == 0 && w->gpa < RAM_SIZE && rc2 != 0)
		abort();
}

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
	if ((mode & 3) == 3 && !(mode & 16))
		check_2d(cr0, cr3, cr4, efer, gva, &w, rc);
	rc = mvm_pt_access(&ram->mem, cr0, cr3, cr4, efer, gva,
			   access_of[mode >> 6], &w);
	if ((rc != 0 && rc != -EFAULT) ||
	    (w.vector != 0 && w.vector != MVM_VEC_GP && w.vector != MVM_VEC_PF))
		abort();
	if (mode & 32)
		mvm_pt_for_each_range_efer(&ram->mem, cr3, efer, count_range,
					   &n);
	return 0;
}
