/*
 * chain.c - diff snapshots, the saving side (snapshot.h, "Diff
 * chains"): a full base, then diffs that hold only the pages written
 * since the file before them. chain_read.c follows a chain back.
 *
 * The pages come from the dirty log through a pending set (dirtyset.c,
 * shared with live migration): the base's save switches logging on
 * before it reads RAM, so a page written after the base was read is in
 * the next collect. Each diff's save collects the log into the set and
 * writes the set; only once the file is renamed into place is the set
 * cleared, so a failed diff loses nothing and the next one (still
 * relative to the last file written) has every page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "machine/machine_internal.h"
#include "snapfile.h"

struct mvm_snap_chain {
	struct mvm_machine *m;	/* the machine saved */
	struct snap_chain sect; /* the next file's CHAIN section */
	uint32_t digest;	/* of the last file written */
	struct snap_dirtyset d; /* pages written since that file */
};

/* DIFF body: u64 n | u64 index[n] | zeros to 4 KiB | n pages. */
int mvm_snap_put_diff(struct snap_writer *w, const struct mvm_slot *s,
		      const uint64_t *pending)
{
	uint64_t words = MVM_DIRTY_WORDS(s->size), pages = s->size / SNAP_PAGE;
	uint64_t n = 0, k = 1, tlen, *table, data;
	struct snap_sect_hdr h = {
		.type = MVM_SNAP_DIFF,
		.flags = s->flags & ~MVM_MEM_LOG_DIRTY,
		.aux = s->gpa,
		.offset = snap_align(w->off + sizeof(h), SNAP_PAGE),
		.name = "diff"};
	int rc = 0;

	for (uint64_t i = 0; pending && i < words; i++)
		n += (uint64_t)__builtin_popcountll(pending[i]);
	tlen = snap_align(8 + 8 * n, SNAP_PAGE);
	table = calloc(1, tlen);
	if (!table)
		return -ENOMEM;
	table[0] = n;
	for (uint64_t i = 0; pending && i < words; i++)
		for (uint64_t b = pending[i]; b; b &= b - 1)
			if (i * 64 + (uint64_t)__builtin_ctzll(b) < pages)
				table[k++] =
					i * 64 + (uint64_t)__builtin_ctzll(b);
	table[0] = n = k - 1; /* bits past the slot's end: none written */
	tlen = snap_align(8 + 8 * n, SNAP_PAGE); /* what a reader computes */
	h.length = tlen + n * SNAP_PAGE;
	h.body_crc = mvm_crc32(0, table, tlen);
	rc = mvm_snap_write_at(w->fd, table, tlen, h.offset);
	data = h.offset + tlen;
	/* The guest is parked: the pages are read in place, a run of
	 * consecutive ones in one write. */
	for (uint64_t i = 1; !rc && i <= n;) {
		uint64_t j = i + 1;

		while (j <= n && table[j] == table[j - 1] + 1)
			j++;
		h.body_crc =
			mvm_crc32(h.body_crc, s->hva + table[i] * SNAP_PAGE,
				  (j - i) * SNAP_PAGE);
		rc = mvm_snap_write_at(w->fd, s->hva + table[i] * SNAP_PAGE,
				       (j - i) * SNAP_PAGE, data);
		data += (j - i) * SNAP_PAGE;
		i = j;
	}
	free(table);
	return rc ? rc : mvm_snap_put_hdr(w, &h);
}

/* The name the next diff gives path: its last component, checked to
 * fit a CHAIN section. */
static const char *file_name(const struct mvm_snap_chain *ch, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;

	if (*name && strlen(name) < sizeof(ch->sect.parent))
		return name;
	mvm_logf(&ch->m->log, MVM_LOG_ERROR,
		 "snapshot: '%s': a chain's file name must be 1 to %zu bytes",
		 path, sizeof(ch->sect.parent) - 1);
	return NULL;
}

int mvm_snapshot_chain_begin(struct mvm_machine *m, const char *path,
			     struct mvm_snap_chain **out)
{
	struct mvm_snap_chain *ch;
	struct snap_extra x = {0};
	const char *name;
	int rc;

	if (!m || !path || !out)
		return -EINVAL;
	*out = NULL;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	ch->m = m;
	if (getrandom(&ch->sect.id, sizeof(ch->sect.id), 0) !=
	    sizeof(ch->sect.id)) {
		free(ch);
		return -EIO;
	}
	x = (struct snap_extra){.chain = &ch->sect, .dirty = &ch->d};
	name = file_name(ch, path);
	rc = name ? mvm_snap_save_ex(m, path, &x) : -ENAMETOOLONG;
	if (rc) {
		mvm_snap_dirty_stop(m, &ch->d);
		free(ch);
		return rc;
	}
	ch->digest = x.digest;
	snprintf(ch->sect.parent, sizeof(ch->sect.parent), "%s", name);
	*out = ch;
	return 0;
}

int mvm_snapshot_chain_next(struct mvm_snap_chain *ch, const char *path)
{
	struct snap_chain next;
	struct snap_extra x = {.chain = &next, .diff = 1};
	const char *name;
	int rc;

	if (!ch || !path)
		return -EINVAL;
	name = file_name(ch, path);
	if (!name)
		return -ENAMETOOLONG;
	if (ch->sect.seq >= SNAP_MAX_CHAIN) {
		mvm_logf(&ch->m->log, MVM_LOG_ERROR,
			 "snapshot: a chain holds at most %d diffs: begin a "
			 "new one",
			 SNAP_MAX_CHAIN);
		return -E2BIG;
	}
	next = ch->sect;
	next.seq++;
	next.parent_digest = ch->digest;
	x.dirty = &ch->d;
	rc = mvm_snap_save_ex(ch->m, path, &x);
	if (rc)
		return rc;
	snprintf(ch->sect.parent, sizeof(ch->sect.parent), "%s", name);
	ch->sect.seq = next.seq;
	ch->digest = x.digest;
	for (int i = 0; i < MVM_MAX_SLOTS; i++)
		if (ch->d.pending[i])
			memset(ch->d.pending[i], 0,
			       MVM_DIRTY_WORDS(
				       mvm_vm_mem(ch->m->vm)->slots[i].size) *
				       8);
	return 0;
}

unsigned mvm_snapshot_chain_seq(const struct mvm_snap_chain *ch)
{
	return ch ? ch->sect.seq : 0;
}

void mvm_snapshot_chain_end(struct mvm_snap_chain *ch)
{
	if (!ch)
		return;
	mvm_snap_dirty_stop(ch->m, &ch->d);
	free(ch);
}
