/*
 * walk_cli.c - `mvm run --walk GVA[:4k|2m|1g]` (walk_cli.h).
 *
 * When the run is over, vCPU 0 is stopped and its registers say which
 * tables are in force (CR0, CR3, CR4, EFER). This builds the model of
 * the EPT tables KVM would hold for the machine's slots (ept.h; leaves
 * up to the size after the colon, 4 KiB by default, which shows the
 * full 24-reference grid) and prints three things for GVA:
 *
 *   - the guest's own walk (mvm_pt_walk, the debugger's `pt`),
 *   - the EPT walk of the GPA it found (mvm_ept_translate),
 *   - the 2D walk as the MMU makes it on a TLB miss, each reference
 *     numbered in the grid of guest levels x EPT levels (mvm_walk2d),
 *     with the slot and host address of the byte.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "minivmm/minivmm.h"
#include "walk_cli.h"

static struct {
	int on;		   /* --walk given */
	uint64_t gva;	   /* the address */
	uint64_t ept_leaf; /* largest EPT leaf of the model */
} walk = {0, 0, 4096};

int walkcli_option(const char *cmd, const char *arg)
{
	char *end;

	walk.gva = strtoull(arg, &end, 0);
	walk.on = 1;
	if (*end == ':') {
		if (strcmp(end + 1, "4k") == 0)
			walk.ept_leaf = MVM_PAGE_4K;
		else if (strcmp(end + 1, "2m") == 0)
			walk.ept_leaf = MVM_PAGE_2M;
		else if (strcmp(end + 1, "1g") == 0)
			walk.ept_leaf = MVM_PAGE_1G;
		else
			end = ""; /* reported below */
		if (*end)
			return 0;
	} else if (*end == '\0' && end != arg) {
		return 0;
	}
	cli_error(cmd, "bad --walk '%s': use GVA[:4k|2m|1g], e.g. 0x101000:2m",
		  arg);
	return -EINVAL;
}

void walkcli_usage(FILE *f)
{
	fprintf(f, "      --walk GVA[:4k|2m|1g]  when the guest stops, show "
		   "GVA's page walk,\n"
		   "                      the EPT walk and the 2D grid of "
		   "references (EPT\n"
		   "                      leaves up to 4k, the default, 2m "
		   "or 1g)\n");
}

static void guest_walk(const struct mvm_memmap *mem, const struct kvm_sregs *s)
{
	struct mvm_pt_walk w;
	char flags[64];
	int i, rc = mvm_pt_walk(mem, s->cr0, s->cr3, s->cr4, s->efer, walk.gva,
				&w);

	printf("guest walk of 0x%" PRIx64 " from CR3 0x%llx:\n", walk.gva,
	       (unsigned long long)s->cr3);
	for (i = 0; i < w.nlevels; i++) {
		mvm_pte_flags_str(w.lv[i].entry, w.lv[i].level, flags,
				  sizeof(flags));
		printf("  level %d [%3llu] at GPA 0x%llx: 0x%016llx %s\n",
		       w.lv[i].level, (unsigned long long)w.lv[i].index,
		       (unsigned long long)w.lv[i].entry_gpa,
		       (unsigned long long)w.lv[i].entry, flags);
	}
	if (rc == 0)
		printf("  -> GPA 0x%llx (%llu KiB page)\n",
		       (unsigned long long)w.gpa,
		       (unsigned long long)w.page_size >> 10);
	else
		printf("  -> %s\n", w.why);
}

static void ept_walk(const struct mvm_ept *e, uint64_t gpa)
{
	struct mvm_ept_walk w;
	int i, rc = mvm_ept_translate(e, gpa, 0, &w);

	printf("EPT walk of GPA 0x%llx (model, leaves up to %llu KiB):\n",
	       (unsigned long long)gpa,
	       (unsigned long long)walk.ept_leaf >> 10);
	for (i = 0; i < w.nlevels; i++)
		printf("  EPT level %d [%3llu]: 0x%016llx%s\n", w.lv[i].level,
		       (unsigned long long)w.lv[i].index,
		       (unsigned long long)w.lv[i].entry,
		       w.lv[i].leaf ? " (leaf)" : "");
	if (rc == 0)
		printf("  -> host 0x%llx (%llu KiB page)\n",
		       (unsigned long long)w.hpa,
		       (unsigned long long)w.page_size >> 10);
	else
		printf("  -> EPT %s\n", w.fault == MVM_EPT_MISCONFIG
						? "misconfiguration"
						: "violation (MMIO)");
}

int walkcli_finish(struct mvm_machine *m, int status)
{
	const struct mvm_memmap *mem = mvm_vm_mem(mvm_machine_vm(m));
	struct mvm_ept *e = NULL;
	struct mvm_walk2d w;
	struct kvm_sregs s;
	char text[8192];
	int rc;

	if (!walk.on)
		return status;
	rc = mvm_vcpu_get_sregs(mvm_machine_vcpu(m, 0), &s);
	if (rc == 0)
		rc = mvm_ept_create(mem, walk.ept_leaf, &e);
	if (rc < 0) {
		cli_error("mvm run", "--walk: %s", strerror(-rc));
		return MVM_EXIT_FAIL;
	}
	guest_walk(mem, &s);
	rc = mvm_walk2d(mem, e, s.cr0, s.cr3, s.cr4, s.efer, walk.gva, 0, &w);
	if (rc == 0)
		ept_walk(e, w.gpa);
	mvm_walk2d_format(mem, e, &w, rc, 0, text, sizeof(text));
	fputs(text, stdout);
	mvm_ept_destroy(e);
	return status;
}
