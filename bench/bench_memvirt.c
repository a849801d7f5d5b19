/*
 * bench_memvirt.c - what the second dimension costs, on the library's
 * models (ept.h): references per translation and TLB hit rates for
 * 4 KiB / 2 MiB / 1 GiB pages on the guest side and the EPT side.
 *
 * For each pair of page sizes:
 *
 *   refs/walk    memory references of one 2D walk (mvm_walk2d on real
 *                tables: guest tables in 1 GiB of RAM, the EPT model
 *                over its slot), = (g + 1)(e + 1) - 1 (Intel SDM Vol.
 *                3C 29.3)
 *   ns/walk      host time of one model walk (the model's cost, not the
 *                MMU's: the MMU does it in hardware)
 *   seq / stride / random
 *                hit rate of a 64-entry TLB with a 32-entry-per-level
 *                paging-structure cache (mvm_tlb_*) and references per
 *                access: 64-byte steps over 64 MiB; 4 KiB steps over
 *                64 MiB three times; random addresses in 1 GiB
 *
 * The RAM is reserved with MAP_NORESERVE at a 1 GiB-aligned host
 * address (so every EPT leaf size fits); only the tables are written.
 * Figures, not pass/fail.
 *
 *   make bench     or   build/bench/bench_memvirt
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "minivmm/minivmm.h"

#define GIB   (1ULL << 30)
#define MIB   (1ULL << 20)
#define CR0   (MVM_CR0_PG | MVM_CR0_PE)
#define CR4   MVM_CR4_PAE
#define EFER  (MVM_EFER_LMA | MVM_EFER_LME | MVM_EFER_NXE)
#define PML4  0x10000ULL
#define WALKS 200000

static const uint64_t sizes[3] = {MVM_PAGE_4K, MVM_PAGE_2M, MVM_PAGE_1G};
static const char *const names[3] = {"4 KiB", "2 MiB", "1 GiB"};

static void set(uint8_t *ram, uint64_t table, unsigned i, uint64_t v)
{
	memcpy(ram + table + 8ULL * i, &v, 8);
}

/* Guest tables at PML4.. mapping GVA 0..1 GiB to GPA 0..1 GiB with
 * pages of `page` bytes. */
static void guest_tables(uint8_t *ram, uint64_t page)
{
	const uint64_t f = MVM_PTE_P | MVM_PTE_RW, pdpt = PML4 + 0x1000;
	const uint64_t pd = pdpt + 0x1000, pt = pd + 0x1000;
	unsigned i;

	memset(ram + PML4, 0, 0x203000);
	set(ram, PML4, 0, pdpt | f);
	if (page == MVM_PAGE_1G) {
		set(ram, pdpt, 0, 0 | f | MVM_PTE_PS);
		return;
	}
	set(ram, pdpt, 0, pd | f);
	for (i = 0; i < 512; i++)
		set(ram, pd, i,
		    page == MVM_PAGE_2M ? (uint64_t)i << 21 | f | MVM_PTE_PS
					: (pt + 0x1000ULL * i) | f);
	if (page == MVM_PAGE_4K)
		for (i = 0; i < 512 * 512; i++)
			set(ram, pt, i, (uint64_t)i << 12 | f);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* Hit rate (%) and references per access of one pattern. */
static void pattern(uint64_t gp, uint64_t ep, int kind, double *hit,
		    double *refs)
{
	struct mvm_tlb_config c = {64, 32, gp, ep};
	struct mvm_tlb_stats s;
	struct mvm_tlb *t;
	uint64_t a, x = 88172645463325252ULL;
	int p;

	if (mvm_tlb_create(&c, &t) < 0)
		return;
	if (kind == 0)
		for (a = 0; a < 64 * MIB; a += 64)
			mvm_tlb_access(t, a);
	for (p = 0; kind == 1 && p < 3; p++)
		for (a = 0; a < 64 * MIB; a += 4096)
			mvm_tlb_access(t, a);
	for (a = 0; kind == 2 && a < 1000000; a++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		mvm_tlb_access(t, x % GIB);
	}
	mvm_tlb_get_stats(t, &s);
	*hit = 100.0 * (double)s.hits / (double)s.accesses;
	*refs = (double)s.refs / (double)s.accesses;
	mvm_tlb_destroy(t);
}

static void row(struct mvm_memmap *mem, int gi, int ei)
{
	struct mvm_walk2d w;
	struct mvm_ept *e;
	double t0, ns, hit[3] = {0}, refs[3] = {0};
	int i, n = 0;

	if (mvm_ept_create(mem, sizes[ei], &e) < 0)
		return;
	t0 = now_ns();
	for (i = 0; i < WALKS; i++)
		if (mvm_walk2d(mem, e, CR0, PML4, CR4, EFER,
			       ((uint64_t)i * 0x9e3779b1ULL) % GIB, 0, &w) == 0)
			n = w.nrefs;
	ns = (now_ns() - t0) / WALKS;
	mvm_ept_destroy(e);
	for (i = 0; i < 3; i++)
		pattern(sizes[gi], sizes[ei], i, &hit[i], &refs[i]);
	printf("%9s %9s %5d %7.0f", names[gi], names[ei], n, ns);
	for (i = 0; i < 3; i++)
		printf("  %5.1f%% %8.2f", hit[i], refs[i]);
	printf("\n");
}

int main(void)
{
	struct mvm_memmap mem = {0};
	uint8_t *map, *ram;
	int gi, ei;

	map = mmap(NULL, 2 * GIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		perror("bench_memvirt: mmap");
		return 1;
	}
	ram = (uint8_t *)(((uintptr_t)map + GIB - 1) & ~(uintptr_t)(GIB - 1));
	if (mvm_memmap_add(&mem, 0, GIB, ram, 0) < 0) {
		fprintf(stderr, "bench_memvirt: memmap_add failed\n");
		return 1;
	}
	printf("2D walks and TLB model (ept.h): 64-entry TLB, 32-entry "
	       "paging-structure caches\n");
	printf("    guest       EPT  refs ns/walk     sequential        "
	       "strided   random in 1 GiB\n");
	printf("     page      page /walk (model)    hit refs/acc    hit "
	       "refs/acc    hit refs/acc\n");
	for (gi = 0; gi < 3; gi++) {
		guest_tables(ram, sizes[gi]);
		for (ei = 0; ei < 3; ei++)
			row(&mem, gi, ei);
	}
	munmap(map, 2 * GIB);
	return 0;
}
