/*
 * gdt.h - what modes.c needs from gdt.c: the GDT, TSS and segment
 * registers of protected and long mode.
 */
#ifndef MINIVMM_GDT_H
#define MINIVMM_GDT_H

#include <linux/kvm.h>
#include <stdint.h>

struct mvm_vm;

/* Descriptor types (Intel SDM Vol. 3A 3.4.5.1, Table 3-1); all marked
 * accessed so the CPU never has to write the GDT. modes.c uses them for
 * real-mode segments too. */
#define TYPE_DATA_RW 0x3 /* read/write, accessed */
#define TYPE_CODE_RX 0xb /* execute/read, accessed */

/*
 * Write the GDT (layout in modes.h) at MVM_GDT_ADDR and vCPU `index`'s
 * TSS, whose ring-0 stack is `stack`, at MVM_TSS_ADDR_OF(index), then
 * point *s at them: flat
 * ring-0 CS (64-bit when is64), DS/ES/FS/GS/SS, TR, GDTR, and an empty
 * IDTR. Returns 0, or -errno after logging (the tables are not in RAM).
 */
int mvm_gdt_setup(struct mvm_vm *vm, int index, uint64_t stack, int is64,
		  struct kvm_sregs *s);

#endif
