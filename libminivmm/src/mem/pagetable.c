/*
 * pagetable.c - building identity-mapped x86-64 page tables.
 *
 * Long mode cannot be entered without paging (Intel SDM Vol. 3A 9.8.5),
 * so before a VMM starts a 64-bit guest it must put page tables in guest
 * memory. The simplest useful tables map every virtual address to the
 * same physical address ("identity map"): the guest then sees its memory
 * exactly where the loader put it.
 *
 * The builder lays the tables out in one contiguous area, level by level:
 *
 *   area -> PML4 (1 table)
 *           PDPTs (one per 512 GiB mapped)
 *           PDs   (one per 1 GiB mapped)
 *           PTs   (one per 2 MiB mapped; only with 4 KiB pages)
 *
 * Each table is one 4 KiB page of 512 eight-byte entries (SDM Vol. 3A
 * 4.5). A non-leaf entry holds the physical address of the next table;
 * a leaf entry holds the address of the page. With 2 MiB pages the PD
 * entries are leaves (PS = 1) and no page tables are needed at all.
 *
 * Lab 3 (page tables) reads this file; the walker is in ptwalk.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define PAGE_4K	      4096ULL
#define PAGE_2M	      (2ULL << 20)
#define TABLE_ENTRIES 512ULL
/* One PML4 entry covers 512 GiB; we only map the lower canonical half
 * (PML4 entries 0..255, SDM Vol. 3A 4.5: bits 63:48 copy bit 47). */
#define MAP_LIMIT     (1ULL << 47)

/* Entries of a table needed to cover `size` bytes when each entry maps
 * `unit` bytes: a partial unit still needs a whole entry. */
static uint64_t div_up(uint64_t size, uint64_t unit)
{
	return (size + unit - 1) / unit;
}

long mvm_pt_tables_needed(uint64_t map_size, uint64_t page_size)
{
	uint64_t pts;

	if (page_size != PAGE_4K && page_size != PAGE_2M)
		return -EINVAL;
	if (map_size == 0 || map_size % page_size || map_size > MAP_LIMIT)
		return -EINVAL;
	/* A PT maps 512 * 4 KiB = 2 MiB, a PD 1 GiB, a PDPT 512 GiB. */
	pts = page_size == PAGE_4K ? div_up(map_size, PAGE_2M) : 0;
	return (long)(1 + div_up(map_size, 512ULL << 30) +
		      div_up(map_size, 1ULL << 30) + pts);
}

/* Host pointer to the 4 KiB table at guest-physical `gpa`. */
static uint64_t *table_at(struct mvm_memmap *mem, uint64_t gpa)
{
	return mvm_memmap_hva(mem, gpa, PAGE_4K);
}

/*
 * Fill `count` entries of consecutive tables starting at `tables`, entry
 * i pointing to `target + i * step` with `flags`. Because the tables of
 * one level are contiguous, entry i of the level is simply table i / 512,
 * slot i % 512.
 */
static int fill_level(struct mvm_memmap *mem, uint64_t tables, uint64_t count,
		      uint64_t target, uint64_t step, uint64_t flags)
{
	uint64_t i;

	for (i = 0; i < count; i++) {
		uint64_t *t =
			table_at(mem, tables + (i / TABLE_ENTRIES) * PAGE_4K);

		if (!t)
			return -EFAULT;
		t[i % TABLE_ENTRIES] =
			((target + i * step) & MVM_PTE_ADDR) | flags;
	}
	return 0;
}

/* Zero `n` tables from `area`; every one must be guest memory. */
static int zero_tables(struct mvm_memmap *mem, uint64_t area, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++) {
		uint64_t *t = table_at(mem, area + i * PAGE_4K);

		if (!t)
			return -EFAULT;
		memset(t, 0, PAGE_4K);
	}
	return 0;
}

int mvm_pt_build_identity(struct mvm_memmap *mem, uint64_t area,
			  uint64_t area_end, uint64_t map_size,
			  uint64_t page_size, uint64_t *cr3)
{
	/* Non-leaf entries: present and writable. Supervisor only (US = 0):
	 * user pages are a lab exercise. SDM Vol. 3A Table 4-14 .. 4-20. */
	const uint64_t dir = MVM_PTE_P | MVM_PTE_RW;
	long need = mvm_pt_tables_needed(map_size, page_size);
	uint64_t npdpt, npd, pdpt, pd, pt;
	int rc;

	if (!mem || !cr3 || need < 0 || area % PAGE_4K || area_end < area)
		return -EINVAL;
	if ((uint64_t)need > (area_end - area) / PAGE_4K)
		return -ENOSPC;
	npdpt = div_up(map_size, 512ULL << 30);
	npd = div_up(map_size, 1ULL << 30);
	pdpt = area + PAGE_4K;
	pd = pdpt + npdpt * PAGE_4K;
	pt = pd + npd * PAGE_4K;
	rc = zero_tables(mem, area, (uint64_t)need);
	if (rc == 0)
		rc = fill_level(mem, area, npdpt, pdpt, PAGE_4K, dir);
	if (rc == 0)
		rc = fill_level(mem, pdpt, npd, pd, PAGE_4K, dir);
	if (rc == 0 && page_size == PAGE_2M)
		rc = fill_level(mem, pd, map_size / PAGE_2M, 0, PAGE_2M,
				dir | MVM_PTE_PS);
	if (rc == 0 && page_size == PAGE_4K) {
		rc = fill_level(mem, pd, div_up(map_size, PAGE_2M), pt, PAGE_4K,
				dir);
		if (rc == 0)
			rc = fill_level(mem, pt, map_size / PAGE_4K, 0, PAGE_4K,
					dir);
	}
	/* The tables were written through host pointers: record them for
	 * dirty logging (memory.h), even after a failure part-way. */
	mvm_memmap_mark_dirty(mem, area, (uint64_t)need * PAGE_4K);
	if (rc == 0)
		*cr3 = area;
	return rc;
}

/*
 * Add identity 2 MiB leaves for [base, base + size) to tables built by
 * mvm_pt_build_identity() at cr3, taking any page directory still
 * missing from [*next, area_end) (*next moves past what was used). A PD
 * entry already present (a RAM range mapped with 4 KiB pages) is kept.
 * This is how a 4 KiB-page map of RAM still reaches the MMIO window: its
 * devices and APICs need no fine pages, and 4 GiB of 4 KiB pages would
 * take 2048 page tables.
 */
int mvm_pt_map_2m(struct mvm_memmap *mem, uint64_t cr3, uint64_t *next,
		  uint64_t area_end, uint64_t base, uint64_t size)
{
	const uint64_t dir = MVM_PTE_P | MVM_PTE_RW;
	uint64_t *pml4 = table_at(mem, cr3), *pdpt, *pd, a;

	if (!pml4 || base % PAGE_2M || size % PAGE_2M ||
	    base + size > MAP_LIMIT || base + size < base)
		return -EINVAL;
	for (a = base; a < base + size; a += PAGE_2M) {
		if (!(pml4[a >> 39 & 511] & MVM_PTE_P))
			return -EINVAL; /* beyond what the builder mapped */
		pdpt = table_at(mem, pml4[a >> 39 & 511] & MVM_PTE_ADDR);
		if (!pdpt)
			return -EFAULT;
		if (!(pdpt[a >> 30 & 511] & MVM_PTE_P)) {
			if (*next + PAGE_4K > area_end)
				return -ENOSPC;
			if (zero_tables(mem, *next, 1))
				return -EFAULT;
			pdpt[a >> 30 & 511] = *next | dir;
			mvm_memmap_mark_dirty(mem, *next, PAGE_4K);
			*next += PAGE_4K;
		}
		pd = table_at(mem, pdpt[a >> 30 & 511] & MVM_PTE_ADDR);
		if (!pd)
			return -EFAULT;
		if (!(pd[a >> 21 & 511] & MVM_PTE_P))
			pd[a >> 21 & 511] = a | dir | MVM_PTE_PS;
	}
	mvm_memmap_mark_dirty(mem, cr3, PAGE_4K);
	return 0;
}

/* Names of entry bits 0..8; bit 7 is PS in a PDPTE/PDE but PAT in a PTE
 * (SDM Vol. 3A Table 4-20), and reserved in a PML4E. */
static const char *const bit_names[9] = {
	"P", "RW", "US", "PWT", "PCD", "A", "D", "PS", "G",
};

int mvm_pte_flags_str(uint64_t entry, int level, char *buf, size_t len)
{
	size_t off = 0;
	int i, n;

	if (!buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	for (i = 0; i < 10; i++) {
		const char *name = i < 9 ? bit_names[i] : "NX";
		uint64_t bit = i < 9 ? 1ULL << i : MVM_PTE_NX;

		if (!(entry & bit))
			continue;
		if (i == 7 && level == 1)
			name = "PAT";
		n = snprintf(buf + off, len - off, "%s%s", off ? " " : "",
			     name);
		if (n < 0)
			return -EINVAL;
		off += (size_t)n;
		if (off >= len)
			return (int)off; /* truncated, like snprintf */
	}
	return (int)off;
}
