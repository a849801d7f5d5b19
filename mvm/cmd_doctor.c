/*
 * cmd_doctor.c - `mvm doctor`: can this machine run minivmm, and if not,
 * what exactly to do about it.
 *
 * A VMM needs three things from the host, checked here in order:
 *   1. the KVM device: /dev/kvm exists (the kvm module and its vendor part
 *      kvm_intel/kvm_amd are loaded, which needs VT-x/AMD-V enabled in the
 *      firmware) and this user may open it (usually: member of group kvm);
 *   2. the stable API: KVM_GET_API_VERSION == 12 (api.rst 4.1);
 *   3. the capabilities minivmm relies on (KVM_CHECK_EXTENSION, api.rst
 *      4.4), listed in the library's mvm_caps[] table with why each is
 *      needed.
 * It also looks at what kind of KVM this is: hardware-assisted (vmx/svm
 * in /proc/cpuinfo) or a software/nested backend, and prints the quirks
 * the library detected for it (quirks.h), such as ring-0 guest code
 * being emulated instruction by instruction.
 *
 * Exit status: 0 when everything required is there, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "minivmm/kvm.h"
#include "minivmm/quirks.h"

#define CMD "mvm doctor"

static void usage(FILE *f)
{
	fprintf(f, "usage: mvm doctor [--help]\n\n"
		   "Check that this machine can run minivmm guests: "
		   "/dev/kvm and its\npermissions, the KVM API version, "
		   "each capability minivmm uses, CPU\nvirtualization "
		   "support and which KVM backend is loaded.\n"
		   "Exit status 0 when everything required is present, "
		   "1 otherwise.\n");
}

/* 1 if `word` appears as a whole word in the file. /proc/cpuinfo lists
 * CPU features as space-separated words on its "flags" line, so "svm"
 * must not match inside another flag's name. */
static int file_has_word(const char *path, const char *word)
{
	char line[4096];
	size_t n = strlen(word);
	FILE *f = fopen(path, "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		for (char *p = line; (p = strstr(p, word)); p += n) {
			int start = p == line || p[-1] == ' ' || p[-1] == '\t';
			char end = p[n];
			if (start && (end == ' ' || end == '\n' ||
				      end == '\0' || end == '\t')) {
				found = 1;
				break;
			}
		}
	}
	fclose(f);
	return found;
}

static const char *group_name(gid_t gid)
{
	struct group *g = getgrgid(gid);
	return g ? g->gr_name : "?";
}

/*
 * Permission denied. If a non-root group may read and write the device,
 * joining it is the fix; otherwise the node itself needs the usual
 * root:kvm 0660 that udev's rule for /dev/kvm sets at boot.
 */
static void explain_eacces(const struct stat *st, int exists)
{
	if (exists && st->st_gid != 0 && (st->st_mode & 060) == 060) {
		printf("  fix: sudo usermod -aG %s $USER, then log out and in "
		       "again\n       (group membership is read at login)\n",
		       group_name(st->st_gid));
		return;
	}
	printf("  fix: %s is not open to any group; the usual setup is\n"
	       "         sudo groupadd -f kvm\n"
	       "         sudo chown root:kvm %s && sudo chmod 660 %s\n"
	       "       (udev's rule for /dev/kvm does this at boot), then\n"
	       "         sudo usermod -aG kvm $USER   and log out and in "
	       "again\n",
	       MVM_KVM_DEVICE, MVM_KVM_DEVICE, MVM_KVM_DEVICE);
}

/*
 * Say who we are and who may open the device, then the fix for this
 * errno. EACCES: distributions give /dev/kvm to group "kvm" (mode 0660,
 * set by a udev rule), and a new group membership only applies to
 * processes started after the next login. ENOENT: no device node means
 * the kvm module (and kvm_intel/kvm_amd, which need VT-x/AMD-V enabled)
 * is not loaded.
 */
static void explain_open_error(int err, const struct stat *st, int exists)
{
	struct passwd *pw = getpwuid(getuid());

	printf("  you are user '%s' (uid %u), groups: %s",
	       pw ? pw->pw_name : "?", (unsigned)getuid(),
	       group_name(getgid()));
	gid_t groups[64];
	int n = getgroups(64, groups);
	for (int i = 0; i < n; i++)
		printf(" %s", group_name(groups[i]));
	printf("\n");
	if (exists)
		printf("  %s: owner uid %u, group '%s', mode %03o\n",
		       MVM_KVM_DEVICE, (unsigned)st->st_uid,
		       group_name(st->st_gid), (unsigned)(st->st_mode & 0777));
	if (err == EACCES || err == EPERM) {
		explain_eacces(st, exists);
	} else if (err == ENOENT || err == ENXIO || err == ENODEV) {
		printf("  fix: load the module: sudo modprobe kvm_intel "
		       "(Intel) or kvm_amd (AMD)\n"
		       "       if that fails: enable VT-x / AMD-V (SVM) in "
		       "the firmware setup\n"
		       "       inside a VM: the host must allow nested "
		       "virtualization\n"
		       "       (host: cat /sys/module/kvm_intel/parameters/"
		       "nested, or kvm_amd;\n"
		       "       clouds: pick an instance type that supports "
		       "nested virtualization)\n");
	}
}

/* Step 1: the device node. Returns 1 when it can be opened read-write. */
static int check_device(void)
{
	struct stat st;
	int exists = stat(MVM_KVM_DEVICE, &st) == 0;
	int fd = open(MVM_KVM_DEVICE, O_RDWR | O_CLOEXEC);
	int err = errno;

	if (fd >= 0) {
		close(fd);
		printf("[ OK ] %s exists and can be opened read-write\n",
		       MVM_KVM_DEVICE);
		return 1;
	}
	printf("[FAIL] cannot open %s: %s\n", MVM_KVM_DEVICE, strerror(err));
	explain_open_error(err, &st, exists);
	return 0;
}

/* Steps 2 and 3: API version and capabilities. mvm_kvm_probe() never
 * fails on a missing feature, so every capability gets a line, required
 * ones as FAIL and optional ones as "--" with what would not work.
 * Returns 1 when all required ones are present. */
static int check_api_and_caps(void)
{
	struct mvm_kvm_info info;
	int ok = 1;

	memset(&info, 0, sizeof(info));
	if (mvm_kvm_probe(&info) < 0)
		return 0;
	if (info.api_version == MVM_KVM_API_VERSION) {
		printf("[ OK ] KVM API version %d\n", info.api_version);
	} else {
		printf("[FAIL] KVM API version %d, minivmm needs %d\n",
		       info.api_version, MVM_KVM_API_VERSION);
		ok = 0;
	}
	printf("       capabilities (KVM_CHECK_EXTENSION):\n");
	for (int i = 0; i < mvm_ncaps && i < 64; i++) {
		const struct mvm_cap *c = &mvm_caps[i];
		int have = info.cap_value[i] > 0;
		printf("[%s] %-30s %s%s\n",
		       have ? " OK " : (c->required ? "FAIL" : " -- "), c->name,
		       c->required ? "" : "(optional) ", c->why);
		if (!have && c->required)
			ok = 0;
	}
	if (info.max_vcpus > 0)
		printf("       up to %d vCPUs per VM\n", info.max_vcpus);
	return ok;
}

/*
 * Informational: which KVM this is and what it means for speed. The
 * "hypervisor" CPUID bit (shown as a cpuinfo flag) says we are inside a
 * VM; vmx/svm say whether hardware virtualization is visible to us. A
 * nested setup without them can still offer /dev/kvm through a software
 * backend; the library's detection (quirks.h) names it and lists where it
 * differs from hardware.
 */
static void check_backend(void)
{
	int vmx = file_has_word("/proc/cpuinfo", "vmx");
	int svm = file_has_word("/proc/cpuinfo", "svm");
	int in_vm = file_has_word("/proc/cpuinfo", "hypervisor");
	struct mvm_backend be;

	printf("       CPU: %s%s\n",
	       vmx ? "Intel VT-x (vmx)"
		   : (svm ? "AMD-V (svm)" : "no vmx/svm flag"),
	       in_vm ? ", running inside a virtual machine" : "");
	mvm_backend_detect(&be);
	if (be.quirks) {
		printf("[NOTE] KVM backend %s differs from hardware "
		       "here:\n",
		       be.name);
		for (int i = 0; i < MVM_QUIRK_COUNT; i++)
			if (be.quirks & (1u << i))
				printf("       - %s\n",
				       mvm_quirk_symptom(1u << i));
		for (int i = 0; i < MVM_QUIRK_COUNT; i++)
			if (mvm_quirk_linux_args(be.quirks & (1u << i)))
				printf("       Linux guests get (%s): %s\n",
				       mvm_quirk_name(1u << i),
				       mvm_quirk_linux_args(1u << i));
	} else if (strcmp(be.name, "unknown")) {
		printf("[ OK ] KVM backend %s (hardware-assisted): guests "
		       "run at native speed\n",
		       be.name);
	} else if (!vmx && !svm) {
		printf("[NOTE] no vmx/svm CPU flag: hardware virtualization "
		       "is off or hidden\n"
		       "       (firmware setting, or a VM without nested "
		       "virtualization)\n");
	}
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return MVM_EXIT_OK;
		}
		return cli_bad_option(CMD, argv, c);
	}
	c = cli_no_operands(CMD, argc, argv);
	if (c >= 0)
		return c;
	int ok = check_device();
	if (ok)
		ok = check_api_and_caps();
	check_backend();
	printf(ok ? "\nminivmm can run here.\n"
		  : "\nminivmm cannot run here yet: fix the [FAIL] lines "
		    "above.\n");
	return ok ? MVM_EXIT_OK : MVM_EXIT_FAIL;
}
