/*
 * lab2.h - helpers shared by Lab 2's grader tests (lab2_util.c): guest
 * RAM whose host address is 1 GiB aligned (so every EPT leaf size can
 * be used), hand-built guest tables, and a random number source.
 */
#ifndef MINIVMM_LAB2_H
#define MINIVMM_LAB2_H

#include "grade.h"
#include "minivmm/minivmm.h"

#define LAB2_GIB  (1ULL << 30)
/* A 64-bit guest's paging state (4-level paging, NX enabled). */
#define LAB2_CR0  (MVM_CR0_PG | MVM_CR0_PE | MVM_CR0_WP)
#define LAB2_CR4  MVM_CR4_PAE
#define LAB2_EFER (MVM_EFER_LMA | MVM_EFER_LME | MVM_EFER_NXE)
/* Where the tests put the guest's tables (GPAs). */
#define LAB2_PML4 0x10000ULL
#define LAB2_PDPT 0x11000ULL
#define LAB2_PD	  0x12000ULL
#define LAB2_PT	  0x13000ULL

struct lab2_ram {
	struct mvm_memmap mem; /* slot 0: GPA 0 .. size, RAM */
	uint8_t *map;	       /* the reservation (2 GiB, MAP_NORESERVE) */
	uint8_t *ram;	       /* host address of GPA 0, 1 GiB aligned */
	uint64_t size;
};

/* size bytes of RAM at GPA 0 (only what is written is ever backed);
 * the guest tables are cleared. Fails the test on error. */
void lab2_ram_init(struct lab2_ram *r, uint64_t size);
void lab2_ram_free(struct lab2_ram *r);

/* Entry i of the guest table at GPA table. */
void lab2_set(struct lab2_ram *r, uint64_t table, unsigned i, uint64_t v);
uint64_t lab2_get(struct lab2_ram *r, uint64_t table, unsigned i);

/*
 * Map gva (PML4 index 0) to gpa with a guest page of page bytes (4 KiB,
 * 2 MiB or 1 GiB; gva and gpa aligned to it) through the tables at
 * LAB2_PML4.. with `flags` in every entry on the way (P is added).
 */
void lab2_map(struct lab2_ram *r, uint64_t gva, uint64_t gpa, uint64_t page,
	      uint64_t flags);

/* A random number (seeded from the time and pid once). */
uint64_t lab2_rand(void);

#endif
