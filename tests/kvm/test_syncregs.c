/*
 * test_syncregs.c - registers that come back with the exit
 * (KVM_CAP_SYNC_REGS, api.rst 5 "kvm_valid_regs"; vcpu.c).
 *
 * After a run step the library reads the registers from the copy KVM
 * left in kvm_run instead of asking with an ioctl. These tests check
 * that the copy is what KVM holds, that it is really used (a change
 * made behind the library's back stays invisible until
 * mvm_vcpu_forget_regs()), that every way of writing registers is seen
 * by the next read, and that with the copy off (a KVM without the
 * capability) the first read after each step asks KVM.
 *
 * The guest single-steps a few real-mode instructions that change a
 * general register and a segment register, so every step is one
 * KVM_EXIT_DEBUG with new state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fixture.h"

#define RUN_MS 5000 /* generous: real-mode code is emulated on some hosts */

static const uint8_t code[] = {
	0xb8, 0x34, 0x12, /* mov ax, 0x1234 */
	0x8e, 0xd8,	  /* mov ds, ax */
	0x40,		  /* inc ax */
	0x43,		  /* inc bx */
	0xe6, 0x80,	  /* out 0x80, al (unclaimed: a plain I/O exit) */
	0xf4,		  /* hlt */
};
#define NSTEPS 4 /* the instructions before the OUT */

static void need_sync_regs(struct fixture *f)
{
	if (!mvm_vcpu_sync_regs(f->vcpu)) {
		print_message("skip: this KVM lacks KVM_CAP_SYNC_REGS (the "
			      "fallback is tested below)\n");
		skip();
	}
}

static void kvm_regs(struct fixture *f, struct kvm_regs *r)
{
	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_GET_REGS, r), 0);
}

static void kvm_sregs(struct fixture *f, struct kvm_sregs *s)
{
	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_GET_SREGS, s), 0);
}

/* The library's registers equal KVM's, field for field. */
static void assert_coherent(struct fixture *f)
{
	struct kvm_regs lib, kvm;
	struct kvm_sregs slib, skvm;

	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &lib), 0);
	kvm_regs(f, &kvm);
	assert_memory_equal(&lib, &kvm, sizeof(lib));
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &slib), 0);
	kvm_sregs(f, &skvm);
	assert_memory_equal(&slib, &skvm, sizeof(slib));
}

/* The guest at its first instruction, single-stepping. */
static void start_stepping(struct fixture *f)
{
	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_vcpu_set_debug(f->vcpu, 1, NULL, 0), 0);
}

static void step(struct fixture *f, struct mvm_exit *e)
{
	assert_int_equal(fixture_run_once(f, RUN_MS, e), 0);
	assert_int_equal(e->reason, KVM_EXIT_DEBUG);
}

static void registers_after_each_step_are_what_kvm_holds(void **state)
{
	struct fixture *f = *state;
	struct kvm_sregs s;
	struct mvm_exit e;

	need_sync_regs(f);
	start_stepping(f);
	for (int i = 0; i < NSTEPS; i++) {
		step(f, &e);
		assert_int_equal(
			mvm_vcpu_kvm_run(f->vcpu)->kvm_valid_regs &
				(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS),
			KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS);
		assert_coherent(f);
	}
	assert_int_equal(fixture_rax(f), 0x1235);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_int_equal(s.ds.selector, 0x1234);
	assert_int_equal(s.ds.base, 0x12340);
}

/* Proof that no ioctl is made: KVM's RAX is changed behind the
 * library's back, and the library still shows the copy from the exit
 * until it is told to forget it. */
static void a_read_after_a_step_uses_the_copy_in_kvm_run(void **state)
{
	struct fixture *f = *state;
	struct kvm_regs r;
	struct mvm_exit e;

	need_sync_regs(f);
	start_stepping(f);
	step(f, &e); /* mov ax, 0x1234 */
	kvm_regs(f, &r);
	r.rax = 0xbeef;
	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_SET_REGS, &r), 0);
	assert_int_equal(fixture_rax(f), 0x1234); /* the copy */
	mvm_vcpu_forget_regs(f->vcpu);
	assert_int_equal(fixture_rax(f), 0xbeef); /* asked KVM */
	step(f, &e); /* mov ds, ax: the guest sees KVM's value */
	struct kvm_sregs s;
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_int_equal(s.ds.selector, 0xbeef);
}

/* Writes through the library reach KVM at once, and the next read shows
 * what KVM holds after the write. */
static void a_write_is_seen_by_the_next_read_and_the_guest(void **state)
{
	struct fixture *f = *state;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct mvm_exit e;

	start_stepping(f);
	step(f, &e);
	step(f, &e); /* ds = 0x1234 */
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &r), 0);
	r.rbx = 0x41;
	assert_int_equal(mvm_vcpu_set_regs(f->vcpu, &r), 0);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	s.es = s.ds;
	assert_int_equal(mvm_vcpu_set_sregs(f->vcpu, &s), 0);
	assert_coherent(f);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_int_equal(s.es.selector, 0x1234);
	step(f, &e); /* inc ax */
	step(f, &e); /* inc bx: from the value written */
	assert_coherent(f);
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &r), 0);
	assert_int_equal(r.rbx, 0x42);
}

/* A whole-state restore (snapshots, migration: state.h) uses its own
 * ioctls; the next read must show the restored state. */
static void a_state_restore_is_seen_by_the_next_read(void **state)
{
	struct fixture *f = *state;
	static struct mvm_vcpu_state st; /* large */
	struct mvm_exit e;

	start_stepping(f);
	step(f, &e);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, &st), 0);
	st.regs.rax = 0x7777;
	st.regs.rip += 2; /* skip mov ds, ax */
	assert_int_equal(mvm_vcpu_state_set(f->vcpu, &st), 0);
	assert_int_equal(fixture_rax(f), 0x7777);
	assert_coherent(f);
	step(f, &e); /* inc ax */
	assert_int_equal(fixture_rax(f), 0x7778);
}

/* The interpreter (emu.h) replaces KVM_RUN and writes the registers back
 * through the library: after its step the library shows its results. */
static void registers_after_an_emulated_step_are_the_interpreters(void **state)
{
	struct fixture *f = *state;
	struct mvm_emu *emu = NULL;
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(mvm_emu_attach(f->m, 0, &emu), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO);
	assert_int_equal(fixture_rax(f), 0x1235);
	assert_coherent(f);
	mvm_emu_destroy(emu);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0); /* KVM again */
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_coherent(f);
}

/* The fallback, as on a KVM without the capability: KVM copies nothing,
 * the first read after each step asks KVM, and later reads reuse its
 * answer until the next step, write or mvm_vcpu_forget_regs(). Stepping
 * works the same. */
static void without_the_copy_the_first_read_asks_kvm(void **state)
{
	struct fixture *f = *state;
	struct kvm_regs r;
	struct mvm_exit e;

	assert_int_equal(mvm_vcpu_set_sync_regs(f->vcpu, 0), 0);
	assert_int_equal(mvm_vcpu_sync_regs(f->vcpu), 0);
	start_stepping(f);
	for (int i = 0; i < NSTEPS; i++) {
		step(f, &e);
		assert_int_equal(mvm_vcpu_kvm_run(f->vcpu)->kvm_valid_regs, 0);
		assert_coherent(f);
	}
	assert_int_equal(fixture_rax(f), 0x1235);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_IO); /* out 0x80, al */
	kvm_regs(f, &r);
	r.rax = 0xbeef;
	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_SET_REGS, &r), 0);
	mvm_vcpu_forget_regs(f->vcpu); /* the run step may have read */
	assert_int_equal(fixture_rax(f), 0xbeef); /* first read: KVM */
	r.rax = 0xcafe;
	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_SET_REGS, &r), 0);
	assert_int_equal(fixture_rax(f), 0xbeef); /* kept */
	mvm_vcpu_forget_regs(f->vcpu);
	assert_int_equal(fixture_rax(f), 0xcafe);
}

/* Turning the copy back on: what KVM offers, or -EOPNOTSUPP. */
static void sync_regs_can_be_turned_back_on_where_kvm_has_it(void **state)
{
	struct fixture *f = *state;
	int had = mvm_vcpu_sync_regs(f->vcpu);

	assert_int_equal(mvm_vcpu_set_sync_regs(f->vcpu, 0), 0);
	assert_int_equal(mvm_vcpu_set_sync_regs(f->vcpu, 1),
			 had ? 0 : -EOPNOTSUPP);
	assert_int_equal(mvm_vcpu_sync_regs(f->vcpu), had);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
#define T(fn) \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
		T(registers_after_each_step_are_what_kvm_holds),
		T(a_read_after_a_step_uses_the_copy_in_kvm_run),
		T(a_write_is_seen_by_the_next_read_and_the_guest),
		T(a_state_restore_is_seen_by_the_next_read),
		T(registers_after_an_emulated_step_are_the_interpreters),
		T(without_the_copy_the_first_read_asks_kvm),
		T(sync_regs_can_be_turned_back_on_where_kvm_has_it),
#undef T
	};

	fixture_require_kvm();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
