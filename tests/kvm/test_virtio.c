/*
 * test_virtio.c - a real guest drives minivmm's virtio devices over
 * virtio-mmio: examples/virtio-demo.c with the runtime's driver.
 *
 * The guest reads sectors 0-7 into the scratch page and stops at
 * GUEST_SYNC(1): the test compares that page with the backing file,
 * byte for byte. It writes a known pattern to sectors 8-15 and stops at
 * GUEST_SYNC(2): the file must now hold the pattern, or, on a read-only
 * disk, its old bytes (the guest itself asserts the IOERR status). Each
 * case runs on the fast path (ioeventfd + irqfd) and on the plain
 * exit-per-kick path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS	   30000
#define DISK_BYTES (64 * 1024)
#define PATTERN(i) ((uint8_t)((i)*13 + 7)) /* as virtio-demo.c writes */

static void make_disk(char *path, size_t size)
{
	uint8_t buf[DISK_BYTES];
	int fd;

	snprintf(path, size, "/tmp/mvm-vdisk-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + i / 512);
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	close(fd);
}

static void file_bytes(const char *path, long off, uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

/* Count the exits that are a kick of the disk's queue. */
static void count_kicks(void *ctx, struct mvm_vcpu *vcpu,
			const struct mvm_exit *e)
{
	unsigned *n = ctx;

	(void)vcpu;
	if (e->reason == KVM_EXIT_MMIO && e->u.mmio.is_write &&
	    e->u.mmio.addr == MVM_VIRTIO_MMIO_ADDR(MVM_VIRTIO_SLOT_BLK) +
				      MVM_VMMIO_QUEUE_NOTIFY)
		(*n)++;
}

/* Run vCPU 0 to its next SYNC or its end, counting kick exits. */
static enum mvm_verdict run_to_next(struct mvm_machine *m, unsigned *kicks)
{
	struct mvm_exit e;
	enum mvm_verdict v;

	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 1, count_kicks, kicks, &e);
	alarm(0);
	return v;
}

/* The disk's queue counters, read under the device's lock. */
static struct mvm_virtq queue0(struct mvm_virtio_blk *blk)
{
	struct mvm_virtio_dev *d = mvm_virtio_blk_dev(blk);
	struct mvm_virtq q;

	pthread_mutex_lock(&d->lock);
	q = d->vq[0];
	pthread_mutex_unlock(&d->lock);
	return q;
}

static void run_demo(enum mvm_irqchip chip, int plain, int ro)
{
	struct box b = {0};
	char path[64];
	struct mvm_machine_config cfg = {
		.irqchip = chip,
		.virtio = MVM_VIRTIO_DEV_BLK | MVM_VIRTIO_DEV_RNG |
			  MVM_VIRTIO_DEV_CONSOLE,
		.disk = path,
		.disk_ro = ro,
		.virtio_plain = plain,
		.image = MVM_GUEST_DIR "/virtio-demo.elf",
		.mode = MVM_MODE_AUTO,
	};
	uint8_t guest[4096], file[4096];
	const struct mvm_machine_virtio *v;
	struct mvm_machine *m;
	unsigned kick_exits = 0;

	make_disk(path, sizeof(path));
	m = mbox_machine(&b, &cfg);
	v = mvm_machine_virtio(m);
	assert_non_null(v);
	assert_int_equal(v->fast, !plain);

	assert_int_equal(run_to_next(m, &kick_exits), MVM_SYNC);
	/* The guest saw the I/O thread's push before it said SYNC, and its
	 * next pop comes after this read; taking the device's lock (which
	 * both hold) on each side tells TSan so too. */
	mvm_virtio_get_status(mvm_virtio_blk_dev(v->blk));
	assert_int_equal(mvm_memmap_read(mvm_vm_mem(mvm_machine_vm(m)),
					 MVM_SCRATCH_ADDR, guest,
					 sizeof(guest)),
			 0);
	mvm_virtio_get_status(mvm_virtio_blk_dev(v->blk));
	file_bytes(path, 0, file, sizeof(file));
	assert_memory_equal(guest, file, sizeof(file));

	assert_int_equal(run_to_next(m, &kick_exits), MVM_SYNC);
	file_bytes(path, 8 * 512, file, sizeof(file));
	for (unsigned i = 0; i < sizeof(file); i++) {
		unsigned at = 8 * 512 + i;

		assert_int_equal(file[i], ro ? (uint8_t)(at * 7 + at / 512)
					     : PATTERN(i));
	}

	assert_int_equal(run_to_next(m, &kick_exits), MVM_DONE);
	pthread_mutex_lock(&b.lock); /* device threads print too */
	assert_non_null(strstr(b.out, "hello over virtio-console"));
	assert_non_null(strstr(b.out, "16 random bytes"));
	assert_non_null(strstr(b.out, ro ? "refused the write"
					 : "wrote and read back"));
	pthread_mutex_unlock(&b.lock);
	/* three requests, each one kick (the plain path counts them in the
	 * vCPU thread, the fast path in the transport's) */
	assert_int_equal(mvm_virtio_blk_requests(v->blk), 3);
	assert_int_equal(queue0(v->blk).kicks, 3);
	/* what ioeventfd removes: the kicks no longer exit */
	assert_int_equal(kick_exits, plain ? 3 : 0);
	mvm_machine_destroy(m);
	unlink(path);
}

static void blk_matches_file_fast_path(void **state)
{
	(void)state;
	run_demo(MVM_IRQCHIP_KERNEL, 0, 0);
}

static void blk_matches_file_exit_per_kick(void **state)
{
	(void)state;
	run_demo(MVM_IRQCHIP_KERNEL, 1, 0);
}

static void blk_matches_file_without_irqchip(void **state)
{
	(void)state;
	run_demo(MVM_IRQCHIP_NONE, 0, 0);
}

static void read_only_disk_refuses_writes(void **state)
{
	(void)state;
	run_demo(MVM_IRQCHIP_KERNEL, 0, 1);
}

static void read_only_disk_refuses_writes_plain(void **state)
{
	(void)state;
	run_demo(MVM_IRQCHIP_NONE, 1, 1);
}

static void cmdline_announces_each_device(void **state)
{
	struct box b = {0};
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.virtio = MVM_VIRTIO_DEV_RNG | MVM_VIRTIO_DEV_CONSOLE |
			  MVM_VIRTIO_DEV_BALLOON,
	};
	struct mvm_machine *m = mbox_machine(&b, &cfg);
	char line[200];

	(void)state;
	mvm_machine_virtio_cmdline(m, line, sizeof(line));
	/* virtio state is in snapshots (test_snapshot_virtio.c) */
	assert_int_equal(mvm_snapshot_save(m, "/tmp/mvm-virtio-test.snap"), 0);
	unlink("/tmp/mvm-virtio-test.snap");
	assert_string_equal(line, "virtio_mmio.device=0x200@0xc0000200:6 "
				  "virtio_mmio.device=0x200@0xc0000400:7 "
				  "virtio_mmio.device=0x200@0xc0000600:9");
	mvm_machine_destroy(m);
}

/* virtio-irq.c: three reads, each completion an interrupt the guest's
 * handler acknowledges (InterruptStatus bit 0 = used buffer). */
static void run_irq(int plain, unsigned irq_flags)
{
	struct box b = {0};
	char path[64];
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.irq_flags = irq_flags,
		.virtio = MVM_VIRTIO_DEV_BLK,
		.disk = path,
		.virtio_plain = plain,
		.image = MVM_GUEST_DIR "/virtio-irq.elf",
		.mode = MVM_MODE_AUTO,
	};
	struct mvm_machine *m;
	struct mvm_ucall uc;
	unsigned kicks = 0;

	make_disk(path, sizeof(path));
	m = mbox_machine(&b, &cfg);
	assert_int_equal(run_to_next(m, &kicks), MVM_SYNC);
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(m)->ucall, 0, &uc),
		MVM_UCALL_SYNC);
	assert_int_equal(uc.args[0], 1);
	assert_int_equal(uc.args[1], 3); /* interrupts taken */
	assert_int_equal(uc.args[2], MVM_VIRTIO_INT_VRING);
	assert_int_equal(queue0(mvm_machine_virtio(m)->blk).irqs, 3);
	assert_int_equal(run_to_next(m, &kicks), MVM_DONE);
	mvm_machine_destroy(m);
	unlink(path);
}

static void completions_interrupt_through_irqfd(void **state)
{
	(void)state;
	run_irq(0, 0);
}

static void completions_interrupt_through_irq_line(void **state)
{
	(void)state;
	run_irq(1, 0);
}

/* Lab 3's irqfd machine: the plain path's line is itself an irqfd
 * (level, resampled at the guest's EOI). */
static void completions_interrupt_through_irqfd_machine_line(void **state)
{
	(void)state;
	run_irq(1, MVM_MIRQ_IRQFD);
}

/* `mvm run CMDLINE-ARGS` with a timeout; its exit status, output in out. */
static int mvm_run(const char *args, char *out, size_t size)
{
	char cmd[512];
	size_t n = 0, got;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "timeout 60 %s/mvm run -T 30 %s 2>&1",
		 MVM_BUILD_DIR, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n < size - 1 && (got = fread(out + n, 1, size - 1 - n, p)) > 0)
		n += got;
	out[n] = '\0';
	n = (size_t)pclose(p);
	return WIFEXITED((int)n) ? WEXITSTATUS((int)n) : -1;
}

static void mvm_run_disk_ro_refuses_writes(void **state)
{
	char path[64], args[256], out[4096];
	uint8_t file[4096];

	(void)state;
	make_disk(path, sizeof(path));
	snprintf(args, sizeof(args), "--disk %s,ro %s/virtio-demo.elf", path,
		 MVM_GUEST_DIR);
	assert_int_equal(mvm_run(args, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "read-only disk refused the write"));
	file_bytes(path, 8 * 512, file, sizeof(file));
	assert_int_equal(file[0], (uint8_t)(8 * 512 * 7 + 8));
	unlink(path);
	assert_int_equal(mvm_run("--virtio usb x.elf", out, sizeof(out)), 2);
	assert_non_null(strstr(out, "bad --virtio 'usb'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blk_matches_file_fast_path),
		cmocka_unit_test(blk_matches_file_exit_per_kick),
		cmocka_unit_test(blk_matches_file_without_irqchip),
		cmocka_unit_test(read_only_disk_refuses_writes),
		cmocka_unit_test(read_only_disk_refuses_writes_plain),
		cmocka_unit_test(cmdline_announces_each_device),
		cmocka_unit_test(completions_interrupt_through_irqfd),
		cmocka_unit_test(completions_interrupt_through_irq_line),
		cmocka_unit_test(
			completions_interrupt_through_irqfd_machine_line),
		cmocka_unit_test(mvm_run_disk_ro_refuses_writes),
	};

	fixture_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
