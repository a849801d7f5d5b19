/*
 * fuzz_bzimage.c - the Linux loader on any kernel file (linux.h).
 *
 * Input: one byte of options, then the kernel (a bzImage, or ELF when it
 * starts with 0x7f). Bits 0-1 pick the initrd size (none, 4 KiB, 8 MiB,
 * 40 MiB: larger than RAM), bit 2 a command line of 3000 bytes (over any
 * limit). Everything goes through mvm_linux_load() into 32 MiB of host
 * memory. Whatever the bytes, the loader must answer 0 or -errno, write
 * only inside RAM (ASan checks), and on success report a kernel and an
 * initrd that lie inside RAM and do not overlap.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "hostram.h"

#define RAM_SIZE (32u << 20)

static struct hostram *ram;
static uint8_t initrd[40u << 20];
static char cmdline[3001];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t initrd_len[] = {0, 4096, 8u << 20, 40u << 20};
	struct mvm_linux_config cfg = {0};
	struct mvm_linux_info info = {0};
	int rc;

	if (!ram && !(ram = hostram_new(RAM_SIZE, 0)))
		abort();
	if (size < 1)
		return 0;
	if (!cmdline[0])
		memset(cmdline, 'a', sizeof(cmdline) - 1);
	cfg.kernel = data + 1;
	cfg.kernel_len = size - 1;
	cfg.initrd_len = initrd_len[data[0] & 3];
	cfg.initrd = cfg.initrd_len ? initrd : NULL;
	cfg.cmdline = (data[0] & 4) ? cmdline : "console=ttyS0";
	rc = mvm_linux_load(&ram->mem, &cfg, &info, &fuzz_log);
	if (rc > 0)
		abort(); /* the contract: 0 or -errno */
	if (rc == 0 && (info.kernel_hi > RAM_SIZE ||
			info.initrd_gpa + info.initrd_len > RAM_SIZE ||
			(info.initrd_len && info.initrd_gpa < info.kernel_hi)))
		abort();
	return 0;
}
