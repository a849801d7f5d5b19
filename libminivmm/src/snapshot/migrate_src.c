/*
 * migrate_src.c - the source's start and end (migrate.h): switching
 * dirty logging on and HELLO + CONFIG; the stop-and-copy with the
 * snapshot's own state sections; the wait for the target's ACK.
 * The rounds in between are migrate_send.c's.
 *
 * Downtime is counted from the start of mvm_migrate_finish(), which the
 * caller enters right after it paused the guest, to the ACK: what the
 * guest sees as a stop is the last pages, the state and the target's
 * load of it.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine/machine_internal.h"
#include "migstream.h"

#define DEFAULT_ROUNDS	 30
#define DEFAULT_DOWNTIME 20    /* ms */
#define DEFAULT_ACK	 10000 /* ms */
#define ASSUMED_BW	 0.1   /* bytes/ns (100 MB/s) before a measure */

uint64_t mvm_mig_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

const char *mvm_migrate_phase_name(unsigned phase)
{
	static const char *const names[] = {"round 0", "a dirty round",
					    "stop-and-copy", "device state"};

	_Static_assert(sizeof(names) / sizeof(names[0]) == MVM_MIG_PHASES,
		       "one name per phase");
	return phase < MVM_MIG_PHASES ? names[phase] : "?";
}

static void set_params(struct mvm_migrate *mg,
		       const struct mvm_migrate_params *p)
{
	if (p)
		mg->p = *p;
	if (!mg->p.max_rounds)
		mg->p.max_rounds = DEFAULT_ROUNDS;
	if (mg->p.max_rounds > MVM_MIGRATE_ROUNDS)
		mg->p.max_rounds = MVM_MIGRATE_ROUNDS;
	if (!mg->p.downtime_ms)
		mg->p.downtime_ms = DEFAULT_DOWNTIME;
	if (!mg->p.ack_ms)
		mg->p.ack_ms = DEFAULT_ACK;
	mg->c.fault_phase = mg->p.fault_phase;
	mg->c.fault_after = mg->p.fault_after;
}

static int hello(struct mvm_migrate *mg)
{
	struct mig_hello h = {.magic = MVM_MIGRATE_MAGIC,
			      .version = MVM_MIGRATE_VERSION,
			      .page_size = SNAP_PAGE};
	struct snap_config c;
	int rc = mvm_snap_config_fill(mg->m, &c);

	if (!rc)
		rc = mvm_mig_send(&mg->c, MVM_MIG_HELLO, 0, 0, "hello", &h,
				  sizeof(h));
	return rc ? rc
		  : mvm_mig_send(&mg->c, MVM_SNAP_CONFIG, 0, 0, "config", &c,
				 sizeof(c));
}

int mvm_migrate_create(struct mvm_machine *m, int fd,
		       const struct mvm_migrate_params *p,
		       struct mvm_migrate **out)
{
	struct mvm_migrate *mg;
	int rc, paused;

	if (!m || fd < 0 || !out)
		return -EINVAL;
	*out = NULL;
	/* The snapshot's rule (save.c): no section carries a user-space
	 * 8254's count or the irqfd wiring yet. */
	if (m->cfg.irq_flags) {
		mvm_logf(&m->log, MVM_LOG_ERROR,
			 "migration: machines with irqfd lines or a user-space "
			 "PIT (irq_flags 0x%x) cannot migrate yet",
			 m->cfg.irq_flags);
		return -EOPNOTSUPP;
	}
	mg = calloc(1, sizeof(*mg));
	if (!mg)
		return -ENOMEM;
	mg->m = m;
	mg->t_start = mvm_mig_now_ns();
	mg->bw = ASSUMED_BW;
	mg->data = malloc((size_t)MVM_MIGRATE_BATCH * SNAP_PAGE);
	rc = mg->data ? mvm_mig_conn_init(&mg->c, fd, &m->log) : -ENOMEM;
	set_params(mg, p);
	mg->c.phase = MVM_MIG_PHASES; /* HELLO and CONFIG: no phase yet */
	if (!rc) {
		/* A slot's flags change only with the device threads parked
		 * too (vm.h): they read them on every access. */
		paused = mvm_snap_quiesce(m);
		rc = mvm_snap_dirty_start(m->vm, &mg->d, 0);
		mvm_snap_quiesce_end(m, paused);
	}
	mg->t_collect = mvm_mig_now_ns();
	if (!rc)
		rc = hello(mg);
	if (rc) {
		mvm_logf(&m->log, MVM_LOG_ERROR, "migration: cannot start: %s",
			 strerror(-rc));
		mvm_migrate_destroy(mg);
		return rc;
	}
	*out = mg;
	return 0;
}

/* The snapshot's sections on the wire (mvm_snap_emit_state()). */
static int emit(void *ctx, unsigned type, unsigned flags, uint64_t aux,
		const char *name, const void *body, size_t len)
{
	return mvm_mig_send(ctx, type, flags, aux, name, body, len);
}

/* The target's ACK within ack_ms. */
static int wait_ack(struct mvm_migrate *mg)
{
	struct pollfd pfd = {.fd = mg->c.fd, .events = POLLIN};
	struct snap_sect_hdr h;
	int rc;

	do
		rc = poll(&pfd, 1, (int)mg->p.ack_ms);
	while (rc < 0 && errno == EINTR);
	if (rc <= 0) {
		mvm_logf(&mg->m->log, MVM_LOG_ERROR,
			 "migration: no ACK from the target within %u ms",
			 mg->p.ack_ms);
		return rc < 0 ? -errno : -ETIMEDOUT;
	}
	rc = mvm_mig_recv(&mg->c, &h);
	if (!rc && h.type != MVM_MIG_ACK) {
		mvm_logf(&mg->m->log, MVM_LOG_ERROR,
			 "migration: the target answered %s, not ack",
			 mvm_mig_type_name(h.type));
		rc = -EPROTO;
	}
	return rc;
}

int mvm_migrate_finish(struct mvm_migrate *mg)
{
	struct mvm_migrate_round *r = &mg->st.round[mg->st.nrounds];
	uint64_t t0 = mvm_mig_now_ns(), b0 = mg->c.bytes_out;
	int64_t left;
	int rc = 0, paused;

	/* What the last live round found: the rate of the round before. */
	r->dirty_rate = mg->rate;
	for (int i = 0; !rc && i < mvm_vm_ncpus(mg->m->vm); i++)
		rc = mvm_snap_settle(mvm_vm_vcpu(mg->m->vm, i), &mg->m->log);
	/* Device threads parked, every popped request pushed (their
	 * writes are in the dirty log): nothing changes RAM from here. */
	paused = mvm_snap_quiesce(mg->m);
	/* After settling: a finished IN or INS may have written RAM. */
	left = rc ? rc : mvm_mig_collect(mg);
	if (left < 0) {
		mvm_snap_quiesce_end(mg->m, paused);
		return (int)left;
	}
	r->phase = MVM_MIG_PHASE_STOP;

	mvm_mig_conn_phase(&mg->c, MVM_MIG_PHASE_STOP);
	rc = mvm_mig_send_pending(mg, (unsigned)mg->st.nrounds);
	if (!rc) /* closes the last round, even one with no pages */
		rc = mvm_mig_send(&mg->c, MVM_MIG_ROUND, 0,
				  (unsigned)mg->st.nrounds, "round", NULL, 0);
	r->ns = mvm_mig_now_ns() - t0;
	r->bytes = mg->c.bytes_out - b0;
	mg->st.pages += r->pages;
	mg->st.nrounds++;
	mvm_mig_conn_phase(&mg->c, MVM_MIG_PHASE_DEVICES);
	if (!rc)
		rc = mvm_snap_emit_state(mg->m, emit, &mg->c);
	if (!rc)
		rc = mvm_mig_send(&mg->c, MVM_SNAP_END, 0, 0, "end", NULL, 0);
	if (!rc)
		rc = wait_ack(mg);
	mvm_snap_quiesce_end(mg->m, paused);
	mg->st.bytes = mg->c.bytes_out;
	mg->st.downtime_ns = mvm_mig_now_ns() - t0;
	mg->st.total_ns = mvm_mig_now_ns() - mg->t_start;
	if (rc)
		mvm_logf(&mg->m->log, MVM_LOG_ERROR,
			 "migration failed in %s: %s; the guest runs on here",
			 mvm_migrate_phase_name(mg->c.phase), strerror(-rc));
	return rc;
}

const struct mvm_migrate_stats *mvm_migrate_stats(const struct mvm_migrate *mg)
{
	return &mg->st;
}

void mvm_migrate_destroy(struct mvm_migrate *mg)
{
	if (!mg)
		return;
	mvm_snap_dirty_stop(mg->m, &mg->d);
	free(mg->data);
	mvm_mig_conn_fini(&mg->c);
	free(mg);
}
