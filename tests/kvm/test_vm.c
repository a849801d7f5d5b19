/*
 * test_vm.c - VM lifecycle and memory slots, checked by real guests.
 *
 * The slot tests put extra memory at SLOT_GPA, above the fixture's 64 MiB
 * of RAM, and let a tiny real-mode guest reach it through a DS segment
 * base (real-mode code only has 16-bit offsets).
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

#define RUN_MS	 5000
#define SLOT_GPA 0x8000000ULL /* 128 MiB: above RAM, below MMIO */
#define PAGE	 4096ULL

static void skip_without_kvm(void)
{
	char why[256];

	if (!fixture_kvm_usable(why, sizeof(why))) {
		print_message("SKIP: KVM not usable here: %s\n", why);
		skip();
	}
}

/* --- /dev/kvm ------------------------------------------------------------ */

static void kvm_probe_reports_version_and_every_required_cap(void **state)
{
	struct mvm_kvm_info info;

	(void)state;
	skip_without_kvm();
	assert_int_equal(mvm_kvm_probe(&info), 0);
	assert_int_equal(info.open_errno, 0);
	assert_int_equal(info.api_version, MVM_KVM_API_VERSION);
	assert_true(info.vcpu_mmap_size >= (int)sizeof(struct kvm_run));
	assert_true(mvm_ncaps > 0);
	for (int i = 0; i < mvm_ncaps; i++) {
		assert_non_null(mvm_caps[i].name);
		assert_non_null(mvm_caps[i].why);
		if (mvm_caps[i].required)
			assert_true(info.cap_value[i] > 0);
	}
}

/* --- lifecycle ------------------------------------------------------------ */

static void vm_create_destroy_repeats_cleanly(void **state)
{
	struct fixture f = {0};

	(void)state;
	skip_without_kvm();
	for (int i = 0; i < 20; i++) {
		struct mvm_vm_config cfg = {
			.ram_size = (2ULL << 20) * (1 + i % 3),
			.ncpus = 1 + i % 2,
			.flags = (i % 4 == 3) ? MVM_VM_IRQCHIP : 0,
			.log = {fixture_log_fn, &f},
		};
		struct mvm_vm *vm;

		assert_int_equal(mvm_vm_create(&cfg, &vm), 0);
		assert_int_equal(mvm_vm_ncpus(vm), cfg.ncpus);
		assert_int_equal(mvm_vm_ram_size(vm), cfg.ram_size);
		assert_non_null(mvm_vm_vcpu(vm, cfg.ncpus - 1));
		assert_null(mvm_vm_vcpu(vm, cfg.ncpus));
		mvm_vm_destroy(vm);
	}
	mvm_vm_destroy(NULL);
	assert_int_equal(f.log_len, 0);
}

static void bad_ram_sizes_are_rejected_with_a_message(void **state)
{
	static const uint64_t bad[] = {
		(2ULL << 20) + 1,   /* not a multiple of 4 KiB */
		1ULL << 20,	    /* below MVM_RAM_MIN */
		MVM_RAM_MAX + PAGE, /* into the MMIO window */
		1ULL << 40,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fixture f = {0};
		struct mvm_vm_config cfg = {.ram_size = bad[i],
					    .log = {fixture_log_fn, &f}};
		struct mvm_vm *vm = (struct mvm_vm *)&f;

		assert_int_equal(mvm_vm_create(&cfg, &vm), -EINVAL);
		assert_null(vm);
		assert_non_null(strstr(f.log, "error: bad RAM size"));
		assert_non_null(strstr(f.log, "multiple of 4 KiB"));
	}
}

static void bad_vcpu_counts_are_rejected_with_a_message(void **state)
{
	struct fixture f = {0};
	struct mvm_vm_config cfg = {.ncpus = MVM_MAX_VCPUS + 1,
				    .log = {fixture_log_fn, &f}};
	struct mvm_vm *vm;

	(void)state;
	assert_int_equal(mvm_vm_create(&cfg, &vm), -EINVAL);
	assert_non_null(strstr(f.log, "bad vCPU count"));
	cfg.ncpus = -1;
	assert_int_equal(mvm_vm_create(&cfg, &vm), -EINVAL);
}

static void vm_create_without_config_or_out_is_einval(void **state)
{
	struct mvm_vm_config cfg = {0};
	struct mvm_vm *vm = (struct mvm_vm *)&cfg; /* must be reset */

	(void)state;
	assert_int_equal(mvm_vm_create(NULL, &vm), -EINVAL);
	assert_null(vm);
	assert_int_equal(mvm_vm_create(&cfg, NULL), -EINVAL);
}

static void irqchip_vm_makes_secondary_vcpus_runnable(void **state)
{
	struct fixture f = {0};
	struct mvm_vm_config cfg = {.ncpus = 2,
				    .flags = MVM_VM_IRQCHIP,
				    .log = {fixture_log_fn, &f}};
	struct kvm_mp_state mp;
	struct mvm_vm *vm;

	(void)state;
	skip_without_kvm();
	assert_int_equal(mvm_vm_create(&cfg, &vm), 0);
	assert_int_equal(
		ioctl(mvm_vcpu_fd(mvm_vm_vcpu(vm, 1)), KVM_GET_MP_STATE, &mp),
		0);
	assert_int_equal(mp.mp_state, KVM_MP_STATE_RUNNABLE);
	mvm_vm_destroy(vm);
}

static void guest_cpuid_reports_the_host_vendor(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0x31, 0xc0, /* xor eax, eax */
		0x0f, 0xa2,	  /* cpuid */
		0xf4,		  /* hlt */
	};
	struct kvm_regs regs;
	struct mvm_exit e;

	fixture_real_code(f, code, sizeof(code), 0);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &regs), 0);
	/* Without KVM_SET_CPUID2 every leaf would read 0. */
	assert_true(regs.rax >= 1);
	assert_true(regs.rbx != 0);
}

/* --- memory slots --------------------------------------------------------- */

static void guest_reads_a_rom_slot(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0xa1, 0x08, 0x00, /* mov eax, [8] */
		0xf4,			/* hlt */
	};
	const uint32_t v = 0x524f4d21; /* "!MOR" */
	struct mvm_exit e;
	int slot;

	slot = mvm_vm_mem_add(f->vm, SLOT_GPA, PAGE, MVM_MEM_READONLY);
	assert_true(slot > 0);
	assert_int_equal(mvm_vm_write(f->vm, SLOT_GPA + 8, &v, 4), -EROFS);
	assert_int_equal(
		mvm_memmap_write(mvm_vm_mem(f->vm), SLOT_GPA + 8, &v, 4, 1), 0);
	fixture_real_code(f, code, sizeof(code), SLOT_GPA);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal((uint32_t)fixture_rax(f), v);
}

static void guest_write_to_rom_exits_as_mmio_and_changes_nothing(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0xb8, 0x44, 0x33, 0x22, 0x11, /* mov eax, 0x11223344 */
		0x66, 0xa3, 0x10, 0x00,		    /* mov [0x10], eax */
		0xf4,				    /* hlt */
	};
	uint32_t got = 1;
	struct mvm_exit e;

	assert_true(mvm_vm_mem_add(f->vm, SLOT_GPA, PAGE, MVM_MEM_READONLY) >
		    0);
	fixture_real_code(f, code, sizeof(code), SLOT_GPA);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_MMIO);
	assert_int_equal(e.u.mmio.addr, SLOT_GPA + 0x10);
	assert_true(e.u.mmio.is_write);
	assert_memory_equal(e.u.mmio.data, "\x44\x33\x22\x11", 4);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_vm_read(f->vm, SLOT_GPA + 0x10, &got, 4), 0);
	assert_int_equal(got, 0);
}

static void removed_slot_turns_into_mmio(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0x66, 0xa1, 0x00, 0x00, /* mov eax, [0] */
		0xf4,			/* hlt */
	};
	const uint32_t v = 0x12345678;
	uint32_t got;
	struct mvm_exit e;
	int slot;

	slot = mvm_vm_mem_add(f->vm, SLOT_GPA, PAGE, 0);
	assert_true(slot > 0);
	assert_int_equal(mvm_vm_write(f->vm, SLOT_GPA, &v, 4), 0);
	assert_int_equal(mvm_vm_mem_remove(f->vm, slot), 0);
	assert_int_equal(mvm_vm_mem_remove(f->vm, slot), -ENOENT);
	assert_int_equal(mvm_vm_read(f->vm, SLOT_GPA, &got, 4), -EFAULT);
	fixture_real_code(f, code, sizeof(code), SLOT_GPA);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_MMIO);
	assert_int_equal(e.u.mmio.addr, SLOT_GPA);
	assert_false(e.u.mmio.is_write);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal((uint32_t)fixture_rax(f), 0xffffffff);
}

static void dirty_log_marks_exactly_the_written_pages(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xa2, 0x00, 0x10, /* mov [0x1000], al   page 1 */
		0xa2, 0xff, 0x3f, /* mov [0x3fff], al   page 3 */
		0xa0, 0x00, 0x50, /* mov al, [0x5000]   page 5: read */
		0xa2, 0x08, 0xa0, /* mov [0xa008], al   page 10 */
		0xf4,		  /* hlt */
	};
	uint64_t bm[1] = {~0ULL}; /* KVM must overwrite it */
	struct mvm_exit e;
	int slot;

	slot = mvm_vm_mem_add(f->vm, SLOT_GPA, 16 * PAGE, MVM_MEM_LOG_DIRTY);
	assert_true(slot > 0);
	assert_int_equal(mvm_vm_dirty_log(f->vm, slot, bm), 0);
	fixture_real_code(f, code, sizeof(code), SLOT_GPA);
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_vm_dirty_log(f->vm, slot, bm), 0);
	assert_int_equal(bm[0], (1u << 1) | (1u << 3) | (1u << 10));
	/* Reading the log cleared it. */
	assert_int_equal(mvm_vm_dirty_log(f->vm, slot, bm), 0);
	assert_int_equal(bm[0], 0);
}

static void dirty_log_needs_a_logging_slot(void **state)
{
	struct fixture *f = *state;
	uint64_t bm[1];

	assert_int_equal(mvm_vm_dirty_log(f->vm, 0, bm), -EINVAL);
	assert_non_null(strstr(f->log, "MVM_MEM_LOG_DIRTY"));
	assert_int_equal(mvm_vm_dirty_log(f->vm, MVM_MAX_SLOTS - 1, bm),
			 -ENOENT);
}

static void overlapping_or_bad_slots_are_refused_with_a_message(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(mvm_vm_mem_add(f->vm, 0x100000, PAGE, 0), -EEXIST);
	assert_non_null(strstr(f->log, "overlaps an existing slot"));
	assert_int_equal(mvm_vm_mem_add(f->vm, SLOT_GPA, 100, 0), -EINVAL);
	assert_int_equal(mvm_vm_mem_add(f->vm, SLOT_GPA + 1, PAGE, 0), -EINVAL);
	assert_int_equal(
		mvm_vm_mem_add(f->vm, MVM_KVM_TSS_ADDR - PAGE, 2 * PAGE, 0),
		-EEXIST);
	assert_non_null(strstr(f->log, "KVM's private TSS pages"));
	assert_int_equal(mvm_vm_mem_remove(f->vm, 0), -EBUSY);
	assert_non_null(strstr(f->log, "cannot be removed"));
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			kvm_probe_reports_version_and_every_required_cap),
		cmocka_unit_test(vm_create_destroy_repeats_cleanly),
		cmocka_unit_test(bad_ram_sizes_are_rejected_with_a_message),
		cmocka_unit_test(bad_vcpu_counts_are_rejected_with_a_message),
		cmocka_unit_test(vm_create_without_config_or_out_is_einval),
		cmocka_unit_test(irqchip_vm_makes_secondary_vcpus_runnable),
		T(guest_cpuid_reports_the_host_vendor),
		T(guest_reads_a_rom_slot),
		T(guest_write_to_rom_exits_as_mmio_and_changes_nothing),
		T(removed_slot_turns_into_mmio),
		T(dirty_log_marks_exactly_the_written_pages),
		T(dirty_log_needs_a_logging_slot),
		T(overlapping_or_bad_slots_are_refused_with_a_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
