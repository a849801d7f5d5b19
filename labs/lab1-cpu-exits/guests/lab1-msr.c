/*
 * lab1-msr.c - the Lab 1 guest that uses the made-up MSRs (task 5).
 *
 * RDMSR and WRMSR of these numbers would raise #GP on any real CPU; here
 * each one exits to the VMM (KVM_EXIT_X86_RDMSR/WRMSR), which emulates
 * the register. Stage 1 checks the values; then the guest writes the
 * read-only ID MSR, which must give #GP. This guest has no IDT, so the
 * #GP becomes a triple fault and the grader expects KVM_EXIT_SHUTDOWN.
 */
#include "guest.h"
#include "minivmm/labmsr.h"

int main(void)
{
	uint64_t c;

	GUEST_ASSERT_EQ(rdmsr(MVM_LABMSR_ID), MVM_LABMSR_ID_VALUE);
	wrmsr(MVM_LABMSR_SCRATCH, 0x1122334455667788ULL);
	GUEST_ASSERT_EQ(rdmsr(MVM_LABMSR_SCRATCH), 0x1122334455667788ULL);
	/* Three accesses so far; this read is the fourth. */
	GUEST_ASSERT_EQ(rdmsr(MVM_LABMSR_COUNTER), 4);
	wrmsr(MVM_LABMSR_COUNTER, 100);
	c = rdmsr(MVM_LABMSR_COUNTER);
	GUEST_ASSERT_EQ(c, 101);
	GUEST_SYNC(1);
	wrmsr(MVM_LABMSR_ID, 0); /* #GP -> no IDT -> triple fault */
	GUEST_PRINT("lab1-msr: the write to the ID MSR did not fault\n");
	return 1; /* crt0 reports an ASSERT naming 1 */
}
