/*
 * bench_linux.h - what bench_linux.c measures and bench_linux_report.c
 * prints: one boot per VMM (bench_linux.c explains the bench).
 */
#ifndef BENCH_LINUX_H
#define BENCH_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/minivmm.h"

#define ERR_MAX (256 * 1024)

enum { VMM_MVM, VMM_QEMU_KVM, VMM_QEMU_TCG, NVMMS };

struct boot {
	struct mvm_boot_timeline tl;	     /* seconds since the spawn */
	uint64_t exits[MVM_BOOT_MILESTONES]; /* mvm: its own count */
	int ran;			     /* 1 once started */
	int status;			     /* exit status, -1: killed */
	double secs;			     /* until the process ended */
	char failure[512];		     /* why it did not boot, or "" */
	char err[ERR_MAX];		     /* its stderr */
	size_t errlen;
};

extern struct boot boots[NVMMS];
extern const char *const vmm_name[NVMMS];

/* bench_linux_report.c: the table, the ratios and the CSVs. */
void print_table(void);
void print_ratio(int vmm);
void explain_kvm_failure(unsigned quirks);
int write_boot_csv(const char *path, const char *host);
int write_exits_csv(const char *path, const char *host);

#endif
