/*
 * boottime.c - a Linux boot's milestones, matched on its console lines
 * (boottime.h). The texts are what Linux 6.1 prints: init/do_mounts.c
 * ("VFS: Mounted root"), init/main.c ("Run %s as init process",
 * "Kernel panic - not syncing"), kernel/reboot.c ("reboot: Restarting
 * system") and drivers/block/virtio_blk.c (its dev_info lines, which
 * the driver core prefixes with "virtio_blk virtioN").
 */
#include <string.h>

#include "minivmm/boottime.h"

static const struct {
	const char *name; /* in timelines and CSVs */
	const char *text; /* console line containing it; NULL: not shown */
} milestones[] = {
	[MVM_BOOT_KERNEL_ENTRY] = {"kernel entered", NULL},
	[MVM_BOOT_FIRST_LINE] = {"first console line", ""},
	[MVM_BOOT_VIRTIO_BLK] = {"virtio-blk probed", "virtio_blk virtio"},
	[MVM_BOOT_ROOT_MOUNTED] = {"root mounted", "VFS: Mounted root"},
	[MVM_BOOT_INIT] = {"init started", "Run /"},
	[MVM_BOOT_PANIC] = {"kernel panic", "Kernel panic"},
	[MVM_BOOT_RESET] = {"reset", "reboot: Restarting system"},
};
_Static_assert(sizeof(milestones) / sizeof(milestones[0]) ==
		       MVM_BOOT_MILESTONES,
	       "one entry per milestone");

const char *mvm_boot_milestone_name(enum mvm_boot_milestone m)
{
	return (unsigned)m < MVM_BOOT_MILESTONES ? milestones[m].name : NULL;
}

const char *mvm_boot_milestone_text(enum mvm_boot_milestone m)
{
	return (unsigned)m < MVM_BOOT_MILESTONES ? milestones[m].text : NULL;
}

void mvm_boot_timeline_init(struct mvm_boot_timeline *tl)
{
	memset(tl, 0, sizeof(*tl));
}

int mvm_boot_timeline_mark(struct mvm_boot_timeline *tl,
			   enum mvm_boot_milestone m, double now_s,
			   uint64_t exits)
{
	if ((unsigned)m >= MVM_BOOT_MILESTONES || tl->seen[m])
		return 0;
	tl->seen[m] = 1;
	tl->at_s[m] = now_s;
	tl->at_exits[m] = exits;
	return 1;
}

/* A complete line: every milestone it shows, then start the next. */
static int line_done(struct mvm_boot_timeline *tl, double now_s, uint64_t exits)
{
	int n = 0;

	tl->line[tl->len] = '\0';
	for (int m = 0; m < MVM_BOOT_MILESTONES; m++)
		if (milestones[m].text && strstr(tl->line, milestones[m].text))
			n += mvm_boot_timeline_mark(tl, m, now_s, exits);
	tl->len = 0;
	return n;
}

int mvm_boot_timeline_feed(struct mvm_boot_timeline *tl, const char *buf,
			   size_t len, double now_s, uint64_t exits)
{
	int n = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			n += line_done(tl, now_s, exits);
		else if (buf[i] != '\r' && tl->len < sizeof(tl->line) - 1)
			tl->line[tl->len++] = buf[i];
	}
	return n;
}
