/*
 * fuzz_loader.c - the image loaders on any file (loader.h).
 *
 * Input: one byte of options, then the image. Bit 0 asks for a flat
 * image (--flat), bit 1 names the file "x.bin", bit 2 calls the ELF
 * loader directly; the image goes through mvm_load_image() into 4 MiB of
 * host memory standing in for guest RAM. Whatever the bytes, the loader
 * must answer 0 or -errno, write only inside RAM (ASan checks) and
 * never write into a reserved region of layout.h: RAM starts zeroed and
 * nothing else writes it, so those bytes must stay zero whatever was
 * loaded before. (The reported range [lo, hi) is a bounding box: two
 * segments may lie on both sides of a reserved region.)
 */
#include <stdlib.h>

#include "fuzz.h"
#include "hostram.h"

#define RAM_SIZE (4u << 20)

static struct hostram *ram;

/* Is every reserved region inside RAM still all zero? (Page by page
 * with memcmp: a byte loop here would cost more than the load.) */
static int reserved_untouched(void)
{
	static const uint8_t zero[4096];
	size_t n;
	const struct mvm_region *r = mvm_layout_reserved(&n);

	for (size_t i = 0; i < n; i++)
		for (uint64_t a = r[i].base;
		     a < r[i].base + r[i].size && a < RAM_SIZE;
		     a += sizeof(zero)) {
			uint64_t end = r[i].base + r[i].size;
			size_t len =
				end - a < sizeof(zero) ? end - a : sizeof(zero);

			if (a + len > RAM_SIZE)
				len = RAM_SIZE - a;
			if (memcmp(ram->ram + a, zero, len))
				return 0;
		}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mvm_image_info info;
	unsigned opt;
	int rc;

	if (!ram && !(ram = hostram_new(RAM_SIZE, 0)))
		abort();
	if (size < 1)
		return 0;
	opt = data[0];
	data++;
	size--;
	memset(&info, 0, sizeof(info));
	if (opt & 4)
		rc = mvm_load_elf(&ram->mem, data, size, &info, &fuzz_log);
	else
		rc = mvm_load_image(
			&ram->mem, data, size, (opt & 2) ? "x.bin" : "x.elf",
			MVM_REAL_LOAD_ADDR, (opt & 1) ? MVM_LOAD_FLAT : 0,
			&info, &fuzz_log);
	(void)mvm_image_kind_guess(data, size, (opt & 2) ? "x.bin" : NULL,
				   opt & 1);
	if (rc > 0)
		abort(); /* the contract: 0 or -errno */
	if (rc == 0 && (info.hi > RAM_SIZE || info.lo > info.hi))
		abort();
	if (!reserved_untouched())
		abort();
	return 0;
}
