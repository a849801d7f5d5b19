/*
 * hello-real.S - the smallest guest: 16-bit real mode, 22 bytes.
 *
 * What it teaches: a guest is just bytes in memory and a register state.
 * The VMM copies this flat binary to MVM_REAL_LOAD_ADDR (0x7c00, where a
 * BIOS would put a boot sector) and starts the CPU at CS:IP = 0000:7c00
 * with DS = 0. Every OUT to the debug console port is one VM exit that
 * the VMM turns into a character; HLT is the exit that ends the run
 * (KVM_EXIT_HLT, since no interrupt can ever wake the CPU).
 *
 *   mvm run build/examples/hello-real.bin      (prints "Hello")
 */
#include "minivmm/layout.h"

	.code16
	.text
/* [slide:hello-real] */
	.globl _start
_start:
	mov	$msg, %si		/* DS:SI -> the string */
	mov	$MVM_PORT_DEBUGCON, %dx
	cld				/* LODSB counts upwards */
1:	lodsb				/* AL = [DS:SI++] */
	test	%al, %al
	jz	2f
	out	%al, %dx		/* one byte, one exit */
	jmp	1b
2:	hlt
	jmp	2b			/* if resumed, halt again */

msg:	.asciz	"Hello\n"
/* [/slide:hello-real] */

	.section .note.GNU-stack, "", @progbits
