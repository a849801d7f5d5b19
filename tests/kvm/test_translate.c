/*
 * test_translate.c - the page walker (mvm_pt_walk) against KVM's own
 * walk (KVM_TRANSLATE, api.rst 4.15) on many addresses.
 *
 * KVM_TRANSLATE on x86 answers a supervisor read: it reports whether the
 * address maps and to which GPA (its `writeable`/`usermode` fields are
 * constants there), so the comparison is of validity and GPA; the rights
 * are unit-tested (tests/unit/test_ptaccess.c).
 *
 * Tables: the ones mvm_vcpu_setup_mode() builds (4 KiB and 2 MiB pages),
 * and hand-built ones at TABLES with every flag combination, huge pages,
 * reserved bits and a recursive PML4 entry. 1 GiB leaves are compared
 * only where the guest's CPUID offers them (0x80000001 EDX bit 26,
 * Page1GB: SDM Vol. 3A 4.1.4); elsewhere that test skips and says so.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "fixture.h"

#define TABLES 0x3000000ULL /* 48 MiB: PML4, PDPT, PD, PT */
#define PML4   TABLES
#define PDPT   (TABLES + 0x1000)
#define PD     (TABLES + 0x2000)
#define PT     (TABLES + 0x3000)
#define P      MVM_PTE_P
#define RW     MVM_PTE_RW
#define US     MVM_PTE_US

static unsigned compared;

static void check(struct fixture *f, const struct kvm_sregs *s, uint64_t gva)
{
	struct kvm_translation tr = {.linear_address = gva};
	struct mvm_pt_walk w;
	int rc;

	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_TRANSLATE, &tr), 0);
	rc = mvm_pt_walk(mvm_vm_mem(f->vm), s->cr0, s->cr3, s->cr4, s->efer,
			 gva, &w);
	if (tr.valid != (rc == 0) || (rc == 0 && w.gpa != tr.physical_address))
		fail_msg("GVA 0x%llx: KVM %s 0x%llx, the walk %s 0x%llx (%s)",
			 (unsigned long long)gva, tr.valid ? "maps" : "refuses",
			 (unsigned long long)tr.physical_address,
			 rc == 0 ? "maps" : "refuses",
			 (unsigned long long)w.gpa, w.why);
	compared++;
}

static uint64_t rnd(void)
{
	return (uint64_t)rand() << 31 ^ (uint64_t)rand();
}

static void setup_tables(struct fixture *f, uint64_t page, struct kvm_sregs *s)
{
	struct mvm_mode_config cfg = {.mode = MVM_MODE_LONG64,
				      .entry = MVM_LOAD_ADDR,
				      .page_size = page};

	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &cfg), 0);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, s), 0);
}

static void builder_tables(struct fixture *f, uint64_t page)
{
	struct kvm_sregs s;
	uint64_t a;
	int i;

	srand((unsigned)time(NULL));
	setup_tables(f, page, &s);
	compared = 0;
	for (a = 0; a < FIXTURE_RAM + (8ULL << 20); a += 0x3f01)
		check(f, &s, a);
	for (i = 0; i < 2000; i++)
		check(f, &s, rnd() % (1ULL << 34));
	check(f, &s, 0xffff800000000000ULL);
	print_message("%u addresses agree (%llu KiB pages)\n", compared,
		      (unsigned long long)page >> 10);
}

static void walk_agrees_with_kvm_on_builder_tables_4k(void **state)
{
	builder_tables(*state, 4096);
}

static void walk_agrees_with_kvm_on_builder_tables_2m(void **state)
{
	builder_tables(*state, 2ULL << 20);
}

static void put(struct fixture *f, uint64_t table, unsigned i, uint64_t v)
{
	assert_int_equal(mvm_vm_write(f->vm, table + 8ULL * i, &v, 8), 0);
}

/* Hand-built tables with CR3 = PML4; returns the sregs in force. */
static void load_hand_tables(struct fixture *f, struct kvm_sregs *s)
{
	static const uint64_t flags[] = {P | RW | US, P | US, P | RW,
					 P,	      0,      P | MVM_PTE_NX};
	unsigned i;

	setup_tables(f, 4096, s);
	put(f, PML4, 0, PDPT | P | RW | US);
	put(f, PML4, 511, PML4 | P | RW); /* recursive */
	put(f, PDPT, 0, PD | P | RW | US);
	put(f, PD, 0, PT | P | RW | US);
	for (i = 0; i < 512; i++)
		put(f, PT, i, (0x100000 + 0x1000ULL * i) | flags[i % 6]);
	put(f, PD, 1, 0x800000 | P | US | MVM_PTE_PS);
	put(f, PD, 2, 0xa00000 | P | MVM_PTE_PS | 0x2000); /* reserved */
	put(f, PD, 3, PT | P | (1ULL << 62)); /* bit 62 is ignored */
	s->cr3 = PML4;
	assert_int_equal(mvm_vcpu_set_sregs(f->vcpu, s), 0);
	assert_int_equal(mvm_vcpu_get_sregs(f->vcpu, s), 0);
}

static void walk_agrees_with_kvm_on_every_flag_and_size(void **state)
{
	struct fixture *f = *state;
	struct kvm_sregs s;
	uint64_t a;

	load_hand_tables(f, &s);
	compared = 0;
	for (a = 0; a < (8ULL << 20); a += 0x1000 + 0x18)
		check(f, &s, a);
	check(f, &s, 0xfffffffffffff000ULL); /* the PML4 through itself */
	check(f, &s, 0xffffffffffe00008ULL);
	check(f, &s, 0xffffffffc0000000ULL);
	check(f, &s, 0x0000800000000000ULL); /* non-canonical */
	print_message("%u addresses agree\n", compared);
}

/* Does the guest's CPUID offer 1 GiB pages (0x80000001 EDX bit 26)? */
static int guest_has_1g_pages(struct fixture *f)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[256];
	} cpuid = {.c.nent = 256};
	unsigned i;

	if (ioctl(mvm_vcpu_fd(f->vcpu), KVM_GET_CPUID2, &cpuid) < 0)
		return 0;
	for (i = 0; i < cpuid.c.nent; i++)
		if (cpuid.e[i].function == 0x80000001)
			return !!(cpuid.e[i].edx & (1u << 26));
	return 0;
}

static void walk_agrees_with_kvm_on_1g_pages(void **state)
{
	struct fixture *f = *state;
	struct kvm_sregs s;
	int i;

	if (!guest_has_1g_pages(f)) {
		print_message("skip: this KVM does not offer 1 GiB pages to "
			      "guests (CPUID 0x80000001 EDX bit 26 is clear); "
			      "1 GiB leaves are unit-tested only\n");
		skip();
	}
	load_hand_tables(f, &s);
	put(f, PDPT, 1, 0 | P | RW | MVM_PTE_PS);
	put(f, PDPT, 2, 0 | P | RW | MVM_PTE_PS | 0x2000); /* reserved */
	for (i = 0; i < 500; i++)
		check(f, &s, (1ULL << 30) + rnd() % (2ULL << 30));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			walk_agrees_with_kvm_on_builder_tables_4k,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			walk_agrees_with_kvm_on_builder_tables_2m,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			walk_agrees_with_kvm_on_every_flag_and_size,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			walk_agrees_with_kvm_on_1g_pages, fixture_setup,
			fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
