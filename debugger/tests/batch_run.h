/*
 * batch_run.h - the harness of the batch-mode tests (test_batch.c,
 * test_irq_batch.c): run the built mvmdbg --stable --batch on a guest
 * under timeout(1), keep its output in out[], and compare it with a
 * golden transcript or look for patterns in order. Skips, with the
 * reason, without /dev/kvm or a built guest.
 *
 * Header-only so each test stays a single program (debugger/build.mk
 * links one test source per binary); everything is static to the test.
 */
#ifndef MVMDBG_TESTS_BATCH_RUN_H
#define MVMDBG_TESTS_BATCH_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <capstone/capstone.h>

#include "minivmm/minivmm.h"

/* The golden files hold capstone's disassembly text, whose spelling
 * changed between major versions; they were made with this one. */
#define GOLDEN_CAPSTONE_MAJOR 4

#define OUT_MAX (256 * 1024)

static char out[OUT_MAX];

static inline void quiet(void *ctx, enum mvm_log_level l, const char *m)
{
	(void)ctx, (void)l, (void)m;
}

static inline void need_kvm_and(const char *image)
{
	struct mvm_log log = {quiet, NULL};
	int fd = mvm_kvm_open(&log);
	if (fd < 0) {
		printf("SKIP: /dev/kvm missing or unusable: batch runs need "
		       "real guests\n");
		skip();
	}
	close(fd);
	if (access(image, R_OK)) {
		printf("SKIP: %s not built (run `make`)\n", image);
		skip();
	}
}

/* Run mvmdbg with flags and the commands in script on image (which may
 * be empty for --replay); output in out[]. */
static inline void run_flags(const char *flags, const char *image,
			     const char *script)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "timeout 60 %s --stable %s --batch %s %s 2>&1", MVMDBG_BIN,
		 flags, script, image);
	alarm(90);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	alarm(0);
	assert_int_not_equal(WEXITSTATUS(rc), 124); /* timeout(1) fired */
}

static inline void run(const char *image, const char *script)
{
	run_flags("", image, script);
}

/* Run a script given as text, mvmdbg started with flags. */
static inline void run_text_flags(const char *flags, const char *image,
				  const char *text)
{
	char path[] = "/tmp/mvmdbg-batch-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	run_flags(flags, image, path);
	unlink(path);
}

static inline void run_text(const char *image, const char *text)
{
	run_text_flags("", image, text);
}

/* The golden transcript NAME.txt of the script NAME.cmds on image_file,
 * mvmdbg started with flags. */
static inline void golden_flags(const char *name, const char *flags,
				const char *image_file)
{
	char image[512], script[512], gold[512];
	snprintf(image, sizeof(image), "%s/%s", MVM_GUEST_DIR, image_file);
	snprintf(script, sizeof(script), "%s/%s.cmds", MVMDBG_GOLDEN_DIR, name);
	snprintf(gold, sizeof(gold), "%s/%s.txt", MVMDBG_GOLDEN_DIR, name);
	need_kvm_and(image);
	int major = cs_version(NULL, NULL) >> 8;
	const char *upd = getenv("MVMDBG_UPDATE_GOLDEN");
	if (major != GOLDEN_CAPSTONE_MAJOR && !(upd && *upd == '1')) {
		printf("SKIP: golden files are from capstone %d, this is %d "
		       "(MVMDBG_UPDATE_GOLDEN=1 regenerates them here)\n",
		       GOLDEN_CAPSTONE_MAJOR, major);
		skip();
	}
	run_flags(flags, image, script);
	FILE *f = fopen(gold, upd && *upd == '1' ? "w" : "r");
	assert_non_null(f);
	if (upd && *upd == '1') {
		fputs(out, f);
		fclose(f);
		printf("updated %s\n", gold);
		return;
	}
	static char want[OUT_MAX];
	size_t n = fread(want, 1, sizeof(want) - 1, f);
	want[n] = '\0';
	fclose(f);
	if (strcmp(want, out) == 0)
		return;
	char actual[] = "/tmp/mvmdbg-actual-XXXXXX", cmd[1200];
	int fd = mkstemp(actual);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, out, strlen(out)), (ssize_t)strlen(out));
	close(fd);
	snprintf(cmd, sizeof(cmd), "diff -u %s %s | head -60", gold, actual);
	if (system(cmd) < 0)
		perror("diff");
	unlink(actual);
	fail_msg("%s differs from its golden file (diff above; "
		 "MVMDBG_UPDATE_GOLDEN=1 to accept)",
		 name);
}

static inline void golden(const char *name, const char *image_file)
{
	golden_flags(name, "", image_file);
}

/* Each pattern must appear in out[], in this order. */
static inline void in_order(const char *const *pat)
{
	const char *p = out;
	for (; *pat; pat++) {
		const char *hit = strstr(p, *pat);
		if (!hit) {
			fputs(out, stderr);
			fail_msg("\"%s\" missing (or out of order)", *pat);
		}
		p = hit + strlen(*pat);
	}
}

/* Run script on the example guest `file` (mvmdbg started with flags)
 * and look for the patterns in order. */
static inline void check_guest_flags(const char *file, const char *flags,
				     const char *script, const char *const *pat)
{
	char image[512];
	snprintf(image, sizeof(image), "%s/%s", MVM_GUEST_DIR, file);
	need_kvm_and(image);
	run_text_flags(flags, image, script);
	in_order(pat);
}

static inline void check_guest(const char *file, const char *script,
			       const char *const *pat)
{
	check_guest_flags(file, "", script, pat);
}

#endif
