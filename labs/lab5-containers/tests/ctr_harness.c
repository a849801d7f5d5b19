/*
 * ctr_harness.c - see ctr_harness.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctr_harness.h"

#define HARNESS_TIMEOUT_MS 20000

const char *harness_rootfs(void)
{
	const char *env = getenv("MVM_ROOTFS");

	/* `make rootfs` always writes build/rootfs, also for SANITIZE=1. */
	return env && *env ? env : MVM_SRC_DIR "/build/rootfs";
}

/* Can we make the namespaces at all? Try in a throwaway child. */
static int namespaces_work(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS |
			      CLONE_NEWIPC | CLONE_NEWNET) < 0);
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void harness_require(void)
{
	char busybox[4096];

	snprintf(busybox, sizeof(busybox), "%s/bin/busybox", harness_rootfs());
	if (geteuid() != 0) {
		print_message("SKIP: container tests need root (cgroups, "
			      "mounts); run `sudo make grade LAB=5`\n");
		skip();
	}
	if (access(busybox, X_OK) < 0) {
		print_message("SKIP: no rootfs at %s: run `make rootfs` "
			      "(or set MVM_ROOTFS)\n",
			      harness_rootfs());
		skip();
	}
	if (!namespaces_work()) {
		print_message("SKIP: this kernel refuses new namespaces "
			      "(unshare: %s)\n",
			      strerror(errno));
		skip();
	}
}

/* The runtime's log goes into r->log, one message per line. */
static void capture_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct harness_run *r = ctx;
	size_t len = strlen(r->log);

	snprintf(r->log + len, sizeof(r->log) - len, "%s: %s\n",
		 mvm_log_level_name(level), msg);
}

void harness_config(struct mvm_ctr_config *cfg, struct harness_run *r)
{
	memset(cfg, 0, sizeof(*cfg));
	memset(r, 0, sizeof(*r));
	cfg->rootfs = harness_rootfs();
	cfg->timeout_ms = HARNESS_TIMEOUT_MS;
	cfg->log = (struct mvm_log){capture_log, r};
}

void harness_start(struct mvm_ctr_config *cfg, struct harness_run *r)
{
	harness_require();
	harness_config(cfg, r);
}

int harness_sh(struct harness_run *r, struct mvm_ctr_config *cfg,
	       const char *script)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	int out = memfd_create("ctr-out", MFD_CLOEXEC);
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(out >= 0 && in >= 0);
	cfg->argv = argv;
	cfg->flags |= MVM_CTR_STDIO;
	cfg->stdio[0] = in;
	cfg->stdio[1] = out;
	cfg->stdio[2] = out;
	alarm(HARNESS_TIMEOUT_MS / 1000 + 30); /* backstop: never hang */
	r->rc = mvm_ctr_run(cfg, &r->res);
	alarm(0);
	n = pread(out, r->out, sizeof(r->out) - 1, 0);
	r->out[n > 0 ? n : 0] = '\0';
	close(out);
	close(in);
	cfg->argv = NULL;
	if (r->rc)
		print_message("runtime log:\n%s", r->log);
	else if (!r->out[0] && r->res.signal)
		/* Started (the log pipe closed), then died without a word:
		 * typically a seccomp filter that answers EPERM to every
		 * call, write and exit_group included (jump offsets). */
		print_message("the container printed nothing and PID 1 was "
			      "killed by signal %d (%s); if that happened "
			      "before its command ran, check the seccomp "
			      "filter's jump offsets\nruntime log:\n%s",
			      r->res.signal, strsignal(r->res.signal), r->log);
	return r->rc;
}

int harness_sh_holding_host_root(struct harness_run *r,
				 struct mvm_ctr_config *cfg, const char *script)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY); /* no O_CLOEXEC */

	assert_true(fd >= 0);
	harness_sh(r, cfg, script);
	close(fd);
	return r->rc;
}

long harness_value(const struct harness_run *r, const char *key)
{
	const char *p = strstr(r->out, key);

	return p ? strtol(p + strlen(key), NULL, 0) : -1;
}

void harness_probe_layer(char *dir, char *upper, size_t len, const char *probe,
			 const char *name)
{
	char cmd[1024];

	if (access(probe, X_OK) < 0)
		fail_msg("%s is missing: build it with `make grade LAB=5`",
			 probe);
	assert_non_null(mkdtemp(dir));
	snprintf(upper, len, "%s/upper", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/bin && cp %s %s/bin/%s", upper,
		 probe, upper, name);
	assert_int_equal(system(cmd), 0);
}

void harness_remove_dir(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}
