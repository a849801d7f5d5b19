/*
 * chaos.h - what the chaos guest (chaos.c) and its host test share.
 *
 * The host may set the seed and the number of operations in the scratch
 * page (layout.h) before the run; zero means "choose": the seed then
 * comes from the TSC and the count is CHAOS_DEFAULT_OPS. The guest ends
 * with a DONE ucall whose arguments are the seed it used, the number of
 * operations done and the number of exceptions its handler caught.
 */
#ifndef MVM_CHAOS_H
#define MVM_CHAOS_H

#include "minivmm/layout.h"

#define CHAOS_SEED_ADDR	  (MVM_SCRATCH_ADDR + 0x100) /* uint64_t */
#define CHAOS_OPS_ADDR	  (MVM_SCRATCH_ADDR + 0x108) /* uint64_t */
#define CHAOS_DEFAULT_OPS 3000

#endif
