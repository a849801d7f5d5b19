/*
 * hypercall.c - the host side of minivmm's hypercall port (protocol in
 * hypercall.h).
 *
 * Lab 1, task 4 edits this file: the LAB(1) region (checking a request's
 * buffer and servicing it) is what the student writes. Do not change the
 * port handling below it or the struct: the grader calls
 * mvm_hcall_service() directly with hostile requests, and drives the port
 * from a guest.
 *
 * The security boundary of a VMM is exactly here. The guest controls
 * every field of the request: the number, the arguments, the buffer
 * address and its length. A buffer that lies outside guest RAM, wraps
 * around 2^64, straddles the end of a memory slot, points at a device
 * (MMIO) or at read-only memory must be refused with an error *for the
 * guest*, never turned into a host pointer that reads or writes the VMM's
 * own memory (the class of bug behind VENOM, CVE-2015-3456, and many
 * other VM escapes). Two habits make that easy to get right:
 *   - copy the request into host memory once and use only the copy
 *     (otherwise a second vCPU could change it between check and use: a
 *     "double fetch", TOCTOU);
 *   - move guest bytes only through mvm_memmap_read()/mvm_memmap_write(),
 *     which check the whole range against the slot table (memory.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/hypercall.h"
#include "minivmm/state.h"

_Static_assert(MVM_HCALL_EFAULT == EFAULT && MVM_HCALL_EINVAL == EINVAL &&
		       MVM_HCALL_ENOSYS == ENOSYS && MVM_HCALL_E2BIG == E2BIG,
	       "hypercall.h error numbers must be Linux errno values");

struct mvm_hcall_dev {
	const struct mvm_memmap *mem; /* guest memory: where requests live */
	mvm_output_fn *out;	      /* PUTS text goes here (may be NULL) */
	void *out_ctx;
	const struct mvm_log *log;
	int64_t last_ret; /* what an IN from the port reads */
	uint64_t calls;	  /* requests served */
};

/* Total guest RAM: the size of every slot (what INFO reports). Marked
 * unused only because a handout's stub does not call it yet. */
__attribute__((unused)) static uint64_t ram_bytes(const struct mvm_memmap *mem)
{
	uint64_t sum = 0;

	for (int i = 0; i < MVM_MAX_SLOTS; i++)
		if (mem->slots[i].used)
			sum += mem->slots[i].size;
	return sum;
}

/* LAB(1, hypercall) BEGIN */
/* Is [gpa, gpa + len) an acceptable buffer? Length first (cheap, and it
 * bounds the host's bounce buffer), then the address arithmetic, which
 * must not wrap. Whether the bytes are guest RAM is checked by the copy
 * itself (mvm_memmap_read/write refuse any byte outside a slot). */
static int64_t check_buf(const struct mvm_hcall *req)
{
	if (req->len > MVM_HCALL_BUF_MAX)
		return -E2BIG;
	if (req->buf + req->len < req->buf)
		return -EFAULT;
	return 0;
}

/* PUTS: copy the text out of the guest (once), then print it. */
static int64_t hc_puts(struct mvm_hcall_dev *d, const struct mvm_hcall *req)
{
	char text[MVM_HCALL_BUF_MAX];

	if (mvm_memmap_read(d->mem, req->buf, text, req->len) < 0)
		return -EFAULT;
	if (d->out && req->len)
		d->out(d->out_ctx, text, req->len);
	return (int64_t)req->len;
}

/* INFO: write the answer into the guest's buffer. A read-only slot is
 * refused by mvm_memmap_write (-EROFS): to the guest that is a bad
 * address like any other. */
static int64_t hc_info(struct mvm_hcall_dev *d, const struct mvm_hcall *req)
{
	struct mvm_hcall_info info = {0};

	if (req->len < sizeof(info))
		return -EINVAL;
	info.ram_bytes = ram_bytes(d->mem);
	info.calls = d->calls;
	memcpy(info.name, "minivmm", sizeof("minivmm"));
	if (mvm_memmap_write(d->mem, req->buf, &info, sizeof(info), 0) < 0)
		return -EFAULT;
	return (int64_t)sizeof(info);
}

int64_t mvm_hcall_service(struct mvm_hcall_dev *d, const struct mvm_hcall *req)
{
	int64_t r;

	d->calls++;
	switch (req->nr) {
	case MVM_HCALL_NOP:
		return 0;
	case MVM_HCALL_ADD:
		return (int64_t)(req->args[0] + req->args[1] + req->args[2] +
				 req->args[3]);
	case MVM_HCALL_PUTS:
		r = check_buf(req);
		return r < 0 ? r : hc_puts(d, req);
	case MVM_HCALL_INFO:
		r = check_buf(req);
		return r < 0 ? r : hc_info(d, req);
	default:
		return -ENOSYS;
	}
}
/* LAB(1) STUB
// LAB 1 (task 4): count the call (d->calls), then do what req->nr asks
// (hypercall.h): NOP, ADD, PUTS (text from the guest buffer to d->out),
// INFO (struct mvm_hcall_info into the guest buffer). Unknown: -ENOSYS.
// The guest is hostile: refuse len > MVM_HCALL_BUF_MAX (-E2BIG; exactly
// MVM_HCALL_BUF_MAX is fine), a buffer that wraps or is not writable
// guest RAM (-EFAULT), INFO with a short buffer (-EINVAL). Return only
// these four errors: mvm_memmap_write's -EROFS is -EFAULT to the guest.
// Hint: copy with mvm_memmap_read/mvm_memmap_write (memory.h) - they
// check every byte - and ram_bytes() for INFO.
int64_t mvm_hcall_service(struct mvm_hcall_dev *d, const struct mvm_hcall *req)
{
	(void)d;
	(void)req;
	return -ENOSYS;
}
LAB(1) END */

/* OUT: the guest gives a request's address. Copy the request in once; if
 * even that fails, the guest learns it through an IN of the port. */
static int hcall_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		       const void *data, uint32_t len)
{
	struct mvm_hcall_dev *d = dev;
	struct mvm_hcall req;
	uint32_t gpa;
	int64_t ret;

	if (offset != 0 || len != 4)
		return -EINVAL;
	memcpy(&gpa, data, sizeof(gpa));
	if (mvm_memmap_read(d->mem, gpa, &req, sizeof(req)) < 0) {
		mvm_logf(d->log, MVM_LOG_WARN,
			 "hypercall: request at 0x%x is not in guest RAM", gpa);
		d->last_ret = -EFAULT;
		return 0;
	}
	ret = mvm_hcall_service(d, &req);
	if (ret < 0)
		mvm_logf(d->log, MVM_LOG_INFO,
			 "hypercall %llu (request at 0x%x) refused: %s",
			 (unsigned long long)req.nr, gpa, strerror((int)-ret));
	d->last_ret = ret;
	/* Write back only `ret`: the rest of the request stays the guest's. */
	if (mvm_memmap_write(d->mem, gpa + offsetof(struct mvm_hcall, ret),
			     &ret, sizeof(ret), 0) < 0)
		d->last_ret = -EFAULT;
	return 0;
}

/* IN: the last result, truncated to the 32 bits of the access. */
static int hcall_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		      void *data, uint32_t len)
{
	const struct mvm_hcall_dev *d = dev;
	int32_t v = (int32_t)d->last_ret;

	if (offset != 0 || len != 4)
		return -EINVAL;
	memcpy(data, &v, sizeof(v));
	return 0;
}

static void hcall_reset(void *dev)
{
	struct mvm_hcall_dev *d = dev;

	d->last_ret = 0;
	d->calls = 0;
}

/*
 * Save/load (outside the lab's regions): what the guest can observe,
 * the last result (an IN from the port) and the number of calls served
 * (MVM_HCALL_INFO reports it).
 */
#define HCALL_MAGIC   MVM_DEVSTATE_MAGIC('H', 'C', 'A', 'L')
#define HCALL_VERSION 1

struct hcall_state {
	int64_t last_ret; /* what an IN from the port reads */
	uint64_t calls;	  /* requests served */
};

static int hcall_save(void *dev, void *buf, size_t len)
{
	struct mvm_hcall_dev *h = dev;
	struct hcall_state s = {h->last_ret, h->calls};

	return mvm_devstate_put(buf, len, HCALL_MAGIC, HCALL_VERSION, &s,
				sizeof(s));
}

static int hcall_load(void *dev, const void *buf, size_t len)
{
	struct mvm_hcall_dev *h = dev;
	struct hcall_state s;
	int r = mvm_devstate_take(buf, len, HCALL_MAGIC, HCALL_VERSION, &s,
				  sizeof(s));

	if (r < 0)
		return r;
	h->last_ret = s.last_ret;
	h->calls = s.calls;
	return (int)len;
}

const struct mvm_dev_ops mvm_hcall_ops = {
	.name = "hypercall",
	.read = hcall_read,
	.write = hcall_write,
	.reset = hcall_reset,
	.save = hcall_save,
	.load = hcall_load,
};

int mvm_hcall_create(const struct mvm_memmap *mem, mvm_output_fn *out,
		     void *ctx, const struct mvm_log *log,
		     struct mvm_hcall_dev **dev)
{
	struct mvm_hcall_dev *d;

	*dev = NULL;
	if (!mem)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->mem = mem;
	d->out = out;
	d->out_ctx = ctx;
	d->log = log;
	*dev = d;
	return 0;
}

void mvm_hcall_destroy(struct mvm_hcall_dev *dev)
{
	free(dev);
}

int64_t mvm_hcall_last_ret(const struct mvm_hcall_dev *dev)
{
	return dev->last_ret;
}

uint64_t mvm_hcall_count(const struct mvm_hcall_dev *dev)
{
	return dev->calls;
}
