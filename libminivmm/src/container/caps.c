/*
 * caps.c - capabilities: split root's power and keep only a little.
 *
 * Root's privileges are divided into ~41 capabilities (capabilities(7)).
 * Each thread has several sets; the ones that matter here:
 *
 *   bounding   an upper limit: execve() can never grant a capability
 *              outside it. Dropping from it needs CAP_SETPCAP and is
 *              permanent for this process and its children.
 *   ambient    capabilities kept across execve() of ordinary programs
 *   permitted / effective / inheritable
 *              what the thread may use now / uses now / passes on
 *
 * Because the container's command runs as UID 0, execve() gives it every
 * capability in the bounding set (capabilities(7), "Capabilities and
 * execution of programs by root"). So the bounding set is the one that
 * decides; we drop from it everything not in kept_caps[], clear the
 * ambient set, and reduce the other sets to the same list.
 *
 * The kept set is the smallest that lets a normal root program work
 * (change file owners and modes, switch users, send signals, bind low
 * ports, chroot). Notably dropped: CAP_SYS_ADMIN (mount, namespaces...),
 * CAP_NET_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_RAWIO,
 * CAP_SYS_BOOT, CAP_MKNOD, CAP_NET_RAW (packet spoofing), CAP_SYS_TIME.
 * Lab 5, task 4 (capabilities and seccomp) is cut from this file.
 * Students edit only the "LAB 5:" stubs; keep the function signatures
 * and the kept/denied tables, which the grader checks against.
 */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctr_internal.h"

static const int kept_caps[] = {
	CAP_CHOWN,	      /* chown files in the container */
	CAP_DAC_OVERRIDE,     /* root ignores file permission bits */
	CAP_FOWNER,	      /* chmod/utime files it does not own */
	CAP_FSETID,	      /* keep set-user-ID bits when writing */
	CAP_KILL,	      /* signal any process (of this PID ns) */
	CAP_SETGID,	      /* su, login: switch groups */
	CAP_SETUID,	      /* ... and users */
	CAP_NET_BIND_SERVICE, /* listen on ports below 1024 */
	CAP_SYS_CHROOT,	      /* chroot() inside the container */
};

const int *mvm_ctr_kept_caps(int *n)
{
	*n = (int)(sizeof(kept_caps) / sizeof(kept_caps[0]));
	return kept_caps;
}

static int is_kept(int cap)
{
	size_t i;

	for (i = 0; i < sizeof(kept_caps) / sizeof(kept_caps[0]); i++)
		if (kept_caps[i] == cap)
			return 1;
	return 0;
}

/* capset(2) with the 64-bit (version 3) layout: two 32-bit words. */
static int set_caps(uint64_t mask)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	int i;

	for (i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(mask >> (32 * i));
		data[i].permitted = data[i].effective;
		data[i].inheritable = data[i].effective;
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Drop every capability not in kept_caps[], from every set. */
int ctr_caps_drop(const struct mvm_log *log)
{
	uint64_t mask = 0;
	int cap, err;

	/* LAB(5, caps) BEGIN */
	/* The kernel knows caps 0..cap_last_cap; PR_CAPBSET_DROP returns
	 * EINVAL past the last one, which ends the loop. */
	for (cap = 0; cap < 64; cap++) {
		if (is_kept(cap)) {
			mask |= 1ULL << cap;
			continue;
		}
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL)
				break;
			err = -errno;
			mvm_logf(log, MVM_LOG_ERROR,
				 "capabilities: drop %d from the bounding set: "
				 "%s",
				 cap, strerror(-err));
			return err;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		err = -errno;
		mvm_logf(log, MVM_LOG_ERROR,
			 "capabilities: clear the ambient set: %s",
			 strerror(-err));
		return err;
	}
	/* LAB(5) STUB
	// LAB 5: drop every capability that is_kept() rejects from the
	// bounding set (prctl PR_CAPBSET_DROP; EINVAL = past the last
	// cap), clear the ambient set (PR_CAP_AMBIENT_CLEAR_ALL) and
	// collect the kept ones in mask for set_caps().
	// Hint: capabilities(7), "Capability bounding set".
	for (cap = 0; cap < 64; cap++)
		if (is_kept(cap))
			mask |= 1ULL << cap;
	LAB(5) END */
	if (set_caps(mask) < 0) {
		err = -errno;
		mvm_logf(log, MVM_LOG_ERROR, "capabilities: capset: %s",
			 strerror(-err));
		return err;
	}
	return 0;
}
