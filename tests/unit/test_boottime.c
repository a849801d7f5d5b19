/*
 * test_boottime.c - the boot timeline (boottime.h): console text in, the
 * first time and exit count of each milestone out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "minivmm/minivmm.h"

static int feed(struct mvm_boot_timeline *tl, const char *s, double t,
		uint64_t exits)
{
	return mvm_boot_timeline_feed(tl, s, strlen(s), t, exits);
}

static void milestones_are_marked_when_their_line_completes(void **state)
{
	struct mvm_boot_timeline tl;

	(void)state;
	mvm_boot_timeline_init(&tl);
	/* Half a line marks nothing: the time is that of its '\n'. */
	assert_int_equal(feed(&tl, "[    0.000000] Linux ver", 1.0, 10), 0);
	assert_false(tl.seen[MVM_BOOT_FIRST_LINE]);
	assert_int_equal(feed(&tl, "sion 6.1\r\n", 1.5, 12), 1);
	assert_true(tl.seen[MVM_BOOT_FIRST_LINE]);
	assert_true(tl.at_s[MVM_BOOT_FIRST_LINE] == 1.5);
	assert_int_equal(tl.at_exits[MVM_BOOT_FIRST_LINE], 12);

	feed(&tl, "[    1.2] virtio_blk virtio0: [vda] 16384 512-byte\n", 3,
	     30);
	feed(&tl, "[    2.0] VFS: Mounted root (ext2 filesystem)\n", 4, 40);
	feed(&tl, "[    2.1] Run /init as init process\n", 5, 50);
	assert_int_equal(tl.at_exits[MVM_BOOT_VIRTIO_BLK], 30);
	assert_int_equal(tl.at_exits[MVM_BOOT_ROOT_MOUNTED], 40);
	assert_int_equal(tl.at_exits[MVM_BOOT_INIT], 50);
	assert_false(tl.seen[MVM_BOOT_PANIC]);
	assert_false(tl.seen[MVM_BOOT_RESET]);
	/* The console never shows the kernel's entry. */
	assert_false(tl.seen[MVM_BOOT_KERNEL_ENTRY]);
}

static void a_milestone_keeps_its_first_time(void **state)
{
	struct mvm_boot_timeline tl;

	(void)state;
	mvm_boot_timeline_init(&tl);
	feed(&tl, "reboot: Restarting system\n", 7, 70);
	assert_int_equal(feed(&tl, "reboot: Restarting system\n", 8, 80), 0);
	assert_int_equal(tl.at_exits[MVM_BOOT_RESET], 70);
	assert_int_equal(mvm_boot_timeline_mark(&tl, MVM_BOOT_RESET, 9, 90), 0);
	assert_int_equal(
		mvm_boot_timeline_mark(&tl, MVM_BOOT_KERNEL_ENTRY, 0.5, 1), 1);
	assert_true(tl.at_s[MVM_BOOT_KERNEL_ENTRY] == 0.5);
	assert_int_equal(mvm_boot_timeline_mark(&tl, MVM_BOOT_MILESTONES, 1, 1),
			 0);
}

/* A guest that never sends '\n' cannot overrun the line buffer; what
 * fits is still matched when the line ends. */
static void an_overlong_line_is_cut_not_overrun(void **state)
{
	struct mvm_boot_timeline tl;
	char junk[3 * MVM_BOOT_LINE_MAX];

	(void)state;
	mvm_boot_timeline_init(&tl);
	memcpy(junk, "Kernel panic - ", 15);
	memset(junk + 15, 'x', sizeof(junk) - 15);
	mvm_boot_timeline_feed(&tl, junk, sizeof(junk), 1, 1);
	assert_int_equal(tl.len, MVM_BOOT_LINE_MAX - 1);
	assert_int_equal(feed(&tl, "\n", 2, 2), 2); /* first line + panic */
	assert_true(tl.seen[MVM_BOOT_PANIC]);
}

static void every_milestone_has_a_name(void **state)
{
	(void)state;
	for (int m = 0; m < MVM_BOOT_MILESTONES; m++)
		assert_non_null(mvm_boot_milestone_name(m));
	assert_null(mvm_boot_milestone_name(MVM_BOOT_MILESTONES));
	assert_null(mvm_boot_milestone_text(MVM_BOOT_KERNEL_ENTRY));
	assert_string_equal(mvm_boot_milestone_text(MVM_BOOT_ROOT_MOUNTED),
			    "VFS: Mounted root");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			milestones_are_marked_when_their_line_completes),
		cmocka_unit_test(a_milestone_keeps_its_first_time),
		cmocka_unit_test(an_overlong_line_is_cut_not_overrun),
		cmocka_unit_test(every_milestone_has_a_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
