/*
 * pt_layout.h - the hand-built 4-level page tables of the page-walk
 * tests (tests/unit/test_ptwalk.c, debugger/tests/test_ptpane.c).
 *
 * One table of each level sits at a fixed GPA in low guest RAM, so a
 * test writes the entries it needs and a failure message's addresses
 * are easy to read. Entry bits are per Intel SDM Vol. 3A, 4.5 (4-level
 * paging); the short names keep the entry-building lines on one line.
 */
#ifndef MINIVMM_TEST_PT_LAYOUT_H
#define MINIVMM_TEST_PT_LAYOUT_H

#include <stdint.h>
#include <string.h>

#include "minivmm/minivmm.h"

#define PT_RAM_SIZE (4ULL << 20) /* guest RAM at GPA 0 the tables map */
#define PML4	    0x1000ULL
#define PDPT	    0x2000ULL
#define PD	    0x3000ULL
#define PT	    0x4000ULL
#define P	    MVM_PTE_P
#define RW	    MVM_PTE_RW
#define US	    MVM_PTE_US
#define PS	    MVM_PTE_PS

/* Write entry i of the table at GPA table in ram (GPA 0 = ram[0]). */
static inline void pt_set(uint8_t *ram, uint64_t table, unsigned i, uint64_t v)
{
	memcpy(ram + table + 8 * (uint64_t)i, &v, 8);
}

#endif
