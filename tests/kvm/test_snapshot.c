/*
 * test_snapshot.c - snapshot/restore of a whole machine (snapshot.h):
 * a guest saved at any exit and restored in a new machine, or in a new
 * process, prints exactly what an uninterrupted run prints.
 *
 * The witness is examples/counter.c: every line it prints depends on a
 * register, the demo device's scratch register (read back with IN) and
 * a checksum over RAM it keeps rewriting.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"
#include "fixture.h"
#include "minivmm/minivmm.h"

#define RUN_MS 20000 /* one whole counter run, with room to spare */

struct box {
	char out[16384]; /* guest output */
	size_t len;
	char log[8192]; /* library log */
	size_t log_len;
};

static void out_fn(void *ctx, const char *buf, size_t n)
{
	struct box *b = ctx;

	capture_append(b->out, sizeof(b->out), &b->len, buf, n);
}

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct box *b = ctx;

	(void)level;
	capture_append(b->log, sizeof(b->log), &b->log_len, msg, strlen(msg));
	capture_append(b->log, sizeof(b->log), &b->log_len, "\n", 1);
	if (getenv("MVM_TEST_LOG"))
		fprintf(stderr, "log: %s\n", msg);
}

static struct mvm_machine_config config(struct box *b)
{
	return (struct mvm_machine_config){.mode = MVM_MODE_AUTO,
					   .out = out_fn,
					   .out_ctx = b,
					   .log = {log_fn, b}};
}

static enum mvm_irqchip irqchip; /* of the machines boot() makes */

static struct mvm_machine *boot(struct box *b)
{
	struct mvm_machine_config cfg = config(b);
	struct mvm_machine *m = NULL;

	cfg.irqchip = irqchip;
	cfg.image = MVM_GUEST_DIR "/counter.elf";
	assert_int_equal(mvm_machine_create(&cfg, &m), 0);
	return m;
}

/* Step vCPU 0 up to `max` exits (0: to the end). Returns the exits
 * taken; *v the last verdict, *last the last exit. */
static int steps(struct mvm_machine *m, int max, enum mvm_verdict *v,
		 struct mvm_exit *last)
{
	int n = 0;

	*v = MVM_GO_ON;
	fixture_backstop(RUN_MS);
	while ((*v == MVM_GO_ON || *v == MVM_SYNC) && (!max || n < max)) {
		assert_int_equal(mvm_machine_step(m, 0, last, v), 0);
		n++;
	}
	alarm(0);
	return n;
}

static char ref[16384];
static int ref_exits;

/* The uninterrupted run, once. */
static void reference(void)
{
	struct box *b;
	struct mvm_machine *m;
	struct mvm_exit e;
	enum mvm_verdict v;

	if (ref_exits)
		return;
	b = calloc(1, sizeof(*b));
	m = boot(b);
	ref_exits = steps(m, 0, &v, &e);
	assert_int_equal(v, MVM_DONE);
	assert_non_null(strstr(b->out, "count 24 sum "));
	memcpy(ref, b->out, b->len + 1);
	mvm_machine_destroy(m);
	free(b);
}

static void snap_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "%s/snap-%d-%s.mvmsnap",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(),
		 tag);
}

/* Run `at` exits, save; returns the output before the save. */
static void run_and_save(int at, const char *path, struct box *before,
			 struct mvm_exit *last)
{
	struct mvm_machine *m = boot(before);
	enum mvm_verdict v;

	assert_int_equal(steps(m, at, &v, last), at);
	assert_int_equal(v, MVM_GO_ON);
	assert_int_equal(mvm_snapshot_save(m, path), 0);
	mvm_machine_destroy(m);
}

/* Restore path into a new machine and run it to the end: before's
 * output followed by the restored run's must be the reference, and
 * the exits add up (an instruction re-run after the restore, e.g. an
 * IN not completed before the save, would be one exit too many). */
static void restore_and_finish(const char *path, const struct box *before,
			       int before_exits, unsigned flags)
{
	struct box *after = calloc(1, sizeof(*after));
	struct mvm_machine_config cfg = config(after);
	struct mvm_machine *m = NULL;
	struct mvm_exit e;
	enum mvm_verdict v;
	int rc = mvm_snapshot_restore(path, &cfg, flags, &m);

	if (rc)
		fail_msg("restore: %s\n%s", strerror(-rc), after->log);
	assert_int_equal(before_exits + steps(m, 0, &v, &e), ref_exits);
	assert_int_equal(v, MVM_DONE);
	assert_int_equal(before->len + after->len, strlen(ref));
	assert_memory_equal(before->out, ref, before->len);
	assert_memory_equal(after->out, ref + before->len, after->len);
	mvm_machine_destroy(m);
	free(after);
}

/* Many points over the whole run, the first exits included. */
static void restored_guest_continues_from_any_exit(void **state)
{
	char path[256];
	int points = 0;

	(void)state;
	reference();
	snap_path(path, sizeof(path), "many");
	for (int at = 1; at < ref_exits; at += at < 4 ? 1 : 33, points++) {
		struct box *before = calloc(1, sizeof(*before));
		struct mvm_exit e;

		run_and_save(at, path, before, &e);
		restore_and_finish(path, before, at, 0);
		free(before);
	}
	assert_true(points >= 25);
	unlink(path);
}

/* The exit number of the n-th IN from the demo port: the IN's value
 * reaches RAX only when the vCPU re-enters KVM_RUN, which the save does
 * (immediate_exit) before reading the registers. */
static int nth_in_exit(int n)
{
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine *m = boot(b);
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e;
	int at = 0;

	fixture_backstop(RUN_MS);
	while (n > 0 && v == MVM_GO_ON) {
		assert_int_equal(mvm_machine_step(m, 0, &e, &v), 0);
		at++;
		if (e.reason == KVM_EXIT_IO && !e.u.io.is_write &&
		    e.u.io.port == MVM_PORT_DEMO)
			n--;
	}
	alarm(0);
	mvm_machine_destroy(m);
	free(b);
	return at;
}

static void restored_guest_continues_right_after_an_in_exit(void **state)
{
	char path[256];

	(void)state;
	reference();
	snap_path(path, sizeof(path), "in");
	for (int n = 1; n <= 3; n++) {
		struct box *before = calloc(1, sizeof(*before));
		struct mvm_exit e;

		int at = nth_in_exit(n * 7);

		run_and_save(at, path, before, &e);
		assert_int_equal(e.reason, KVM_EXIT_IO);
		assert_false(e.u.io.is_write);
		restore_and_finish(path, before, at, MVM_SNAP_VERIFY);
		free(before);
	}
	unlink(path);
}

/* Copy-based restore and --verify give the same guest. */
static void copy_restore_and_verify_continue_the_same(void **state)
{
	char path[256];
	struct box *before = calloc(1, sizeof(*before));
	struct mvm_exit e;

	(void)state;
	reference();
	snap_path(path, sizeof(path), "copy");
	run_and_save(ref_exits / 2, path, before, &e);
	restore_and_finish(path, before, ref_exits / 2, MVM_SNAP_COPY);
	restore_and_finish(path, before, ref_exits / 2,
			   MVM_SNAP_COPY | MVM_SNAP_VERIFY);
	restore_and_finish(path, before, ref_exits / 2, MVM_SNAP_VERIFY);
	unlink(path);
	free(before);
}

/* The child restores and runs, and hands its output back in a file. */
static void restore_in_child(const char *path, const char *outpath)
{
	struct box *after = calloc(1, sizeof(*after));
	struct mvm_machine_config cfg = config(after);
	struct mvm_machine *m = NULL;
	enum mvm_verdict v = MVM_GO_ON;
	struct mvm_exit e;
	FILE *f;

	alarm(RUN_MS / 1000 + 5);
	if (mvm_snapshot_restore(path, &cfg, 0, &m))
		_exit(2);
	while (v == MVM_GO_ON || v == MVM_SYNC)
		if (mvm_machine_step(m, 0, &e, &v))
			_exit(3);
	f = fopen(outpath, "w");
	if (!f || fwrite(after->out, 1, after->len, f) != after->len ||
	    fclose(f))
		_exit(4);
	_exit(v == MVM_DONE ? 0 : 5);
}

static void restored_guest_continues_in_another_process(void **state)
{
	char path[256], outpath[256], got[16384] = {0};
	struct box *before = calloc(1, sizeof(*before));
	struct mvm_exit e;
	int status;
	pid_t pid;
	FILE *f;

	(void)state;
	reference();
	snap_path(path, sizeof(path), "proc");
	snap_path(outpath, sizeof(outpath), "proc-out");
	run_and_save(ref_exits / 3, path, before, &e);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		restore_in_child(path, outpath);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	f = fopen(outpath, "r");
	assert_non_null(f);
	assert_true(fread(got, 1, sizeof(got) - 1, f) > 0);
	fclose(f);
	assert_int_equal(before->len + strlen(got), strlen(ref));
	assert_string_equal(got, ref + before->len);
	unlink(path);
	unlink(outpath);
	free(before);
}

/* A restored machine maps its snapshot: saving onto that file would
 * change the guest's memory under it, so it is refused; saving it
 * elsewhere works and that snapshot restores too. */
static void saving_onto_the_mapped_file_is_refused(void **state)
{
	char path[256], path2[256];
	struct box *before = calloc(1, sizeof(*before));
	struct box *mid = calloc(1, sizeof(*mid));
	struct mvm_machine_config cfg = config(mid);
	struct mvm_machine *m = NULL;
	struct mvm_exit e;
	enum mvm_verdict v;

	(void)state;
	reference();
	snap_path(path, sizeof(path), "mapped");
	snap_path(path2, sizeof(path2), "mapped2");
	run_and_save(100, path, before, &e);
	assert_int_equal(mvm_snapshot_restore(path, &cfg, 0, &m), 0);
	steps(m, 50, &v, &e);
	assert_int_equal(mvm_snapshot_save(m, path), -EBUSY);
	assert_non_null(strstr(mid->log, "is mapped by this machine"));
	assert_int_equal(mvm_snapshot_save(m, path2), 0);
	mvm_machine_destroy(m);
	/* before + mid's 50 exits, then the second snapshot to the end. */
	capture_append(before->out, sizeof(before->out), &before->len, mid->out,
		       mid->len);
	restore_and_finish(path2, before, 150, MVM_SNAP_VERIFY);
	unlink(path);
	unlink(path2);
	free(before);
	free(mid);
}

/* Threads: a running machine is refused; paused, it saves. */
static void running_machine_must_be_paused_to_save(void **state)
{
	char path[256];
	struct box *b = calloc(1, sizeof(*b));
	struct mvm_machine *m = boot(b);
	struct mvm_exit e;
	enum mvm_verdict v;
	int rc;

	(void)state;
	snap_path(path, sizeof(path), "threads");
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	rc = mvm_snapshot_save(m, path);
	/* The counter may already be done (then its thread is finished). */
	if (mvm_machine_result(m, 0, &v, &e) == -EBUSY || rc)
		assert_int_equal(rc, -EBUSY);
	assert_int_equal(mvm_machine_pause(m), 0);
	assert_int_equal(mvm_snapshot_save(m, path), 0);
	assert_int_equal(mvm_machine_resume(m), 0);
	assert_int_equal(mvm_machine_wait(m, RUN_MS), 0);
	alarm(0);
	mvm_machine_destroy(m);
	unlink(path);
	free(b);
}

/* With KVM's irqchip the VM section carries PICs, IOAPIC and PIT and
 * each vCPU its LAPIC; the restored machine has them too. */
static void
irqchip_machine_restores_with_its_interrupt_controllers(void **state)
{
	char path[256];
	struct box *before = calloc(1, sizeof(*before));
	struct mvm_machine *m = NULL;
	struct mvm_vm_state vst;
	struct mvm_exit e;

	(void)state;
	reference();
	snap_path(path, sizeof(path), "irqchip");
	irqchip = MVM_IRQCHIP_KERNEL;
	run_and_save(400, path, before, &e);
	irqchip = MVM_IRQCHIP_NONE;
	assert_int_equal(mvm_snapshot_restore(path, NULL, 0, &m), 0);
	assert_int_equal(mvm_vm_state_get(mvm_machine_vm(m), &vst), 0);
	assert_true(vst.have & MVM_VMSTATE_PIT);
	assert_true(vst.have & MVM_VMSTATE_IOAPIC);
	mvm_machine_destroy(m);
	restore_and_finish(path, before, 400, 0);
	unlink(path);
	free(before);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(restored_guest_continues_from_any_exit),
		cmocka_unit_test(
			restored_guest_continues_right_after_an_in_exit),
		cmocka_unit_test(copy_restore_and_verify_continue_the_same),
		cmocka_unit_test(restored_guest_continues_in_another_process),
		cmocka_unit_test(saving_onto_the_mapped_file_is_refused),
		cmocka_unit_test(running_machine_must_be_paused_to_save),
		cmocka_unit_test(
			irqchip_machine_restores_with_its_interrupt_controllers),
	};

	fixture_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
