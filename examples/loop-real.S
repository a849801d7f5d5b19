/*
 * loop-real.S - a real-mode compute loop that prints what it computed:
 * the guest `mvm run --emulate` and KVM are raced on.
 *
 * What it teaches: the same bytes can be run by the CPU (under KVM) or
 * by a program that interprets them (emu.h, like Bochs or QEMU without
 * KVM), and the output must be the same; only the speed differs. The
 * loop is a 16-bit xorshift generator (x ^= x << 7; x ^= x >> 9;
 * x ^= x << 8) whose values are added into a sum with carries and into
 * a table in memory, so ALU flags, shifts, LOOP, memory operands, CALL,
 * RET and the stack all have to be right for the four numbers it prints
 * to match. It also writes a byte to the demo port and reads it back
 * (an IN that the VMM answers).
 *
 *   mvm run build/examples/loop-real.bin
 *   mvm run --emulate build/examples/loop-real.bin
 *
 * LOOP_OUTER * LOOP_INNER iterations of 15 instructions: about 600,000
 * instructions, under a second even where KVM itself interprets real
 * mode at about a microsecond per instruction.
 */
#include "minivmm/layout.h"

#define LOOP_OUTER 40
#define LOOP_INNER 1000

	.code16
	.text
	.globl _start
_start:
	cld
	mov	$banner, %si
	call	puts
	mov	$0x1234, %ax		/* x: the generator's state */
	xor	%bx, %bx		/* sum of every x */
	xor	%bp, %bp		/* carries out of the sum */
	mov	$LOOP_OUTER, %di
/* [slide:loop-real] */
outer:
	mov	$LOOP_INNER, %cx
inner:
	mov	%ax, %dx		/* x ^= x << 7 */
	shl	$7, %dx
	xor	%dx, %ax
	mov	%ax, %dx		/* x ^= x >> 9 */
	shr	$9, %dx
	xor	%dx, %ax
	mov	%ax, %dx		/* x ^= x << 8 */
	shl	$8, %dx
	xor	%dx, %ax
	add	%ax, %bx		/* sum += x, counting the carries */
	adc	$0, %bp
	mov	%cx, %si		/* table[cx & 0x3e] += x */
	and	$0x3e, %si
	add	%ax, table(%si)
	loop	inner
	dec	%di
	jnz	outer
/* [/slide:loop-real] */
	push	%ax
	mov	$m_x, %si
	call	puts
	pop	%ax
	call	print_hex
	mov	$m_sum, %si
	call	puts
	mov	%bx, %ax
	call	print_hex
	mov	$m_carry, %si
	call	puts
	mov	%bp, %ax
	call	print_hex
	/* the table's words, summed with LODSW */
	mov	$table, %si
	mov	$32, %cx
	xor	%bx, %bx
1:	lodsw
	add	%ax, %bx
	loop	1b
	mov	$m_table, %si
	call	puts
	mov	%bx, %ax
	call	print_hex
	/* out and back in through the VMM's demo device */
	mov	$MVM_PORT_DEMO, %dx
	mov	$0x5a, %al
	out	%al, %dx
	xor	%ax, %ax
	in	%dx, %al
	mov	$m_port, %si
	call	puts
	call	print_hex
	mov	$m_nl, %si
	call	puts
2:	hlt
	jmp	2b

/* Print the NUL-terminated string at DS:SI on the debug console. */
puts:
	push	%ax
	push	%dx
	mov	$MVM_PORT_DEBUGCON, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	out	%al, %dx
	jmp	1b
2:	pop	%dx
	pop	%ax
	ret

/* Print AX as four hex digits. */
print_hex:
	push	%cx
	push	%dx
	mov	$4, %cx
	mov	$MVM_PORT_DEBUGCON, %dx
1:	rol	$4, %ax
	push	%ax
	and	$0xf, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$'a' - '9' - 1, %al
2:	out	%al, %dx
	pop	%ax
	loop	1b
	pop	%dx
	pop	%cx
	ret

banner:	.asciz	"loop-real: 40000 rounds of a 16-bit xorshift\n"
m_x:	.asciz	"x = "
m_sum:	.asciz	", sum = "
m_carry: .asciz	", carries = "
m_table: .asciz	", table = "
m_port:	.asciz	", demo port read back "
m_nl:	.asciz	"\n"
	.balign	2
table:	.fill	32, 2, 0

	.section .note.GNU-stack, "", @progbits
