/*
 * lab1.h - helpers shared by Lab 1's grader tests (lab1_util.c).
 */
#ifndef MINIVMM_LAB1_H
#define MINIVMM_LAB1_H

#include "fixture.h"
#include "grade.h"

/* Where Lab 1's guests and tool are built. */
#define LAB1_BUILD MVM_LAB_BUILD_DIR "/lab1-cpu-exits"

/* Load LAB1_BUILD/guests/<name> and set the vCPU up in long mode. */
void lab1_load_guest(struct fixture *f, const char *name);

/*
 * Run the guest until it makes a ucall or stops. Returns the ucall's cmd
 * (uc filled, the ucall forgotten) or MVM_UCALL_NONE when the guest
 * stopped for another reason (*e says which).
 */
int lab1_run(struct fixture *f, unsigned timeout_ms, struct mvm_exit *e,
	     struct mvm_ucall *uc);

/* Fail the test unless the guest reaches ucall `cmd` (for SYNC: with
 * stage `stage`); the message shows what happened instead, the guest's
 * assertion if it failed one, and the library log. */
#define lab1_expect_ucall(f, ms, cmd, stage) \
	lab1_expect_ucall_at(f, ms, cmd, stage, __FILE__, __LINE__)
void lab1_expect_ucall_at(struct fixture *f, unsigned timeout_ms, int cmd,
			  uint64_t stage, const char *file, int line);

/* An mvm_output_fn that appends to the fixture's f->out (ctx = f). */
void lab1_out(void *ctx, const char *buf, size_t len);

/* Run hand-assembled 16-bit code at `entry` (CS = 0, DS base ds_base). */
void lab1_real_code(struct fixture *f, uint64_t entry, uint64_t ds_base,
		    const void *code, size_t len);

/* One run step with a deadline; fails the test if KVM_RUN fails. */
void lab1_step(struct fixture *f, struct mvm_exit *e);

/* "-EFAULT", "-EROFS", "42", ... for a result that may be a -errno. */
const char *lab1_result_name(long long v, char *buf, size_t len);

/* Fail unless got == want, naming errno values: "INFO into ROM:
 * expected -EFAULT (-14), got -EROFS (-30)". */
#define LAB1_EXPECT_RESULT(got, want, what) \
	lab1_expect_result_at(got, want, what, __FILE__, __LINE__)
void lab1_expect_result_at(long long got, long long want, const char *what,
			   const char *file, int line);

#endif
