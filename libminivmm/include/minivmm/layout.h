/*
 * layout.h - the one place where minivmm's guest-physical addresses,
 * I/O ports and IRQ numbers are defined.
 *
 * Every example guest, the library's mode setup, the devices and the labs
 * take their addresses from here, so a student can read the whole machine
 * off one page. No other file may spell one of these numbers.
 *
 *   guest-physical address space (default 64 MiB of RAM)
 *
 *   0x0000_0000 +------------------------------+
 *               | real-mode IVT + BIOS data    |  (left zero; no BIOS)
 *   0x0000_1000 +------------------------------+  MVM_GDT_ADDR
 *               | GDT built by the host        |
 *   0x0000_2000 +------------------------------+  MVM_IDT_ADDR
 *               | IDT (guest-owned, optional)  |
 *   0x0000_3000 +------------------------------+  MVM_TSS_ADDR
 *               | TSS, one per vCPU            |
 *   0x0000_4000 +------------------------------+  MVM_UCALL_ADDR
 *               | ucall mailbox, one per vCPU  |
 *   0x0000_5000 +------------------------------+  MVM_SCRATCH_ADDR
 *               | scratch (examples and tests) |
 *   0x0000_6000 |   Linux: zero page           |  MVM_LINUX_BOOT_PARAMS
 *   0x0000_7000 |   Linux: command line        |  MVM_LINUX_CMDLINE
 *   0x0000_7c00 +------------------------------+  MVM_REAL_LOAD_ADDR
 *               | real-mode image (boot-sector |
 *               | style, CS:IP = 0000:7c00)    |
 *   0x0001_0000 +------------------------------+  MVM_PT_ADDR
 *               | page tables built by host    |
 *               | (PML4, PDPT, PDs, PTs)       |
 *   0x0008_0000 +------------------------------+  MVM_PT_END
 *               |  ...  stacks grow down ...   |
 *               |  (12 KiB per vCPU)           |
 *   0x0009_f000 +------------------------------+  MVM_STACK_TOP
 *               | (legacy VGA/ROM hole, free)  |
 *   0x0010_0000 +------------------------------+  MVM_LOAD_ADDR (1 MiB)
 *               | protected/long-mode image    |
 *               | (flat binary or ELF)         |
 *               |   ...                        |
 *   RAM end     +------------------------------+  ram_size (<= MVM_RAM_MAX)
 *               |   unbacked                   |
 *   0x0800_0000 | Lab 2: page-table pool slot  |  MVM_PTPOOL_ADDR
 *               | (read-only, shadow.h)        |
 *   0xc000_0000 +------------------------------+  MVM_MMIO_BASE
 *               | virtio-mmio slots, 0x200 each|  MVM_VIRTIO_MMIO_ADDR(i)
 *   0xc000_1000 +------------------------------+
 *               | MMIO window: devices and     |
 *               | MVM_MMIO_DEMO_ADDR (unbacked,|
 *               | demo device: "exit tour")    |
 *   0xd000_1000 | ucall over MMIO (ring 3)     |  MVM_MMIO_UCALL_ADDR
 *   0xe000_0000 | PCI BARs (16 MiB, pci.h)     |  MVM_PCI_MMIO_BASE
 *   0xfec0_0000 | IOAPIC (in-kernel irqchip)   |  MVM_IOAPIC_ADDR
 *   0xfee0_0000 | local APIC                   |  MVM_LAPIC_ADDR
 *   0xffff_ffff +------------------------------+
 *
 *   I/O ports                         IRQ lines (ISA numbering)
 *     0x0020  8259A PIC master (2)      0  PIT channel 0
 *     0x0040  8254 PIT (4 ports)        2  cascade (slave PIC)
 *     0x0070  CMOS RTC index/data (2 ports; Lab 1)
 *     0x00a0  8259A PIC slave (2)
 *     0x00e9  debug console             4  COM1
 *     0x03f8  COM1 8250 UART (8 ports)
 *     0x0500  demo port ("exit tour", the demo device)
 *     0x0510  hypercall (4-byte OUT of a request GPA; Lab 1)
 *     0x0520  Lab 1 measurement: exit to user space
 *     0x0524  Lab 1 measurement: ioeventfd doorbell (in-kernel)
 *     0x0530  emulated disk (16 ports; edisk.h)
 *     0x0cf8  PCI CONFIG_ADDRESS / CONFIG_DATA (8; pci.h)
 *     0x1000  ucall (guest -> host calls, 4-byte OUT of a GPA)
 *     0xc000  PCI I/O BARs (4 KiB window)   10,11,14,15  PCI INTx (pci.h)
 *                                     5,6,7,9  virtio-mmio slots 0-3
 *
 *   Model-specific registers (made up; handled in user space)
 *     0x400000e0..e2  Lab 1's MSRs (labmsr.h)
 *     0x400000ff      demo MSR (the exit tour reads it)
 *
 * The addresses below 1 MiB follow the PC's real-mode conventions (the
 * IVT at 0, boot sector at 0x7c00, 640 KiB of conventional memory) so
 * what students see matches the textbooks; see the OSDev "Memory Map
 * (x86)" page for the PC layout.
 */
#ifndef MINIVMM_LAYOUT_H
#define MINIVMM_LAYOUT_H

/* Host-built CPU structures, one 4 KiB page each. */
#define MVM_GDT_ADDR   0x1000ULL
#define MVM_IDT_ADDR   0x2000ULL
#define MVM_TSS_ADDR   0x3000ULL
#define MVM_UCALL_ADDR 0x4000ULL
#define MVM_PAGE_SIZE  0x1000ULL

/* A scratch page examples and tests share with the host by address
 * (smp-count's counters); the VMM keeps nothing there. */
#define MVM_SCRATCH_ADDR 0x5000ULL

/* Where images are loaded. */
#define MVM_REAL_LOAD_ADDR 0x7c00ULL
#define MVM_LOAD_ADDR	   0x100000ULL

/* Booting Linux (linux.h): the zero page (struct boot_params) and the
 * command line go into the scratch area, which a Linux guest does not
 * share with the host otherwise; the kernel copies both early. Linux
 * treats 640 KiB..1 MiB as the PC's legacy hole, so e820 leaves it out. */
#define MVM_LINUX_BOOT_PARAMS 0x6000ULL
#define MVM_LINUX_CMDLINE     0x7000ULL
#define MVM_LINUX_CMDLINE_MAX (MVM_REAL_LOAD_ADDR - MVM_LINUX_CMDLINE)
#define MVM_LEGACY_HOLE	      0xa0000ULL

/* Page tables: the host builds them in [MVM_PT_ADDR, MVM_PT_END). */
#define MVM_PT_ADDR 0x10000ULL
#define MVM_PT_END  0x80000ULL

/* Initial stack pointer for protected and long mode (grows down). */
#define MVM_STACK_TOP 0x9f000ULL

/*
 * Per-vCPU structures. Each vCPU needs its own TSS (its ring-0 stack),
 * its own stack and its own ucall mailbox, or two vCPUs would overwrite
 * each other's. vCPU i's live at fixed offsets from the addresses above:
 * TSSs 128 bytes apart in the TSS page, mailboxes 256 bytes apart in the
 * ucall page, stacks MVM_STACK_SIZE apart below MVM_STACK_TOP (vCPU 0's
 * is the one single-vCPU guests always had). A guest finds its index in
 * its initial APIC ID (CPUID leaf 1, EBX[31:24]; Intel SDM Vol. 2A).
 */
#define MVM_LAYOUT_MAX_VCPUS 8
#define MVM_TSS_STRIDE	     0x80ULL
#define MVM_UCALL_STRIDE     0x100ULL
#define MVM_STACK_SIZE	     0x3000ULL
#define MVM_TSS_ADDR_OF(i)   (MVM_TSS_ADDR + (i)*MVM_TSS_STRIDE)
#define MVM_UCALL_ADDR_OF(i) (MVM_UCALL_ADDR + (i)*MVM_UCALL_STRIDE)
#define MVM_STACK_TOP_OF(i)  (MVM_STACK_TOP - (i)*MVM_STACK_SIZE)

/* RAM starts at 0 and must end below the MMIO window. */
#define MVM_RAM_DEFAULT (64ULL << 20)
#define MVM_RAM_MIN	(2ULL << 20)
#define MVM_RAM_MAX	0xc0000000ULL

/* Lab 2: a guest that builds its own page tables keeps them in this
 * pool, a slot of its own above the default RAM that the VMM may make
 * read-only to trap every table write (shadow.h). */
#define MVM_PTPOOL_ADDR 0x08000000ULL
#define MVM_PTPOOL_SIZE 0x10000ULL

/* MMIO window (never backed by RAM). */
#define MVM_MMIO_BASE	   0xc0000000ULL
#define MVM_MMIO_DEMO_ADDR 0xd0000000ULL
#define MVM_IOAPIC_ADDR	   0xfec00000ULL
#define MVM_LAPIC_ADDR	   0xfee00000ULL

/* PCI (pci.h): memory BARs are placed in [MVM_PCI_MMIO_BASE, + SIZE),
 * I/O BARs in [MVM_PCI_IO_BASE, + SIZE). */
#define MVM_PCI_MMIO_BASE 0xe0000000ULL
#define MVM_PCI_MMIO_SIZE 0x01000000ULL

/*
 * virtio-mmio devices (virtio 1.2, 4.2): register blocks of 0x200 bytes
 * from the bottom of the MMIO window, slot i with its own interrupt line
 * (an ISA IRQ no PC device here uses, so the 8259A reaches it too: Linux
 * booted with `noapic` still gets it). Linux learns of them from the
 * command line (virtio_mmio.device=0x200@ADDR:IRQ, virtio_mmio.h). Each
 * device type has its slot, so a guest finds it without probing.
 */
#define MVM_VIRTIO_MMIO_SIZE	0x200ULL
#define MVM_VIRTIO_MMIO_SLOTS	4
#define MVM_VIRTIO_MMIO_ADDR(i) (MVM_MMIO_BASE + (i)*MVM_VIRTIO_MMIO_SIZE)
#define MVM_VIRTIO_MMIO_GSI(i)	((i) < 3 ? 5 + (i) : 6 + (i))
#define MVM_VIRTIO_SLOT_BLK	0
#define MVM_VIRTIO_SLOT_RNG	1
#define MVM_VIRTIO_SLOT_CONSOLE 2
#define MVM_VIRTIO_SLOT_BALLOON 3
/* The ucall device again, on the MMIO bus (4-byte store of the mailbox's
 * address, as the OUT to MVM_PORT_UCALL): for code that cannot do port
 * I/O, such as ring-3 code with IOPL 0 (Intel SDM Vol. 1, 19.5). */
#define MVM_MMIO_UCALL_ADDR	0xd0001000ULL

/* Where KVM on Intel puts its real-mode TSS/identity map (KVM_SET_TSS_ADDR
 * needs three pages inside the 4 GiB space, outside RAM and devices). */
#define MVM_KVM_TSS_ADDR 0xfffbd000ULL
#define MVM_KVM_TSS_SIZE (3 * MVM_PAGE_SIZE)

/*
 * Reserved regions: guest-physical ranges the VMM itself writes or uses
 * (mode setup rewrites them, the vCPU pushes onto the stack, the host
 * reads the ucall mailbox). An image loaded over one is destroyed by the
 * first mode setup, so the loaders refuse it and name the region
 * (loader.h). X(name, base, size) per region: add a line here to reserve
 * more (per-vCPU stacks, say); the table in src/core/layout.c and every
 * check follow. The IDT page is not listed: it is guest-owned (the host
 * only points IDTR at it and writes nothing there), and the first page
 * (real-mode IVT) is free because there is no BIOS.
 */
#define MVM_RESERVED_REGIONS(X)                                    \
	X("GDT", MVM_GDT_ADDR, MVM_PAGE_SIZE)                      \
	X("TSS", MVM_TSS_ADDR, MVM_PAGE_SIZE)                      \
	X("ucall mailbox", MVM_UCALL_ADDR, MVM_PAGE_SIZE)          \
	X("page tables", MVM_PT_ADDR, MVM_PT_END - MVM_PT_ADDR)    \
	X("initial stack", MVM_PT_END, MVM_STACK_TOP - MVM_PT_END) \
	X("KVM real-mode TSS", MVM_KVM_TSS_ADDR, MVM_KVM_TSS_SIZE)

/* C declarations only for C: this header is also read by the assembler
 * (examples/hello-real.S) and by cpp for the guests' linker script, which
 * runs with -undef and so without __GNUC__. */
#if defined(__GNUC__) && !defined(__ASSEMBLER__)
#include <stddef.h>
#include <stdint.h>

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

struct mvm_region {
	const char *name; /* what the VMM keeps there, for messages */
	uint64_t base;	  /* first guest-physical byte */
	uint64_t size;	  /* length in bytes */
};

/* The reserved regions above, lowest address first; *n gets the count. */
const struct mvm_region *mvm_layout_reserved(size_t *n);

/* The first reserved region [base, base + size) overlaps, or NULL.
 * A range that wraps past 2^64 overlaps everything above base. */
const struct mvm_region *mvm_layout_reserved_overlap(uint64_t base,
						     uint64_t size);

#pragma GCC visibility pop
#endif

/* I/O ports. */
#define MVM_PORT_DEBUGCON 0x00e9
#define MVM_PORT_COM1	  0x03f8
#define MVM_PORT_COM1_LEN 8
#define MVM_PORT_DEMO	  0x0500
#define MVM_PORT_UCALL	  0x1000

/* Lab 1's devices (cmos.h, hypercall.h, labs/lab1-cpu-exits). */
#define MVM_PORT_CMOS	  0x0070
#define MVM_PORT_CMOS_LEN 2
#define MVM_PORT_HCALL	  0x0510
#define MVM_PORT_MEASURE  0x0520
#define MVM_PORT_DOORBELL 0x0524

/* PCI configuration mechanism #1 and the I/O BAR window (pci.h). */
#define MVM_PORT_PCI_CONFIG	0x0cf8
#define MVM_PORT_PCI_CONFIG_LEN 8
#define MVM_PCI_IO_BASE		0xc000
#define MVM_PCI_IO_SIZE		0x1000

/* The register-at-a-time emulated disk (edisk.h). */
#define MVM_PORT_EDISK	   0x0530
#define MVM_PORT_EDISK_LEN 16

/* Lab 3's user-space interrupt controller and timer (pic.h, pit.h):
 * the PC's 8259A pair and 8254 ports (the in-kernel irqchip and PIT of
 * MVM_IRQCHIP_KERNEL claim the same ports inside KVM). */
#define MVM_PORT_PIC_MASTER 0x0020
#define MVM_PORT_PIC_SLAVE  0x00a0
#define MVM_PORT_PIC_LEN    2
#define MVM_PORT_PIT	    0x0040
#define MVM_PORT_PIT_LEN    4

/* IRQ lines. */
#define MVM_IRQ_PIT  0
#define MVM_IRQ_COM1 4

/* PCI INTx: slot s's INTA# goes to one of four ISA IRQs that no device
 * here uses (10, 11, 14, 15; a PC board's PIRQ routing does the same),
 * so the 8259A reaches them too. */
#define MVM_PCI_INTX_GSI(s) ((s) % 4 < 2 ? 10 + (s) % 4 : 12 + (s) % 4)

/*
 * The demo registers the example guests poke (examples/runtime/demo.h
 * tells the guest side; the library's demo device, devices/demo.c, is the
 * host side, in every machine the machine layer builds). Each access is
 * a plain exit a tool can show, and the device answers it: a read gives
 * back the last value written.
 *
 * Timing markers are 4-byte writes to MVM_MMIO_DEMO_ADDR: the host
 * timestamps the exits of MVM_DEMO_MARK_BEGIN(n) and MVM_DEMO_MARK_END(n)
 * (n = 0..255), so the guest's own clock is never trusted. MMIO rather
 * than a port because it works from ring 3, where OUT needs IOPL = 3 or
 * the TSS I/O bitmap (Intel SDM Vol. 1, 19.5). The values spell "mk" in
 * their top bytes, easy to spot in an exit log.
 */
#define MVM_DEMO_MARK_BEGIN(n) (0x6d6b0100u + (unsigned)(n))
#define MVM_DEMO_MARK_END(n)   (0x6d6b0200u + (unsigned)(n))
/* "I am finished and cannot halt" (ring-3 code cannot execute HLT). */
#define MVM_DEMO_STOP	       0x6d6b0300u

#define MVM_DEMO_IS_BEGIN(v) (((v)&0xffffff00u) == 0x6d6b0100u)
#define MVM_DEMO_IS_END(v)   (((v)&0xffffff00u) == 0x6d6b0200u)
#define MVM_DEMO_MARK_ID(v)  ((v)&0xffu)

/* The made-up MSR the exit tour reads. Intel marks 40000000H-400000FFH
 * as a reserved range no processor will implement (Intel SDM Vol. 4,
 * Table 2-2; Vol. 3C Table 35-2 in older editions); hypervisors
 * (Hyper-V, KVM's Hyper-V emulation) use the low end, so the tour takes
 * the last index. The host must ask KVM to send accesses to it to user
 * space (an MSR filter, KVM_X86_SET_MSR_FILTER). */
#define MVM_DEMO_MSR 0x400000ffu

#endif
