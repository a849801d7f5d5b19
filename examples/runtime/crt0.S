/*
 * crt0.S - where a freestanding C guest starts (32- and 64-bit).
 *
 * The VMM already did a boot loader's work: mvm_vcpu_setup_mode() put the
 * CPU in the right mode, pointed RSP at MVM_STACK_TOP and RIP at the ELF
 * entry (_start), and the ELF loader zero-filled .bss. So all that is left
 * is to call main() and tell the host how it ended (guest_exit: a DONE or
 * ASSERT ucall, then HLT forever).
 *
 * _start goes in its own section, placed first by guest.lds.S, so a flat
 * dump of the image also starts with it.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	/* The SysV ABI requires DF = 0 at every call (string instructions
	 * then count upwards); do not trust the initial RFLAGS for it. */
	cld
#ifdef __x86_64__
	/* RSP is 16-byte aligned here, so after the CALL pushes the return
	 * address main() sees the alignment the x86-64 SysV ABI promises. */
	call	main
	mov	%eax, guest_main_rc
	mov	%eax, %edi
	call	guest_exit
#else
	call	main
	mov	%eax, guest_main_rc
	push	%eax		/* cdecl: the argument goes on the stack */
	call	guest_exit
#endif
1:	hlt
	jmp	1b

	/* main()'s return value, kept where a debugger can read it. (It
	 * also gives every image a data segment, even hello-world.) */
	.bss
	.globl	guest_main_rc
	.balign	4
guest_main_rc:
	.long	0

	/* No executable stack: keeps the linker from warning about it. */
	.section .note.GNU-stack, "", @progbits
