/*
 * test_3_walk2d.c - Lab 2, tasks 5-6: the two-dimensional walk
 * (walk2d.c) and what a TLB miss costs (tlb.c). The reference counts are
 * checked against the closed formula (g + 1)(e + 1) - 1 for every pair
 * of page sizes, and each recorded reference against the memory it
 * claims to have read; the measurement's counts against what this test
 * computes for its own random access patterns.
 */
#include <errno.h>
#include <string.h>

#include "lab2.h"

static const uint64_t sizes[3] = {MVM_PAGE_4K, MVM_PAGE_2M, MVM_PAGE_1G};
static const char *const names[3] = {"4 KiB", "2 MiB", "1 GiB"};

static void walk2d_count_is_the_formula_for_every_page_size(void **state)
{
	struct lab2_ram r;
	int gi, ei;

	(void)state;
	lab2_ram_init(&r, LAB2_GIB);
	for (gi = 0; gi < 3; gi++)
		for (ei = 0; ei < 3; ei++) {
			uint64_t page = sizes[gi], gva, gpa, off;
			int g = mvm_page_levels(page);
			int e = mvm_page_levels(sizes[ei]);
			struct mvm_walk2d w;
			struct mvm_ept *ept;

			gva = ((lab2_rand() % 512) << 30) & ~(page - 1);
			gpa = page == MVM_PAGE_1G
				      ? 0
				      : (4 + lab2_rand() % 400) * MVM_PAGE_2M;
			off = lab2_rand() & (page - 1);
			memset(r.ram + LAB2_PML4, 0, 4 * 4096);
			lab2_map(&r, gva, gpa, page, MVM_PTE_RW);
			GRADE_EXPECT_EQ(mvm_ept_create(&r.mem, sizes[ei], &ept),
					0, "mvm_ept_create");
			GRADE_EXPECT(mvm_walk2d(&r.mem, ept, LAB2_CR0,
						LAB2_PML4, LAB2_CR4, LAB2_EFER,
						gva + off, 0, &w) == 0,
				     "guest %llu KiB / EPT %llu KiB pages: the "
				     "2D walk of GVA 0x%llx failed",
				     (unsigned long long)page >> 10,
				     (unsigned long long)sizes[ei] >> 10,
				     (unsigned long long)(gva + off));
			grade_note("guest %s x EPT %s: %2d refs", names[gi],
				   names[ei], w.nrefs);
			GRADE_EXPECT_EQ(w.nrefs, (g + 1) * (e + 1) - 1,
					"references of the 2D walk");
			GRADE_EXPECT_EQ(w.gpa, gpa + off, "the GPA");
			GRADE_EXPECT_EQ(w.hpa, (uintptr_t)r.ram + gpa + off,
					"the host address");
			GRADE_EXPECT_EQ(w.guest_page, page, "w.guest_page");
			GRADE_EXPECT_EQ(w.ept_page, sizes[ei], "w.ept_page");
			mvm_ept_destroy(ept);
		}
	lab2_ram_free(&r);
}

/* Each reference is where the grid says and read what is there. */
static void walk2d_records_every_reference_in_grid_order(void **state)
{
	struct lab2_ram r;
	struct mvm_walk2d w;
	struct mvm_ept *ept;
	uint64_t gva = (lab2_rand() % (1ULL << 39)) & ~0xfffULL;
	int i;

	(void)state;
	lab2_ram_init(&r, LAB2_GIB);
	lab2_map(&r, gva, 0x700000, MVM_PAGE_4K, MVM_PTE_RW);
	GRADE_EXPECT_EQ(mvm_ept_create(&r.mem, MVM_PAGE_4K, &ept), 0,
			"mvm_ept_create");
	GRADE_EXPECT_EQ(mvm_walk2d(&r.mem, ept, LAB2_CR0, LAB2_PML4, LAB2_CR4,
				   LAB2_EFER, gva | 0x18, MVM_PT_WRITE, &w),
			0, "2D walk");
	GRADE_EXPECT_EQ(w.nrefs, 24, "references with 4 KiB pages twice");
	for (i = 0; i < 24; i++) {
		const struct mvm_ref *f = &w.refs[i];
		int row = i < 20 ? 4 - i / 5 : 0, col = 4 - i % 5;
		uint64_t v;

		GRADE_EXPECT(f->row == row && f->col == col,
			     "reference %d: expected grid row %d column %d, "
			     "got row %d column %d",
			     i + 1, row, col, f->row, f->col);
		memcpy(&v, (void *)(uintptr_t)f->addr, 8);
		GRADE_EXPECT_EQ(f->value, v,
				"value recorded = what is at its address");
		if (col == 0) {
			GRADE_EXPECT_EQ(f->addr, (uintptr_t)r.ram + f->gpa,
					"host address of a guest entry");
			GRADE_EXPECT_EQ(
				f->gpa,
				LAB2_PML4 + 0x1000 * (uint64_t)(4 - row) +
					8 * ((gva >> (3 + 9 * row)) & 511),
				"GPA of the guest entry of this row");
		}
	}
	GRADE_EXPECT_EQ(w.refs[23].gpa, 0x700018, "GPA the last row walks");
	mvm_ept_destroy(ept);
	lab2_ram_free(&r);
}

/* --- task 6: measurement ------------------------------------------------ */

static struct mvm_tlb_stats pattern(struct mvm_tlb_config c, uint64_t pages,
				    uint64_t stride, int passes, int random)
{
	struct mvm_tlb_stats s;
	struct mvm_tlb *t;
	uint64_t a, x = lab2_rand() | 1;
	int p;

	GRADE_EXPECT_EQ(mvm_tlb_create(&c, &t), 0, "mvm_tlb_create");
	for (p = 0; p < passes; p++)
		for (a = 0; a < pages * 4096; a += stride) {
			if (random) { /* xorshift over the same range */
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				mvm_tlb_access(t, x % (pages * 4096));
			} else {
				mvm_tlb_access(t, a);
			}
		}
	mvm_tlb_get_stats(t, &s);
	mvm_tlb_destroy(t);
	return s;
}

static void tlb_miss_costs_what_the_grid_says(void **state)
{
	unsigned n = 16 + (unsigned)(lab2_rand() % 48);
	uint64_t pages = n + 1 + lab2_rand() % 64;
	struct mvm_tlb_config c = {n, 0, MVM_PAGE_4K, MVM_PAGE_4K};
	struct mvm_tlb_stats s;
	int gi, ei;

	(void)state;
	grade_note("TLB of %u entries, %llu pages", n,
		   (unsigned long long)pages);
	s = pattern(c, pages, 64, 1, 0);
	GRADE_EXPECT_EQ(s.misses, pages, "sequential: misses (one per page)");
	GRADE_EXPECT_EQ(s.refs, pages * 24, "sequential: references, no PSC");
	c.psc_entries = 8;
	s = pattern(c, pages, 64, 1, 0);
	GRADE_EXPECT_EQ(s.refs, 24 + (pages - 1) * 9,
			"sequential with the PDE cached: 24 for the first "
			"miss, 2 * 5 - 1 for each other");
	c.psc_entries = 0;
	s = pattern(c, pages, 4096, 3, 0);
	GRADE_EXPECT_EQ(s.hits, 0,
			"a loop over more pages than the LRU TLB "
			"holds: hits");
	for (gi = 0; gi < 3; gi++)
		for (ei = 0; ei < 3; ei++) {
			int g = mvm_page_levels(sizes[gi]);
			int e = mvm_page_levels(sizes[ei]);
			struct mvm_tlb_stats q, rnd;

			c = (struct mvm_tlb_config){n, 0, sizes[gi], sizes[ei]};
			q = pattern(c, pages, 4096, 3, 0);
			rnd = pattern(c, 1 << 18, 1 << 12, 1, 1);
			GRADE_EXPECT_EQ(
				q.refs,
				q.misses * (uint64_t)((g + 1) * (e + 1) - 1),
				"references = misses x the 2D formula");
			grade_note(
				"guest %s x EPT %s: strided "
				"hit rate %5.1f%%, random over 1 GiB %5.1f%%,"
				" %.2f refs/access",
				names[gi], names[ei],
				100.0 * (double)q.hits / (double)q.accesses,
				100.0 * (double)rnd.hits / (double)rnd.accesses,
				(double)rnd.refs / (double)rnd.accesses);
		}
}

static const struct grade_test tests[] = {
	GRADE_TEST(walk2d_count_is_the_formula_for_every_page_size, 8,
		   "task 5: mvm_walk2d() in walk2d.c"),
	GRADE_TEST(walk2d_records_every_reference_in_grid_order, 6,
		   "task 5: mvm_walk2d()"),
	GRADE_TEST(tlb_miss_costs_what_the_grid_says, 10,
		   "task 6: miss() in tlb.c"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
