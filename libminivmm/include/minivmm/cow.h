/*
 * cow.h - copy-on-write guest memory, done by hand (Lab 2 demo).
 *
 * A region of guest memory starts out showing the pages of a template
 * file (a disk image, a snapshot, a memfd many VMs share), mapped
 * read-only: the guest reads them at full speed, and its first write to
 * a page exits as KVM_EXIT_MMIO (a write to a KVM_MEM_READONLY slot,
 * api.rst 4.35). The VMM then gives that page a fresh private page of
 * its own, copies the template's bytes into it, carries out the write
 * the guest tried and re-registers the page as an ordinary writable
 * slot; the guest's next writes there do not exit. Every copy is
 * counted. This is what the host kernel does for MAP_PRIVATE (and what
 * MVM_MEM_PRIVATE uses), made visible one exit at a time.
 *
 * Each page of the region is a slot of its own so that one page can be
 * swapped without touching its neighbours; slots are few (memory.h,
 * MVM_MAX_SLOTS), hence MVM_COW_MAX_PAGES.
 */
#ifndef MINIVMM_COW_H
#define MINIVMM_COW_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stdint.h>

struct mvm_machine;
struct mvm_cow;

#define MVM_COW_MAX_PAGES 16

/*
 * Show npages pages of fd (from offset 0; fd open O_RDWR or O_RDONLY,
 * the template is never written) at [gpa, gpa + npages * 4 KiB), copy
 * on write. The machine must not be running (before start or paused);
 * the copies are made from inside its run step. 0 and *out, or -errno
 * (-EINVAL: npages 0 or above MVM_COW_MAX_PAGES; -ENOSPC: no slots).
 */
int mvm_cow_create(struct mvm_machine *m, uint64_t gpa, int fd, unsigned npages,
		   struct mvm_cow **out);
/* Forget the bookkeeping; the slots stay in the machine (they go with
 * it). Accepts NULL. Destroy the machine first if it may still run. */
void mvm_cow_destroy(struct mvm_cow *c);

/* Pages copied so far (first writes the guest made). */
unsigned mvm_cow_copies(const struct mvm_cow *c);
/* 1 if the page holding gpa has its own private copy, 0 if it still
 * shows the template, -EINVAL if gpa is outside the region. */
int mvm_cow_is_private(const struct mvm_cow *c, uint64_t gpa);

#pragma GCC visibility pop

#endif
