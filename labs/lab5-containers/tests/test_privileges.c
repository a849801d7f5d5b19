/*
 * test_privileges.c - Lab 5, task 4: capabilities and seccomp.
 *
 * The seccomp filter is graded by what the kernel answers inside the
 * container. probe/syscalls.c tries about 40 calls a container must not
 * make (mount, unshare, bpf, kcmp, modify_ldt, pidfd_getfd, AF_VSOCK,
 * clone with CLONE_NEWNS, TIOCSTI, x32 and i386 calls, and unimplemented
 * entries such as tuxcall that only an allowlist refuses) and a dozen
 * ordinary ones. It runs twice, both times with every capability kept
 * (MVM_CTR_KEEP_CAPS), so that only the filter can make a difference:
 * without the filter (the control) and with it. Every call the control
 * did not already see refused must now get EPERM (or kill the caller,
 * for a foreign architecture); every ordinary call must still work.
 */
#include "grade.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ctr_harness.h"

#define TASK4	  "task 4: capabilities and seccomp (caps.c, seccomp.c)"
#define SYS_PROBE MVM_LAB_BUILD_DIR "/lab5-containers/syscall-probe"
#define MIN_TRIED 20 /* refusable calls the control must have seen run */

/* The RESULT of "GROUP:name=RESULT" in out, or NULL. */
static const char *probe_result(const char *out, char group, const char *name,
				char *buf, size_t len)
{
	char key[96];
	const char *p;

	snprintf(key, sizeof(key), "%c:%s=", group, name);
	p = strstr(out, key);
	if (!p)
		return NULL;
	p += strlen(key);
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

/* Refused: EPERM from the filter, or killed by SIGSYS (31). */
static int refused(const char *res)
{
	return !strcmp(res, "EPERM") || !strcmp(res, "killed:31");
}

struct verdict {
	int tried;	  /* refusable calls the control saw run */
	char leaks[1024]; /* "name=RESULT" the filter let through */
	char broken[512]; /* ordinary calls that stopped working */
};

/* Compare the control run (ctl) with the filtered run (flt). */
static void judge(const char *ctl, const char *flt, struct verdict *v)
{
	char name[64], a[32], b[32];
	const char *p = ctl;

	memset(v, 0, sizeof(*v));
	while ((p = strstr(p, "\n")) &&
	       sscanf(p + 1, "%c:%63[^=]=", &a[0], name) == 2) {
		char group = a[0];
		const char *c = probe_result(ctl, group, name, a, sizeof(a));
		const char *f = probe_result(flt, group, name, b, sizeof(b));
		size_t n;

		p++;
		if (!c)
			continue;
		if (group == 'o' && (!f || strcmp(f, "ok"))) {
			n = strlen(v->broken);
			snprintf(v->broken + n, sizeof(v->broken) - n, " %s=%s",
				 name, f ? f : "(missing)");
		} else if (group == 'r' && !refused(c) &&
			   strncmp(c, "killed:", 7)) {
			/* (a call that kills even unfiltered, such as int
			 * 0x80 without ia32 emulation, cannot be probed) */
			v->tried++;
			if (f && refused(f))
				continue;
			n = strlen(v->leaks);
			snprintf(v->leaks + n, sizeof(v->leaks) - n, " %s=%s",
				 name, f ? f : "(missing)");
		}
	}
}

static void allowlist_refuses_what_it_does_not_list(void **state)
{
	char dir[] = "/tmp/lab5-sysprobe-XXXXXX", upper[128];
	char ctl[sizeof(((struct harness_run *)0)->out)];
	const char *script = "/bin/syscall-probe; "
			     "mount -t tmpfs none /tmp && echo mounted; "
			     "grep Seccomp: /proc/self/status; echo sh-ok";
	struct mvm_ctr_config cfg;
	struct harness_run r;
	struct verdict v;

	(void)state;
	harness_require();
	harness_probe_layer(dir, upper, sizeof(upper), SYS_PROBE,
			    "syscall-probe");
	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS | MVM_CTR_NO_SECCOMP | MVM_CTR_OVERLAY;
	cfg.overlay_upper = upper;
	harness_sh(&r, &cfg, script);
	memcpy(ctl, r.out, sizeof(ctl));
	GRADE_EXPECT(r.rc == 0 && strstr(ctl, "probe-done") &&
			     strstr(ctl, "mounted"),
		     "control run without seccomp: the probe should run and "
		     "mount should work with all capabilities kept; rc %d, "
		     "output: %s",
		     r.rc, ctl);

	harness_config(&cfg, &r);
	cfg.flags |= MVM_CTR_KEEP_CAPS | MVM_CTR_OVERLAY;
	cfg.overlay_upper = upper;
	harness_sh(&r, &cfg, script);
	harness_remove_dir(dir);
	HARNESS_EXPECT_STARTED(&r);
	judge(ctl, r.out, &v);
	GRADE_EXPECT(v.tried >= MIN_TRIED,
		     "the control run saw only %d refusable calls succeed or "
		     "fail on their own (want %d); output: %s",
		     v.tried, MIN_TRIED, ctl);
	GRADE_EXPECT(!v.broken[0] && strstr(r.out, "sh-ok"),
		     "ordinary calls fail under your filter:%s (each allowed "
		     "call needs a JEQ on its number and RET ALLOW right "
		     "after it; the shell printed: %s)",
		     v.broken, r.out);
	GRADE_EXPECT(!v.leaks[0],
		     "calls the filter let through:%s (an allowlist ends "
		     "with EPERM_RET, so every call that is not in "
		     "ctr_syscalls_allowed[] gets EPERM; a foreign "
		     "architecture is killed by head[])",
		     v.leaks);
	GRADE_EXPECT(!strstr(r.out, "mounted"),
		     "mount() succeeded under the seccomp filter; output: %s",
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
	GRADE_TEST(allowlist_refuses_what_it_does_not_list, 10, TASK4),
	GRADE_TEST(no_capability_beyond_documented_set, 8, TASK4),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
