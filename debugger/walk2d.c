/*
 * walk2d.c - the debugger's `walk2d ADDR [4k|2m|1g]`: how the MMU would
 * translate ADDR with EPT, as the grid of numbered references.
 *
 * `pt` shows the guest's own walk (one dimension). With EPT every guest
 * table address is itself translated through the VMM's tables, so one
 * TLB miss reads up to 24 entries (Intel SDM Vol. 3C 29.3). KVM's EPT
 * tables live in the kernel; this command builds the library's model of
 * them from the machine's slots (ept.h; EPT leaves up to 4 KiB by
 * default, to show the whole grid) and prints mvm_walk2d_format()'s
 * text: the guest levels down, the EPT levels across, each reference
 * numbered in the order the MMU makes it. In batch mode with --stable,
 * host addresses are written as slot and table offsets.
 */
#include <errno.h>
#include <string.h>

#include "exec.h"

/* "4k" / "2m" / "1g" -> the largest EPT leaf; 0 if it is none. */
static uint64_t leaf_arg(const char *a)
{
	if (strcmp(a, "4k") == 0)
		return MVM_PAGE_4K;
	if (strcmp(a, "2m") == 0)
		return MVM_PAGE_2M;
	return strcmp(a, "1g") == 0 ? MVM_PAGE_1G : 0;
}

/* Each line of text as one line of the result pane. */
static void add_lines(struct dbg_session *s, char *text)
{
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		dbg_text_line(&s->result, DBG_A_NORMAL, "%s", line);
}

int cmd_walk2d(struct dbg_session *s, struct dbg_cmdline *c)
{
	const struct kvm_sregs *sr = &s->cur.sregs;
	uint64_t va, leaf = MVM_PAGE_4K;
	struct mvm_ept *e = NULL;
	struct mvm_walk2d w;
	char text[8192];
	int rc;

	if (c->argc >= 3 && leaf_arg(c->argv[c->argc - 1])) {
		leaf = leaf_arg(c->argv[c->argc - 1]);
		c->argc--;
	}
	if (dbg_arg_addr(s, c, 1, &va))
		return -EINVAL;
	if (!s->vm) {
		dbg_status(s, 1, "walk2d: replay has no memory map");
		return -ENODATA;
	}
	rc = mvm_ept_create(mvm_vm_mem(s->vm), leaf, &e);
	if (rc < 0) {
		dbg_status(s, 1, "walk2d: the EPT model: %s", strerror(-rc));
		return rc;
	}
	rc = mvm_walk2d(mvm_vm_mem(s->vm), e, sr->cr0, sr->cr3, sr->cr4,
			sr->efer, va, 0, &w);
	mvm_walk2d_format(mvm_vm_mem(s->vm), e, &w, rc,
			  s->stable ? MVM_WALK2D_STABLE : 0, text,
			  sizeof(text));
	add_lines(s, text);
	mvm_ept_destroy(e);
	return 0;
}
