/*
 * test_4_badring.c - Lab 4, task 1 seen from a real guest: a driver that
 * breaks its own queue five ways (lab4-badring.elf) must drive the disk
 * to NEEDS_RESET each time, with a log line naming the broken rule, and
 * the VMM must survive it; after a reset the disk works again. The test
 * reads the device's status itself, and the guest's status byte from
 * guest memory's point of view (the guest reports it; the device's own
 * state is checked too).
 */
#include <string.h>

#include "lab4.h"

static const struct {
	const char *why; /* what the log must say */
	const char *what;
} cases[5] = {
	{"descriptor loop", "a descriptor loop (0 -> 1 -> 0)"},
	{"longer than the queue",
	 "a chain of 9 buffers (1 + an indirect table of 8) on a queue of 8"},
	{"outside guest RAM", "a buffer at 1 TiB, far beyond guest RAM"},
	{"device-readable after device-writable",
	 "a device-readable status byte after a writable buffer"},
	{"jumped", "avail->idx 9 ahead of the device on a queue of 8"},
};

static void guest_broken_rings_need_reset_and_recover(void **state)
{
	struct mvm_virtio_dev *d;
	struct mvm_ucall uc;
	struct lab4 t;
	char log[8192];
	size_t seen = 0;

	(void)state;
	lab4_require_kvm();
	memset(&t, 0, sizeof(t));
	lab4_disk(&t, 16);
	lab4_machine(&t, LAB4_BAD, MVM_VIRTIO_TRANSPORT_MMIO, 0, 0);
	d = mvm_virtio_blk_dev(t.blk);
	for (unsigned k = 0; k < 5; k++) {
		lab4_to_sync(&t, &uc, 10 + k,
			     "the guest sets the disk up before each broken "
			     "ring (tasks 4-5), then polls Status");
		lab4_log(&t, log, sizeof(log));
		GRADE_EXPECT(mvm_virtio_get_status(d) &
				     MVM_VIRTIO_S_NEEDS_RESET,
			     "%s: the device's status is 0x%x, without "
			     "NEEDS_RESET (0x40); the guest read Status 0x%llx"
			     "\nlog:\n%s",
			     cases[k].what, mvm_virtio_get_status(d),
			     (unsigned long long)uc.args[1], log + seen);
		GRADE_EXPECT(uc.args[1] & MVM_VIRTIO_S_NEEDS_RESET,
			     "%s: the guest never read NEEDS_RESET in Status",
			     cases[k].what);
		GRADE_EXPECT(strstr(log + seen, cases[k].why) != NULL,
			     "%s: the log must name it (\"%s\"); it says:\n%s",
			     cases[k].what, cases[k].why, log + seen);
		GRADE_EXPECT(uc.args[2] == 0xff,
			     "%s: the request's status byte became 0x%llx; a "
			     "refused chain must not be written to",
			     cases[k].what, (unsigned long long)uc.args[2]);
		seen = strlen(log);
	}
	lab4_to_sync(&t, &uc, 20, "after a reset the disk must work again");
	GRADE_EXPECT(uc.args[1] == MVM_VIRTIO_BLK_S_OK,
		     "a read after the last reset: status %llu, expected "
		     "VIRTIO_BLK_S_OK (0)",
		     (unsigned long long)uc.args[1]);
	lab4_free(&t);
}

static const struct grade_test tests[] = {
	GRADE_TEST(guest_broken_rings_need_reset_and_recover, 5,
		   "task 1: walk_chain() and avail_pending() in ring.c"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
