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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snapfile.h"

int mvm_snap_dirty_start(struct mvm_vm *vm, struct snap_dirtyset *d)
{
	struct mvm_memmap *mem = mvm_vm_mem(vm);
	uint64_t most = 0;

	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		const struct mvm_slot *s = &mem->slots[i];
		int rc;

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

void mvm_snap_dirty_stop(struct mvm_vm *vm, struct snap_dirtyset *d)
{
	struct mvm_memmap *mem = mvm_vm_mem(vm);

	for (int i = 0; i < MVM_MAX_SLOTS; i++) {
		if (d->logging[i] == 1)
			mvm_vm_mem_set_flags(vm, i,
					     mem->slots[i].flags &
						     ~MVM_MEM_LOG_DIRTY);
		d->logging[i] = 0;
		free(d->pending[i]);
		d->pending[i] = NULL;
	}
	free(d->scratch);
	d->scratch = NULL;
}
