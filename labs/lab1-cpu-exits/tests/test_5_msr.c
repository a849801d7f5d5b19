/*
 * test_msr.c - Lab 1, task 5: trap and emulate MSRs (labmsr.c).
 *
 * The first two tests call the handler the way the run step does, with a
 * decoded struct mvm_exit_msr. The third runs the lab's guest with
 * KVM_CAP_X86_USER_SPACE_MSR and an MSR filter, so every RDMSR/WRMSR of
 * the three MSRs really leaves the guest; it skips, saying why, on a
 * KVM without user-space MSR exits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab1.h"

static struct mvm_exit_msr rd(struct mvm_labmsr *m, uint32_t index)
{
	struct mvm_exit_msr msr = {.index = index, .data = 0xdead};

	mvm_labmsr_handle(m, NULL, &msr);
	return msr;
}

static struct mvm_exit_msr wr(struct mvm_labmsr *m, uint32_t index, uint64_t v)
{
	struct mvm_exit_msr msr = {.index = index, .is_write = 1, .data = v};

	mvm_labmsr_handle(m, NULL, &msr);
	return msr;
}

static void labmsr_emulates_id_scratch_and_counter(void **state)
{
	struct mvm_labmsr m = {0};
	struct mvm_exit_msr r;

	(void)state;
	r = rd(&m, MVM_LABMSR_ID);
	GRADE_EXPECT_EQ(r.error, 0, "error of RDMSR of the ID MSR");
	GRADE_EXPECT_EQ(r.data, MVM_LABMSR_ID_VALUE, "value of the ID MSR");
	r = wr(&m, MVM_LABMSR_SCRATCH, 0x1234567890abcdefULL);
	GRADE_EXPECT_EQ(r.error, 0, "error of WRMSR of the scratch MSR");
	r = rd(&m, MVM_LABMSR_SCRATCH);
	GRADE_EXPECT_EQ(r.data, 0x1234567890abcdefULL,
			"scratch MSR reads back what was written");
	r = rd(&m, MVM_LABMSR_COUNTER);
	GRADE_EXPECT_EQ(r.data, 4, "counter on the 4th access to the MSRs");
	wr(&m, MVM_LABMSR_COUNTER, 100);
	r = rd(&m, MVM_LABMSR_COUNTER);
	GRADE_EXPECT_EQ(r.data, 101, "counter after writing 100, then a read");
}

static void labmsr_gp_for_id_write_and_unknown_msr(void **state)
{
	struct mvm_labmsr m = {0};

	(void)state;
	GRADE_EXPECT_EQ(wr(&m, MVM_LABMSR_ID, 1).error, 1,
			"error (-> #GP) of a WRMSR to the read-only ID MSR");
	GRADE_EXPECT_EQ(rd(&m, 0x400000e7).error, 1,
			"error (-> #GP) of RDMSR of MSR 0x400000e7 (not ours)");
	GRADE_EXPECT_EQ(rd(&m, MVM_LABMSR_SCRATCH).error, 0,
			"error of a good RDMSR after those");
}

static void labmsr_guest_accesses_trap_to_the_handler(void **state)
{
	struct fixture *f = *state;
	struct mvm_labmsr m;
	struct mvm_ucall uc;
	struct mvm_exit e;
	int r = mvm_labmsr_enable(f->vm, &m);

	if (r == -EOPNOTSUPP) {
		printf("SKIP: this KVM has no KVM_CAP_X86_USER_SPACE_MSR/"
		       "KVM_CAP_X86_MSR_FILTER, so MSR accesses cannot reach "
		       "user space (see the guide, task 5)\n");
		skip();
	}
	GRADE_EXPECT(r == 0, "mvm_labmsr_enable failed: %s; log:\n%s",
		     strerror(-r), f->log);
	lab1_load_guest(f, "lab1-msr.elf");
	lab1_expect_ucall(f, 30000, MVM_UCALL_SYNC, 1);
	GRADE_EXPECT_EQ(m.scratch, 0x1122334455667788ULL,
			"host-side scratch value after the guest's WRMSR");
	/* The guest now writes the read-only ID MSR: #GP, and with no IDT
	 * a triple fault (SDM Vol. 3A 6.15, "Double Fault"). */
	r = lab1_run(f, 30000, &e, &uc);
	GRADE_EXPECT(r == MVM_UCALL_NONE && e.reason == KVM_EXIT_SHUTDOWN,
		     "a WRMSR to the ID MSR must give the guest #GP (here: a "
		     "triple fault, KVM_EXIT_SHUTDOWN); the guest went on "
		     "(ucall %d, exit %s)\n%s",
		     r, mvm_exit_reason_name(e.reason), f->out);
}

static const struct grade_test tests[] = {
	GRADE_TEST(labmsr_emulates_id_scratch_and_counter, 4,
		   "task 5: mvm_labmsr_handle() in labmsr.c"),
	GRADE_TEST(labmsr_gp_for_id_write_and_unknown_msr, 2,
		   "task 5: mvm_labmsr_handle() in labmsr.c"),
	GRADE_TEST_SETUP(labmsr_guest_accesses_trap_to_the_handler, 4,
			 "task 5 (and tasks 1-2): the lab1-msr guest",
			 fixture_setup, fixture_teardown),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
