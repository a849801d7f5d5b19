/*
 * stats.c - KVM's binary statistics, read by name.
 *
 * KVM counts events per VM and per vCPU (exits, halt_exits,
 * insn_emulation, ...). Since Linux 5.14 user space reads them through a
 * file descriptor from KVM_GET_STATS_FD (Documentation/virt/kvm/api.rst,
 * 4.133 "KVM_GET_STATS_FD"). The file is self-describing:
 *
 *   offset 0            struct kvm_stats_header
 *   header.desc_offset  num_desc descriptors, each
 *                       sizeof(struct kvm_stats_desc) + header.name_size
 *                       bytes (the name follows the fixed part)
 *   header.data_offset  the values: desc.size u64s at data_offset +
 *                       desc.offset, re-read with pread() for fresh values
 *
 * Everything the file says about itself is checked before use: a kernel
 * bug here must not turn into a huge allocation or an out-of-bounds read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/* Sanity caps on what the header may claim (6.1 has ~45 vCPU stats and
 * KVM_STATS_NAME_SIZE 48). */
#define STATS_MAX_DESC 4096
#define STATS_MAX_NAME 256

int mvm_stats_open(int kvm_obj_fd)
{
	int fd = ioctl(kvm_obj_fd, KVM_GET_STATS_FD, NULL);

	if (fd >= 0)
		return fd;
	/* an old kernel does not know the ioctl at all */
	if (errno == ENOTTY || errno == EINVAL)
		return -EOPNOTSUPP;
	return -errno;
}

/* pread exactly len bytes; 0 or -errno (-EIO on a short read). */
static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t r;

	do {
		r = pread(fd, buf, len, (off_t)off);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -EIO;
}

/* The header and the whole descriptor block, malloc'ed into *descs. */
static int read_descs(int fd, struct kvm_stats_header *h, uint8_t **descs,
		      size_t *stride)
{
	int rc = pread_full(fd, h, sizeof(*h), 0);

	if (rc)
		return rc;
	if (h->num_desc > STATS_MAX_DESC || h->name_size == 0 ||
	    h->name_size > STATS_MAX_NAME)
		return -EPROTO;
	*stride = sizeof(struct kvm_stats_desc) + h->name_size;
	*descs = malloc(*stride * h->num_desc + 1);
	if (!*descs)
		return -ENOMEM;
	rc = pread_full(fd, *descs, *stride * h->num_desc, h->desc_offset);
	if (rc) {
		free(*descs);
		*descs = NULL;
	}
	return rc;
}

/* Descriptor i (fixed part copied out: name_size may leave it unaligned),
 * with its name NUL-terminated into name[]. */
static void desc_at(const uint8_t *descs, size_t stride, uint32_t i,
		    const struct kvm_stats_header *h, struct kvm_stats_desc *d,
		    char *name, size_t name_len)
{
	const uint8_t *p = descs + i * stride;
	size_t n = h->name_size < name_len ? h->name_size : name_len - 1;

	memcpy(d, p, sizeof(*d));
	memcpy(name, p + sizeof(*d), n);
	name[n] = '\0';
}

/* First u64 of a statistic (histograms: bucket 0). */
static int read_value(int fd, const struct kvm_stats_header *h,
		      const struct kvm_stats_desc *d, uint64_t *value)
{
	if (d->size == 0)
		return -EPROTO;
	return pread_full(fd, value, sizeof(*value),
			  (uint64_t)h->data_offset + d->offset);
}

int mvm_stats_read(int stats_fd, const char *name, uint64_t *value)
{
	struct kvm_stats_header h;
	uint8_t *descs = NULL;
	size_t stride;
	char n[STATS_MAX_NAME + 1];
	int rc;

	if (!name || !value)
		return -EINVAL;
	rc = read_descs(stats_fd, &h, &descs, &stride);
	if (rc)
		return rc;
	rc = -ENOENT;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc d;

		desc_at(descs, stride, i, &h, &d, n, sizeof(n));
		if (strcmp(n, name) == 0) {
			rc = read_value(stats_fd, &h, &d, value);
			break;
		}
	}
	free(descs);
	return rc;
}

int mvm_stats_read_all(int stats_fd, struct mvm_stat *out, int max)
{
	struct kvm_stats_header h;
	uint8_t *descs = NULL;
	size_t stride;
	int rc, count = 0;

	if (!out || max < 0)
		return -EINVAL;
	rc = read_descs(stats_fd, &h, &descs, &stride);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < h.num_desc && count < max; i++) {
		struct mvm_stat *s = &out[count];
		struct kvm_stats_desc d;

		desc_at(descs, stride, i, &h, &d, s->name, sizeof(s->name));
		s->flags = d.flags;
		rc = read_value(stats_fd, &h, &d, &s->value);
		if (rc)
			break;
		count++;
	}
	free(descs);
	return rc ? rc : count;
}
