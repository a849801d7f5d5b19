/*
 * demo_dev.c - scratch register, timing markers and demo MSR for
 * `mvm run` (see demo_dev.h; the marker values and the MSR index are in
 * minivmm/layout.h).
 */
#include <errno.h>
#include <string.h>

#include "demo_dev.h"
#include "minivmm/layout.h"
#include "minivmm/trace.h"

/* Initial demo MSR value: the bytes "MVM-DEMO", easy to spot in a dump. */
#define DEMO_MSR_INIT 0x4f4d45442d4d564dULL

void demo_dev_init(struct demo_dev *d, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->msr = DEMO_MSR_INIT;
	d->out = out;
}

/* Reads return the scratch value, so the guest sees its own write come
 * back through the VMM: proof that the exit was handled in user space.
 * The bus hands over offsets from the device's base (STYLE.md 4); every
 * offset reads the same register. */
static int demo_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		     void *data, uint32_t len)
{
	struct demo_dev *d = dev;

	(void)offset;
	if (len > sizeof(d->scratch))
		return -EINVAL;
	memcpy(data, &d->scratch, len); /* x86 is little-endian */
	return 0;
}

/* A 4-byte write may be a marker; timestamps are taken here, in the exit
 * handler, so they include one exit's worth of overhead at each end. */
static int demo_marker(struct demo_dev *d, uint32_t v)
{
	unsigned id = MVM_DEMO_MARK_ID(v);

	if (MVM_DEMO_IS_BEGIN(v)) {
		d->begin_ns[id] = mvm_now_ns();
	} else if (MVM_DEMO_IS_END(v) && d->begin_ns[id]) {
		d->took_ns[id] = mvm_now_ns() - d->begin_ns[id];
		if (!d->took_ns[id])
			d->took_ns[id] = 1; /* measured, even if too fast */
		fprintf(d->out, "mvm run: marker %u: %.3f ms\n", id,
			d->took_ns[id] / 1e6);
	} else if (v == MVM_DEMO_STOP) {
		d->stopped = 1;
		return MVM_IO_STOP;
	}
	return 0;
}

static int demo_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		      const void *data, uint32_t len)
{
	struct demo_dev *d = dev;
	uint32_t v32;

	(void)offset;
	if (len > sizeof(d->scratch))
		return -EINVAL;
	d->scratch = 0;
	memcpy(&d->scratch, data, len);
	if (len != 4)
		return 0;
	memcpy(&v32, data, 4);
	return demo_marker(d, v32);
}

const struct mvm_dev_ops demo_dev_ops = {
	.name = "demo",
	.read = demo_read,
	.write = demo_write,
};

/* Called by the run step on KVM_EXIT_X86_RDMSR/WRMSR; msr->error makes
 * KVM inject #GP when it resumes the guest (api.rst, "KVM_EXIT_X86_RDMSR"). */
int demo_dev_msr(void *ctx, struct mvm_vcpu *vcpu, struct mvm_exit_msr *msr)
{
	struct demo_dev *d = ctx;

	(void)vcpu;
	if (msr->index != MVM_DEMO_MSR) {
		msr->error = 1; /* the guest takes #GP (SDM Vol. 2B, RDMSR) */
		return 0;
	}
	if (msr->is_write)
		d->msr = msr->data;
	else
		msr->data = d->msr;
	return 0;
}

void demo_dev_report(const struct demo_dev *d)
{
	/* Two intervals (cpl-compute: the same loop at CPL 0 and CPL 3):
	 * their ratio is the point of the exercise. */
	if (d->took_ns[0] && d->took_ns[1])
		fprintf(d->out,
			"mvm run: marker 0 took %.1fx as long as marker 1\n",
			(double)d->took_ns[0] / (double)d->took_ns[1]);
}
