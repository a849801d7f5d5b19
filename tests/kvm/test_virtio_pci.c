/*
 * test_virtio_pci.c - a real guest finds virtio-blk by PCI enumeration
 * and reads and writes it over the modern virtio-pci transport
 * (examples/virtio-pci-blk.c with runtime/virtio_pci.c).
 *
 * At GUEST_SYNC 1 the guest's buffer must equal the file's first 4 KiB;
 * at SYNC 2 the file must hold the guest's pattern in sectors 8-15 (or,
 * read-only, its old bytes, with the guest told VIRTIO_BLK_S_IOERR).
 * Between SYNC 3 and 4 the guest makes 16 more 4 KiB reads: the test
 * counts their exits and prints the time each took, on the plain path
 * (every kick exits) and with ioeventfd kicks (no kick exits at all).
 * Last, the same guest on a machine whose config asks for virtio over
 * PCI, and under `mvm run --disk FILE --virtio pci`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS	   60000
#define DISK_BYTES (64 * 1024)
#define PATTERN(i) ((uint8_t)((i)*13 + 7)) /* as virtio-pci-blk.c writes */

struct env {
	struct box b;
	struct mvm_machine *m;
	struct mvm_pci *pci;
	struct mvm_virtio_blk *blk;
	struct mvm_virtio_pci *t;
	char path[64];
	uint8_t img[DISK_BYTES];
};

/* Exits of a stage: all, and MMIO writes to the BAR's notify region. */
struct count {
	unsigned all, kicks;
};

static void count_exit(void *ctx, struct mvm_vcpu *vcpu,
		       const struct mvm_exit *e)
{
	struct count *c = ctx;

	(void)vcpu;
	c->all++;
	if (e->reason == KVM_EXIT_MMIO && e->u.mmio.is_write &&
	    e->u.mmio.addr - (MVM_PCI_MMIO_BASE + MVM_VPCI_NOTIFY) <
		    MVM_VPCI_REGION)
		c->kicks++;
}

static void file_bytes(const char *path, long off, uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

static struct env *env_new(int ro, unsigned flags)
{
	struct env *e = calloc(1, sizeof(*e));
	struct mvm_machine_config cfg = {.irqchip = MVM_IRQCHIP_KERNEL};
	struct mvm_dev_ctx ctx;
	FILE *f;
	int fd;

	assert_non_null(e);
	for (unsigned i = 0; i < sizeof(e->img); i++)
		e->img[i] = (uint8_t)(i * 7 + i / 512);
	snprintf(e->path, sizeof(e->path), "/tmp/mvm-vpci-XXXXXX");
	fd = mkstemp(e->path);
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(e->img, 1, sizeof(e->img), f), sizeof(e->img));
	assert_int_equal(fclose(f), 0);
	e->m = mbox_machine(&e->b, &cfg);
	assert_int_equal(mvm_pci_create(mvm_machine_log(e->m), &e->pci), 0);
	assert_int_equal(mvm_machine_dev_ctx(e->m, -1, &ctx), 0);
	assert_int_equal(mvm_virtio_blk_create(&ctx, e->path, ro, &e->blk), 0);
	assert_int_equal(mvm_virtio_pci_create(e->pci, e->m,
					       mvm_virtio_blk_dev(e->blk),
					       flags, &e->t),
			 0);
	assert_int_equal(mvm_pci_attach(e->pci, e->m), 0);
	assert_int_equal(mvm_machine_load(e->m,
					  MVM_GUEST_DIR "/virtio-pci-blk.elf",
					  MVM_MODE_AUTO),
			 0);
	return e;
}

static void env_free(struct env *e)
{
	/* The transport (ioeventfds) and the device (its I/O thread reads
	 * guest memory) before the machine's VM and memory. */
	mvm_virtio_pci_destroy(e->t);
	mvm_virtio_blk_destroy(e->blk);
	mvm_machine_destroy(e->m);
	mvm_pci_destroy(e->pci);
	unlink(e->path);
	free(e);
}

/* Run to the next SYNC (stage `stage`), counting exits. */
static struct count run_stage(struct env *e, uint64_t stage,
			      struct mvm_ucall *uc)
{
	struct count c = {0};
	enum mvm_verdict v;

	fixture_backstop(RUN_MS);
	v = mvm_machine_run(e->m, 0, RUN_MS, 1, count_exit, &c, NULL);
	alarm(0);
	if (v != MVM_SYNC)
		fail_msg("stage %llu: %s\n%s%s", (unsigned long long)stage,
			 mvm_verdict_name(v), e->b.out, e->b.log);
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(e->m)->ucall, 0, uc),
		MVM_UCALL_SYNC);
	assert_int_equal(uc->args[0], stage);
	return c;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void read_write_read(int ro, unsigned flags)
{
	struct env *e = env_new(ro, flags);
	const char *path = flags ? "ioeventfd kicks" : "exit per kick";
	uint8_t got[4096], file[4096];
	struct mvm_ucall uc;
	struct count c;
	double t0;

	if (flags)
		assert_true(mvm_virtio_pci_fast(e->t));
	c = run_stage(e, 1, &uc);
	/* The guest saw the I/O thread's push before its SYNC; taking the
	 * device's lock, which the push held, tells TSan so too. */
	mvm_virtio_get_status(mvm_virtio_blk_dev(e->blk));
	assert_int_equal(mvm_memmap_read(mvm_vm_mem(mvm_machine_vm(e->m)),
					 uc.args[1], got, sizeof(got)),
			 0);
	mvm_virtio_get_status(mvm_virtio_blk_dev(e->blk));
	assert_memory_equal(got, e->img, sizeof(got));

	c = run_stage(e, 2, &uc);
	assert_int_equal(uc.args[1],
			 ro ? MVM_VIRTIO_BLK_S_IOERR : MVM_VIRTIO_BLK_S_OK);
	file_bytes(e->path, 8 * 512, file, sizeof(file));
	for (unsigned i = 0; i < sizeof(file); i++)
		assert_int_equal(file[i],
				 ro ? e->img[8 * 512 + i] : PATTERN(i));
	assert_int_equal(c.kicks, flags ? 0 : 1);

	run_stage(e, 3, &uc);
	t0 = now_s();
	c = run_stage(e, 4, &uc);
	print_message("virtio-pci blk, %s: 4 KiB read = %.1f exits "
		      "(%.1f kick exits), %.0f us per request\n",
		      path, c.all / (double)uc.args[1],
		      c.kicks / (double)uc.args[1],
		      (now_s() - t0) * 1e6 / (double)uc.args[1]);
	assert_int_equal(c.kicks, flags ? 0 : uc.args[1]);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(e->m, 0, RUN_MS, 1, NULL, NULL, NULL),
			 MVM_DONE);
	alarm(0);
	env_free(e);
}

static void blk_over_virtio_pci_plain(void **state)
{
	(void)state;
	read_write_read(0, 0);
}

static void blk_over_virtio_pci_ioeventfd(void **state)
{
	(void)state;
	read_write_read(0, MVM_VIRTIO_PCI_FAST);
}

static void read_only_blk_over_virtio_pci_refuses_writes(void **state)
{
	(void)state;
	read_write_read(1, MVM_VIRTIO_PCI_FAST);
}

static void make_file(char *path, size_t size)
{
	uint8_t img[DISK_BYTES];
	int fd;

	snprintf(path, size, "/tmp/mvm-vpci-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i * 7 + i / 512);
	assert_int_equal(write(fd, img, sizeof(img)), sizeof(img));
	close(fd);
}

static void file_has_pattern(const char *path)
{
	uint8_t file[4096];

	file_bytes(path, 8 * 512, file, sizeof(file));
	for (unsigned i = 0; i < sizeof(file); i++)
		assert_int_equal(file[i], PATTERN(i));
}

/* config.virtio_transport = PCI: blk, rng and console become functions
 * 1, 2 and 3 of the machine's bridge; the guest finds blk by its ID. */
static void machine_config_puts_virtio_on_pci(void **state)
{
	struct box b = {0};
	char path[64];
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.virtio = MVM_VIRTIO_DEV_BLK | MVM_VIRTIO_DEV_RNG |
			  MVM_VIRTIO_DEV_CONSOLE,
		.disk = path,
		.virtio_transport = MVM_VIRTIO_TRANSPORT_PCI,
	};
	static const uint16_t ids[] = {0x1042, 0x1044, 0x1043};
	static const unsigned slot_of[] = {MVM_VIRTIO_SLOT_BLK,
					   MVM_VIRTIO_SLOT_RNG,
					   MVM_VIRTIO_SLOT_CONSOLE};
	const struct mvm_machine_virtio *v;
	struct mvm_machine *m;
	enum mvm_verdict verdict;

	(void)state;
	make_file(path, sizeof(path));
	m = mbox_machine(&b, &cfg);
	v = mvm_machine_virtio(m);
	assert_non_null(v);
	assert_non_null(v->pci);
	for (int i = 0; i < 3; i++) {
		struct mvm_pci_dev *f =
			mvm_virtio_pci_func(v->vpci[slot_of[i]]);
		uint16_t id;

		assert_null(v->mmio[slot_of[i]]);
		assert_int_equal(mvm_pci_slot(f), i + 1);
		assert_int_equal(mvm_pci_cfg_get(f, MVM_PCI_DEVICE_ID, &id, 2),
				 0);
		assert_int_equal(id, ids[i]);
	}
	assert_true(v->fast); /* blk and rng kick by ioeventfd */
	assert_int_equal(mvm_machine_load(m,
					  MVM_GUEST_DIR "/virtio-pci-blk.elf",
					  MVM_MODE_AUTO),
			 0);
	fixture_backstop(RUN_MS);
	verdict = mvm_machine_run(m, 0, RUN_MS, 0, NULL, NULL, NULL);
	alarm(0);
	if (verdict != MVM_DONE)
		fail_msg("%s\n%s%s", mvm_verdict_name(verdict), b.out, b.log);
	file_has_pattern(path);
	mvm_machine_destroy(m);
	unlink(path);
}

static void mvm_run_virtio_pci_writes_the_disk(void **state)
{
	char path[64], cmd[512], out[4096];
	size_t n;
	FILE *p;
	int st;

	(void)state;
	make_file(path, sizeof(path));
	snprintf(cmd, sizeof(cmd),
		 "timeout 60 %s/mvm run -T 30 --disk %s --virtio pci "
		 "%s/virtio-pci-blk.elf 2>&1",
		 MVM_BUILD_DIR, path, MVM_GUEST_DIR);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("mvm run: status %d\n%s", st, out);
	file_has_pattern(path);
	unlink(path);
}

/* INTx end to end: the guest takes blk's completions as interrupts on
 * the line its configuration space names, through KVM's 8259A; on the
 * plain and on the ioeventfd path. */
static void run_irq(int plain)
{
	struct box b = {0};
	char path[64];
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.virtio = MVM_VIRTIO_DEV_BLK,
		.disk = path,
		.virtio_transport = MVM_VIRTIO_TRANSPORT_PCI,
		.virtio_plain = plain,
		.image = MVM_GUEST_DIR "/virtio-pci-irq.elf",
		.mode = MVM_MODE_AUTO,
	};
	struct mvm_machine *m;
	struct mvm_ucall uc;
	enum mvm_verdict v;

	make_file(path, sizeof(path));
	m = mbox_machine(&b, &cfg);
	fixture_backstop(RUN_MS);
	v = mvm_machine_run(m, 0, RUN_MS, 1, NULL, NULL, NULL);
	alarm(0);
	if (v != MVM_SYNC)
		fail_msg("%s\n%s%s", mvm_verdict_name(v), b.out, b.log);
	assert_int_equal(
		mvm_ucall_last_of(mvm_machine_devices(m)->ucall, 0, &uc),
		MVM_UCALL_SYNC);
	assert_int_equal(uc.args[0], 1);
	assert_int_equal(uc.args[1], 3); /* interrupts taken */
	assert_int_equal(uc.args[2], MVM_VIRTIO_INT_VRING);
	assert_int_equal(uc.args[3], MVM_PCI_INTX_GSI(1)); /* slot 1 */
	mvm_machine_destroy(m);
	unlink(path);
}

static void completions_interrupt_through_intx(void **state)
{
	(void)state;
	run_irq(1);
}

static void completions_interrupt_through_intx_with_ioeventfd(void **state)
{
	(void)state;
	run_irq(0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(blk_over_virtio_pci_plain),
		cmocka_unit_test(blk_over_virtio_pci_ioeventfd),
		cmocka_unit_test(read_only_blk_over_virtio_pci_refuses_writes),
		cmocka_unit_test(machine_config_puts_virtio_on_pci),
		cmocka_unit_test(mvm_run_virtio_pci_writes_the_disk),
		cmocka_unit_test(completions_interrupt_through_intx),
		cmocka_unit_test(
			completions_interrupt_through_intx_with_ioeventfd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
