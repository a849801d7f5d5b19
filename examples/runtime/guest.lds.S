/*
 * guest.lds.S - linker script for freestanding guests, run through the C
 * preprocessor so the load address comes from layout.h (one copy of
 * every number, STYLE.md 7). build.mk strips C's integer suffixes
 * (0x100000ULL -> 0x100000) that the linker's expression syntax lacks.
 *
 *   -DGUEST_REAL  flat 16-bit binary at MVM_REAL_LOAD_ADDR (boot sector
 *                 style: CS:IP = 0000:7c00)
 *   -DGUEST_32    ELF32 for 32-bit protected mode at MVM_LOAD_ADDR
 *   (neither)     ELF64 for long mode at MVM_LOAD_ADDR
 */
#include "minivmm/layout.h"

#if defined(GUEST_REAL)
OUTPUT_FORMAT("binary")
#define LOAD_ADDR MVM_REAL_LOAD_ADDR
#elif defined(GUEST_32)
OUTPUT_FORMAT("elf32-i386")
OUTPUT_ARCH(i386)
#define LOAD_ADDR MVM_LOAD_ADDR
#else
OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
#define LOAD_ADDR MVM_LOAD_ADDR
#endif

ENTRY(_start)

#if !defined(GUEST_REAL)
/* Two ELF segments: code read+execute, data read+write (flags are the
 * ELF p_flags bits PF_R = 4, PF_W = 2, PF_X = 1). */
PHDRS
{
	text PT_LOAD FLAGS(5);
	data PT_LOAD FLAGS(6);
}
#define TEXT_SEG :text
#define DATA_SEG :data
#else
#define TEXT_SEG
#define DATA_SEG
#endif

SECTIONS
{
	. = LOAD_ADDR;
	/* _start first, so the entry point is also the first byte. */
	.text : { *(.text.start) *(.text .text.*) } TEXT_SEG
	.rodata : { *(.rodata .rodata.*) } TEXT_SEG
	. = ALIGN(4096);
	.data : { *(.data .data.*) } DATA_SEG
	/* Zero-filled by the loader (p_memsz > p_filesz), not by crt0. */
	.bss : { *(.bss .bss.*) *(COMMON) } DATA_SEG
	/* Unwind tables and notes mean nothing inside a guest. */
	/DISCARD/ : { *(.eh_frame*) *(.note*) *(.comment) }
}
