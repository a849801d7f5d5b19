/*
 * test_modes.c - mvm_vcpu_setup_mode() on a real vCPU.
 *
 * Each mode runs the same five bytes, which decode identically in 16-,
 * 32- and 64-bit code:
 *
 *     b0 XX      mov  al, XX
 *     e6 e9      out  0xe9, al        (MVM_PORT_DEBUGCON)
 *     f4         hlt
 *
 * so the marker on the debug console and a HLT exit prove the CPU ran in
 * the state we built. In long mode the host's walk of the tables we built
 * is compared with KVM's own translation (KVM_TRANSLATE).
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

static void run_marker(struct fixture *f, enum mvm_cpu_mode mode, uint64_t gpa,
		       char marker)
{
	const uint8_t code[] = {0xb0, (uint8_t)marker, 0xe6, 0xe9, 0xf4};
	struct mvm_exit e;

	fixture_load_code(f, mode, gpa, code, sizeof(code));
	assert_int_equal(fixture_run(f, 5000, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(f->out_len, 1);
	assert_int_equal(f->out[0], marker);
}

static void describe(struct fixture *f, char *buf, size_t len)
{
	struct kvm_sregs s;

	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_true(mvm_describe_mode(&s, buf, len) > 0);
}

static void real_mode_guest_writes_marker_and_halts(void **state)
{
	struct fixture *f = *state;
	char mode[80];

	run_marker(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, 'R');
	describe(f, mode, sizeof(mode));
	assert_string_equal(mode, "16-bit real mode");
}

static void prot32_guest_writes_marker_and_halts(void **state)
{
	struct fixture *f = *state;
	char mode[80];

	run_marker(f, MVM_MODE_PROT32, MVM_LOAD_ADDR, 'P');
	describe(f, mode, sizeof(mode));
	assert_string_equal(mode, "32-bit protected mode, CPL 0, paging off");
}

static void long64_guest_writes_marker_and_halts(void **state)
{
	struct fixture *f = *state;
	char mode[80];

	run_marker(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, 'L');
	describe(f, mode, sizeof(mode));
	assert_string_equal(mode, "64-bit long mode, CPL 0, paging on");
}

/* The default long-mode map covers the MMIO window, so a 64-bit guest
 * reaches devices: the unclaimed load answers all ones, which the guest
 * echoes to the debug port. */
static void long64_default_map_reaches_mmio_window(void **state)
{
	struct fixture *f = *state;
	const uint8_t code[] = {
		/* mov rax, 0xd0100000: in the window, no device there */
		0x48, 0xb8, 0x00, 0x00, 0x10, 0xd0,
		0,    0,    0,	  0,	0x8b, 0x00, /* mov eax,[rax] */
		0xe6, 0xe9,			    /* out 0xe9, al */
		0xf4,				    /* hlt */
	};
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run(f, 5000, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(f->out_len, 1);
	assert_int_equal((uint8_t)f->out[0], 0xff);
}

/* With 4 KiB pages the default map is RAM in 4 KiB pages plus the MMIO
 * window in 2 MiB pages: the same read reaches the window (the exit tour
 * under `mvmdbg --pages 4k` used to triple-fault here). */
static void long64_4k_map_reaches_mmio_window(void **state)
{
	struct fixture *f = *state;
	const uint8_t code[] = {
		/* mov rax, 0xd0100000: in the window, no device there */
		0x48, 0xb8, 0x00, 0x00, 0x10, 0xd0,
		0,    0,    0,	  0,	0x8b, 0x00, /* mov eax,[rax] */
		0xe6, 0xe9,			    /* out 0xe9, al */
		0xf4,				    /* hlt */
	};
	struct mvm_mode_config mc = {.mode = MVM_MODE_LONG64,
				     .entry = MVM_LOAD_ADDR,
				     .page_size = 4096};
	struct mvm_exit e;

	assert_int_equal(mvm_vm_write(f->vm, MVM_LOAD_ADDR, code, sizeof(code)),
			 0);
	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &mc), 0);
	assert_int_equal(fixture_run(f, 5000, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(f->out_len, 1);
	assert_int_equal((uint8_t)f->out[0], 0xff);
}

/* Real mode reaches the 0x9f000 stack top as SS:SP = 9000:f000. */
static void real_mode_stack_uses_ss_for_high_top(void **state)
{
	struct fixture *f = *state;
	const uint8_t hlt = 0xf4;
	struct kvm_sregs s;
	struct kvm_regs r;

	fixture_load_code(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, &hlt, 1);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &r), 0);
	assert_int_equal(s.ss.selector, 0x9000);
	assert_int_equal(s.ss.base, 0x90000);
	assert_int_equal(r.rsp, 0xf000);
	assert_int_equal(r.rip, MVM_REAL_LOAD_ADDR);
	assert_int_equal(r.rflags, 2);
}

/* A real-mode stack top at a 64 KiB boundary: the first push must land
 * just below it (0x1fffe for 0x20000), not 64 KiB above it. */
static void real_mode_stack_top_on_64k_boundary_pushes_below_it(void **state)
{
	struct fixture *f = *state;
	const uint8_t code[] = {
		0xb8, 0x34, 0x12, /* mov ax, 0x1234 */
		0x50,		  /* push ax */
		0xf4,		  /* hlt */
	};
	struct mvm_mode_config cfg = {.mode = MVM_MODE_REAL,
				      .entry = MVM_REAL_LOAD_ADDR,
				      .stack = 0x20000};
	uint16_t below = 0, above = 0;
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_REAL, MVM_REAL_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), 0);
	assert_int_equal(fixture_run(f, 5000, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_vm_read(f->vm, 0x1fffe, &below, 2), 0);
	assert_int_equal(mvm_vm_read(f->vm, 0x2fffe, &above, 2), 0);
	assert_int_equal(below, 0x1234);
	assert_int_equal(above, 0);
}

/* The GDT in guest memory must describe what the hidden parts hold: a
 * guest that reloads DS from MVM_SEL_DATA gets the same flat segment. */
static void long64_gdt_matches_loaded_segments(void **state)
{
	struct fixture *f = *state;
	const uint8_t hlt = 0xf4;
	struct kvm_sregs s;
	uint64_t gdt[MVM_GDT_ENTRIES];

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, &hlt, 1);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_int_equal(mvm_vm_read(f->vm, MVM_GDT_ADDR, gdt, sizeof(gdt)), 0);
	assert_int_equal(gdt[0], 0);
	/* Code64: type 0xb, S, P, L=1, D=0, G=1, limit 0xfffff. */
	assert_int_equal(gdt[MVM_SEL_CODE64 >> 3], 0x00af9b000000ffffULL);
	assert_int_equal(gdt[MVM_SEL_DATA >> 3], 0x00cf93000000ffffULL);
	assert_int_equal(s.cs.selector, MVM_SEL_CODE64);
	assert_int_equal(s.ss.selector, MVM_SEL_DATA);
	assert_int_equal(s.tr.selector, MVM_SEL_TSS);
	assert_int_equal(s.tr.base, MVM_TSS_ADDR);
	assert_int_equal(s.gdt.base, MVM_GDT_ADDR);
}

static void check_translation(struct fixture *f, const struct kvm_sregs *s,
			      uint64_t gva)
{
	struct kvm_translation tr = {.linear_address = gva};
	struct mvm_pt_walk w;
	int rc;

	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_TRANSLATE, &tr), 0);
	rc = mvm_pt_walk(mvm_vm_mem(f->vm), s->cr0, s->cr3, s->cr4, s->efer,
			 gva, &w);
	if (!tr.valid) {
		assert_int_equal(rc, -EFAULT);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(w.gpa, tr.physical_address);
	assert_int_equal(w.writable, tr.writeable);
}

static void walk_agrees_with_kvm_translate(struct fixture *f, uint64_t page)
{
	const uint64_t gvas[] = {
		0x0,	    0x1234,	    MVM_LOAD_ADDR + 5, 0x3fffff8,
		0xd0000000, 0x100000000ULL, 0x7fff0000000ULL};
	struct mvm_mode_config cfg = {.mode = MVM_MODE_LONG64,
				      .entry = MVM_LOAD_ADDR,
				      .page_size = page};
	struct kvm_sregs s;
	unsigned i;

	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), 0);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	for (i = 0; i < sizeof(gvas) / sizeof(gvas[0]); i++)
		check_translation(f, &s, gvas[i]);
}

static void walk_agrees_with_kvm_translate_2m(void **state)
{
	walk_agrees_with_kvm_translate(*state, 2ULL << 20);
}

static void walk_agrees_with_kvm_translate_4k(void **state)
{
	walk_agrees_with_kvm_translate(*state, 4096);
}

/*
 * Legacy paging formats, compared without running: hand-built tables,
 * protected mode plus CR0.PG, then KVM_TRANSLATE against the host walk.
 * Skipped where the backend has MVM_QUIRK_NO_LEGACY_PAGING (quirks.h).
 */
static void put_entry(struct fixture *f, uint64_t gpa, uint64_t v, size_t n)
{
	assert_int_equal(mvm_vm_write(f->vm, gpa, &v, n), 0);
}

static void legacy_walk_agrees(struct fixture *f, uint64_t cr3, uint64_t cr4)
{
	const uint64_t gvas[] = {0x5abc, 0x401234, 0x600000, 0x1000000};
	struct mvm_mode_config cfg = {.mode = MVM_MODE_PROT32,
				      .entry = MVM_LOAD_ADDR};
	struct kvm_sregs s;
	unsigned i;

	if (mvm_vm_backend(f->vm)->quirks & MVM_QUIRK_NO_LEGACY_PAGING) {
		print_message("skip: KVM backend %s: %s\n",
			      mvm_vm_backend(f->vm)->name,
			      mvm_quirk_symptom(MVM_QUIRK_NO_LEGACY_PAGING));
		skip();
	}
	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), 0);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	s.cr0 |= MVM_CR0_PG;
	s.cr3 = cr3;
	s.cr4 = cr4;
	assert_int_equal(mvm_vcpu_set_sregs(f->vcpu, &s), 0);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_true(s.cr0 & MVM_CR0_PG);
	for (i = 0; i < sizeof(gvas) / sizeof(gvas[0]); i++)
		check_translation(f, &s, gvas[i]);
}

static void walk_agrees_with_kvm_translate_32bit(void **state)
{
	struct fixture *f = *state;

	put_entry(f, 0x200000, 0x201000 | 7, 4);	 /* PDE 0 -> PT */
	put_entry(f, 0x201000 + 5 * 4, 0x123000 | 3, 4); /* PTE 5 */
	put_entry(f, 0x200004, 0xc00000 | 0x83, 4);	 /* 4 MiB page */
	legacy_walk_agrees(f, 0x200000, MVM_CR4_PSE);
}

static void walk_agrees_with_kvm_translate_pae(void **state)
{
	struct fixture *f = *state;

	put_entry(f, 0x200000, 0x201000 | 1, 8);	    /* PDPTE 0 */
	put_entry(f, 0x201000, 0x202000 | 3, 8);	    /* PDE 0 -> PT */
	put_entry(f, 0x202000 + 5 * 8, 0x123000 | 3, 8);    /* PTE 5 */
	put_entry(f, 0x201000 + 2 * 8, 0x800000 | 0x83, 8); /* 2 MiB */
	legacy_walk_agrees(f, 0x200000, MVM_CR4_PAE);
}

/* -ENOSPC, with the math in the log, when the tables cannot fit. */
static void long64_too_many_4k_tables_is_enospc(void **state)
{
	struct fixture *f = *state;
	struct mvm_mode_config cfg = {.mode = MVM_MODE_LONG64,
				      .entry = MVM_LOAD_ADDR,
				      .page_size = 4096,
				      .map_size = 1ULL << 30};

	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), -ENOSPC);
	assert_non_null(strstr(f->log, "needs 515 page tables"));
}

static void real_mode_entry_above_64k_is_refused(void **state)
{
	struct fixture *f = *state;
	struct mvm_mode_config cfg = {.mode = MVM_MODE_REAL, .entry = 0x12345};

	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), -EINVAL);
	assert_non_null(strstr(f->log, "below 64 KiB"));
}

static void setup_mode_rejects_bad_config_with_a_reason(void **state)
{
	struct fixture *f = *state;
	struct mvm_mode_config cfg = {.mode = (enum mvm_cpu_mode)7};

	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), -EINVAL);
	assert_non_null(strstr(f->log, "unknown mode 7"));
	cfg = (struct mvm_mode_config){.mode = MVM_MODE_LONG64,
				       .page_size = 8192};
	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), -EINVAL);
	assert_non_null(strstr(f->log, "page size must be 4096 or 2 MiB"));
	cfg = (struct mvm_mode_config){.mode = MVM_MODE_PROT32,
				       .entry = 1ULL << 32};
	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), -EINVAL);
	assert_non_null(strstr(f->log, "below 4 GiB"));
	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, NULL), -EINVAL);
}

#define T(fn) \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(real_mode_guest_writes_marker_and_halts),
		T(prot32_guest_writes_marker_and_halts),
		T(long64_guest_writes_marker_and_halts),
		T(long64_gdt_matches_loaded_segments),
		T(long64_default_map_reaches_mmio_window),
		T(long64_4k_map_reaches_mmio_window),
		T(real_mode_stack_uses_ss_for_high_top),
		T(real_mode_stack_top_on_64k_boundary_pushes_below_it),
		T(walk_agrees_with_kvm_translate_2m),
		T(walk_agrees_with_kvm_translate_4k),
		T(walk_agrees_with_kvm_translate_32bit),
		T(walk_agrees_with_kvm_translate_pae),
		T(long64_too_many_4k_tables_is_enospc),
		T(real_mode_entry_above_64k_is_refused),
		T(setup_mode_rejects_bad_config_with_a_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
