/*
 * ucall-tour.c - how a guest talks to its host test: the ucall protocol.
 *
 * What it teaches: a guest has no printf and no exit status, so tests
 * need a channel. A ucall (libminivmm/include/minivmm/ucall.h) is a
 * struct in guest memory whose address the guest writes to one port:
 * one exit, and the host reads the struct out of guest RAM after
 * checking the address. The same idea drives the Linux KVM selftests.
 *
 *   GUEST_PRINT(s)        text for the host's output; the guest goes on
 *   GUEST_SYNC(n)         "I reached stage n": the run stops so the host
 *                         can check or change state, then resumes it
 *   GUEST_ASSERT_EQ(a,b)  on mismatch: expression, file, line and both
 *                         values go to the host, which fails the run
 *
 * The last check fails on purpose, so the run ends with exit status 1
 * and `mvm run` shows what a failed guest assertion looks like.
 *
 *   mvm run build/examples/ucall-tour.elf
 */
#include "guest.h"

static uint64_t sum_to(uint64_t n)
{
	uint64_t s = 0;

	for (uint64_t i = 1; i <= n; i++)
		s += i;
	return s;
}

int main(void)
{
	GUEST_PRINT("ucall-tour: stage 1\n");
	GUEST_SYNC(1);
	GUEST_ASSERT(sum_to(10) == 55);
	GUEST_PRINT("ucall-tour: stage 2, the next check fails on purpose\n");
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(sum_to(100), 5000); /* it is 5050 */
	GUEST_PRINT("ucall-tour: unreachable if the host stops on ASSERT\n");
	return 0;
}
