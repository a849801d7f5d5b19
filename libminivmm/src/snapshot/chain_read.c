/*
 * chain_read.c - restoring a diff snapshot (snapshot.h, "Diff chains"):
 * the file asked for, and every file back to the chain's base, opened
 * and checked before restore.c builds anything.
 *
 * Each link: the base a diff names (a plain file name, in the diff's
 * own directory) must be a file of the same chain (its id), the one
 * just before it (seq - 1), unchanged since the diff was taken (its
 * digest, the crc of all its section headers, which hold every body's
 * crc), for the same machine (byte-identical CONFIG). Each DIFF body is
 * untrusted input: its page count fits the slot the base has at its
 * GPA and the section's length exactly, its page indices rise strictly
 * inside the slot, and its crc holds; only then are pages copied, in
 * chain order, over the base's RAM (mapped copy-on-write, restore.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_internal.h"
#include "snapfile.h"

#define CRC_CHUNK (1u << 20) /* DIFF pages are checked this much at once */

/* "snapshot: 'f.snap.2': section 1 (chain 2): ..." */
static int chain_err(const struct mvm_log *log, int rc, const char *file,
		     const struct snap_image *img, int i, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mvm_logf(log, MVM_LOG_ERROR, "snapshot: '%s': section %d (%s %llu): %s",
		 file, i, mvm_snap_type_name(img->sect[i].type),
		 (unsigned long long)img->sect[i].aux, msg);
	return rc;
}

static int chain_index(const struct snap_image *img)
{
	for (int i = 0; i < img->nsects; i++)
		if (img->sect[i].type == MVM_SNAP_CHAIN &&
		    img->sect[i].length == sizeof(struct snap_chain))
			return i;
	return -1;
}

const struct snap_chain *mvm_snap_chain_of(const struct snap_image *img)
{
	int i = chain_index(img);

	return i < 0 ? NULL : img->body[i];
}

/* The path of the file a diff at child names: same directory. */
static char *sibling(const char *child, const char *name)
{
	const char *slash = strrchr(child, '/');
	int dir = slash ? (int)(slash - child + 1) : 0;
	char *p;

	return asprintf(&p, "%.*s%s", dir, child, name) < 0 ? NULL : p;
}

static int plain_name(const char *name, size_t len)
{
	return memchr(name, 0, len) && name[0] && !strchr(name, '/') &&
	       strcmp(name, ".") && strcmp(name, "..");
}

/* Is p (at ppath) the file the diff c (at cpath) was taken on? */
static int check_link(const struct snap_chainset *cs, int k,
		      const struct mvm_log *log)
{
	const struct snap_image *c = cs->img[k], *p = cs->img[k + 1];
	const struct snap_chain *cc = mvm_snap_chain_of(c);
	const struct snap_chain *pc = mvm_snap_chain_of(p);
	const char *cpath = cs->path[k], *ppath = cs->path[k + 1];
	int ci = chain_index(c);

	if (!pc)
		return chain_err(log, -EINVAL, cpath, c, ci,
				 "its base '%s' is not a file of a diff chain",
				 ppath);
	if (pc->id != cc->id)
		return chain_err(log, -EINVAL, cpath, c, ci,
				 "its base '%s' belongs to another chain (id "
				 "%016llx, this file's %016llx)",
				 ppath, (unsigned long long)pc->id,
				 (unsigned long long)cc->id);
	if (pc->seq + 1 != cc->seq)
		return chain_err(log, -EINVAL, cpath, c, ci,
				 "its base '%s' is file %u of the chain, this "
				 "diff needs file %u",
				 ppath, pc->seq, cc->seq - 1);
	if (p->digest != cc->parent_digest)
		return chain_err(log, -EBADMSG, cpath, c, ci,
				 "its base '%s' is not the file this diff was "
				 "taken on (digest %08x, expected %08x): "
				 "edited or written again",
				 ppath, p->digest, cc->parent_digest);
	if (memcmp(c->body[0], p->body[0], sizeof(struct snap_config)))
		return chain_err(log, -EINVAL, cpath, c, 0,
				 "its base '%s' has another machine config",
				 ppath);
	return 0;
}

/* The RAM section of the base at gpa, or NULL. */
static const struct snap_sect_hdr *base_ram(const struct snap_image *base,
					    uint64_t gpa)
{
	for (int i = 0; i < base->nsects; i++)
		if (base->sect[i].type == MVM_SNAP_RAM &&
		    base->sect[i].aux == gpa)
			return &base->sect[i];
	return NULL;
}

/* The crc of len bytes at off, continuing from crc. */
static int crc_of(int fd, uint64_t off, uint64_t len, uint32_t *crc)
{
	uint8_t *buf = malloc(CRC_CHUNK);
	int rc = buf ? 0 : -ENOMEM;

	while (!rc && len) {
		size_t n = len < CRC_CHUNK ? (size_t)len : CRC_CHUNK;

		rc = mvm_snap_read_at(fd, buf, n, off);
		*crc = rc ? *crc : mvm_crc32(*crc, buf, n);
		off += n, len -= n;
	}
	free(buf);
	return rc;
}

/* One DIFF section of the diff at k, checked whole; its index table
 * stays in img->body[i] for mvm_snap_chain_apply(). */
static int check_diff(struct snap_chainset *cs, int k, int i,
		      const struct mvm_log *log)
{
	struct snap_image *img = cs->img[k];
	const struct snap_sect_hdr *s = &img->sect[i];
	const struct snap_sect_hdr *ram = base_ram(cs->img[cs->n - 1], s->aux);
	uint64_t n = 0, pages, tlen, *table;
	uint32_t crc;
	int rc;

	if (!ram)
		return chain_err(log, -EINVAL, cs->path[k], img, i,
				 "the base '%s' has no RAM slot at this GPA",
				 cs->path[cs->n - 1]);
	pages = ram->length / SNAP_PAGE;
	rc = s->length < 8 ? -EINVAL
			   : mvm_snap_read_at(img->fd, &n, 8, s->offset);
	if (rc)
		return chain_err(log, rc, cs->path[k], img, i, "%s",
				 "no page count");
	if (n > pages)
		return chain_err(log, -EINVAL, cs->path[k], img, i,
				 "%llu pages in a slot of %llu",
				 (unsigned long long)n,
				 (unsigned long long)pages);
	tlen = snap_align(8 + 8 * n, SNAP_PAGE);
	if (s->length != tlen + n * SNAP_PAGE)
		return chain_err(log, -EINVAL, cs->path[k], img, i,
				 "a body of %llu bytes where %llu pages take "
				 "%llu",
				 (unsigned long long)s->length,
				 (unsigned long long)n,
				 (unsigned long long)(tlen + n * SNAP_PAGE));
	table = malloc(tlen);
	if (!table)
		return -ENOMEM;
	img->body[i] = table; /* freed with the image */
	rc = mvm_snap_read_at(img->fd, table, tlen, s->offset);
	for (uint64_t j = 1; !rc && j <= n; j++)
		if (table[j] >= pages || (j > 1 && table[j] <= table[j - 1]))
			return chain_err(log, -EINVAL, cs->path[k], img, i,
					 "page entry %llu (page %llu) outside "
					 "the slot or out of order",
					 (unsigned long long)j,
					 (unsigned long long)table[j]);
	crc = rc ? 0 : mvm_crc32(0, table, tlen);
	if (!rc)
		rc = crc_of(img->fd, s->offset + tlen, n * SNAP_PAGE, &crc);
	if (!rc && crc != s->body_crc)
		return chain_err(log, -EBADMSG, cs->path[k], img, i, "%s",
				 "body checksum mismatch");
	return rc;
}

/* A base's own errors are held back (its first kept) and told as the
 * diff's, so the one line a user sees names both files. */
struct held {
	char first[400];
};

static void hold(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct held *h = ctx;

	if (level == MVM_LOG_ERROR && !h->first[0])
		snprintf(h->first, sizeof(h->first), "%s",
			 strncmp(msg, "snapshot: ", 10) ? msg : msg + 10);
}

/* Open the file the diff at k names, as k + 1. */
static int open_base(struct snap_chainset *cs, int k, const struct mvm_log *log)
{
	const struct snap_image *c = cs->img[k];
	const struct snap_chain *cc = mvm_snap_chain_of(c);
	const struct snap_chain *pc;
	struct snap_image *p;
	struct held held = {{0}};
	const struct mvm_log quiet = {hold, &held};
	char *ppath;
	int ci = chain_index(c), rc;

	if (cc->seq > SNAP_MAX_CHAIN)
		return chain_err(log, -EINVAL, cs->path[k], c, ci,
				 "diff %u of a chain: at most %d are read",
				 cc->seq, SNAP_MAX_CHAIN);
	if (!plain_name(cc->parent, sizeof(cc->parent)))
		return chain_err(log, -EINVAL, cs->path[k], c, ci, "%s",
				 "its base's name is not a plain file name");
	ppath = sibling(cs->path[k], cc->parent);
	p = malloc(sizeof(*p));
	if (!ppath || !p) {
		free(ppath);
		free(p);
		return -ENOMEM;
	}
	rc = mvm_snap_image_open(p, ppath, &quiet);
	if (rc) {
		chain_err(log, rc, cs->path[k], c, ci,
			  "its base '%s' cannot be read: %s", ppath,
			  held.first[0] ? held.first : strerror(-rc));
		free(ppath);
		free(p);
		return rc;
	}
	cs->img[k + 1] = p;
	cs->path[k + 1] = ppath;
	cs->n = k + 2;
	pc = mvm_snap_chain_of(p);
	rc = mvm_snap_check_config(p, pc && pc->seq, &quiet);
	if (rc)
		return chain_err(log, rc, cs->path[k], c, ci,
				 "its base '%s' is malformed: %s", ppath,
				 held.first);
	return check_link(cs, k, log);
}

int mvm_snap_chain_open(struct snap_chainset *cs, struct snap_image *tip,
			const char *path, const struct mvm_log *log)
{
	const struct snap_chain *cc;
	int rc = 0;

	memset(cs, 0, sizeof(*cs));
	cs->img[0] = tip;
	cs->path[0] = strdup(path);
	cs->n = 1;
	if (!cs->path[0])
		return -ENOMEM;
	/* Each link's seq is one less (check_link), the first at most
	 * SNAP_MAX_CHAIN: the walk ends, within img[]. */
	while (!rc && (cc = mvm_snap_chain_of(cs->img[cs->n - 1])) && cc->seq)
		rc = open_base(cs, cs->n - 1, log);
	for (int k = 0; !rc && k < cs->n - 1; k++)
		for (int i = 0; !rc && i < cs->img[k]->nsects; i++)
			if (cs->img[k]->sect[i].type == MVM_SNAP_DIFF)
				rc = check_diff(cs, k, i, log);
	return rc;
}

int mvm_snap_chain_apply(struct mvm_machine *m, const struct snap_chainset *cs)
{
	struct mvm_memmap *mem = mvm_vm_mem(m->vm);
	int rc = 0;

	for (int k = cs->n - 2; !rc && k >= 0; k--) {
		const struct snap_image *img = cs->img[k];

		for (int i = 0; !rc && i < img->nsects; i++) {
			const struct snap_sect_hdr *s = &img->sect[i];
			const uint64_t *table = img->body[i];
			const struct mvm_slot *slot;
			uint64_t data;

			if (s->type != MVM_SNAP_DIFF)
				continue;
			/* The base's RAM made this slot (restore.c). */
			slot = mvm_memmap_find(mem, s->aux);
			if (!slot || slot->gpa != s->aux)
				return chain_err(&m->log, -EINVAL, cs->path[k],
						 img, i, "%s", "no slot here");
			data = s->offset +
			       snap_align(8 + 8 * table[0], SNAP_PAGE);
			for (uint64_t j = 1; !rc && j <= table[0]; j++)
				rc = mvm_snap_read_at(
					img->fd,
					slot->hva + table[j] * SNAP_PAGE,
					SNAP_PAGE, data + (j - 1) * SNAP_PAGE);
		}
	}
	return rc;
}

void mvm_snap_chain_close(struct snap_chainset *cs)
{
	for (int k = 1; k < cs->n; k++) {
		mvm_snap_image_close(cs->img[k]);
		free(cs->img[k]);
	}
	for (int k = 0; k < cs->n; k++)
		free(cs->path[k]);
	cs->n = 0;
}
