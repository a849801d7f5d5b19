/*
 * test_stats.c - KVM's binary statistics (KVM_GET_STATS_FD) read by
 * name, checked against a guest that makes a known number of exits.
 *
 * The guest is N `out` instructions to the debug console followed by
 * `hlt`: each OUT is a VM exit that KVM must hand to user space, so the
 * vCPU's "exits" counter has to grow by at least N + 1 (KVM may exit for
 * its own reasons too, hence "at least").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

#define N_OUTS 10
#define RUN_MS 5000 /* real-mode code is emulated on some hosts */

/* 16-bit real-mode guest at MVM_REAL_LOAD_ADDR. */
static const uint8_t guest[] = {
	0xb0, 'x',	 /* mov al, 'x' */
	0xb9, N_OUTS, 0, /* mov cx, N_OUTS */
	0xe6, 0xe9,	 /* 1: out 0xe9, al   (MVM_PORT_DEBUGCON) */
	0x49,		 /* dec cx */
	0x75, 0xfb,	 /* jnz 1b */
	0xf4,		 /* hlt */
};

/* Stats fd of a KVM object, or skip the test when the kernel has none. */
static int open_stats(int kvm_fd)
{
	int fd = mvm_stats_open(kvm_fd);

	if (fd == -EOPNOTSUPP) {
		printf("SKIP: this kernel has no KVM_GET_STATS_FD (Linux "
		       "5.14+)\n");
		skip();
	}
	if (fd < 0)
		fail_msg("mvm_stats_open: %s", strerror(-fd));
	return fd;
}

static void stats_vcpu_exits_grow_by_at_least_the_guest_exits(void **state)
{
	struct fixture *f = *state;
	int fd = open_stats(mvm_vcpu_fd(f->vcpu));
	uint64_t before = 0, after = 0;
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, guest,
			  sizeof(guest));
	assert_int_equal(mvm_stats_read(fd, "exits", &before), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_stats_read(fd, "exits", &after), 0);
	assert_int_equal(f->out_len, N_OUTS);
	assert_memory_equal(f->out, "xxxxxxxxxx", N_OUTS);
	if (after - before < N_OUTS + 1)
		fail_msg("exits went %llu -> %llu, expected +%d or more",
			 (unsigned long long)before, (unsigned long long)after,
			 N_OUTS + 1);
	/* our own count agrees: N IO exits reached user space */
	assert_int_equal(mvm_trace_count(mvm_vcpu_trace(f->vcpu), KVM_EXIT_IO),
			 N_OUTS);
	close(fd);
}

static void stats_unknown_name_gives_enoent(void **state)
{
	struct fixture *f = *state;
	int fd = open_stats(mvm_vcpu_fd(f->vcpu));
	uint64_t v = 42;

	assert_int_equal(mvm_stats_read(fd, "no_such_statistic", &v), -ENOENT);
	assert_int_equal(mvm_stats_read(fd, "", &v), -ENOENT);
	assert_int_equal(mvm_stats_read(fd, "exit", &v), -ENOENT); /* prefix */
	assert_int_equal(v, 42);
	close(fd);
}

/* Every named stat that read_all lists can be read back by name. */
static void check_read_all(int fd)
{
	struct mvm_stat st[128];
	int n = mvm_stats_read_all(fd, st, 128);

	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		uint64_t v;

		assert_true(st[i].name[0] != '\0');
		assert_int_equal(mvm_stats_read(fd, st[i].name, &v), 0);
	}
	assert_int_equal(mvm_stats_read_all(fd, st, 2), 2);
	assert_int_equal(mvm_stats_read_all(fd, st, 0), 0);
}

static void stats_read_all_lists_vm_and_vcpu_stats(void **state)
{
	struct fixture *f = *state;
	int vcpu_fd = open_stats(mvm_vcpu_fd(f->vcpu));
	int vm_fd = open_stats(mvm_vm_fd(f->vm));
	struct mvm_stat st[128];
	int n, found = 0;

	check_read_all(vcpu_fd);
	check_read_all(vm_fd);
	n = mvm_stats_read_all(vcpu_fd, st, 128);
	for (int i = 0; i < n; i++)
		found |= strcmp(st[i].name, "exits") == 0;
	assert_true(found);
	close(vcpu_fd);
	close(vm_fd);
}

static void stats_open_on_a_non_kvm_fd_fails(void **state)
{
	(void)state;
	assert_true(mvm_stats_open(STDIN_FILENO) < 0);
	assert_true(mvm_stats_open(-1) < 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(stats_vcpu_exits_grow_by_at_least_the_guest_exits),
		T(stats_unknown_name_gives_enoent),
		T(stats_read_all_lists_vm_and_vcpu_stats),
		cmocka_unit_test(stats_open_on_a_non_kvm_fd_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
