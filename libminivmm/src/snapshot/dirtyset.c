/*
 * dirtyset.c - which pages changed since some point: the dirty log
 * (vm.h) of every slot, collected into a pending set (snapfile.h).
 *
 * Live migration (migrate_send.c) collects once per round and sends
 * the set; a diff chain (chain.c) collects once per diff and writes it.
 * Both rely on the same two facts: logging starts clear when it is
 * switched on (KVM_SET_USER_MEMORY_REGION with KVM_MEM_LOG_DIRTY_PAGES,
 * api.rst 4.35), and mvm_vm_dirty_log() hands out the guest's writes
 * ORed with the VMM's own and clears both, so a page written after one
 * collect is in the next. The set is only cleared by its user, once
 * the pages are safely out: a failed send or write loses nothing.
 *
 * Collecting clears the log, so two users of one machine's log would
 * each see part of it. Migration runs on alongside a caller's own
 * logging (it sends too much, never too little: the caller loses), but
 * a chain's diff that missed a page would restore a wrong guest. So a
 * chain holds the log alone (exclusive): it refuses slots that already
 * log, and while it lives anyone else's start is refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine_internal.h"
#include "snapfile.h"

#define MAX_HELD 16 /* machines whose log a chain holds, per process */

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct mvm_vm *held[MAX_HELD];

/* Take (exclusive) or check vm's log: 0, or -EBUSY if a chain holds it
 * (or, exclusive, a slot already logs). */
static int take(struct mvm_vm *vm, int exclusive)
{
	const struct mvm_memmap *mem = mvm_vm_mem(vm);
	int rc = 0, free_at = -1;

	pthread_mutex_lock(&held_lock);
	for (int i = 0; i < MAX_HELD; i++) {
		if (held[i] == vm)
			rc = -EBUSY;
		if (!held[i] && free_at < 0)
			free_at = i;
	}
	for (int i = 0; exclusive && !rc && i < MVM_MAX_SLOTS; i++)
		if (mem->slots[i].used &&
		    (mem->slots[i].flags & MVM_MEM_LOG_DIRTY))
			rc = -EBUSY;
	if (!rc && exclusive)
		rc = free_at < 0 ? -ENOSPC : 0;
	if (!rc && exclusive)
		held[free_at] = vm;
	pthread_mutex_unlock(&held_lock);
	if (rc)
		mvm_logf(mvm_vm_log(vm), MVM_LOG_ERROR, "dirty log: %s",
			 rc == -ENOSPC ? "too many diff chains in this process"
				       : "another user (a diff chain, a "
					 "migration) has this machine's log");
	return rc;
}

int mvm_snap_dirty_start(struct mvm_vm *vm, struct snap_dirtyset *d,
			 int exclusive)
{
	struct mvm_memmap *mem = mvm_vm_mem(vm);
	uint64_t most = 0;
	int rc = take(vm, exclusive);

	if (rc)
		return rc;
	d->vm = exclusive ? vm : NULL;
	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &mem->slots[i];

		if (!s->used)
			continue;
		d->pending[i] = calloc(MVM_DIRTY_WORDS(s->size), 8);
		if (!d->pending[i])
			return -ENOMEM;
		if (MVM_DIRTY_WORDS(s->size) > most)
			most = MVM_DIRTY_WORDS(s->size);
		if (!(s->flags & MVM_MEM_LOG_DIRTY)) {
			rc = mvm_vm_mem_set_flags(vm, i,
						  s->flags | MVM_MEM_LOG_DIRTY);
			if (rc)
				return rc;
			d->logging[i] = 1; /* ours to switch off */
		} else {
			d->logging[i] = 2; /* the caller's logging */
		}
	}
	d->scratch = calloc(most ? most : 1, 8);
	return d->scratch ? 0 : -ENOMEM;
}

int64_t mvm_snap_dirty_collect(struct mvm_vm *vm, struct snap_dirtyset *d,
			       int64_t *fresh)
{
	int64_t pages = 0, added = 0;

	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		uint64_t words = MVM_DIRTY_WORDS(mvm_vm_mem(vm)->slots[i].size);
		int rc;

		if (!d->logging[i])
			continue;
		memset(d->scratch, 0, words * 8);
		rc = mvm_vm_dirty_log(vm, i, d->scratch);
		if (rc)
			return rc;
		for (uint64_t w = 0; w < words; w++) {
			added += __builtin_popcountll(d->scratch[w] &
						      ~d->pending[i][w]);
			d->pending[i][w] |= d->scratch[w];
			pages += __builtin_popcountll(d->pending[i][w]);
		}
	}
	if (fresh)
		*fresh = added;
	return pages;
}

void mvm_snap_dirty_stop(struct mvm_machine *m, struct snap_dirtyset *d)
{
	struct mvm_vm *vm = m->vm;
	struct mvm_memmap *mem = mvm_vm_mem(vm);
	/* A slot's flags change only with the device threads parked too
	 * (vm.h): they read them on every access. */
	int paused = mvm_snap_quiesce(m);

	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		if (d->logging[i] == 1)
			mvm_vm_mem_set_flags(vm, i,
					     mem->slots[i].flags &
						     ~MVM_MEM_LOG_DIRTY);
		d->logging[i] = 0;
		free(d->pending[i]);
		d->pending[i] = NULL;
	}
	mvm_snap_quiesce_end(m, paused);
	free(d->scratch);
	d->scratch = NULL;
	pthread_mutex_lock(&held_lock);
	for (int i = 0; d->vm && i < MAX_HELD; i++)
		if (held[i] == d->vm)
			held[i] = NULL;
	pthread_mutex_unlock(&held_lock);
	d->vm = NULL;
}
