/*
 * chaos-vectors.S - the chaos guest's 32 exception handlers (chaos.c).
 *
 * Each handler does one thing: count the exception and resume at the
 * address in chaos_recover, which every risky instruction in chaos.c
 * sets to just past itself. Vectors 8, 10-14, 17 and 21 push an error
 * code (Intel SDM Vol. 3A 6.13, Table 6-1); the others push a dummy
 * one, so the common part sees one frame layout: RCX, RAX (saved here),
 * vector, error code, then what the CPU pushed - RIP, CS, RFLAGS, RSP,
 * SS (SDM Vol. 3A 6.14.2).
 */
	.text

	/* vec N, ERR: the handler for vector N; ERR = 1 if the CPU pushes
	 * an error code. */
	.macro vec n, err
chaos_vec\n:
	.if \err == 0
	push	$0
	.endif
	push	$\n
	jmp	chaos_common
	.endm

	.irp n, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,29,30,31
	vec	\n, 0
	.endr
	.irp n, 8,10,11,12,13,14,17,21
	vec	\n, 1
	.endr

chaos_common:
	push	%rax
	push	%rcx
	incq	chaos_faults(%rip)
	mov	16(%rsp), %rcx		/* vector: note it in the bit set */
	mov	$1, %eax
	shl	%cl, %rax
	or	%rax, chaos_vectors(%rip)
	mov	chaos_recover(%rip), %rax
	mov	%rax, 32(%rsp)		/* saved RIP: resume there */
	pop	%rcx
	pop	%rax
	add	$16, %rsp		/* vector and error code */
	iretq

	/* The handlers' addresses, by vector, for the IDT. */
	.section .rodata
	.globl	chaos_vector_table
	.balign	8
chaos_vector_table:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	chaos_vec\n
	.endr

	.section .note.GNU-stack, "", @progbits
