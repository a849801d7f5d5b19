/*
 * test_cow.c - copy-on-write pages by read-only slots (cow.h), with the
 * access-pattern guest (examples/touch.c) writing one byte per page.
 *
 * The template is a memfd whose page i is filled with 'a' + i. After the
 * guest wrote to some pages: each of those has its own copy holding the
 * template's bytes plus the guest's byte, every other page still shows
 * the template, the template itself is untouched, and a second write to
 * a copied page costs no copy (and no exit).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fixture.h"

#include "../../examples/touch.h"

#define RUN_MS 10000
#define AREA   0x10000000ULL
#define PAGES  8

static int template_fd(void)
{
	int fd = memfd_create("cow-template", 0);
	uint8_t page[4096];

	assert_true(fd >= 0);
	for (int i = 0; i < PAGES; i++) {
		memset(page, 'a' + i, sizeof(page));
		assert_int_equal(write(fd, page, sizeof(page)), 4096);
	}
	return fd;
}

static void guest_round(struct fixture *f, struct touch_params p)
{
	struct mvm_exit e;

	p.rounds = 1;
	p.base = AREA;
	p.size = PAGES * 4096;
	assert_int_equal(mvm_vm_write(f->vm, TOUCH_PARAMS, &p, sizeof(p)), 0);
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_run(f->m, 0, RUN_MS, 1, NULL, NULL, &e),
			 MVM_SYNC);
	alarm(0);
}

static void first_write_copies_the_page_and_later_writes_do_not(void **state)
{
	struct fixture *f = *state;
	struct mvm_cow *c;
	int fd = template_fd();
	uint8_t b, page[4096];
	uint64_t mmio_before;

	assert_int_equal(mvm_cow_create(f->m, AREA, fd, PAGES, &c), 0);
	fixture_load(f, "touch.elf", MVM_MODE_LONG64);
	/* Pages 0, 3 and 6 (stride 3), value 'X'. */
	guest_round(f, (struct touch_params){.pattern = TOUCH_STRIDED,
					     .stride = 3,
					     .count = 3,
					     .value = 'X'});
	assert_int_equal(mvm_cow_copies(c), 3);
	for (int i = 0; i < PAGES; i++) {
		uint64_t gpa = AREA + i * 4096ULL;
		int mine = i % 3 == 0;

		assert_int_equal(mvm_cow_is_private(c, gpa), mine);
		assert_int_equal(mvm_vm_read(f->vm, gpa, page, 4096), 0);
		assert_int_equal(page[0], mine ? 'X' : 'a' + i);
		assert_int_equal(page[4095], 'a' + i); /* the rest copied */
		assert_int_equal(pread(fd, &b, 1, i * 4096), 1);
		assert_int_equal(b, 'a' + i); /* template unchanged */
	}
	/* Same pages again (round 1 stores 'Y'): no copies, no exits. */
	mmio_before = mvm_trace_count(mvm_vcpu_trace(f->vcpu), KVM_EXIT_MMIO);
	guest_round(f, (struct touch_params){.pattern = TOUCH_STRIDED,
					     .stride = 3,
					     .count = 3,
					     .value = 'X'});
	assert_int_equal(mvm_cow_copies(c), 3);
	assert_int_equal(
		mvm_trace_count(mvm_vcpu_trace(f->vcpu), KVM_EXIT_MMIO),
		mmio_before);
	assert_int_equal(mvm_vm_read(f->vm, AREA + 3 * 4096, &b, 1), 0);
	assert_int_equal(b, 'Y');
	assert_int_equal(mvm_cow_is_private(c, AREA + PAGES * 4096), -EINVAL);
	close(fd);
	mvm_machine_destroy(f->m); /* the bus refers to c until then */
	f->m = NULL;
	mvm_cow_destroy(c);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			first_write_copies_the_page_and_later_writes_do_not,
			fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
