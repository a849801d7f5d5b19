/*
 * x86.h - named bits of the x86 registers that decide the CPU mode.
 *
 * One definition of each architectural bit minivmm reads or sets, so
 * `sregs.cr0 & MVM_CR0_PG` reads as the manual does. Sources: Intel SDM
 * Vol. 3A 2.5 (CR0, CR4, Figure 2-7), Vol. 3A 2.2.1 and Vol. 4 Table 2-2
 * (IA32_EFER, MSR 0xC0000080), Vol. 1 3.4.3 (EFLAGS/RFLAGS), Vol. 2A
 * CPUID (feature bits).
 */
#ifndef MINIVMM_X86_H
#define MINIVMM_X86_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

/* CR0 (SDM Vol. 3A 2.5). */
#define MVM_CR0_PE (1ULL << 0)	/* protection enable */
#define MVM_CR0_ET (1ULL << 4)	/* extension type: always 1 on modern CPUs */
#define MVM_CR0_NE (1ULL << 5)	/* native x87 error reporting */
#define MVM_CR0_WP (1ULL << 16) /* ring 0 honours read-only pages */
#define MVM_CR0_NW (1ULL << 29) /* not write-through */
#define MVM_CR0_CD (1ULL << 30) /* cache disable */
#define MVM_CR0_PG (1ULL << 31) /* paging */

/* CR4 (SDM Vol. 3A 2.5). */
#define MVM_CR4_PSE  (1ULL << 4)  /* 4 MiB pages in 32-bit paging */
#define MVM_CR4_PAE  (1ULL << 5)  /* 64-bit page-table entries */
#define MVM_CR4_LA57 (1ULL << 12) /* 5-level paging */

/* IA32_EFER (SDM Vol. 3A 2.2.1, Vol. 4 Table 2-2). */
#define MVM_EFER_LME (1ULL << 8)  /* long mode enable */
#define MVM_EFER_LMA (1ULL << 10) /* long mode active (CPU sets it) */
#define MVM_EFER_NXE (1ULL << 11) /* honour the NX bit in page tables */

/* RFLAGS (SDM Vol. 1 3.4.3). */
#define MVM_RFLAGS_FIXED (1ULL << 1)  /* reserved, always reads 1 */
#define MVM_RFLAGS_TF	 (1ULL << 8)  /* trap: single-step */
#define MVM_RFLAGS_IF	 (1ULL << 9)  /* interrupts enabled */
#define MVM_RFLAGS_VM	 (1ULL << 17) /* virtual-8086 mode */

/* CPUID feature bits (SDM Vol. 2A, CPUID). */
#define MVM_CPUID_01_ECX_CX16	       (1u << 13) /* cmpxchg16b */
#define MVM_CPUID_80000001_EDX_PAGE1GB (1u << 26) /* 1 GiB pages */

#pragma GCC visibility pop

#endif
