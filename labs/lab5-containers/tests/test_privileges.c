/*
 * test_privileges.c - Lab 5, task 4: capabilities and seccomp.
 *
 * To tell the seccomp filter's EPERM from a missing capability's EPERM,
 * the syscall test keeps all capabilities (MVM_CTR_KEEP_CAPS): then only
 * the filter can refuse mount(). A control run without the filter shows
 * that the same mount() would otherwise succeed.
 */
#include "grade.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctr_harness.h"

#define TASK4 "task 4: capabilities and seccomp (caps.c, seccomp.c)"

static void denied_syscall_returns_eperm(void **state)
{
	const char *script = "mount -t tmpfs none /tmp && echo mounted; "
			     "unshare -n true 2>&1; "
			     "grep Seccomp: /proc/self/status";
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS | MVM_CTR_NO_SECCOMP;
	harness_sh(&r, &cfg, script);
	GRADE_EXPECT(r.rc == 0 && strstr(r.out, "mounted"),
		     "control run without seccomp: mount should work with "
		     "all capabilities kept; rc %d, output: %s",
		     r.rc, r.out);

	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS;
	harness_sh(&r, &cfg, script);
	HARNESS_EXPECT_STARTED(&r);
	GRADE_EXPECT(!strstr(r.out, "mounted"),
		     "mount() succeeded under the seccomp filter (head[] "
		     "loads the call number; then each denied call needs a "
		     "JEQ and EPERM_RET); output: %s",
		     r.out);
	GRADE_EXPECT(strstr(r.out, "Operation not permitted"),
		     "unshare() should fail with EPERM ('Operation not "
		     "permitted'); output: %s",
		     r.out);
	GRADE_EXPECT(strstr(r.out, "Seccomp:\t2"),
		     "/proc/self/status should say 'Seccomp: 2' (filter "
		     "mode); output: %s",
		     r.out);
}

/* The kept set as the hex mask /proc/PID/status prints. */
static uint64_t kept_mask(void)
{
	const int *caps;
	uint64_t mask = 0;
	int i, n;

	caps = mvm_ctr_kept_caps(&n);
	for (i = 0; i < n; i++)
		mask |= 1ULL << caps[i];
	return mask;
}

/* capabilities(7) names, by number (linux/capability.h). */
static const char *const cap_names[] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
};

/* "CAP_SYS_ADMIN CAP_MKNOD ..." for the bits set in mask. */
static const char *cap_list(uint64_t mask, char *buf, size_t len)
{
	size_t n = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < 64 && n < len; i++) {
		if (!(mask & (1ULL << i)))
			continue;
		if (i < (int)(sizeof(cap_names) / sizeof(cap_names[0])))
			n += snprintf(buf + n, len - n, " CAP_%s",
				      cap_names[i]);
		else
			n += snprintf(buf + n, len - n, " cap%d", i);
	}
	return buf;
}

/* Name what is wrong with one capability set before comparing masks. */
static void expect_caps(const struct harness_run *r, const char *key,
			const char *what)
{
	uint64_t got = (uint64_t)harness_value(r, key), want = kept_mask();
	char extra[1024], missing[1024];

	GRADE_EXPECT(!(got & ~want),
		     "%s still holds%s (drop everything that is not in "
		     "kept_caps[])",
		     what, cap_list(got & ~want, extra, sizeof(extra)));
	GRADE_EXPECT(!(want & ~got), "%s lacks%s, which kept_caps[] keeps",
		     what, cap_list(want & ~got, missing, sizeof(missing)));
}

static void no_capability_beyond_documented_set(void **state)
{
	struct mvm_ctr_config cfg;
	struct harness_run r;

	(void)state;
	harness_start(&cfg, &r);
	harness_sh(&r, &cfg,
		   "sed -n 's/^\\(Cap[A-Za-z]*\\|NoNewPrivs\\):\\t/\\1=0x/p' "
		   "/proc/self/status");
	HARNESS_EXPECT_STARTED(&r);
	GRADE_EXPECT(strstr(r.out, "CapBnd=") && strstr(r.out, "CapEff="),
		     "/proc/self/status inside shows no CapBnd/CapEff: %s",
		     r.out);
	expect_caps(&r, "CapBnd=", "the bounding set inside (CapBnd)");
	expect_caps(&r, "CapEff=", "the effective set inside (CapEff)");
	GRADE_EXPECT_EQ(harness_value(&r, "CapAmb="), 0,
			"ambient set inside (CapAmb)");
	GRADE_EXPECT_EQ(harness_value(&r, "NoNewPrivs="), 1,
			"no_new_privs inside");
}

static const struct grade_test tests[] = {
	GRADE_TEST(denied_syscall_returns_eperm, 10, TASK4),
	GRADE_TEST(no_capability_beyond_documented_set, 8, TASK4),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
