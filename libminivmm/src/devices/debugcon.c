/*
 * debugcon.c - the "port E9 hack" debug console.
 *
 * Bochs introduced it and QEMU copied it (-debugcon): every byte a guest
 * writes to port 0xe9 appears on the host's output, with no setup at all.
 * That makes it the first device a guest can use: one OUT instruction and
 * the host sees a character. Reading the port returns 0xe9, which is how
 * a guest detects that the console is there (Bochs user manual, "Port E9
 * Hack").
 *
 * The device has one register, at offset 0; minivmm registers it at
 * MVM_PORT_DEBUGCON with length 1.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "minivmm/state.h"

/* What a read of the port returns: the port number, so a guest can tell
 * the console from an empty bus (which reads 0xff). */
#define DEBUGCON_READBACK 0xe9

struct mvm_debugcon {
	mvm_output_fn *out; /* where bytes go; NULL drops them */
	void *ctx;	    /* passed to out */
};

static int debugcon_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
			 void *data, uint32_t len)
{
	(void)dev;
	(void)offset;
	memset(data, DEBUGCON_READBACK, len);
	return 0;
}

static int debugcon_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
			  const void *data, uint32_t len)
{
	struct mvm_debugcon *d = dev;

	(void)offset;
	if (d->out)
		d->out(d->ctx, data, len);
	return 0;
}

/*
 * Save/load: the console has no guest-visible state (a byte written is
 * gone), so its blob is the header alone, and load only checks that the
 * blob is a debugcon's (state.h).
 */
#define DEBUGCON_MAGIC	 MVM_DEVSTATE_MAGIC('E', '9', 'C', 'N')
#define DEBUGCON_VERSION 1

struct debugcon_state {
	uint8_t none; /* nothing to keep; C needs one member */
};

static int debugcon_save(void *dev, void *buf, size_t len)
{
	struct debugcon_state s = {0};

	(void)dev;
	return mvm_devstate_put(buf, len, DEBUGCON_MAGIC, DEBUGCON_VERSION, &s,
				sizeof(s));
}

static int debugcon_load(void *dev, const void *buf, size_t len)
{
	struct debugcon_state s;
	int r = mvm_devstate_take(buf, len, DEBUGCON_MAGIC, DEBUGCON_VERSION,
				  &s, sizeof(s));

	(void)dev;
	return r < 0 ? r : (int)len;
}

const struct mvm_dev_ops mvm_debugcon_ops = {
	.name = "debugcon",
	.read = debugcon_read,
	.write = debugcon_write,
	.save = debugcon_save,
	.load = debugcon_load,
};

int mvm_debugcon_create(mvm_output_fn *out, void *ctx,
			struct mvm_debugcon **dev)
{
	struct mvm_debugcon *d;

	if (!dev)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->out = out;
	d->ctx = ctx;
	*dev = d;
	return 0;
}

void mvm_debugcon_destroy(struct mvm_debugcon *dev)
{
	free(dev);
}
