/*
 * pt-switch.h - what the page-table guest (pt-switch.c) and its host
 * tests share: where its tables and pages are, and its stages.
 *
 * The guest builds PTS_SPACES address spaces in the page-table pool
 * (layout.h), all mapping low RAM and the pool identically with 2 MiB
 * pages (one shared page directory) and each mapping PTS_WINDOW to its
 * own data page with 4 KiB pages. Pool pages: 0 the shared PD, then per
 * space k four pages at PTS_PML4(k): PML4, PDPT, PD, PT.
 */
#ifndef MVM_PT_SWITCH_H
#define MVM_PT_SWITCH_H

#include "minivmm/layout.h"

#define PTS_SPACES     3
#define PTS_LOW_MAP    (64ULL << 20)   /* identity-mapped low RAM */
#define PTS_SHARED_PD  MVM_PTPOOL_ADDR /* pool page 0 */
#define PTS_PML4(k)    (MVM_PTPOOL_ADDR + (1 + 4 * (uint64_t)(k)) * 0x1000)
#define PTS_PDPT(k)    (PTS_PML4(k) + 0x1000)
#define PTS_PD(k)      (PTS_PML4(k) + 0x2000)
#define PTS_PT(k)      (PTS_PML4(k) + 0x3000)
#define PTS_WINDOW     0x40000000ULL	     /* VA 1 GiB: a space's own pages */
#define PTS_HOLE       (PTS_WINDOW + 0x1000) /* unmapped, then touched */
/* GPA of page i (0 = window, 1 = hole) of space k. */
#define PTS_DATA(k, i) (0x02000000ULL + (4 * (uint64_t)(k) + (i)) * 0x1000)

/* SYNC stages (args[0]); the #PF report carries vector, error code and
 * CR2 in args[1..3]. */
#define PTS_STAGE_SPACE	 10 /* + k: running in space k, window written */
#define PTS_STAGE_REMAP	 20 /* space 0's window now shows space 1's page */
#define PTS_STAGE_FAULT	 30 /* the #PF handler's report */
#define PTS_STAGE_MAPPED 40 /* the hole is mapped again and was written */

#endif
