/*
 * migrate_recv.c - the target side of a live migration (migrate.h):
 * a machine built from the stream, RAM filled round after round, the
 * state put in, ACK.
 *
 * The stream is read as a small state machine, and a message that does
 * not belong where it arrives is refused (-EPROTO) rather than
 * "handled":
 *
 *   WANT_HELLO  --HELLO-->  WANT_CONFIG  --CONFIG-->  PAGES
 *   PAGES       --PAGES/ROUND--> PAGES   --VM--> STATE
 *   STATE       --VCPU (0, 1, ... in order)/DEVICE/LABMSR--> STATE
 *   STATE       --END (every vCPU seen)--> done: ACK
 *
 * The machine is not run until the end, so RAM is written through plain
 * pointers from mvm_memmap_hva() (checked per page by
 * mvm_mig_pages_check()), and a failure anywhere destroys it: the caller
 * gets a whole machine or none, as with a snapshot restore.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_internal.h"
#include "migstream.h"

enum stage { WANT_HELLO, WANT_CONFIG, PAGES, STATE };

struct target {
	struct mig_conn c;		       /* the stream */
	const struct mvm_machine_config *base; /* callbacks for the build */
	const struct mvm_log *log;	       /* base's log */
	struct mvm_machine *m;		       /* built at CONFIG */
	enum stage stage;		       /* where the stream is */
	unsigned rounds;		       /* ROUND messages seen */
	uint64_t vcpus;			       /* VCPU messages seen */
};

#define REFUSE(t, h, why)                                                      \
	(mvm_logf((t)->log, MVM_LOG_ERROR, "migration: message %llu (%s): %s", \
		  (unsigned long long)(h)->offset,                             \
		  mvm_mig_type_name((h)->type), why),                          \
	 -EPROTO)

static int on_hello(struct target *t, const struct snap_sect_hdr *h)
{
	struct mig_hello hl;

	if (h->type != MVM_MIG_HELLO || h->length != sizeof(hl))
		return REFUSE(t, h, "the stream must start with hello");
	memcpy(&hl, t->c.buf, sizeof(hl));
	if (memcmp(hl.magic, MVM_MIGRATE_MAGIC, sizeof(MVM_MIGRATE_MAGIC)))
		return REFUSE(t, h, "not a minivmm migration stream");
	if (hl.version != MVM_MIGRATE_VERSION || hl.page_size != SNAP_PAGE) {
		mvm_logf(t->log, MVM_LOG_ERROR,
			 "migration: stream version %u (pages of %u bytes); "
			 "this build speaks version %u",
			 hl.version, hl.page_size, MVM_MIGRATE_VERSION);
		return -EPROTONOSUPPORT;
	}
	t->stage = WANT_CONFIG;
	return 0;
}

static int on_config(struct target *t, const struct snap_sect_hdr *h)
{
	struct snap_config c;
	int rc;

	if (h->type != MVM_SNAP_CONFIG || h->length != sizeof(c))
		return REFUSE(t, h, "the config must follow hello");
	memcpy(&c, t->c.buf, sizeof(c));
	if (c.ncpus == 0 || c.ncpus > MVM_MAX_VCPUS)
		return REFUSE(t, h, "a vCPU count out of range");
	/* Values the new machine indexes tables with: checked here, as the
	 * stream is not trusted (STYLE.md 5). */
	if (c.mode < MVM_MODE_AUTO || c.mode > MVM_MODE_LONG64 ||
	    c.hlt > MVM_HLT_WAIT)
		return REFUSE(t, h, "a CPU mode or HLT policy out of range");
	rc = mvm_snap_build(&c, t->base, &t->m);
	if (rc) {
		mvm_logf(t->log, MVM_LOG_ERROR,
			 "migration: cannot build the machine the config "
			 "describes: %s",
			 strerror(-rc));
		return rc;
	}
	t->stage = PAGES;
	return 0;
}

static int on_pages(struct target *t, const struct snap_sect_hdr *h)
{
	struct mvm_memmap *mem = mvm_vm_mem(t->m->vm);

	if (h->type == MVM_MIG_ROUND) {
		if (h->aux != t->rounds)
			return REFUSE(t, h, "rounds out of order");
		t->rounds++;
		return 0;
	}
	if (h->type == MVM_MIG_PAGES) {
		int rc = mvm_mig_pages_check(h, t->c.buf, mem, t->log);

		if (!rc)
			mvm_mig_pages_apply(h, t->c.buf, mem);
		return rc;
	}
	if (h->type != MVM_SNAP_VM)
		return REFUSE(t, h, "pages, round or vm expected");
	t->stage = STATE;
	return 1; /* the VM section is state: STATE takes it */
}

static int on_state(struct target *t, const struct snap_sect_hdr *h)
{
	uint64_t want = mvm_snap_body_size(h->type);
	int rc;

	switch (h->type) {
	case MVM_SNAP_VM:
		if (t->vcpus)
			return REFUSE(t, h, "vm after a vcpu");
		break;
	case MVM_SNAP_VCPU:
		if (h->aux != t->vcpus ||
		    t->vcpus >= (uint64_t)mvm_vm_ncpus(t->m->vm))
			return REFUSE(t, h, "vCPUs out of order or too many");
		t->vcpus++;
		break;
	case MVM_SNAP_DEVICE:
	case MVM_SNAP_LABMSR:
		break;
	case MVM_SNAP_END:
		if (t->vcpus != (uint64_t)mvm_vm_ncpus(t->m->vm))
			return REFUSE(t, h, "end before every vCPU's state");
		return 1;
	default:
		return REFUSE(t, h, "state sections or end expected");
	}
	if (want && h->length != want)
		return REFUSE(t, h, "a state body of another build's size");
	rc = mvm_snap_apply(t->m, (int)h->offset, h, t->c.buf);
	if (rc)
		mvm_logf(t->log, MVM_LOG_ERROR,
			 "migration: message %llu (%s %llu): not loaded: %s",
			 (unsigned long long)h->offset,
			 mvm_mig_type_name(h->type), (unsigned long long)h->aux,
			 strerror(-rc));
	return rc;
}

/* One message in its stage: 0 go on, 1 END reached, -errno. */
static int step(struct target *t)
{
	struct snap_sect_hdr h;
	int rc = mvm_mig_recv(&t->c, &h);

	if (rc)
		return rc;
	switch (t->stage) {
	case WANT_HELLO:
		return on_hello(t, &h);
	case WANT_CONFIG:
		return on_config(t, &h);
	case PAGES:
		rc = on_pages(t, &h);
		if (rc != 1)
			return rc;
		__attribute__((fallthrough)); /* the VM section */
	case STATE:
		return on_state(t, &h);
	}
	return -EPROTO;
}

int mvm_migrate_receive(int fd, const struct mvm_machine_config *base,
			struct mvm_machine **out, unsigned *rounds)
{
	struct target t = {.base = base, .log = base ? &base->log : NULL};
	int rc;

	if (fd < 0 || !out)
		return -EINVAL;
	*out = NULL;
	rc = mvm_mig_conn_init(&t.c, fd, t.log);
	while (!rc)
		rc = step(&t);
	if (rc == 1)
		rc = mvm_mig_send(&t.c, MVM_MIG_ACK, 0, 0, "ack", NULL, 0);
	if (rc) {
		mvm_machine_destroy(t.m);
		t.m = NULL;
	}
	mvm_mig_conn_fini(&t.c);
	if (rounds)
		*rounds = t.rounds;
	*out = t.m;
	return rc;
}
