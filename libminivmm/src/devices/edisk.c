/*
 * edisk.c - the register-at-a-time emulated disk (see edisk.h for the
 * registers and the protocol).
 *
 * Everything here runs on a VM exit: each IN or OUT of the guest's
 * driver leaves the guest, arrives as one call of edisk_read/edisk_write,
 * and the guest waits until it returns. The device keeps one sector
 * buffer and a cursor into it; a READ fills the buffer from the file
 * (pread), a WRITE drains it into the file (pwrite) each time the guest
 * has put 512 bytes into DATA. Bytes move one at a time through
 * data_byte_in/out, so a 1-, 2- or 4-byte access, or a string I/O count,
 * that crosses a sector boundary is no special case.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "minivmm/edisk.h"
#include "minivmm/layout.h"
#include "minivmm/state.h"

struct mvm_edisk {
	pthread_mutex_t lock;		    /* guards everything below */
	int fd;				    /* the backing file */
	int ro;				    /* refuse writes */
	uint32_t capacity;		    /* sectors */
	uint32_t sector;		    /* SECTOR register */
	uint16_t count;			    /* COUNT register */
	uint8_t status;			    /* STATUS register */
	uint8_t error;			    /* ERROR register */
	int writing;			    /* the transfer is a WRITE */
	uint32_t lba;			    /* sector in buf */
	uint32_t left;			    /* sectors of the command to go */
	uint32_t pos;			    /* next byte of buf */
	uint8_t buf[MVM_EDISK_SECTOR_SIZE]; /* the sector being moved */
	struct mvm_edisk_stats st;	    /* counters */
	const struct mvm_log *log;	    /* may be NULL */
};

/* End the command with ERR and a reason. */
static void fail(struct mvm_edisk *d, uint8_t why)
{
	d->status = MVM_EDISK_ST_READY | MVM_EDISK_ST_ERR;
	d->error = why;
	d->left = 0;
	d->st.errors++;
}

/* Load sector d->lba into buf for a READ; DRQ on, or ERR. */
static void load_sector(struct mvm_edisk *d)
{
	off_t at = (off_t)d->lba * MVM_EDISK_SECTOR_SIZE;

	if (pread(d->fd, d->buf, sizeof(d->buf), at) != sizeof(d->buf)) {
		mvm_logf(d->log, MVM_LOG_ERROR,
			 "edisk: read of sector %u failed", d->lba);
		fail(d, MVM_EDISK_ERR_IO);
		return;
	}
	d->st.sectors_read++;
	d->pos = 0;
	d->status = MVM_EDISK_ST_READY | MVM_EDISK_ST_DRQ;
}

/* Check SECTOR and COUNT against the disk; 0 or an ERR value. The sum
 * is done in 64 bits: SECTOR near 2^32 must not wrap past the check. */
static uint8_t check_range(const struct mvm_edisk *d)
{
	if (d->count == 0 || d->count > MVM_EDISK_MAX_COUNT)
		return MVM_EDISK_ERR_COUNT;
	if ((uint64_t)d->sector + d->count > d->capacity)
		return MVM_EDISK_ERR_RANGE;
	return MVM_EDISK_ERR_NONE;
}

static void command(struct mvm_edisk *d, uint8_t cmd)
{
	uint8_t why = check_range(d);

	d->st.commands++;
	d->error = MVM_EDISK_ERR_NONE;
	d->status = MVM_EDISK_ST_READY;
	d->left = 0;
	switch (cmd) {
	case MVM_EDISK_CMD_READ:
	case MVM_EDISK_CMD_WRITE:
		if (cmd == MVM_EDISK_CMD_WRITE && d->ro)
			why = MVM_EDISK_ERR_RO;
		if (why) {
			fail(d, why);
			return;
		}
		d->writing = cmd == MVM_EDISK_CMD_WRITE;
		d->lba = d->sector;
		d->left = d->count;
		d->pos = 0;
		if (d->writing)
			d->status |= MVM_EDISK_ST_DRQ;
		else
			load_sector(d);
		return;
	case MVM_EDISK_CMD_FLUSH:
		if (!d->ro && fdatasync(d->fd) < 0)
			fail(d, MVM_EDISK_ERR_IO);
		return;
	default:
		fail(d, MVM_EDISK_ERR_CMD);
	}
}

/* One byte out of DATA during a READ (all ones outside one). */
static uint8_t data_byte_in(struct mvm_edisk *d)
{
	uint8_t b;

	if (!(d->status & MVM_EDISK_ST_DRQ) || d->writing)
		return 0xff;
	b = d->buf[d->pos++];
	if (d->pos == MVM_EDISK_SECTOR_SIZE) {
		d->status &= (uint8_t)~MVM_EDISK_ST_DRQ;
		if (--d->left) {
			d->lba++;
			load_sector(d);
		}
	}
	return b;
}

/* One byte into DATA during a WRITE (dropped outside one). */
static void data_byte_out(struct mvm_edisk *d, uint8_t b)
{
	off_t at;

	if (!(d->status & MVM_EDISK_ST_DRQ) || !d->writing)
		return;
	d->buf[d->pos++] = b;
	if (d->pos < MVM_EDISK_SECTOR_SIZE)
		return;
	at = (off_t)d->lba * MVM_EDISK_SECTOR_SIZE;
	if (pwrite(d->fd, d->buf, sizeof(d->buf), at) != sizeof(d->buf)) {
		mvm_logf(d->log, MVM_LOG_ERROR,
			 "edisk: write of sector %u failed", d->lba);
		fail(d, MVM_EDISK_ERR_IO);
		return;
	}
	d->st.sectors_written++;
	d->pos = 0;
	d->lba++;
	if (!--d->left)
		d->status &= (uint8_t)~MVM_EDISK_ST_DRQ;
}

/* A register's bytes [off, off + len) out of its 32-bit value. */
static uint64_t reg_value(const struct mvm_edisk *d, uint64_t reg)
{
	switch (reg) {
	case MVM_EDISK_SECTOR:
		return d->sector;
	case MVM_EDISK_CAPACITY:
		return d->capacity;
	case MVM_EDISK_STATUS: /* 0xc STATUS, 0xd ERROR, 0xe-0xf COUNT */
		return d->status | (uint32_t)d->error << 8 |
		       (uint32_t)d->count << 16;
	default:
		return 0xffffffffu;
	}
}

static int edisk_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		      void *data, uint32_t len)
{
	struct mvm_edisk *d = dev;
	uint8_t *p = data;

	(void)vcpu;
	pthread_mutex_lock(&d->lock);
	if (off < MVM_EDISK_SECTOR) { /* an access starting in DATA */
		d->st.data_accesses++;
		for (uint32_t i = 0; i < len; i++)
			p[i] = data_byte_in(d);
	} else {
		d->st.reg_accesses++;
		for (uint32_t i = 0; i < len; i++) {
			uint64_t o = off + i, reg = o & ~3ull;

			p[i] = o < MVM_PORT_EDISK_LEN
				       ? (uint8_t)(reg_value(d, reg) >>
						   (8 * (o & 3)))
				       : 0xff;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int edisk_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		       const void *data, uint32_t len)
{
	struct mvm_edisk *d = dev;
	const uint8_t *p = data;

	(void)vcpu;
	pthread_mutex_lock(&d->lock);
	if (off < MVM_EDISK_SECTOR)
		d->st.data_accesses++;
	else
		d->st.reg_accesses++;
	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = off + i;

		if (off < MVM_EDISK_SECTOR) /* an access starting in DATA */
			data_byte_out(d, p[i]);
		else if (o < MVM_EDISK_CAPACITY) /* SECTOR, byte by byte */
			d->sector = (d->sector & ~(0xffu << 8 * (o & 3))) |
				    (uint32_t)p[i] << 8 * (o & 3);
		else if (o == MVM_EDISK_CMD)
			command(d, p[i]);
		else if (o == MVM_EDISK_COUNT || o == MVM_EDISK_COUNT + 1)
			d->count = (uint16_t)((d->count &
					       ~(0xffu << 8 * (o & 1))) |
					      (uint32_t)p[i] << 8 * (o & 1));
		/* CAPACITY, ERROR: read-only */
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void edisk_reset(void *dev)
{
	struct mvm_edisk *d = dev;

	pthread_mutex_lock(&d->lock);
	d->sector = 0;
	d->count = 1;
	d->status = MVM_EDISK_ST_READY;
	d->error = MVM_EDISK_ERR_NONE;
	d->left = 0;
	d->pos = 0;
	pthread_mutex_unlock(&d->lock);
}

/*
 * Snapshots: the registers and the transfer in progress, sector buffer
 * included, so a guest stopped in the middle of a sector carries on.
 * The file is not part of it. A blob is checked against this disk before
 * use: a transfer past its capacity or a cursor outside the buffer is
 * refused, whoever wrote the snapshot file.
 */
#define EDISK_MAGIC   MVM_DEVSTATE_MAGIC('E', 'D', 'S', 'K')
#define EDISK_VERSION 1

struct edisk_state {
	uint32_t sector, lba, left, pos;    /* as in struct mvm_edisk */
	uint16_t count;			    /* COUNT */
	uint8_t status, error, writing;	    /* STATUS, ERROR, direction */
	uint8_t buf[MVM_EDISK_SECTOR_SIZE]; /* the sector being moved */
};

static int edisk_save(void *dev, void *buf, size_t len)
{
	struct mvm_edisk *d = dev;
	struct edisk_state s;

	memset(&s, 0, sizeof(s));
	pthread_mutex_lock(&d->lock);
	s.sector = d->sector;
	s.lba = d->lba;
	s.left = d->left;
	s.pos = d->pos;
	s.count = d->count;
	s.status = d->status;
	s.error = d->error;
	s.writing = (uint8_t)d->writing;
	memcpy(s.buf, d->buf, sizeof(s.buf));
	pthread_mutex_unlock(&d->lock);
	return mvm_devstate_put(buf, len, EDISK_MAGIC, EDISK_VERSION, &s,
				sizeof(s));
}

static int edisk_load(void *dev, const void *buf, size_t len)
{
	const uint8_t known =
		MVM_EDISK_ST_ERR | MVM_EDISK_ST_DRQ | MVM_EDISK_ST_READY;
	struct mvm_edisk *d = dev;
	struct edisk_state s;
	int r = mvm_devstate_take(buf, len, EDISK_MAGIC, EDISK_VERSION, &s,
				  sizeof(s));

	if (r < 0)
		return r;
	if ((s.status & ~known) || s.error > MVM_EDISK_ERR_IO ||
	    s.writing > 1 || s.pos >= MVM_EDISK_SECTOR_SIZE ||
	    s.left > MVM_EDISK_MAX_COUNT ||
	    (uint64_t)s.lba + s.left > d->capacity ||
	    (!!(s.status & MVM_EDISK_ST_DRQ) != !!s.left))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	d->sector = s.sector;
	d->lba = s.lba;
	d->left = s.left;
	d->pos = s.pos;
	d->count = s.count;
	d->status = s.status;
	d->error = s.error;
	d->writing = s.writing;
	memcpy(d->buf, s.buf, sizeof(d->buf));
	pthread_mutex_unlock(&d->lock);
	return (int)len;
}

const struct mvm_dev_ops mvm_edisk_ops = {
	.name = "edisk",
	.read = edisk_read,
	.write = edisk_write,
	.reset = edisk_reset,
	.save = edisk_save,
	.load = edisk_load,
};

int mvm_edisk_create(const char *path, int ro, const struct mvm_log *log,
		     struct mvm_edisk **out)
{
	struct mvm_edisk *d;
	struct stat sb;
	int rc;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->log = log;
	d->ro = !!ro;
	d->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0 || fstat(d->fd, &sb) < 0) {
		rc = -errno;
		mvm_logf(log, MVM_LOG_ERROR, "edisk: %s: %s", path,
			 strerror(-rc));
		goto err;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = -EINVAL;
		mvm_logf(log, MVM_LOG_ERROR, "edisk: %s: not a regular file",
			 path);
		goto err;
	}
	if (sb.st_size / MVM_EDISK_SECTOR_SIZE > UINT32_MAX)
		d->capacity = UINT32_MAX;
	else
		d->capacity = (uint32_t)(sb.st_size / MVM_EDISK_SECTOR_SIZE);
	pthread_mutex_init(&d->lock, NULL);
	edisk_reset(d);
	*out = d;
	return 0;
err:
	if (d->fd >= 0)
		close(d->fd);
	free(d);
	return rc;
}

void mvm_edisk_destroy(struct mvm_edisk *d)
{
	if (!d)
		return;
	close(d->fd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void mvm_edisk_stats(struct mvm_edisk *d, struct mvm_edisk_stats *st)
{
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	pthread_mutex_unlock(&d->lock);
}
