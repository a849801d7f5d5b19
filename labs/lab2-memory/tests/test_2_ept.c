/*
 * test_2_ept.c - Lab 2, tasks 3-4: the EPT builder and the EPT walk
 * (ept.c). The builder is judged by reading its tables here, entry by
 * entry, without the student's walk; the walk is judged against the
 * slot table.
 */
#include <errno.h>
#include <string.h>

#include "lab2.h"

/* The leaf the EPT at e has for gpa, read by this test (SDM Vol. 3C
 * 29.3.2): *size gets its page size; 0 when there is none. */
static uint64_t leaf_of(const struct mvm_ept *e, uint64_t gpa, uint64_t *size)
{
	uint64_t t = e->eptp & MVM_EPT_ADDR, v = 0;
	int lvl;

	for (lvl = 4; lvl > 0; lvl--) {
		uint64_t at = t + 8 * ((gpa >> (3 + 9 * lvl)) & 511);

		GRADE_EXPECT((at - (uint64_t)(uintptr_t)e->pool) <
				     e->ntables * 4096,
			     "EPT level %d entry for GPA 0x%llx is outside the "
			     "pool of tables",
			     lvl, (unsigned long long)gpa);
		memcpy(&v, (void *)(uintptr_t)at, 8);
		if (!(v & 7))
			return 0;
		*size = 1ULL << (3 + 9 * lvl);
		if (lvl == 1 || (v & MVM_EPT_PS))
			return v;
		t = v & MVM_EPT_ADDR;
	}
	return 0;
}

static void ept_build_maps_each_page_with_the_largest_leaf(void **state)
{
	static const uint64_t max[3] = {MVM_PAGE_4K, MVM_PAGE_2M, MVM_PAGE_1G};
	struct lab2_ram r;
	int i, k;

	(void)state;
	lab2_ram_init(&r, LAB2_GIB);
	for (i = 0; i < 3; i++) {
		struct mvm_ept *e;

		GRADE_EXPECT_EQ(mvm_ept_create(&r.mem, max[i], &e), 0,
				"mvm_ept_create of 1 GiB of RAM");
		for (k = 0; k < 20; k++) {
			uint64_t gpa = lab2_rand() % LAB2_GIB, size = 0;
			uint64_t v = leaf_of(e, gpa, &size);

			GRADE_EXPECT(v != 0,
				     "GPA 0x%llx (max leaf %llu KiB) "
				     "has no EPT leaf",
				     (unsigned long long)gpa,
				     (unsigned long long)max[i] >> 10);
			GRADE_EXPECT_EQ(size, max[i],
					"leaf size for 1 GiB of RAM at a 1 GiB-"
					"aligned host address");
			GRADE_EXPECT_EQ((v & MVM_EPT_ADDR) + (gpa & (size - 1)),
					(uintptr_t)r.ram + (gpa & ~(size - 1)) +
						(gpa & (size - 1)),
					"host address in the leaf + offset");
			GRADE_EXPECT_EQ(v & 7, 7, "rights of a RAM leaf (RWX)");
		}
		mvm_ept_destroy(e);
	}
	lab2_ram_free(&r);
}

/* A slot whose host address is only 4 KiB aligned gets 4 KiB leaves
 * (else the 2 MiB leaf would map host memory of another slot); a ROM
 * slot has no W. */
static void ept_build_respects_host_alignment_and_rom(void **state)
{
	struct lab2_ram r;
	struct mvm_memmap m = {0};
	struct mvm_ept *e;
	uint64_t shift = 4096 * (1 + lab2_rand() % 500), size = 0, v;

	(void)state;
	lab2_ram_init(&r, 64ULL << 20);
	GRADE_EXPECT(mvm_memmap_add(&m, 0, 4ULL << 20, r.ram + shift, 0) >= 0,
		     "memmap_add");
	GRADE_EXPECT(mvm_memmap_add(&m, 16ULL << 20, 2ULL << 20,
				    r.ram + (32ULL << 20),
				    MVM_MEM_READONLY) >= 0,
		     "memmap_add");
	GRADE_EXPECT_EQ(mvm_ept_create(&m, MVM_PAGE_1G, &e), 0,
			"mvm_ept_create");
	v = leaf_of(e, 0x3000, &size);
	GRADE_EXPECT_EQ(size, 4096,
			"leaf size where the host address is only 4 KiB "
			"aligned");
	GRADE_EXPECT_EQ(v & MVM_EPT_ADDR, (uintptr_t)r.ram + shift + 0x3000,
			"host address of GPA 0x3000");
	v = leaf_of(e, (16ULL << 20) + 0x5000, &size);
	GRADE_EXPECT_EQ(size, MVM_PAGE_2M, "leaf size of the 2 MiB ROM slot");
	GRADE_EXPECT_EQ(v & 7, MVM_EPT_R | MVM_EPT_X,
			"rights of a read-only slot's leaf (R and X, no W)");
	GRADE_EXPECT(leaf_of(e, 8ULL << 20, &size) == 0,
		     "GPA 8 MiB is in no slot, but the EPT maps it");
	mvm_ept_destroy(e);
	lab2_ram_free(&r);
}

static void ept_walk_gives_the_slots_host_address(void **state)
{
	static const uint64_t max[3] = {MVM_PAGE_4K, MVM_PAGE_2M, MVM_PAGE_1G};
	struct lab2_ram r;
	struct mvm_ept_walk w;
	int i, k;

	(void)state;
	lab2_ram_init(&r, LAB2_GIB);
	for (i = 0; i < 3; i++) {
		struct mvm_ept *e;

		GRADE_EXPECT_EQ(mvm_ept_create(&r.mem, max[i], &e), 0,
				"mvm_ept_create");
		for (k = 0; k < 200; k++) {
			uint64_t gpa = lab2_rand() % LAB2_GIB;

			GRADE_EXPECT(mvm_ept_translate(e, gpa, MVM_PT_WRITE,
						       &w) == 0,
				     "GPA 0x%llx: the EPT walk failed (fault "
				     "%d)",
				     (unsigned long long)gpa, w.fault);
			GRADE_EXPECT_EQ(w.hpa, (uintptr_t)r.ram + gpa,
					"host address from the EPT walk");
			GRADE_EXPECT_EQ(w.page_size, max[i], "page size");
			GRADE_EXPECT_EQ(w.nlevels, mvm_page_levels(max[i]),
					"EPT levels read");
		}
		mvm_ept_destroy(e);
	}
	lab2_ram_free(&r);
}

/* What the walk refuses: beyond the slots, a write to ROM, a write-only
 * entry (misconfiguration). */
static void ept_walk_refuses_what_the_cpu_refuses(void **state)
{
	struct lab2_ram r;
	struct mvm_memmap m = {0};
	struct mvm_ept_walk w;
	struct mvm_ept *e;
	uint64_t *pd;

	(void)state;
	lab2_ram_init(&r, 64ULL << 20);
	GRADE_EXPECT(mvm_memmap_add(&m, 0, 4ULL << 20, r.ram, 0) >= 0, "add");
	GRADE_EXPECT(mvm_memmap_add(&m, 8ULL << 20, 2ULL << 20,
				    r.ram + (8ULL << 20),
				    MVM_MEM_READONLY) >= 0,
		     "add");
	GRADE_EXPECT_EQ(mvm_ept_create(&m, MVM_PAGE_2M, &e), 0, "create");
	GRADE_EXPECT_EQ(mvm_ept_translate(e, 6ULL << 20, 0, &w), -EFAULT,
			"read of a GPA outside every slot");
	GRADE_EXPECT_EQ(w.fault, MVM_EPT_VIOLATION, "its fault");
	GRADE_EXPECT_EQ(mvm_ept_translate(e, (8ULL << 20) + 8, 0, &w), 0,
			"read of the ROM slot");
	GRADE_EXPECT_EQ(
		mvm_ept_translate(e, (8ULL << 20) + 8, MVM_PT_WRITE, &w),
		-EFAULT, "write to the ROM slot");
	GRADE_EXPECT_EQ(w.fault, MVM_EPT_VIOLATION, "its fault");
	pd = (uint64_t *)(uintptr_t)(e->pool + 2 * 4096);
	pd[0] = (pd[0] & ~MVM_EPT_R) | MVM_EPT_W;
	GRADE_EXPECT_EQ(mvm_ept_translate(e, 0x1000, 0, &w), -EFAULT,
			"read through a write-only PDE");
	GRADE_EXPECT_EQ(w.fault, MVM_EPT_MISCONFIG, "its fault");
	mvm_ept_destroy(e);
	lab2_ram_free(&r);
}

static const struct grade_test tests[] = {
	GRADE_TEST(ept_build_maps_each_page_with_the_largest_leaf, 6,
		   "task 3: map_slot() in ept.c"),
	GRADE_TEST(ept_build_respects_host_alignment_and_rom, 4,
		   "task 3: map_slot()"),
	GRADE_TEST(ept_walk_gives_the_slots_host_address, 6,
		   "task 4: the walk in mvm_ept_translate(), ept.c"),
	GRADE_TEST(ept_walk_refuses_what_the_cpu_refuses, 4,
		   "task 4: mvm_ept_translate()"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
