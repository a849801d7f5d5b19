/*
 * read.c - open a snapshot file and check all of it before use.
 *
 * A restore must never half-happen (snapshot.h), so the whole file is
 * checked first: the file header, then each section header in turn
 * (its crc, that its body lies inside the file, RAM 4 KiB aligned),
 * each body but RAM's and DIFF's read and checked against its crc, and
 * END last; DIFF bodies are checked by chain_read.c.
 * Only then does restore.c build a machine. Each failure names the
 * section: "section 3 (vcpu 0): body checksum mismatch".
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapfile.h"

/* pread exactly len bytes at off: 0, -ENODATA (file too short), -errno. */
int mvm_snap_read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		done += (size_t)n;
	}
	return 0;
}

static int check_file_hdr(struct snap_image *img, const struct mvm_log *log,
			  struct snap_file_hdr *h)
{
	int rc;

	if (img->size < sizeof(*h)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: file header: truncated (a file of %llu "
			 "bytes)",
			 (unsigned long long)img->size);
		return -ENODATA;
	}
	rc = mvm_snap_read_at(img->fd, h, sizeof(*h), 0);
	if (rc)
		return rc;
	if (memcmp(h->magic, MVM_SNAP_MAGIC, sizeof(MVM_SNAP_MAGIC))) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: file header: not a minivmm snapshot "
			 "(no \"%s\" magic)",
			 MVM_SNAP_MAGIC);
		return -ENOEXEC;
	}
	if (h->crc != mvm_snap_file_hdr_crc(h)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: file header: checksum mismatch");
		return -EBADMSG;
	}
	if (h->version != MVM_SNAP_VERSION &&
	    h->version != MVM_SNAP_VERSION_CHAIN) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: file header: version %u, this build "
			 "reads versions %u and %u",
			 h->version, MVM_SNAP_VERSION, MVM_SNAP_VERSION_CHAIN);
		return -EPROTONOSUPPORT;
	}
	img->version = h->version;
	if (h->nsects < 2 || h->nsects > SNAP_MAX_SECTS) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: file header: %u sections", h->nsects);
		return -EINVAL;
	}
	return 0;
}

/* "section 3 (vcpu 0)" for messages. */
static const char *sect_label(int i, const struct snap_sect_hdr *s)
{
	static __thread char buf[64];

	snprintf(buf, sizeof(buf), "section %d (%s %llu)", i,
		 mvm_snap_type_name(s->type), (unsigned long long)s->aux);
	return buf;
}

/* One section header at off: checked, body bounds too. */
static int check_sect(struct snap_image *img, int i, uint64_t off,
		      const struct mvm_log *log)
{
	struct snap_sect_hdr *s = &img->sect[i];
	int rc = mvm_snap_read_at(img->fd, s, sizeof(*s), off), paged;

	if (rc == -ENODATA) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: section %d: truncated: the file ends at "
			 "byte %llu, before its header",
			 i, (unsigned long long)img->size);
		return rc;
	}
	if (rc)
		return rc;
	if (s->hdr_crc != mvm_snap_sect_hdr_crc(s)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: section %d: header checksum mismatch", i);
		return -EBADMSG;
	}
	img->digest = mvm_crc32(img->digest, s, /* save.c's rule */
				offsetof(struct snap_sect_hdr, hdr_crc));
	s->name[sizeof(s->name) - 1] = 0;
	paged = s->type == MVM_SNAP_RAM || s->type == MVM_SNAP_DIFF;
	if (s->type >= MVM_SNAP_TYPES || s->offset < off + sizeof(*s) ||
	    (paged && s->offset % SNAP_PAGE) ||
	    (!paged && s->length > SNAP_MAX_BODY) ||
	    (img->version == MVM_SNAP_VERSION &&
	     (s->type == MVM_SNAP_CHAIN || s->type == MVM_SNAP_DIFF))) {
		mvm_logf(log, MVM_LOG_ERROR, "snapshot: %s: malformed header",
			 sect_label(i, s));
		return -EINVAL;
	}
	if (s->offset > img->size || s->length > img->size - s->offset) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: %s: truncated: body of %llu bytes at %llu, "
			 "file of %llu",
			 sect_label(i, s), (unsigned long long)s->length,
			 (unsigned long long)s->offset,
			 (unsigned long long)img->size);
		return -ENODATA;
	}
	return 0;
}

/* A non-RAM body: read and checked. */
static int read_body(struct snap_image *img, int i, const struct mvm_log *log)
{
	const struct snap_sect_hdr *s = &img->sect[i];
	int rc;

	img->body[i] = malloc(s->length ? s->length : 1);
	if (!img->body[i])
		return -ENOMEM;
	rc = mvm_snap_read_at(img->fd, img->body[i], s->length, s->offset);
	if (rc)
		return rc;
	if (mvm_crc32(0, img->body[i], s->length) != s->body_crc) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: %s: body checksum mismatch",
			 sect_label(i, s));
		return -EBADMSG;
	}
	return 0;
}

int mvm_snap_image_open(struct snap_image *img, const char *path,
			const struct mvm_log *log)
{
	struct snap_file_hdr h;
	struct stat sb;
	uint64_t off = sizeof(h);
	int rc;

	memset(img, 0, sizeof(*img));
	img->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0 || fstat(img->fd, &sb) < 0) {
		rc = -errno;
		mvm_logf(log, MVM_LOG_ERROR, "snapshot: cannot open '%s': %s",
			 path, strerror(-rc));
		return rc;
	}
	img->size = (uint64_t)sb.st_size;
	rc = check_file_hdr(img, log, &h);
	for (uint32_t i = 0; !rc && i < h.nsects; i++) {
		rc = check_sect(img, (int)i, off, log);
		if (rc)
			break;
		img->nsects = (int)i + 1;
		if (img->sect[i].type == MVM_SNAP_END)
			break;
		if (img->sect[i].type != MVM_SNAP_RAM &&
		    img->sect[i].type != MVM_SNAP_DIFF)
			rc = read_body(img, (int)i, log);
		off = snap_align(img->sect[i].offset + img->sect[i].length, 8);
	}
	if (!rc && (img->nsects != (int)h.nsects ||
		    img->sect[img->nsects - 1].type != MVM_SNAP_END)) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "snapshot: section %d: END where %u sections were "
			 "promised",
			 img->nsects - 1, h.nsects);
		rc = -EINVAL;
	}
	if (rc)
		mvm_snap_image_close(img);
	return rc;
}

void mvm_snap_image_close(struct snap_image *img)
{
	for (int i = 0; i < SNAP_MAX_SECTS; i++) {
		free(img->body[i]);
		img->body[i] = NULL;
	}
	if (img->fd >= 0)
		close(img->fd);
	img->fd = -1;
}
