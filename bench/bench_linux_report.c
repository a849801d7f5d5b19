/*
 * bench_linux_report.c - bench_linux's output: the milestone table, the
 * mvm/QEMU ratios, why QEMU/KVM did not boot, and the CSVs for deck 4.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench_linux.h"

static const char *const vmm_col[NVMMS] = {"mvm", "qemu_kvm", "qemu_tcg"};

/* Why QEMU/KVM stopped: its words, and the quirks mvm works around. */
void explain_kvm_failure(unsigned quirks)
{
	const struct boot *b = &boots[VMM_QEMU_KVM];

	printf("QEMU/KVM did not boot: %s\n", b->failure);
	if (!quirks)
		return;
	printf("  This host's KVM backend has quirks that mvm works around "
	       "and QEMU does not\n  (quirks.h; `mvm doctor`):\n");
	for (unsigned q = 1; q && q <= quirks; q <<= 1)
		if (quirks & q &
		    (MVM_QUIRK_SOFT_INT_EMULATION | MVM_QUIRK_EMULATOR_ISA |
		     MVM_QUIRK_NO_CMPXCHG16B))
			printf("  %-18s %s\n", mvm_quirk_name(q),
			       mvm_quirk_symptom(q));
	if (strstr(b->failure, "Suberror: 1"))
		printf("  Suberror 1 is KVM_INTERNAL_ERROR_EMULATION: the "
		       "instruction at RIP (QEMU's\n  \"Code=\" dump, <cc> = "
		       "int3) could not be emulated.\n");
}

void print_table(void)
{
	printf("\n%-20s", "milestone");
	for (int v = 0; v < NVMMS; v++)
		printf(" %12s", vmm_name[v]);
	printf(" %10s\n", "mvm exits");
	for (int m = 0; m < MVM_BOOT_MILESTONES; m++) {
		int any = 0;

		for (int v = 0; v < NVMMS; v++)
			any |= boots[v].tl.seen[m];
		if (!any)
			continue;
		printf("%-20s", mvm_boot_milestone_name(m));
		for (int v = 0; v < NVMMS; v++)
			if (boots[v].tl.seen[m])
				printf(" %10.2f s", boots[v].tl.at_s[m]);
			else
				printf(" %12s", "-");
		if (boots[VMM_MVM].tl.seen[m])
			printf(" %10llu",
			       (unsigned long long)boots[VMM_MVM].exits[m]);
		printf("\n");
	}
}

/* mvm/other to the last milestone both reached up to init. */
void print_ratio(int v)
{
	const struct boot *a = &boots[VMM_MVM], *b = &boots[v];

	for (int m = MVM_BOOT_INIT; m >= MVM_BOOT_FIRST_LINE; m--)
		if (a->tl.seen[m] && b->tl.seen[m] && b->tl.at_s[m] > 0) {
			printf("mvm / %s to \"%s\": %.2fx (%.2f s / %.2f s)\n",
			       vmm_name[v], mvm_boot_milestone_name(m),
			       a->tl.at_s[m] / b->tl.at_s[m], a->tl.at_s[m],
			       b->tl.at_s[m]);
			return;
		}
	printf("mvm / %s: no milestone both reached\n", vmm_name[v]);
}

int write_boot_csv(const char *path, const char *host)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fprintf(f, "# %s\nmilestone,mvm_s,mvm_exits", host);
	for (int v = VMM_QEMU_KVM; v < NVMMS; v++)
		fprintf(f, ",%s_s", vmm_col[v]);
	fprintf(f, "\n");
	for (int m = 0; m < MVM_BOOT_MILESTONES; m++) {
		if (!boots[VMM_MVM].tl.seen[m] &&
		    !boots[VMM_QEMU_TCG].tl.seen[m])
			continue;
		fprintf(f, "%s", mvm_boot_milestone_name(m));
		for (int v = 0; v < NVMMS; v++) {
			fputc(',', f);
			if (boots[v].tl.seen[m])
				fprintf(f, "%.3f", boots[v].tl.at_s[m]);
			if (v == VMM_MVM && boots[v].tl.seen[m])
				fprintf(f, ",%llu",
					(unsigned long long)boots[v].exits[m]);
			else if (v == VMM_MVM)
				fputc(',', f);
		}
		fputc('\n', f);
	}
	return fclose(f) ? -errno : 0;
}

/* The line after s's, or its end: a cut-off stderr cannot run us off. */
static const char *next_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? nl + 1 : s + strlen(s);
}

/*
 * mvm's "exits by device" and "exit reason" tables (run_linux.c,
 * run_report.c) as kind,name,count: a device name has spaces and ends
 * with its count; a reason is one word, then the count. Then KVM's own
 * count of this vCPU's exits (run_report.c prints KVM's statistics).
 */
int write_exits_csv(const char *path, const char *host)
{
	const char *dev = strstr(boots[VMM_MVM].err, "\nexits by device");
	const char *rsn = strstr(boots[VMM_MVM].err, "\nexit reason");
	FILE *f;

	if (!dev || !rsn)
		return -ENOENT;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "# %s\nkind,name,count\n", host);
	for (const char *s = next_line(dev + 1); *s && *s != '\n';
	     s = next_line(s)) {
		int n = (int)strcspn(s, "\n"), e = n;
		while (e > 0 && s[e - 1] != ' ')
			e--;
		int name_end = e;
		while (name_end > 0 && s[name_end - 1] == ' ')
			name_end--;
		fprintf(f, "device,%.*s,%.*s\n", name_end, s, n - e, s + e);
	}
	for (const char *s = next_line(rsn + 1);
	     *s && *s != '\n' && strncmp(s, "total", 5); s = next_line(s)) {
		char name[64];
		unsigned long long c;

		if (sscanf(s, "%63s %llu", name, &c) == 2)
			fprintf(f, "reason,%s,%llu\n", name, c);
	}
	/* KVM's own count includes the exits it handled in the kernel. */
	const char *kvm = strstr(boots[VMM_MVM].err, "\n  exits ");
	unsigned long long all;
	if (kvm && sscanf(kvm + 8, "%llu", &all) == 1)
		fprintf(f, "kvm,all exits (KVM's count),%llu\n", all);
	return fclose(f) ? -errno : 0;
}
