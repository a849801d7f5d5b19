/*
 * hostinfo.c - one line that says which machine a figure comes from.
 *
 * Every number the toolkit prints about speed (make bench, mvm compare,
 * the slides' plots) depends on the CPU and above all on the KVM backend:
 * where ring-0 guest code is emulated (MVM_QUIRK_RING0_EMULATED) an exit
 * or a guest instruction costs far more than on VT-x/AMD-V. So figures
 * travel with this line.
 */
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "minivmm/quirks.h"

void mvm_host_describe(char *buf, size_t len)
{
	char line[256], cpu[128] = "unknown CPU";
	struct mvm_backend be;
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "model name : %127[^\n]", cpu) == 1)
			break;
	if (f)
		fclose(f);
	mvm_backend_detect(&be);
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "?");
	snprintf(buf, len, "%s, %ld CPUs; Linux %s; KVM backend %s%s", cpu,
		 sysconf(_SC_NPROCESSORS_ONLN), u.release, be.name,
		 (be.quirks & MVM_QUIRK_RING0_EMULATED)
			 ? " (nested, software: ring-0 and real-mode guest "
			   "code is emulated)"
			 : "");
}
