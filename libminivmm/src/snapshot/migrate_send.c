/*
 * migrate_send.c - the source side of a pre-copy live migration
 * (migrate.h): RAM in rounds while the guest runs, then a short pause
 * for the rest and the state.
 *
 * Dirty pages. Logging is switched on for every slot before round 0, so
 * any page written after round 0 read it is reported by the next
 * mvm_vm_dirty_log() (KVM_GET_DIRTY_LOG for the guest's writes, api.rst
 * 4.8, ORed with the VMM's own, memory.h). A round first collects the
 * log, then reads the pages: a page the guest writes while it is being
 * copied is sent torn, but it is dirty again, so a later round (at the
 * latest the stop-and-copy, guest paused) sends it whole. Collecting
 * after reading would lose exactly those writes.
 *
 * Pages are copied out of guest RAM into a batch buffer before their
 * crc is taken: the guest may write the page between the crc and the
 * send, and the target would rightly refuse the message.
 *
 * Round 0 skips what the target already has: a fresh target's RAM is
 * zero, so pages the memfd never had (lseek SEEK_DATA, lseek(2)) and
 * all-zero pages are not sent. Later rounds send a page that became
 * zero as a data-less entry.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "machine/machine_internal.h"
#include "migstream.h"

/* --- batches of pages ----------------------------------------------------- */

/* --bandwidth: a live round may not send faster than the cap; sleep
 * off the lead. The stop-and-copy is never held back. */
static void throttle(struct mvm_migrate *mg)
{
	double want, ahead;
	struct timespec ts;

	if (!mg->p.bandwidth || mg->c.phase > MVM_MIG_PHASE_DIRTY)
		return;
	want = (double)(mg->c.bytes_out - mg->round_b0) * 1e9 /
	       ((double)mg->p.bandwidth * 1048576.0);
	ahead = want - (double)(mvm_mig_now_ns() - mg->round_t0);
	if (ahead <= 0)
		return;
	ts.tv_sec = (time_t)(ahead / 1e9);
	ts.tv_nsec = (long)(ahead - (double)ts.tv_sec * 1e9);
	nanosleep(&ts, NULL);
}

int mvm_mig_flush(struct mvm_migrate *mg, unsigned round)
{
	struct iovec v[2] = {{mg->ent, mg->n * 8ull},
			     {mg->data, mg->ndata * (size_t)SNAP_PAGE}};
	int rc;

	if (!mg->n)
		return 0;
	rc = mvm_mig_sendv(&mg->c, MVM_MIG_PAGES, mg->n, round, "pages", v,
			   mg->ndata ? 2 : 1);
	mg->n = mg->ndata = 0;
	throttle(mg);
	return rc;
}

/* Page gpa (host copy at hva) into the batch; skip_zero: round 0. */
static int add_page(struct mvm_migrate *mg, unsigned round, uint64_t gpa,
		    const uint8_t *hva, int skip_zero)
{
	uint8_t *dst = mg->data + (size_t)mg->ndata * SNAP_PAGE;
	struct mvm_migrate_round *r = &mg->st.round[mg->st.nrounds];

	memcpy(dst, hva, SNAP_PAGE); /* first copy, then look at it */
	if (mvm_snap_page_is_zero(dst)) {
		if (skip_zero)
			return 0;
		mg->ent[mg->n++] = gpa | MIG_PAGE_ZERO;
	} else {
		mg->ent[mg->n++] = gpa;
		mg->ndata++;
	}
	r->pages++;
	return mg->n == MVM_MIGRATE_BATCH ? mvm_mig_flush(mg, round) : 0;
}

/* --- rounds --------------------------------------------------------------- */

/* Where the next page with data may be in a memfd slot (save.c's rule). */
static uint64_t next_data(const struct mvm_slot *s, uint64_t off)
{
	off_t d;

	if (s->fd < 0 || (s->flags & MVM_MEM_PRIVATE))
		return off;
	d = lseek(s->fd, (off_t)(s->fd_offset + off), SEEK_DATA);
	if (d < 0)
		return errno == ENXIO ? s->size : off;
	return ((uint64_t)d - s->fd_offset) & ~(uint64_t)(SNAP_PAGE - 1);
}

static int send_all_pages(struct mvm_migrate *mg)
{
	const struct mvm_memmap *mem = mvm_vm_mem(mg->m->vm);
	int rc = 0;

	for (int i = 0; !rc && i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &mem->slots[i];

		if (!mg->d.logging[i])
			continue;
		for (uint64_t off = next_data(s, 0); !rc && off < s->size;
		     off = next_data(s, off + SNAP_PAGE)) {
			if (atomic_load(&mg->cancel))
				return -ECANCELED;
			rc = add_page(mg, 0, s->gpa + off, s->hva + off, 1);
		}
	}
	return rc ? rc : mvm_mig_flush(mg, 0);
}

int mvm_mig_send_pending(struct mvm_migrate *mg, unsigned round)
{
	const struct mvm_memmap *mem = mvm_vm_mem(mg->m->vm);
	int rc = 0;

	for (int i = 0; !rc && i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &mem->slots[i];

		for (uint64_t w = 0;
		     mg->d.logging[i] && !rc && w < MVM_DIRTY_WORDS(s->size);
		     w++) {
			while (!rc && mg->d.pending[i][w]) {
				uint64_t bit = (uint64_t)__builtin_ctzll(
					mg->d.pending[i][w]);
				uint64_t off = (w * 64 + bit) * SNAP_PAGE;

				mg->d.pending[i][w] &= ~(1ull << bit);
				rc = add_page(mg, round, s->gpa + off,
					      s->hva + off, 0);
			}
			if (atomic_load(&mg->cancel))
				return -ECANCELED;
		}
	}
	return rc ? rc : mvm_mig_flush(mg, round);
}

int64_t mvm_mig_collect(struct mvm_migrate *mg)
{
	uint64_t t = mvm_mig_now_ns();
	int64_t fresh = 0;
	int64_t pages = mvm_snap_dirty_collect(mg->m->vm, &mg->d, &fresh);

	if (pages < 0)
		return pages;
	if (t > mg->t_collect)
		mg->rate = (double)fresh * SNAP_PAGE / (1 << 20) /
			   ((double)(t - mg->t_collect) / 1e9);
	mg->t_collect = t;
	return pages;
}

/* Send one round (round 0: everything) and its ROUND marker; record. */
static int do_round(struct mvm_migrate *mg, unsigned round)
{
	struct mvm_migrate_round *r = &mg->st.round[mg->st.nrounds];
	uint64_t t0 = mvm_mig_now_ns(), b0 = mg->c.bytes_out;
	int rc;

	mg->round_t0 = t0;
	mg->round_b0 = b0;
	r->phase = round ? MVM_MIG_PHASE_DIRTY : MVM_MIG_PHASE_ROUND0;
	mvm_mig_conn_phase(&mg->c, r->phase);
	r->dirty_rate = round ? mg->rate : 0;
	rc = round ? mvm_mig_send_pending(mg, round) : send_all_pages(mg);
	if (!rc)
		rc = mvm_mig_send(&mg->c, MVM_MIG_ROUND, 0, round, "round",
				  NULL, 0);
	r->ns = mvm_mig_now_ns() - t0;
	r->bytes = mg->c.bytes_out - b0;
	mg->st.pages += r->pages;
	mg->st.bytes += r->bytes;
	mg->st.nrounds++;
	if (r->ns && r->bytes > (1 << 20) &&
	    (double)r->bytes / (double)r->ns > mg->bw)
		mg->bw = (double)r->bytes / (double)r->ns;
	return rc;
}

/*
 * FINAL PROJECT (COURSE.md, live migration; labs/lab6-project-migration):
 * the body of mvm_migrate_live() below is the pre-copy loop the
 * project's handout cuts out (region precopy-loop); the rest of this
 * file is what a student is given.
 */
/* [slide:precopy-loop] */
int mvm_migrate_live(struct mvm_migrate *mg)
{
	/* LAB(6, precopy-loop) BEGIN */
	int64_t left, before = -1; /* -1: no round to compare with yet */
	unsigned stuck = 0;
	int rc = do_round(mg, 0); /* all memory, guest running */

	for (unsigned round = 1; !rc; round++) {
		left = mvm_mig_collect(mg); /* what the guest wrote meanwhile */
		if (left < 0)
			return (int)left;
		/* Small enough to send within the downtime budget? */
		if ((double)left * SNAP_PAGE <=
		    mg->bw * 1e6 * mg->p.downtime_ms) {
			mg->st.stop = MVM_MIG_CONVERGED;
			return 0;
		}
		/* Not 10% smaller than the round before: no progress. */
		stuck = before >= 0 && left * 10 > before * 9 ? stuck + 1 : 0;
		before = left;
		if (stuck >= 3 || round >= mg->p.max_rounds) {
			mg->st.stop = stuck >= 3 ? MVM_MIG_NO_PROGRESS
						 : MVM_MIG_ROUND_LIMIT;
			return 0;
		}
		rc = do_round(mg, round); /* guest running */
	}
	return rc;
	/* LAB(6) STUB
	// FINAL PROJECT: the pre-copy loop (labs/lab6-project-migration/
	// README.md, section 2). Send round 0 with do_round(mg, 0), then
	// repeat: collect the dirty pages with mvm_mig_collect(); stop
	// (return 0) when they fit the downtime budget (mg->bw bytes/ns
	// times mg->p.downtime_ms), when three rounds in a row did not
	// shrink the set by 10%, or at mg->p.max_rounds live rounds, and
	// set mg->st.stop to say which; else send them, do_round(mg, n).
	// Any error ends the loop: return it (the caller runs on).
	(void)mg;
	(void)do_round;
	return -ENOSYS;
	LAB(6) END */
	/* [/slide:precopy-loop] */
}

void mvm_migrate_cancel(struct mvm_migrate *mg)
{
	if (mg)
		atomic_store(&mg->cancel, 1);
}
