/*
 * test_quirks.c - the detected backend reaches the VM, the CPUID
 * workarounds of quirks.h are what the guest sees, and a quirk's symptom
 * is real: with its workaround switched off (through the VM's private
 * fields, internal.h) the backend misbehaves as quirks.h says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fixture.h"
#include "../../libminivmm/src/internal.h"

#define RUN_MS 5000 /* generous: ring-0 code is emulated on some hosts */

static void vm_caches_the_backend_the_host_has(void **state)
{
	struct fixture *f = *state;
	const struct mvm_backend *vb = mvm_vm_backend(f->vm);
	struct mvm_backend be;

	assert_int_equal(mvm_backend_detect(&be), 0);
	assert_string_equal(vb->name, be.name);
	assert_int_equal(vb->quirks, be.quirks);
	assert_ptr_equal(mvm_vm_backend(mvm_vcpu_vm(f->vcpu)), vb);
}

/* One CPUID leaf as KVM_GET_SUPPORTED_CPUID lists it (0 if absent). */
static void supported(struct fixture *f, uint32_t fn, uint32_t *ecx,
		      uint32_t *edx)
{
	struct kvm_cpuid2 *c =
		calloc(1, sizeof(*c) + 256 * sizeof(c->entries[0]));

	assert_non_null(c);
	c->nent = 256;
	assert_int_equal(
		ioctl(mvm_vm_kvm_fd(f->vm), KVM_GET_SUPPORTED_CPUID, c), 0);
	*ecx = *edx = 0;
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == 0) {
			*ecx = c->entries[i].ecx;
			*edx = c->entries[i].edx;
		}
	free(c);
}

/* A feature the backend cannot run is hidden from the guest's CPUID;
 * without the quirk the guest sees what KVM supports. */
static void cpuid_hides_what_the_backend_cannot_run(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {
		0xb8, 0x01, 0x00, 0x00, 0x80, /* mov eax, 0x80000001 */
		0x31, 0xc9,		      /* xor ecx, ecx */
		0x0f, 0xa2,		      /* cpuid */
		0x89, 0xd6,		      /* mov esi, edx */
		0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
		0x31, 0xc9,		      /* xor ecx, ecx */
		0x0f, 0xa2,		      /* cpuid */
		0x89, 0xcf,		      /* mov edi, ecx */
		0xf4,			      /* hlt */
	};
	unsigned q = mvm_vm_backend(f->vm)->quirks;
	uint32_t ecx1, edx1, ecx8, edx8;
	struct kvm_regs r;
	struct mvm_exit e;

	supported(f, 1, &ecx1, &edx1);
	supported(f, 0x80000001, &ecx8, &edx8);
	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(mvm_vcpu_get_regs(f->vcpu, &r), 0);
	if (q & MVM_QUIRK_NO_1G_PAGES)
		assert_false(r.rsi & MVM_CPUID_80000001_EDX_PAGE1GB);
	else
		assert_int_equal(!!(r.rsi & MVM_CPUID_80000001_EDX_PAGE1GB),
				 !!(edx8 & MVM_CPUID_80000001_EDX_PAGE1GB));
	if (q & MVM_QUIRK_NO_CMPXCHG16B)
		assert_false(r.rdi & MVM_CPUID_01_ECX_CX16);
	else
		assert_int_equal(!!(r.rdi & MVM_CPUID_01_ECX_CX16),
				 !!(ecx1 & MVM_CPUID_01_ECX_CX16));
}

/* SOFT_INT_EMULATION: without the run step's fix-up an int3 at ring 0
 * stops with an emulation failure (only where the backend has the
 * quirk; elsewhere the guest's IDT handles it). */
static void int3_without_the_fixup_is_an_emulation_failure(void **state)
{
	struct fixture *f = *state;
	static const uint8_t code[] = {0xcc, 0xf4}; /* int3; hlt */
	struct mvm_exit e;

	if (!(f->vm->backend.quirks & MVM_QUIRK_SOFT_INT_EMULATION)) {
		print_message("skip: KVM backend %s runs int3 itself\n",
			      f->vm->backend.name);
		skip();
	}
	f->vm->backend.quirks &= ~MVM_QUIRK_SOFT_INT_EMULATION;
	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, code,
			  sizeof(code));
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(e.u.internal.suberror, KVM_INTERNAL_ERROR_EMULATION);
	assert_true(e.stop);
	assert_false(e.handled);
}

#define T(name) \
	cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(vm_caches_the_backend_the_host_has),
		T(cpuid_hides_what_the_backend_cannot_run),
		T(int3_without_the_fixup_is_an_emulation_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
