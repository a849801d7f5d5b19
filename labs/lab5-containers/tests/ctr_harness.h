/*
 * ctr_harness.h - run a shell script in a container and capture what it
 * printed: the helper behind Lab 5's grader and tests/ctr/.
 *
 * The tests check behaviour *from inside* the container, the way an
 * attacker would probe it: a script runs in the busybox rootfs (make
 * rootfs) and prints what it sees; the test asserts on that output and on
 * the runtime's result (exit status, OOM kill, pids limit).
 */
#ifndef CTR_HARNESS_H
#define CTR_HARNESS_H

#include <stddef.h>

#include "minivmm/container.h"

struct harness_run {
	int rc;			   /* mvm_ctr_run()'s return value */
	struct mvm_ctr_result res; /* how the container ended */
	char out[32768];	   /* the script's stdout and stderr */
	char log[8192];		   /* the runtime's log messages */
};

/* In a graded test (labs/common/grade.h): fail, pointing at the log the
 * runtime printed, unless the container started. A macro so the failure
 * names the test's own line. */
#define HARNESS_EXPECT_STARTED(r)                                             \
	GRADE_EXPECT((r)->rc == 0,                                            \
		     "the container did not start (rc %d; its log is above)", \
		     (r)->rc)

/* cmocka skip(), with the reason printed, unless this machine can run
 * containers: root, build/rootfs (or $MVM_ROOTFS), namespaces. */
void harness_require(void);

/* The rootfs the tests use: $MVM_ROOTFS or build/rootfs. */
const char *harness_rootfs(void);

/* A configuration with the tests' defaults (rootfs, 20 s timeout, log
 * captured into r->log). Change fields, then call harness_sh(). */
void harness_config(struct mvm_ctr_config *cfg, struct harness_run *r);

/* harness_require(), then harness_config(): how most tests begin. */
void harness_start(struct mvm_ctr_config *cfg, struct harness_run *r);

/* Run `/bin/sh -c script` in a container; fills *r; returns r->rc. */
int harness_sh(struct harness_run *r, struct mvm_ctr_config *cfg,
	       const char *script);

/* harness_sh() while the test holds a descriptor of the host's "/"
 * opened without O_CLOEXEC: the runtime must close every inherited
 * descriptor, or the container reaches host files through it. */
int harness_sh_holding_host_root(struct harness_run *r,
				 struct mvm_ctr_config *cfg,
				 const char *script);

/* Make an overlay upper layer holding bin/<name>, a copy of the host
 * program at probe, so the program appears inside a container (with
 * MVM_CTR_OVERLAY and cfg.overlay_upper = upper) without touching the
 * rootfs. dir is a mkdtemp() template, filled in; remove it with
 * harness_remove_dir(). Fails the test if the probe is not built. */
void harness_probe_layer(char *dir, char *upper, size_t len, const char *probe,
			 const char *name);

/* rm -rf dir (a harness_probe_layer() directory). */
void harness_remove_dir(const char *dir);

/* The value after "key" in r->out ("pid=1" -> harness_value(r, "pid=")),
 * or -1 if the key is missing. */
long harness_value(const struct harness_run *r, const char *key);

#endif
