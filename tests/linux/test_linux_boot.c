/*
 * test_linux_boot.c - boot the teaching kernel (`make linux`) with
 * `mvm run --kernel` and check what Linux itself prints on ttyS0.
 *
 * These tests take tens of seconds each where guest kernel code is
 * emulated (quirks.h, RING0_EMULATED), so they live apart from `make
 * test`'s fast programs: `make test-linux` (mk/linux.mk), which `make
 * test` runs once build/linux/bzImage exists.
 *
 * What a boot proves here: the loader (the kernel decompresses and
 * starts), the UART (every line below came through it), the interrupt
 * controllers and PIT (the kernel's timer works or it would hang in
 * calibration), and the initramfs placement ("Run /init" only after the
 * kernel found and unpacked it). Where the backend can run Linux user
 * space (no NO_GUEST_SYSCALLS quirk), the tests also wait for /init's
 * marker and the clean end of the run (`reboot -f` with reboot=t); where
 * it cannot, the kernel panics at /init's first system call, which the
 * tests then expect instead, naming the quirk.
 *
 * The disk boots go without an initramfs (with one holding /init, Linux
 * never mounts root=): the ext2 image on virtio-blk is the root, and the
 * console must show Linux's own driver naming it vda and the mount.
 *
 * Every boot runs under mvm's --timeout and timeout(1) both.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "minivmm/minivmm.h"

#define MVM	    MVM_BUILD_DIR "/mvm"
#define LINUX_DIR   MVM_SRC_DIR "/build/linux"
#define OUT_MAX	    (256 * 1024)
#define BOOT_LIMIT  "420" /* seconds: mvm --timeout per boot */
#define HARD_LIMIT  "480" /* seconds: timeout(1) around mvm */
#define INIT_MARKER "MVM-INIT: hello from /init"

struct boot {
	int status;	   /* mvm's exit status, -1 if killed */
	double secs;	   /* wall time */
	char out[OUT_MAX]; /* console and mvm's messages */
};

static struct boot res;

/* Run mvm with args, stdout and stderr together. */
static struct boot *mvm(const char *args)
{
	char cmd[2048];
	struct timespec t0, t1;
	size_t n = 0, got;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "timeout " HARD_LIMIT " " MVM " %s </dev/null 2>&1", args);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < OUT_MAX - 1 &&
	       (got = fread(res.out + n, 1, OUT_MAX - 1 - n, p)) > 0)
		n += got;
	res.out[n] = '\0';
	int st = pclose(p);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	res.secs = (double)(t1.tv_sec - t0.tv_sec) +
		   (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return &res;
}

static void expect(const struct boot *b, const char *text)
{
	if (!strstr(b->out, text))
		fail_msg("the console does not show \"%s\"; mvm said (exit "
			 "%d after %.1f s):\n%s",
			 text, b->status, b->secs, b->out);
}

static int have_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* Skip without /dev/kvm or the built kernel. */
static int skip_reason(const char *kernel)
{
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		fprintf(stderr, "skip: /dev/kvm is not usable here\n");
		return 1;
	}
	if (!have_file(kernel)) {
		fprintf(stderr, "skip: %s missing: run 'make linux'\n", kernel);
		return 1;
	}
	return 0;
}

/* 1 where Linux user space can run on this host's KVM (quirks.h). */
static int user_space_runs(void)
{
	struct mvm_backend be;

	mvm_backend_detect(&be);
	if (be.quirks & MVM_QUIRK_NO_GUEST_SYSCALLS) {
		fprintf(stderr,
			"note: %s: %s; not waiting for /init's marker\n",
			mvm_quirk_name(MVM_QUIRK_NO_GUEST_SYSCALLS),
			mvm_quirk_symptom(MVM_QUIRK_NO_GUEST_SYSCALLS));
		return 0;
	}
	return 1;
}

/* After "Run /init": the marker and a clean reset where user space
 * runs; the panic at the first system call where it cannot. */
static void expect_init_ran(const struct boot *b)
{
	expect(b, "Run /init");
	if (user_space_runs()) {
		expect(b, INIT_MARKER);
		expect(b, "end of run");
		assert_int_equal(b->status, 0);
	} else {
		expect(b, "Attempted to kill init");
		expect(b, "after a kernel panic: end of run");
		assert_int_equal(b->status, 1);
	}
}

/* The bzImage decompresses itself, finds the initramfs and runs /init. */
static void bzimage_boots_to_init_from_the_initramfs(void **state)
{
	(void)state;
	if (skip_reason(LINUX_DIR "/bzImage"))
		skip();
	struct boot *b =
		mvm("run --kernel " LINUX_DIR "/bzImage --initrd " LINUX_DIR
		    "/initramfs.cpio --timeout " BOOT_LIMIT " --stats");

	expect(b, "Linux version 6.1");
	expect(b, "Command line: console=ttyS0");
	expect(b, "printk: console [ttyS0] enabled");
	expect(b, "Unpacking initramfs");
	expect_init_ran(b);
	expect(b, "init started"); /* --stats timeline */
	/* The decompressor's jump to the kernel proper: one debug exit. */
	expect(b, "kernel entered");
	expect(b, "DEBUG ");
	fprintf(stderr, "bzImage + initramfs boot: %.1f s\n", b->secs);
}

/* 1 when this mvm has the virtio options (mvm run --help lists --disk). */
static int have_virtio(void)
{
	struct boot *b = mvm("run --help");

	if (strstr(b->out, "--disk"))
		return 1;
	fprintf(stderr, "skip: this mvm has no --disk (virtio)\n");
	return 0;
}

/*
 * No initramfs: the root file system is the ext2 image on virtio-blk.
 * Linux's own virtio-mmio driver finds the device from the command-line
 * word mvm adds (virtio_mmio.device=...), names it vda, mounts it and
 * runs its /init. transport is "mmio" or "pci".
 */
static void disk_boot(const char *transport)
{
	char args[1024];

	if (skip_reason(LINUX_DIR "/vmlinux") || !have_virtio())
		skip();
	snprintf(args, sizeof(args),
		 "run --kernel " LINUX_DIR "/vmlinux --disk " LINUX_DIR
		 "/disk.ext2 --virtio %s --append 'root=/dev/vda init=/init' "
		 "--timeout " BOOT_LIMIT " --stats",
		 transport);
	struct boot *b = mvm(args);

	if (strstr(b->out, "Operation not supported")) {
		fprintf(stderr, "skip: no virtio-%s transport yet\n",
			transport);
		skip();
	}
	expect(b, "virtio_blk virtio0: [vda]");
	expect(b, "VFS: Mounted root (ext2 filesystem)");
	expect_init_ran(b);
	expect(b, "root mounted"); /* --stats timeline */
	fprintf(stderr, "vmlinux + ext2 on virtio-%s: %.1f s\n", transport,
		b->secs);
}

static void disk_boot_over_virtio_mmio_mounts_vda_and_runs_init(void **state)
{
	(void)state;
	disk_boot("mmio");
}

static void disk_boot_over_virtio_pci_mounts_vda_and_runs_init(void **state)
{
	(void)state;
	disk_boot("pci");
}

/* A malformed kernel is refused before the guest runs, naming why. */
static void malformed_kernel_is_refused_with_the_reason(void **state)
{
	char path[] = "/tmp/mvm-bad-kernel-XXXXXX";
	char args[256];
	static char junk[4096];
	int fd;

	(void)state;
	if (access("/dev/kvm", R_OK | W_OK) != 0)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(write(fd, junk, sizeof(junk)), (int)sizeof(junk));
	close(fd);
	snprintf(args, sizeof(args), "run --kernel %s --timeout 10", path);
	struct boot *b = mvm(args);

	unlink(path);
	assert_int_equal(b->status, 1);
	expect(b, "wrong magic");
	expect(b, "cannot boot");
}

/* Option mistakes are usage errors (2), before any VM is made. */
static void kernel_options_are_checked_first(void **state)
{
	(void)state;
	assert_int_equal(mvm("run --initrd x.cpio")->status, 2);
	expect(&res, "--initrd/--append need --kernel");
	assert_int_equal(mvm("run --kernel k guest.elf")->status, 2);
	expect(&res, "give --kernel or IMAGE, not both");
	assert_int_equal(mvm("run --kernel k --cpus 2")->status, 2);
	expect(&res, "--kernel boots one vCPU (Linux would find more only "
		     "in ACPI or MP tables");
	assert_int_equal(mvm("run --kernel k --gdb 0")->status, 2);
	expect(&res, "--kernel cannot use --gdb yet (the Linux run loop");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_options_are_checked_first),
		cmocka_unit_test(malformed_kernel_is_refused_with_the_reason),
		cmocka_unit_test(bzimage_boots_to_init_from_the_initramfs),
		cmocka_unit_test(
			disk_boot_over_virtio_mmio_mounts_vda_and_runs_init),
		cmocka_unit_test(
			disk_boot_over_virtio_pci_mounts_vda_and_runs_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
