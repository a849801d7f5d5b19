/*
 * minivmm.h - everything in libminivmm, one include.
 *
 * Read the headers in this order; each builds on the one before:
 *   log.h        how the library reports errors without printing
 *   layout.h     the guest-physical memory map, ports and IRQs
 *   x86.h        named bits of CR0, CR4, EFER, RFLAGS and CPUID
 *   kvm.h        /dev/kvm, API version, capabilities
 *   quirks.h     which KVM backend, and where it differs from hardware
 *   memory.h     memory slots and guest-physical -> host translation
 *   bus.h        devices on the port and MMIO buses
 *   exit.h       one decoded VM exit
 *   vm.h         VM and vCPU lifecycle and the run step
 *   irq.h        interrupt lines; KVM_IRQ_LINE, irqfd, ioeventfd, MSI
 *   modes.h      real/protected/long mode setup and the state checker
 *   pagetable.h  building and walking page tables
 *   loader.h     flat and ELF images
 *   devices.h    debug console, ucall, 8250 UART, the demo device
 *   machine.h    one whole machine from one config; threads, pause
 *   trace.h      exit trace, counters, KVM's binary statistics
 *   shadow.h     Lab 2: a model of shadow paging (GVA -> host)
 *   dirty.h      Lab 2: the dirty pages of a slot, one by one
 *   cow.h        Lab 2: copy-on-write pages by read-only slots
 *   cmos.h       Lab 1: CMOS RTC and NVRAM (index/data ports)
 *   hypercall.h  Lab 1: guest -> host requests over a port
 *   labmsr.h     Lab 1: made-up MSRs emulated in user space
 *   state.h      a VM's whole state: vCPUs, in-kernel devices, blobs
 *   pic.h        Lab 3: user-space 8259A pair, KVM_INTERRUPT delivery
 *   pit.h        Lab 3: user-space 8254 timer on a timerfd thread
 *   gdbstub.h    a gdb stub: real gdb attaches to a guest
 *   pci.h        Lab 4: a PCI host bridge (config ports, BARs, INTx)
 *   edisk.h      Lab 4: the register-at-a-time emulated disk (baseline)
 *   virtio_pci.h Lab 4: virtio devices as PCI functions (modern, INTx)
 *   emu.h        a real-mode interpreter in place of KVM_RUN
 */
#ifndef MINIVMM_H
#define MINIVMM_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include "log.h"
#include "layout.h"
#include "x86.h"
#include "kvm.h"
#include "quirks.h"
#include "memory.h"
#include "bus.h"
#include "exit.h"
#include "vm.h"
#include "irq.h"
#include "gsiroute.h"
#include "irqview.h"
#include "modes.h"
#include "pagetable.h"
#include "ept.h"
#include "loader.h"
#include "linux.h"
#include "boottime.h"
#include "ucall.h"
#include "devices.h"
#include "machine.h"
#include "trace.h"
#include "shadow.h"
#include "dirty.h"
#include "cow.h"
#include "cmos.h"
#include "hypercall.h"
#include "labmsr.h"
#include "state.h"
#include "pic.h"
#include "pit.h"
#include "gdbstub.h"
#include "snapshot.h"
#include "pci.h"
#include "edisk.h"
#include "virtio.h"
#include "virtio_ring.h"
#include "virtio_mmio.h"
#include "virtio_devs.h"
#include "virtio_pci.h"
#include "virtio_view.h"
#include "virtio_opts.h"
#include "emu.h"
#include "migrate.h"

#pragma GCC visibility pop

#endif
