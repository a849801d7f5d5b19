/*
 * lab2_util.c - helpers of Lab 2's grader tests (see lab2.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lab2.h"

void lab2_ram_init(struct lab2_ram *r, uint64_t size)
{
	uintptr_t a;

	memset(r, 0, sizeof(*r));
	r->map = mmap(NULL, 2 * LAB2_GIB, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	GRADE_EXPECT(r->map != MAP_FAILED, "cannot reserve 2 GiB of host "
					   "address space for guest RAM");
	a = ((uintptr_t)r->map + LAB2_GIB - 1) & ~(uintptr_t)(LAB2_GIB - 1);
	r->ram = (uint8_t *)a;
	r->size = size;
	GRADE_EXPECT(mvm_memmap_add(&r->mem, 0, size, r->ram, 0) == 0,
		     "mvm_memmap_add of the test's RAM failed");
}

void lab2_ram_free(struct lab2_ram *r)
{
	if (r->map && r->map != MAP_FAILED)
		munmap(r->map, 2 * LAB2_GIB);
	r->map = NULL;
}

void lab2_set(struct lab2_ram *r, uint64_t table, unsigned i, uint64_t v)
{
	memcpy(r->ram + table + 8 * (uint64_t)i, &v, 8);
}

uint64_t lab2_get(struct lab2_ram *r, uint64_t table, unsigned i)
{
	uint64_t v;

	memcpy(&v, r->ram + table + 8 * (uint64_t)i, 8);
	return v;
}

void lab2_map(struct lab2_ram *r, uint64_t gva, uint64_t gpa, uint64_t page,
	      uint64_t flags)
{
	unsigned i3 = (gva >> 30) & 511, i2 = (gva >> 21) & 511;

	flags |= MVM_PTE_P;
	lab2_set(r, LAB2_PML4, 0, LAB2_PDPT | flags);
	if (page == MVM_PAGE_1G) {
		lab2_set(r, LAB2_PDPT, i3, gpa | flags | MVM_PTE_PS);
		return;
	}
	lab2_set(r, LAB2_PDPT, i3, LAB2_PD | flags);
	if (page == MVM_PAGE_2M) {
		lab2_set(r, LAB2_PD, i2, gpa | flags | MVM_PTE_PS);
		return;
	}
	lab2_set(r, LAB2_PD, i2, LAB2_PT | flags);
	lab2_set(r, LAB2_PT, (gva >> 12) & 511, gpa | flags);
}

uint64_t lab2_rand(void)
{
	static int seeded;

	if (!seeded) {
		srand((unsigned)time(NULL) ^ (unsigned)getpid());
		seeded = 1;
	}
	return (uint64_t)rand() << 31 ^ (uint64_t)rand();
}
