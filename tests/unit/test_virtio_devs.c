/*
 * test_virtio_devs.c - virtio-blk, virtio-rng and virtio-console behind
 * the virtio-mmio register block, without KVM.
 *
 * Host memory stands in for guest RAM and the test is the driver: it
 * walks the init sequence through the mmio registers (virtio 1.2,
 * 4.2.3.1), builds request chains by hand and kicks with QueueNotify.
 * virtio-blk answers on its own I/O thread, so the test waits (with a
 * deadline) for used->idx to move. Disk contents are checked byte for
 * byte against the backing file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "hostram.h"
#include "minivmm/layout.h"
#include "minivmm/virtio_devs.h"
#include "minivmm/virtio_mmio.h"
#include "minivmm/virtio_ring.h"

#define RAM   (1u << 20)
#define QSIZE 16
#define RINGS 0x1000ULL /* queue q's rings at RINGS + q * 0x1000 */
#define BUF   0x10000ULL
#define DISK  (64 * 1024)

struct env {
	struct hostram *h;
	struct mvm_dev_ctx ctx;
	struct mvm_virtio_mmio *t;
	char path[64];	   /* the backing file */
	uint16_t avail[2]; /* next avail->idx per queue */
	char out[256];	   /* console output */
	size_t nout;
	char log[256];
};

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct env *e = ctx;

	(void)level;
	snprintf(e->log, sizeof(e->log), "%s", msg);
}

static struct mvm_log the_log;

static void out_fn(void *ctx, const char *buf, size_t len)
{
	struct env *e = ctx;

	capture_append(e->out, sizeof(e->out), &e->nout, buf, len);
}

/* --- the driver ------------------------------------------------------------ */

static uint32_t rd(struct env *e, uint64_t off)
{
	uint32_t v = 0;

	assert_int_equal(mvm_virtio_mmio_ops.read(e->t, NULL, off, &v, 4), 0);
	return v;
}

static void wr(struct env *e, uint64_t off, uint32_t v)
{
	assert_int_equal(mvm_virtio_mmio_ops.write(e->t, NULL, off, &v, 4), 0);
}

/* 4.2.3.1 and 3.1.1: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK,
 * the queues, DRIVER_OK. */
static void driver_init(struct env *e, unsigned nq)
{
	assert_int_equal(rd(e, MVM_VMMIO_MAGIC), MVM_VMMIO_MAGIC_VALUE);
	assert_int_equal(rd(e, MVM_VMMIO_VERSION), 2);
	wr(e, MVM_VMMIO_STATUS, 0);
	wr(e, MVM_VMMIO_STATUS, MVM_VIRTIO_S_ACKNOWLEDGE);
	wr(e, MVM_VMMIO_STATUS, MVM_VIRTIO_S_ACKNOWLEDGE | MVM_VIRTIO_S_DRIVER);
	wr(e, MVM_VMMIO_DEV_FEAT_SEL, 1);
	assert_true(rd(e, MVM_VMMIO_DEV_FEATURES) & 1); /* VERSION_1 */
	wr(e, MVM_VMMIO_DRV_FEAT_SEL, 1);
	wr(e, MVM_VMMIO_DRV_FEATURES, 1);
	wr(e, MVM_VMMIO_STATUS, 0x0b);
	assert_int_equal(rd(e, MVM_VMMIO_STATUS), 0x0b);
	for (unsigned q = 0; q < nq; q++) {
		uint64_t r = RINGS + q * 0x1000ULL;

		wr(e, MVM_VMMIO_QUEUE_SEL, q);
		assert_true(rd(e, MVM_VMMIO_QUEUE_NUM_MAX) >= QSIZE);
		wr(e, MVM_VMMIO_QUEUE_NUM, QSIZE);
		wr(e, MVM_VMMIO_QUEUE_DESC_LO, (uint32_t)r);
		wr(e, MVM_VMMIO_QUEUE_DESC_HI, 0);
		wr(e, MVM_VMMIO_QUEUE_DRV_LO, (uint32_t)(r + 0x400));
		wr(e, MVM_VMMIO_QUEUE_DEV_LO, (uint32_t)(r + 0x800));
		wr(e, MVM_VMMIO_QUEUE_READY, 1);
		assert_int_equal(rd(e, MVM_VMMIO_QUEUE_READY), 1);
	}
	wr(e, MVM_VMMIO_STATUS, 0x0f);
	assert_int_equal(rd(e, MVM_VMMIO_STATUS), 0x0f);
}

static void put_desc(struct env *e, unsigned q, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags)
{
	struct mvm_vring_desc d = {addr, len, flags, (uint16_t)(i + 1)};

	if (!(flags & MVM_VIRTQ_DESC_F_NEXT))
		d.next = 0;
	memcpy(e->h->ram + RINGS + q * 0x1000ULL + 16 * i, &d, sizeof(d));
}

static uint16_t used_idx(struct env *e, unsigned q)
{
	return __atomic_load_n(
		(uint16_t *)(e->h->ram + RINGS + q * 0x1000ULL + 0x800 + 2),
		__ATOMIC_ACQUIRE);
}

/* Offer head 0 of queue q, kick, wait (2 s at most) for the device to
 * return it; the length it reported. */
static uint32_t submit(struct env *e, unsigned q)
{
	uint8_t *avail = e->h->ram + RINGS + q * 0x1000ULL + 0x400;
	uint16_t want = (uint16_t)(e->avail[q] + 1), zero = 0;
	struct mvm_vring_used_elem u;

	memcpy(avail + 4 + 2 * (e->avail[q] % QSIZE), &zero, 2);
	__atomic_store_n((uint16_t *)(avail + 2), want, __ATOMIC_RELEASE);
	e->avail[q] = want;
	wr(e, MVM_VMMIO_QUEUE_NOTIFY, q);
	for (int i = 0; i < 2000 && used_idx(e, q) != want; i++)
		usleep(1000);
	assert_int_equal(used_idx(e, q), want);
	memcpy(&u,
	       e->h->ram + RINGS + q * 0x1000ULL + 0x800 + 4 +
		       8 * ((want - 1) % QSIZE),
	       sizeof(u));
	assert_int_equal(u.id, 0);
	return u.len;
}

/* A blk request: header, data (len bytes at BUF + 0x1000, device-
 * writable for IN), status at BUF + 0x100. Returns the status. */
static uint8_t blk_req(struct env *e, uint32_t type, uint64_t sector,
		       uint32_t len, uint32_t *written)
{
	struct mvm_virtio_blk_req h = {type, 0, sector};
	int in = type == MVM_VIRTIO_BLK_T_IN || type == MVM_VIRTIO_BLK_T_GET_ID;
	unsigned n = 0;
	uint32_t w;

	memcpy(e->h->ram + BUF, &h, sizeof(h));
	e->h->ram[BUF + 0x100] = 0xee;
	put_desc(e, 0, n++, BUF, sizeof(h), MVM_VIRTQ_DESC_F_NEXT);
	if (len)
		put_desc(e, 0, n++, BUF + 0x1000, len,
			 MVM_VIRTQ_DESC_F_NEXT |
				 (in ? MVM_VIRTQ_DESC_F_WRITE : 0));
	put_desc(e, 0, n, BUF + 0x100, 1, MVM_VIRTQ_DESC_F_WRITE);
	w = submit(e, 0);
	if (written)
		*written = w;
	return e->h->ram[BUF + 0x100];
}

/* --- fixtures ---------------------------------------------------------------- */

static struct env *env_new(void)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->h = hostram_new(RAM, 0);
	assert_non_null(e->h);
	the_log = (struct mvm_log){log_fn, e};
	e->ctx.mem = &e->h->mem;
	e->ctx.log = &the_log;
	return e;
}

static void env_free(struct env *e)
{
	mvm_virtio_mmio_destroy(e->t);
	hostram_free(e->h);
	free(e);
}

/* A DISK-byte file of a known pattern; the blk device on it. */
static struct mvm_virtio_blk *blk_on_file(struct env *e, int ro)
{
	struct mvm_virtio_blk *b;
	int fd;

	snprintf(e->path, sizeof(e->path), "/tmp/mvm-vblk-XXXXXX");
	fd = mkstemp(e->path);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < DISK; i++) {
		uint8_t c = (uint8_t)(i * 7 + i / 512);

		assert_int_equal(write(fd, &c, 1), 1);
	}
	close(fd);
	assert_int_equal(mvm_virtio_blk_create(&e->ctx, e->path, ro, &b), 0);
	assert_int_equal(mvm_virtio_mmio_create(NULL, mvm_virtio_blk_dev(b),
						MVM_VIRTIO_SLOT_BLK, 0, &e->t),
			 0);
	driver_init(e, 1);
	return b;
}

/* Transport, device, file, then the RAM they used. */
static void blk_done(struct env *e, struct mvm_virtio_blk *b)
{
	mvm_virtio_mmio_destroy(e->t);
	e->t = NULL;
	mvm_virtio_blk_destroy(b);
	unlink(e->path);
	env_free(e);
}

static void file_bytes(struct env *e, uint64_t off, void *buf, size_t len)
{
	FILE *f = fopen(e->path, "rb");

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fread(buf, 1, len, f), len);
	fclose(f);
}

/* --- tests ----------------------------------------------------------------- */

static void mmio_block_identifies_the_device(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_rng *r;
	char line[64];

	(void)state;
	assert_int_equal(mvm_virtio_rng_create(&e->ctx, &r), 0);
	assert_int_equal(mvm_virtio_mmio_create(NULL, mvm_virtio_rng_dev(r), 1,
						0, &e->t),
			 0);
	assert_int_equal(rd(e, MVM_VMMIO_DEVICE_ID), MVM_VIRTIO_ID_RNG);
	wr(e, MVM_VMMIO_DEV_FEAT_SEL, 0);
	assert_int_equal(rd(e, MVM_VMMIO_DEV_FEATURES),
			 (1u << 28) | (1u << 29));
	mvm_virtio_mmio_cmdline(line, sizeof(line), 1);
	assert_string_equal(line, "virtio_mmio.device=0x200@0xc0000200:6");
	/* 4.2.2.2: only 32-bit aligned register accesses */
	assert_int_equal(mvm_virtio_mmio_ops.read(e->t, NULL, 2, line, 2),
			 -EINVAL);
	mvm_virtio_mmio_destroy(e->t);
	e->t = NULL;
	mvm_virtio_rng_destroy(r);
	env_free(e);
}

static void blk_reads_match_file(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_blk *b = blk_on_file(e, 0);
	uint8_t want[4096];
	uint32_t w;

	(void)state;
	assert_int_equal(mvm_virtio_blk_capacity(b), DISK / 512);
	/* config space (5.2.4): capacity in two halves, seg_max */
	assert_int_equal(rd(e, MVM_VMMIO_CONFIG), DISK / 512);
	assert_int_equal(rd(e, MVM_VMMIO_CONFIG + 4), 0);
	assert_int_equal(rd(e, MVM_VMMIO_CONFIG + 12), 126);
	assert_int_equal(rd(e, MVM_VMMIO_CONFIG + 0x100), 0); /* beyond */
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_IN, 5, 4096, &w),
			 MVM_VIRTIO_BLK_S_OK);
	assert_int_equal(w, 4097);
	file_bytes(e, 5 * 512, want, sizeof(want));
	assert_memory_equal(e->h->ram + BUF + 0x1000, want, sizeof(want));
	blk_done(e, b);
}

static void blk_writes_reach_file(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_blk *b = blk_on_file(e, 0);
	uint8_t got[1024];

	(void)state;
	for (unsigned i = 0; i < sizeof(got); i++)
		e->h->ram[BUF + 0x1000 + i] = (uint8_t)(0xa5 ^ i);
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_OUT, 127, 512, NULL),
			 MVM_VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_FLUSH, 0, 0, NULL),
			 MVM_VIRTIO_BLK_S_OK);
	file_bytes(e, 127 * 512, got, 512);
	assert_memory_equal(got, e->h->ram + BUF + 0x1000, 512);
	blk_done(e, b);
}

static void blk_read_only_refuses_writes(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_blk *b = blk_on_file(e, 1);
	uint8_t before[512], after[512];

	(void)state;
	wr(e, MVM_VMMIO_DEV_FEAT_SEL, 0);
	assert_true(rd(e, MVM_VMMIO_DEV_FEATURES) &
		    (1u << MVM_VIRTIO_BLK_F_RO));
	file_bytes(e, 0, before, 512);
	memset(e->h->ram + BUF + 0x1000, 0x5a, 512);
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_OUT, 0, 512, NULL),
			 MVM_VIRTIO_BLK_S_IOERR);
	file_bytes(e, 0, after, 512);
	assert_memory_equal(before, after, 512);
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_IN, 0, 512, NULL),
			 MVM_VIRTIO_BLK_S_OK);
	blk_done(e, b);
}

static void blk_checks_sector_bounds(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_blk *b = blk_on_file(e, 0);
	const uint64_t last = DISK / 512 - 1;

	(void)state;
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_IN, last, 512, NULL),
			 MVM_VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_IN, last, 1024, NULL),
			 MVM_VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_OUT, ~0ULL, 512, NULL),
			 MVM_VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_IN, 0, 100, NULL),
			 MVM_VIRTIO_BLK_S_IOERR); /* not whole sectors */
	assert_int_equal(blk_req(e, 99, 0, 0, NULL), MVM_VIRTIO_BLK_S_UNSUPP);
	blk_done(e, b);
}

/* 5.2.6: a request is header + data + status; one without a status
 * byte cannot be answered, so the device needs a reset. */
static void blk_request_without_status_needs_reset(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_blk *b = blk_on_file(e, 0);
	struct mvm_virtio_blk_req h = {MVM_VIRTIO_BLK_T_IN, 0, 0};
	uint8_t *avail = e->h->ram + RINGS + 0x400;
	uint16_t one = 1;

	(void)state;
	memcpy(e->h->ram + BUF, &h, sizeof(h));
	put_desc(e, 0, 0, BUF, sizeof(h), 0);
	memcpy(avail + 2, &one, 2);
	wr(e, MVM_VMMIO_QUEUE_NOTIFY, 0);
	for (int i = 0; i < 2000 && !(rd(e, MVM_VMMIO_STATUS) & 0x40); i++)
		usleep(1000);
	assert_int_equal(rd(e, MVM_VMMIO_STATUS),
			 0x0f | MVM_VIRTIO_S_NEEDS_RESET);
	assert_int_equal(rd(e, MVM_VMMIO_INT_STATUS), MVM_VIRTIO_INT_CONFIG);
	assert_non_null(strstr(e->log, "needs a 16-byte header and a status"));
	assert_int_equal(used_idx(e, 0), 0);
	/* a reset brings it back */
	driver_init(e, 1);
	e->avail[0] = 0;
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_IN, 0, 512, NULL),
			 MVM_VIRTIO_BLK_S_OK);
	blk_done(e, b);
}

static void blk_get_id_names_the_file(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_blk *b = blk_on_file(e, 0);
	uint32_t w;

	(void)state;
	assert_int_equal(blk_req(e, MVM_VIRTIO_BLK_T_GET_ID, 0, 20, &w),
			 MVM_VIRTIO_BLK_S_OK);
	assert_int_equal(w, 21);
	assert_memory_equal(e->h->ram + BUF + 0x1000, "mvm-vblk-", 9);
	blk_done(e, b);
}

static void rng_fills_buffer(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_rng *r;
	unsigned nonzero = 0;

	(void)state;
	assert_int_equal(mvm_virtio_rng_create(&e->ctx, &r), 0);
	assert_int_equal(mvm_virtio_mmio_create(NULL, mvm_virtio_rng_dev(r), 1,
						0, &e->t),
			 0);
	driver_init(e, 1);
	put_desc(e, 0, 0, BUF, 600, MVM_VIRTQ_DESC_F_WRITE);
	assert_int_equal(submit(e, 0), 600);
	for (unsigned i = 0; i < 600; i++)
		nonzero += e->h->ram[BUF + i] != 0;
	assert_true(nonzero > 500); /* 600 zero bytes: p = 2^-4800 */
	mvm_virtio_mmio_destroy(e->t);
	e->t = NULL;
	mvm_virtio_rng_destroy(r);
	env_free(e);
}

static void console_transmits_and_receives(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_console *c;

	(void)state;
	assert_int_equal(mvm_virtio_console_create(&e->ctx, out_fn, e, &c), 0);
	assert_int_equal(mvm_virtio_mmio_create(NULL, mvm_virtio_console_dev(c),
						2, 0, &e->t),
			 0);
	driver_init(e, 2);
	memcpy(e->h->ram + BUF, "hello, ", 7);
	memcpy(e->h->ram + BUF + 0x100, "virtio\n", 7);
	put_desc(e, 1, 0, BUF, 7, MVM_VIRTQ_DESC_F_NEXT);
	put_desc(e, 1, 1, BUF + 0x100, 7, 0);
	assert_int_equal(submit(e, 1), 0);
	assert_int_equal(e->nout, 14);
	assert_memory_equal(e->out, "hello, virtio\n", 14);
	/* input before any receive buffer waits for one */
	assert_int_equal(mvm_virtio_console_input(c, "ok", 2), 2);
	put_desc(e, 0, 0, BUF + 0x200, 16, MVM_VIRTQ_DESC_F_WRITE);
	assert_int_equal(submit(e, 0), 2);
	assert_memory_equal(e->h->ram + BUF + 0x200, "ok", 2);
	mvm_virtio_mmio_destroy(e->t);
	e->t = NULL;
	mvm_virtio_console_destroy(c);
	env_free(e);
}

/* 5.5.6: inflated pages go back to the host. With RAM in a memfd (as a
 * machine's is) the file's allocated blocks drop by exactly the pages
 * given, and the guest reads zeros there afterwards. */
static void balloon_inflate_returns_pages_to_the_host(void **state)
{
	struct env *e = env_new();
	struct mvm_memmap mem = {0};
	struct mvm_virtio_balloon *b;
	struct mvm_virtio_balloon_info info;
	const size_t size = 1 << 20;
	uint32_t pfns[4] = {0x80, 0x81, 0x90, 0xff};
	struct stat before, after;
	uint8_t *ram;
	int fd = memfd_create("vballoon-test", 0);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(ram != MAP_FAILED);
	memset(ram, 0xab, size); /* every page allocated */
	memset(ram, 0, 0x20000); /* but the rings and buffers clean */
	assert_true(mvm_memmap_add(&mem, 0, size, ram, 0) >= 0);
	e->ctx.mem = &mem;
	hostram_free(e->h); /* the rings live in the memfd RAM now */
	e->h = calloc(1, sizeof(*e->h));
	e->h->ram = ram;
	assert_int_equal(mvm_virtio_balloon_create(&e->ctx, &b), 0);
	assert_int_equal(mvm_virtio_mmio_create(NULL, mvm_virtio_balloon_dev(b),
						3, 0, &e->t),
			 0);
	driver_init(e, 2);
	mvm_virtio_balloon_set_target(b, 4);
	assert_int_equal(rd(e, MVM_VMMIO_CONFIG), 4); /* num_pages */
	assert_int_equal(rd(e, MVM_VMMIO_INT_STATUS), MVM_VIRTIO_INT_CONFIG);

	memcpy(ram + BUF, pfns, sizeof(pfns));
	put_desc(e, 0, 0, BUF, sizeof(pfns), 0);
	assert_int_equal(fstat(fd, &before), 0);
	assert_int_equal(submit(e, MVM_VIRTIO_BALLOON_INFLATE), 0);
	assert_int_equal(fstat(fd, &after), 0);
	assert_int_equal((before.st_blocks - after.st_blocks) * 512, 4 * 4096);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(ram[pfns[i] * 4096ULL + 7], 0);
	assert_int_equal(ram[0x82 * 4096ULL], 0xab); /* neighbours kept */
	wr(e, MVM_VMMIO_CONFIG + 4, 4);		     /* actual */
	mvm_virtio_balloon_info(b, &info);
	assert_int_equal(info.inflated, 4);
	assert_int_equal(info.actual, 4);

	/* a PFN beyond RAM is the driver's error: NEEDS_RESET */
	pfns[0] = 0x100;
	memcpy(ram + BUF, pfns, 4);
	put_desc(e, 0, 0, BUF, 4, 0);
	e->avail[0]++; /* ring slot 1 holds head 0 already (zeroed) */
	memcpy(ram + RINGS + 0x400 + 2, &e->avail[0], 2);
	wr(e, MVM_VMMIO_QUEUE_NOTIFY, 0);
	assert_true(rd(e, MVM_VMMIO_STATUS) & MVM_VIRTIO_S_NEEDS_RESET);
	assert_non_null(strstr(e->log, "PFN 0x100 is not guest RAM"));

	mvm_virtio_mmio_destroy(e->t);
	e->t = NULL;
	mvm_virtio_balloon_destroy(b);
	munmap(ram, size);
	close(fd);
	free(e->h);
	free(e);
}

/* 5.5.6.3: the driver's stats buffer is read, kept, and handed back
 * when the host asks for fresh figures. */
static void balloon_stats_are_read_and_requested(void **state)
{
	struct env *e = env_new();
	struct mvm_virtio_balloon *b;
	struct mvm_virtio_balloon_info info;
	uint8_t st[20];
	uint16_t tag = MVM_VIRTIO_BALLOON_S_MEMFREE, tag2 = 5;
	uint64_t val = 12345, val2 = 65536;
	uint8_t *avail = e->h->ram + RINGS + 2 * 0x1000ULL + 0x400;
	uint16_t one = 1;

	(void)state;
	assert_int_equal(mvm_virtio_balloon_create(&e->ctx, &b), 0);
	assert_int_equal(mvm_virtio_mmio_create(NULL, mvm_virtio_balloon_dev(b),
						3, 0, &e->t),
			 0);
	driver_init(e, 3);
	memcpy(st, &tag, 2);
	memcpy(st + 2, &val, 8);
	memcpy(st + 10, &tag2, 2);
	memcpy(st + 12, &val2, 8);
	memcpy(e->h->ram + BUF, st, sizeof(st));
	put_desc(e, 2, 0, BUF, sizeof(st), 0);
	memcpy(avail + 2, &one, 2);
	assert_int_equal(mvm_virtio_balloon_request_stats(b), -EAGAIN);
	wr(e, MVM_VMMIO_QUEUE_NOTIFY, MVM_VIRTIO_BALLOON_STATS);
	mvm_virtio_balloon_info(b, &info);
	assert_int_equal(info.nstats, 1);
	assert_int_equal(info.stats[MVM_VIRTIO_BALLOON_S_MEMFREE], 12345);
	assert_int_equal(info.stats[MVM_VIRTIO_BALLOON_S_MEMTOT], 65536);
	assert_int_equal(used_idx(e, 2), 0); /* held by the device */
	assert_int_equal(mvm_virtio_balloon_request_stats(b), 0);
	assert_int_equal(used_idx(e, 2), 1); /* handed back */
	mvm_virtio_mmio_destroy(e->t);
	e->t = NULL;
	mvm_virtio_balloon_destroy(b);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mmio_block_identifies_the_device),
		cmocka_unit_test(blk_reads_match_file),
		cmocka_unit_test(blk_writes_reach_file),
		cmocka_unit_test(blk_read_only_refuses_writes),
		cmocka_unit_test(blk_checks_sector_bounds),
		cmocka_unit_test(blk_request_without_status_needs_reset),
		cmocka_unit_test(blk_get_id_names_the_file),
		cmocka_unit_test(rng_fills_buffer),
		cmocka_unit_test(console_transmits_and_receives),
		cmocka_unit_test(balloon_inflate_returns_pages_to_the_host),
		cmocka_unit_test(balloon_stats_are_read_and_requested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
