/*
 * fuzz.h - what every libFuzzer harness in tests/fuzz/ shares.
 *
 * A harness is one function, LLVMFuzzerTestOneInput(data, size), that
 * libFuzzer calls with inputs it mutates to reach new code (LLVM's
 * libFuzzer documentation). It must not leak, exit or keep state that
 * makes one input's result depend on the previous one. The library's
 * contract for untrusted input (STYLE.md 5) is what is checked: any
 * input gets an error code, never a crash, a sanitizer report, a hang
 * or a leak.
 *
 * struct fuzz_in reads the input as a stream of small numbers; past the
 * end it reads zeros, so every input decodes to something.
 */
#ifndef MINIVMM_FUZZ_H
#define MINIVMM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/minivmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_in {
	const uint8_t *p; /* next byte */
	size_t left;	  /* bytes left */
};

static inline uint64_t fuzz_bytes(struct fuzz_in *in, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t b = 0;
		if (in->left) {
			b = *in->p++;
			in->left--;
		}
		v |= (uint64_t)b << (8 * i);
	}
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return (uint8_t)fuzz_bytes(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)fuzz_bytes(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_bytes(in, 4);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_bytes(in, 8);
}

/* A log that drops messages but still formats them (so format bugs in
 * the library's messages are found too). */
static inline void fuzz_log_fn(void *ctx, enum mvm_log_level level,
			       const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static const struct mvm_log fuzz_log = {fuzz_log_fn, NULL};

#endif
