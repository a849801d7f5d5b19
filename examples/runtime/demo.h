/*
 * demo.h - the "demo" registers the example guests poke, shared by the
 * guests (examples/runtime) and the host programs (mvm run, the tests).
 *
 * layout.h reserves a demo port (MVM_PORT_DEMO) and a demo MMIO address
 * (MVM_MMIO_DEMO_ADDR) with no device behind them in the library: any
 * access there is a plain VM exit a tool can show. `mvm run` puts a tiny
 * scratch-register device behind both so a read returns what the guest
 * last wrote, and it understands the marker values below.
 *
 * Markers let a guest bracket a piece of work so the *host* times it:
 * the host timestamps the exits of MVM_DEMO_MARK_BEGIN(n) and
 * MVM_DEMO_MARK_END(n). Markers are 4-byte MMIO writes because MMIO
 * works from ring 3 too, where port I/O may fault (an OUT at CPL 3 needs
 * IOPL = 3 or the TSS I/O bitmap; Intel SDM Vol. 1, 19.5).
 *
 * This header must stay freestanding (it is compiled into guests).
 */
#ifndef MVM_EXAMPLES_DEMO_H
#define MVM_EXAMPLES_DEMO_H

/* Write these (4 bytes) to MVM_MMIO_DEMO_ADDR. n is 0..255. */
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
 * space (an MSR filter). */
#define MVM_DEMO_MSR 0x400000ffu

#endif
