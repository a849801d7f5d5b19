/*
 * demo.h - the "demo" registers the example guests poke: the guest's view.
 *
 * layout.h reserves a demo port (MVM_PORT_DEMO) and a demo MMIO address
 * (MVM_MMIO_DEMO_ADDR): any access there is a plain VM exit a tool can
 * show. Every machine (machine.h) puts the library's demo device behind
 * both, so a read returns what the guest last wrote, and it understands
 * the marker values.
 *
 * Markers let a guest bracket a piece of work so the *host* times it:
 * write MVM_DEMO_MARK_BEGIN(n) and later MVM_DEMO_MARK_END(n) (4 bytes)
 * to MVM_MMIO_DEMO_ADDR; write MVM_DEMO_STOP when finished in ring 3.
 * The exit tour also reads the made-up MSR MVM_DEMO_MSR.
 *
 * The values themselves live in minivmm/layout.h, the one place the
 * host programs (mvm run, mvmdbg, the tests) take them from too, so the
 * two sides cannot disagree. This header must stay freestanding (it is
 * compiled into guests); layout.h is.
 */
#ifndef MVM_EXAMPLES_DEMO_H
#define MVM_EXAMPLES_DEMO_H

#include "minivmm/layout.h"

/* smp-count: each vCPU counts to SMP_COUNT_TO in its own slot of the
 * scratch page; if the host set the hold slot, it then waits for the
 * host to set the release slot. */
#define SMP_COUNT_TO	 20000
#define SMP_HOLD_SLOT	 14
#define SMP_RELEASE_SLOT 15

#endif
