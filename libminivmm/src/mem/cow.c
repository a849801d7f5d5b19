/*
 * cow.c - copy-on-write pages for a guest, by read-only slots and MMIO
 * exits (cow.h).
 *
 * The order of a copy matters for the guest's view of memory: the
 * template page is read out *before* its slot is removed, the new page
 * is filled before it is added, and the write the guest tried is applied
 * last, so the guest never sees a page half copied. All of it happens
 * while no vCPU runs (inside mvm_machine_paused(), which the run step of
 * a single-threaded machine satisfies trivially), the rule for every
 * memory-map change (machine.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "minivmm/cow.h"
#include "minivmm/machine.h"

struct mvm_cow {
	struct mvm_machine *m;
	uint64_t gpa;			   /* first byte of the region */
	unsigned npages;		   /* pages in it */
	int slot[MVM_COW_MAX_PAGES];	   /* slot index of each page */
	uint8_t copied[MVM_COW_MAX_PAGES]; /* 1 = private copy */
	unsigned copies;		   /* pages copied so far */
};

/* One copy request, run with the machine paused. */
struct copy_req {
	struct mvm_cow *c;
	unsigned page;	  /* page index in the region */
	uint64_t off;	  /* offset of the write in the page */
	const void *data; /* what the guest wrote */
	uint32_t len;
};

static int do_copy(struct mvm_machine *m, void *ctx)
{
	struct copy_req *r = ctx;
	struct mvm_vm *vm = mvm_machine_vm(m);
	uint64_t gpa = r->c->gpa + (uint64_t)r->page * 4096;
	uint8_t *buf = malloc(4096);
	int rc, slot;

	if (!buf)
		return -ENOMEM;
	rc = mvm_vm_read(vm, gpa, buf, 4096); /* the template's bytes */
	if (!rc)
		rc = mvm_vm_mem_remove(vm, r->c->slot[r->page]);
	if (!rc) {
		memcpy(buf + r->off, r->data, r->len);
		slot = mvm_vm_mem_add(vm, gpa, 4096, 0); /* fresh, zeroed */
		rc = slot < 0 ? slot : mvm_vm_write(vm, gpa, buf, 4096);
		if (slot >= 0)
			r->c->slot[r->page] = slot;
	}
	free(buf);
	if (!rc) {
		r->c->copied[r->page] = 1;
		r->c->copies++;
	}
	return rc;
}

/* A guest write to a template page: copy it, then the write lands. */
static int cow_write(void *dev, struct mvm_vcpu *vcpu, uint64_t off,
		     const void *data, uint32_t len)
{
	struct copy_req r = {dev, (unsigned)(off / 4096), off % 4096, data,
			     len};

	(void)vcpu;
	if (r.off + len > 4096 || r.c->copied[r.page])
		return -EINVAL; /* a write across pages: not modelled */
	return mvm_machine_paused(r.c->m, do_copy, &r);
}

/* Reads of read-only slots do not exit; kept for completeness. */
static int cow_read(void *dev, struct mvm_vcpu *vcpu, uint64_t off, void *data,
		    uint32_t len)
{
	struct mvm_cow *c = dev;

	(void)vcpu;
	return mvm_vm_read(mvm_machine_vm(c->m), c->gpa + off, data, len);
}

static const struct mvm_dev_ops cow_ops = {
	.name = "cow",
	.read = cow_read,
	.write = cow_write,
};

int mvm_cow_create(struct mvm_machine *m, uint64_t gpa, int fd, unsigned npages,
		   struct mvm_cow **out)
{
	struct mvm_vm *vm;
	struct mvm_cow *c;
	int rc = 0;

	if (!m || !out || npages == 0 || npages > MVM_COW_MAX_PAGES)
		return -EINVAL;
	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	vm = mvm_machine_vm(m);
	*c = (struct mvm_cow){.m = m, .gpa = gpa, .npages = npages};
	for (unsigned i = 0; i < npages && rc >= 0; i++) {
		rc = mvm_vm_mem_add_fd(vm, gpa + i * 4096ULL, 4096, fd,
				       i * 4096ULL,
				       MVM_MEM_READONLY | MVM_MEM_PRIVATE);
		c->slot[i] = rc;
	}
	if (rc >= 0)
		rc = mvm_machine_add_device(m, 1, gpa, npages * 4096ULL,
					    &cow_ops, c);
	if (rc < 0) {
		for (unsigned i = 0; i < npages; i++)
			if (c->slot[i] > 0)
				mvm_vm_mem_remove(vm, c->slot[i]);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void mvm_cow_destroy(struct mvm_cow *c)
{
	free(c);
}

unsigned mvm_cow_copies(const struct mvm_cow *c)
{
	return c ? c->copies : 0;
}

int mvm_cow_is_private(const struct mvm_cow *c, uint64_t gpa)
{
	if (!c || gpa < c->gpa || gpa - c->gpa >= c->npages * 4096ULL)
		return -EINVAL;
	return c->copied[(gpa - c->gpa) / 4096];
}
