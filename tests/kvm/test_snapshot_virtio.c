/*
 * test_snapshot_virtio.c - machines with virtio devices in snapshots
 * and migration (snapshot.h, virtio_state.c).
 *
 * The guests are the virtio examples with the runtime's driver: virtio-
 * demo.c over virtio-mmio (console, rng, a blk read, write and read
 * back) and virtio-pci-blk.c over virtio-pci (reads, a write, 16 more
 * reads). Each checks what it reads back itself (GUEST_ASSERT), so a
 * restored guest that finishes (MVM_DONE) with the reference output
 * lost no request; the disk file must then hold exactly what an
 * uninterrupted run leaves in it.
 *
 * Snapshots are taken at many exits (stepping), and at random moments
 * of a threaded run (a pause lands while the guest polls for a request
 * the I/O thread has or has not served: queues active), restored in a
 * new machine and run to the end. Then malformed device sections, and a
 * live migration of a virtio guest over the loopback.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../libminivmm/src/snapshot/snapfile.h"
#include "fixture.h"
#include "mbox.h"
#include "migwitness.h"

#define RUN_MS	   30000
#define DISK_BYTES (64 * 1024)

/* One way to run a virtio guest. */
struct variant {
	const char *image;
	int pci, plain;
};

static const struct variant variants[] = {
	{MVM_GUEST_DIR "/virtio-demo.elf", 0, 0},
	{MVM_GUEST_DIR "/virtio-demo.elf", 0, 1},
	{MVM_GUEST_DIR "/virtio-pci-blk.elf", 1, 0},
	{MVM_GUEST_DIR "/virtio-pci-blk.elf", 1, 1},
};

static char disk[64], snap[64];

/* The disk every run starts from. */
static void fresh_disk(void)
{
	uint8_t buf[DISK_BYTES];
	int fd = open(disk, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + i / 512);
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	close(fd);
}

static void disk_bytes(uint8_t *buf)
{
	int fd = open(disk, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, DISK_BYTES, 0), DISK_BYTES);
	close(fd);
}

static struct mvm_machine *boot(struct box *b, const struct variant *v)
{
	struct mvm_machine_config cfg = {
		.irqchip = MVM_IRQCHIP_KERNEL,
		.virtio = v->pci ? MVM_VIRTIO_DEV_BLK
				 : MVM_VIRTIO_DEV_BLK | MVM_VIRTIO_DEV_RNG |
					   MVM_VIRTIO_DEV_CONSOLE,
		.virtio_transport = v->pci ? MVM_VIRTIO_TRANSPORT_PCI
					   : MVM_VIRTIO_TRANSPORT_MMIO,
		.disk = disk,
		.virtio_plain = v->plain,
		.image = v->image,
		.mode = MVM_MODE_AUTO,
	};

	return mbox_machine(b, &cfg);
}

/* A box's callbacks for a machine built elsewhere (restore, migration):
 * mbox_machine() installs them, so borrow them from a throwaway call. */
static struct mvm_machine_config base_for(struct box *b)
{
	struct mvm_machine_config cfg = {.mode = MVM_MODE_AUTO};
	struct mvm_machine *m = mbox_machine(b, &cfg);

	mvm_machine_destroy(m);
	return cfg;
}

/* Step vCPU 0 up to max exits (0: to the end); the exits taken. */
static int steps(struct mvm_machine *m, int max, enum mvm_verdict *v)
{
	struct mvm_exit e;
	int n = 0;

	*v = MVM_GO_ON;
	fixture_backstop(RUN_MS);
	while ((*v == MVM_GO_ON || *v == MVM_SYNC) && (!max || n < max)) {
		assert_int_equal(mvm_machine_step(m, 0, &e, v), 0);
		n++;
	}
	alarm(0);
	return n;
}

/* The uninterrupted run of v: its output, exits and final disk. */
struct ref {
	char out[4096];
	int exits;
	int blk_exit; /* the first exit with the disk's queue in use */
	uint64_t us;  /* how long the run took */
	uint8_t disk[DISK_BYTES];
};

/* Has the disk's queue served a request? */
static int blk_busy(struct mvm_machine *m)
{
	struct mvm_virtio_dev *d =
		mvm_virtio_blk_dev(mvm_machine_virtio(m)->blk);
	int busy;

	pthread_mutex_lock(&d->lock);
	busy = d->vq[0].ready && d->vq[0].used_idx > 0;
	pthread_mutex_unlock(&d->lock);
	return busy;
}

static void reference(const struct variant *v, struct ref *r)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine *m;
	enum mvm_verdict verdict = MVM_GO_ON;
	double t0 = fixture_now_s();

	fresh_disk();
	m = boot(b, v);
	r->exits = r->blk_exit = 0;
	while (verdict == MVM_GO_ON || verdict == MVM_SYNC) {
		r->exits += steps(m, 1, &verdict);
		if (!r->blk_exit && blk_busy(m))
			r->blk_exit = r->exits;
	}
	r->us = (uint64_t)((fixture_now_s() - t0) * 1e6);
	assert_int_equal(verdict, MVM_DONE);
	assert_true(r->blk_exit > 0);
	mvm_machine_destroy(m);
	memcpy(r->out, b->out, b->len + 1);
	disk_bytes(r->disk);
	free(b);
}

/* Restore snap, run to the end: before's output and the restored run's
 * make the reference's, and the disk is the reference's. */
static void restore_and_finish(const struct ref *r, const struct box *before)
{
	struct box *after = calloc(1, sizeof(*after));
	struct mvm_machine_config cfg = base_for(after);
	struct mvm_machine *m = NULL;
	uint8_t *now = malloc(DISK_BYTES);
	enum mvm_verdict verdict;
	int rc = mvm_snapshot_restore(snap, &cfg, 0, &m);

	if (rc)
		fail_msg("restore: %s\n%s", strerror(-rc), after->log);
	steps(m, 0, &verdict);
	mvm_machine_destroy(m); /* the I/O thread is done with the disk */
	if (verdict != MVM_DONE)
		fail_msg("verdict %d; log:\n%s", verdict, after->log);
	assert_int_equal(before->len + after->len, strlen(r->out));
	assert_memory_equal(before->out, r->out, before->len);
	assert_memory_equal(after->out, r->out + before->len, after->len);
	disk_bytes(now);
	assert_memory_equal(now, r->disk, DISK_BYTES);
	free(now);
	free(after);
}

static void saved_at_many_exits_finishes_with_the_right_disk(void **state)
{
	struct ref *r = malloc(sizeof(*r));
	int points = 0;

	(void)state;
	for (size_t k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
		const struct variant *v = &variants[k];

		reference(v, r);
		/* A few points in the setup, every one while the disk works. */
		for (int at = 1; at < r->exits;
		     at += at < r->blk_exit ? 1 + r->blk_exit / 4 : 1) {
			struct box *before = calloc(1, sizeof(*before));
			struct mvm_machine *m;
			enum mvm_verdict verdict;

			fresh_disk();
			m = boot(before, v);
			if (getenv("DBG"))
				print_message("variant %zu at %d\n", k, at);
			/* Exits may vary by one between runs (a poll that
			 * sees the used ring a step later): never save the
			 * finished guest. */
			if (steps(m, at, &verdict) < at ||
			    verdict == MVM_DONE) {
				mvm_machine_destroy(m);
				free(before);
				break;
			}
			assert_int_equal(mvm_snapshot_save(m, snap), 0);
			mvm_machine_destroy(m);
			restore_and_finish(r, before);
			free(before);
			points++;
		}
	}
	print_message("%d points\n", points);
	assert_true(points >= 30);
	free(r);
}

/*
 * Threads: the guest runs on its vCPU thread and the ioeventfd and I/O
 * threads serve it; the pause lands wherever it lands, most often while
 * the guest polls the used ring with a request made available, kicked,
 * and maybe popped and pushed. The source runs on to its own end after
 * the save, both from the same disk state: it goes first.
 */
static void paused_mid_request_restores_and_finishes(void **state)
{
	struct ref *r = malloc(sizeof(*r));
	int mid = 0;

	(void)state;
	for (size_t k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
		const struct variant *v = &variants[k];

		reference(v, r);
		for (int i = 0; i < 6; i++) {
			struct box *before = calloc(1, sizeof(*before));
			struct mvm_machine *m;
			struct mvm_exit e;
			enum mvm_verdict verdict;
			int saved = 0;
			size_t cut;

			fresh_disk();
			m = boot(before, v);
			fixture_backstop(RUN_MS);
			assert_int_equal(
				mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
			usleep((useconds_t)(r->us * (uint64_t)(i + 2) / 10 +
					    (uint64_t)rand() % 500));
			assert_int_equal(mvm_machine_pause(m), 0);
			/* A parked vCPU answers with its last verdict. */
			if (mvm_machine_result(m, 0, &verdict, &e) == 0 &&
			    (verdict == MVM_GO_ON || verdict == MVM_SYNC)) {
				assert_int_equal(mvm_snapshot_save(m, snap), 0);
				saved = 1;
			}
			pthread_mutex_lock(&before->lock);
			cut = before->len; /* what the snapshot follows */
			pthread_mutex_unlock(&before->lock);
			/* The disk now is the snapshot's: the source stops
			 * here, without its rest. */
			assert_int_equal(mvm_machine_resume(m), 0);
			mvm_machine_destroy(m);
			alarm(0);
			before->len = cut;
			if (saved)
				restore_and_finish(r, before);
			mid += saved;
			free(before);
		}
	}
	print_message("%d pauses mid-run\n", mid);
	assert_true(mid >= 8);
	free(r);
}

/* --- malformed device sections ----------------------------------------- */

/* The file's virtio-blk section: header offset and header. */
static int find_blk(uint64_t *at, struct snap_sect_hdr *s)
{
	struct snap_file_hdr h;
	uint64_t off = sizeof(h);
	int fd = open(snap, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	for (uint32_t i = 0; i < h.nsects; i++) {
		assert_int_equal(pread(fd, s, sizeof(*s), (off_t)off),
				 sizeof(*s));
		if (s->type == MVM_SNAP_DEVICE &&
		    s->flags == MVM_SNAP_DEV_VIRTIO &&
		    !strcmp(s->name, "virtio-blk")) {
			*at = off;
			close(fd);
			return (int)i;
		}
		off = snap_align(s->offset + s->length, 8);
	}
	close(fd);
	fail_msg("no virtio-blk section");
	return -1;
}

/* Overwrite body bytes [off, off + len) of the blk section (or its name
 * when name is set), make the crcs right, restore: refused with rc and
 * both the section and `why` in the log. */
static void expect_refused(size_t off, const void *bytes, size_t len,
			   const char *name, int rc, const char *why)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine_config cfg = base_for(b);
	struct mvm_machine *m = NULL;
	struct snap_sect_hdr s;
	uint8_t body[8192];
	char label[64];
	uint64_t at = 0;
	int i = find_blk(&at, &s), fd = open(snap, O_RDWR);

	assert_true(fd >= 0 && s.length <= sizeof(body));
	assert_int_equal(pread(fd, body, s.length, (off_t)s.offset),
			 (ssize_t)s.length);
	memcpy(body + off, bytes, len);
	if (name)
		snprintf(s.name, sizeof(s.name), "%s", name);
	s.body_crc = mvm_crc32(0, body, s.length);
	s.hdr_crc = mvm_snap_sect_hdr_crc(&s);
	assert_int_equal(pwrite(fd, body, s.length, (off_t)s.offset),
			 (ssize_t)s.length);
	assert_int_equal(pwrite(fd, &s, sizeof(s), (off_t)at), sizeof(s));
	close(fd);
	assert_int_equal(mvm_snapshot_restore(snap, &cfg, 0, &m), rc);
	assert_null(m);
	snprintf(label, sizeof(label), "section %d (device 0)", i);
	if (!strstr(b->log, label) || !strstr(b->log, why))
		fail_msg("want \"%s\" and \"%s\"; log:\n%s", label, why,
			 b->log);
	free(b);
}

/* Offsets in the blob: struct mvm_devstate_hdr (8 bytes), then
 * virtio_state.c's struct vsaved: 6 u32, u64 accepted, 4 u32, queues. */
#define AT_STATUS 8 + 32
#define AT_Q0	  8 + 48 /* size, last_avail, used_idx, signalled, ... */
#define AT_Q0DESC (AT_Q0 + 16)

static void save_mid_run(void)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine *m;
	struct ref *r = malloc(sizeof(*r));
	enum mvm_verdict v;

	reference(&variants[1], r);
	fresh_disk();
	m = boot(b, &variants[1]);
	steps(m, r->blk_exit + 1, &v);
	assert_int_equal(mvm_snapshot_save(m, snap), 0);
	mvm_machine_destroy(m);
	free(r);
	free(b);
}

static void malformed_virtio_sections_are_refused_by_name(void **state)
{
	uint16_t size3 = 3, size1k = 1024;
	uint64_t far = 1ULL << 40, odd = 0x1008;
	uint32_t status = 0x20f, magic = 0x12345678;

	(void)state;
	save_mid_run();
	expect_refused(AT_Q0, &size3, 2, NULL, -EINVAL, "size 3 refused");
	save_mid_run();
	expect_refused(AT_Q0, &size1k, 2, NULL, -EINVAL, "size 1024 refused");
	save_mid_run();
	expect_refused(AT_Q0DESC, &far, 8, NULL, -EINVAL, "outside guest RAM");
	save_mid_run();
	expect_refused(AT_Q0DESC, &odd, 8, NULL, -EINVAL, "misaligned");
	save_mid_run();
	expect_refused(AT_STATUS, &status, 4, NULL, -EINVAL,
		       "unknown status/ISR bits");
	save_mid_run();
	expect_refused(0, &magic, 4, NULL, -EINVAL, "not this build's");
	save_mid_run();
	expect_refused(0, &magic, 0, "virtio-rng", -ENOENT,
		       "the file has virtio-rng in slot 0");
}

/* --- migration over the loopback ------------------------------------------ */

struct target {
	int fd;
	struct box *b;
	struct mvm_machine *m;
	int rc;
};

static void *target_main(void *arg)
{
	struct target *t = arg;
	struct mvm_machine_config cfg = base_for(t->b);

	t->rc = mvm_migrate_receive(t->fd, &cfg, &t->m, NULL);
	close(t->fd);
	return NULL;
}

/* Source stepped `at` exits in, then migrated (the rounds while the
 * device threads run on); the target finishes with the right disk. */
static void migrated_virtio_guest_finishes_with_the_right_disk(void **state)
{
	struct ref *r = malloc(sizeof(*r));
	uint8_t *now = malloc(DISK_BYTES);

	(void)state;
	for (size_t k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
		struct box *src_b = calloc(1, sizeof(*src_b));
		struct target t = {.b = calloc(1, sizeof(*t.b))};
		struct mvm_migrate *mg;
		struct mvm_machine *src;
		pthread_t th;
		enum mvm_verdict v;
		int sfd;

		reference(&variants[k], r);
		fresh_disk();
		src = boot(src_b, &variants[k]);
		steps(src, (r->blk_exit + r->exits) / 2, &v);
		assert_int_equal(migwitness_tcp_pair(&sfd, &t.fd), 0);
		assert_int_equal(pthread_create(&th, NULL, target_main, &t), 0);
		assert_int_equal(mvm_migrate_create(src, sfd, NULL, &mg), 0);
		assert_int_equal(mvm_migrate_live(mg), 0);
		assert_int_equal(mvm_migrate_finish(mg), 0);
		mvm_migrate_destroy(mg);
		close(sfd);
		pthread_join(th, NULL);
		mvm_machine_destroy(src);
		if (t.rc)
			fail_msg("target: %s\n%s", strerror(-t.rc), t.b->log);
		steps(t.m, 0, &v);
		assert_int_equal(v, MVM_DONE);
		mvm_machine_destroy(t.m);
		assert_int_equal(src_b->len + t.b->len, strlen(r->out));
		assert_memory_equal(t.b->out, r->out + src_b->len, t.b->len);
		disk_bytes(now);
		assert_memory_equal(now, r->disk, DISK_BYTES);
		free(src_b);
		free(t.b);
	}
	free(now);
	free(r);
}

static int setup(void **state)
{
	(void)state;
	fixture_require_kvm();
	snprintf(disk, sizeof(disk), "/tmp/mvm-snapvio-%d.img", (int)getpid());
	snprintf(snap, sizeof(snap), "/tmp/mvm-snapvio-%d.mvmsnap",
		 (int)getpid());
	srand(1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(disk);
	unlink(snap);
	return 0;
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			saved_at_many_exits_finishes_with_the_right_disk),
		cmocka_unit_test(paused_mid_request_restores_and_finishes),
		cmocka_unit_test(malformed_virtio_sections_are_refused_by_name),
		cmocka_unit_test(
			migrated_virtio_guest_finishes_with_the_right_disk),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
