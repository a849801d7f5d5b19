/*
 * demo.c - the device behind the exit tour's demo port, demo MMIO
 * register and demo MSR (layout.h; the guest side is
 * examples/runtime/demo.h).
 *
 * The exit tour pokes a port, an MMIO address and an MSR that no real
 * device owns, so that each access is a plain exit a student can watch.
 * A VMM that only *watched* them would leave the guest reading all ones;
 * the better lesson is a VMM that *answers*: this device keeps a scratch
 * register, so an IN from the demo port returns what the guest last
 * wrote (the tour writes 0x42 and reads 0x42 back: proof the exit went
 * through user space and came back). It also timestamps the timing
 * markers (4-byte MMIO writes of MVM_DEMO_MARK_BEGIN/END(n)) in the exit
 * handler, and turns MVM_DEMO_STOP into MVM_IO_STOP for ring-3 guests
 * that cannot execute HLT.
 *
 * Every machine built by the machine layer has it (machine.h), so the
 * CLI, the debugger and the tests see the same answers. vCPU threads may
 * call it at once: a mutex guards its state.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "minivmm/state.h"

#define DEMO_MARKS 256

/* Initial demo MSR value: the bytes "MVM-DEMO", easy to spot in a dump. */
#define DEMO_MSR_INIT 0x4f4d45442d4d564dULL

struct mvm_demo {
	pthread_mutex_t lock;	       /* guards everything below */
	uint64_t scratch;	       /* last value written (port or MMIO) */
	uint64_t msr;		       /* value of the demo MSR */
	uint64_t begin_ns[DEMO_MARKS]; /* when BEGIN(n) was seen; 0 = not */
	uint64_t took_ns[DEMO_MARKS];  /* END - BEGIN; 0 = not measured */
	int stopped;		       /* the guest wrote MVM_DEMO_STOP */
	mvm_demo_mark_fn *mark;	       /* told about each interval */
	void *mark_ctx;		       /* its argument */
};

/* Reads return the scratch value, so the guest sees its own write come
 * back through the VMM. Every offset reads the same register. */
static int demo_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     void *data, uint32_t len)
{
	struct mvm_demo *d = dev;

	if (len > sizeof(d->scratch))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	memcpy(data, &d->scratch, len); /* x86 is little-endian */
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* A 4-byte write may be a marker; timestamps are taken here, in the exit
 * handler, so they include one exit's worth of overhead at each end.
 * Called with the lock held; *took set when an interval ended. */
static int demo_marker(struct mvm_demo *d, uint32_t v, uint64_t *took)
{
	unsigned id = MVM_DEMO_MARK_ID(v);

	if (MVM_DEMO_IS_BEGIN(v)) {
		d->begin_ns[id] = mvm_now_ns();
	} else if (MVM_DEMO_IS_END(v) && d->begin_ns[id]) {
		d->took_ns[id] = mvm_now_ns() - d->begin_ns[id];
		if (!d->took_ns[id])
			d->took_ns[id] = 1; /* measured, even if too fast */
		*took = d->took_ns[id];
	} else if (v == MVM_DEMO_STOP) {
		d->stopped = 1;
		return MVM_IO_STOP;
	}
	return 0;
}

static int demo_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		      const void *data, uint32_t len)
{
	struct mvm_demo *d = dev;
	uint64_t took = 0;
	uint32_t v32 = 0;
	int r = 0;

	if (len > sizeof(d->scratch))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	d->scratch = 0;
	memcpy(&d->scratch, data, len);
	if (len == 4) {
		memcpy(&v32, data, 4);
		r = demo_marker(d, v32, &took);
	}
	pthread_mutex_unlock(&d->lock);
	if (took && d->mark)
		d->mark(d->mark_ctx, MVM_DEMO_MARK_ID(v32), took);
	return r;
}

static void demo_reset(void *dev)
{
	struct mvm_demo *d = dev;

	pthread_mutex_lock(&d->lock);
	d->scratch = 0;
	d->msr = DEMO_MSR_INIT;
	d->stopped = 0;
	memset(d->begin_ns, 0, sizeof(d->begin_ns));
	memset(d->took_ns, 0, sizeof(d->took_ns));
	pthread_mutex_unlock(&d->lock);
}

/*
 * Save/load: what the guest can read back (the scratch register, the
 * demo MSR) and whether it asked to stop. Timing marks are not state:
 * they are host timestamps, meaningless in another process, so a load
 * clears them (an interval open at save time is simply never closed).
 */
#define DEMO_MAGIC   MVM_DEVSTATE_MAGIC('D', 'E', 'M', 'O')
#define DEMO_VERSION 1

struct demo_state {
	uint64_t scratch; /* last value written */
	uint64_t msr;	  /* the demo MSR */
	uint32_t stopped; /* 0 or 1 */
	uint32_t pad;	  /* zero */
};

static int demo_save(void *dev, void *buf, size_t len)
{
	struct mvm_demo *d = dev;
	struct demo_state s = {0};

	pthread_mutex_lock(&d->lock);
	s.scratch = d->scratch;
	s.msr = d->msr;
	s.stopped = d->stopped ? 1 : 0;
	pthread_mutex_unlock(&d->lock);
	return mvm_devstate_put(buf, len, DEMO_MAGIC, DEMO_VERSION, &s,
				sizeof(s));
}

static int demo_load(void *dev, const void *buf, size_t len)
{
	struct mvm_demo *d = dev;
	struct demo_state s;
	int r = mvm_devstate_take(buf, len, DEMO_MAGIC, DEMO_VERSION, &s,
				  sizeof(s));

	if (r < 0)
		return r;
	if (s.stopped > 1 || s.pad)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	d->scratch = s.scratch;
	d->msr = s.msr;
	d->stopped = (int)s.stopped;
	memset(d->begin_ns, 0, sizeof(d->begin_ns));
	memset(d->took_ns, 0, sizeof(d->took_ns));
	pthread_mutex_unlock(&d->lock);
	return (int)len;
}

const struct mvm_dev_ops mvm_demo_ops = {
	.name = "demo",
	.read = demo_read,
	.write = demo_write,
	.reset = demo_reset,
	.save = demo_save,
	.load = demo_load,
};

/* The MSR handler: the demo MSR reads back what was last written; the
 * range holds only that index (machine.c registers one MSR). */
int mvm_demo_msr(void *ctx, struct mvm_vcpu *vcpu, struct mvm_exit_msr *msr)
{
	struct mvm_demo *d = ctx;

	if (msr->index != MVM_DEMO_MSR) {
		msr->error = 1; /* the guest takes #GP (SDM Vol. 2B, RDMSR) */
		return 0;
	}
	pthread_mutex_lock(&d->lock);
	if (msr->is_write)
		d->msr = msr->data;
	else
		msr->data = d->msr;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int mvm_demo_create(mvm_demo_mark_fn *mark, void *ctx, struct mvm_demo **out)
{
	struct mvm_demo *d = calloc(1, sizeof(*d));

	*out = d;
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->msr = DEMO_MSR_INIT;
	d->mark = mark;
	d->mark_ctx = ctx;
	return 0;
}

void mvm_demo_destroy(struct mvm_demo *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d);
}

uint64_t mvm_demo_took_ns(struct mvm_demo *d, unsigned id)
{
	uint64_t ns;

	if (id >= DEMO_MARKS)
		return 0;
	pthread_mutex_lock(&d->lock);
	ns = d->took_ns[id];
	pthread_mutex_unlock(&d->lock);
	return ns;
}

int mvm_demo_stopped(struct mvm_demo *d)
{
	int s;

	pthread_mutex_lock(&d->lock);
	s = d->stopped;
	pthread_mutex_unlock(&d->lock);
	return s;
}
