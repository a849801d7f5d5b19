/*
 * test_shadow_live.c - the shadow-paging model on a running guest that
 * builds and switches its own page tables (examples/pt-switch.c).
 *
 * The guest keeps its tables in the page-table pool, which
 * mvm_shadow_attach() registers read-only: each table write is an MMIO
 * exit, and one to a table the shadow was built from is a trap. At every
 * SYNC the test loads the guest's CR3 into the model and checks every
 * address the guest maps: the shadow's page and rights are the guest
 * walk's, and KVM_TRANSLATE (KVM's own walk) names the same page.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fixture.h"

#include "../../examples/pt-switch.h"

#define RUN_MS 20000

struct check {
	struct fixture *f;
	struct mvm_shadow *sh;
	struct kvm_sregs s;
	unsigned long pages; /* pages compared */
};

/* One address: shadow == guest walk == KVM_TRANSLATE. */
static void same(struct check *c, uint64_t gva)
{
	struct mvm_memmap *mem = mvm_vm_mem(c->f->vm);
	struct kvm_translation t = {.linear_address = gva};
	struct mvm_shadow_xlate x;
	struct mvm_pt_walk w;

	assert_int_equal(mvm_pt_walk(mem, c->s.cr0, c->s.cr3, c->s.cr4,
				     c->s.efer, gva, &w),
			 0);
	assert_int_equal(mvm_shadow_translate(c->sh, gva, &x), 0);
	assert_int_equal(x.gpa, w.gpa);
	assert_int_equal(x.writable, w.writable);
	if (!x.mmio)
		assert_int_equal(x.hpa, (uint64_t)(uintptr_t)mvm_memmap_hva(
						mem, w.gpa, 1));
	assert_int_equal(ioctl(mvm_vcpu_fd(c->f->vcpu), KVM_TRANSLATE, &t), 0);
	assert_true(t.valid);
	assert_int_equal(t.physical_address, w.gpa);
	c->pages++;
}

/* Every range the guest maps: its first, last and a few pages between
 * (the low map is 64 MiB of 2 MiB pages: sampling keeps this fast). */
static int check_range(void *ctx, const struct mvm_pt_range *r)
{
	struct check *c = ctx;
	uint64_t n = r->size / 4096, step = n > 64 ? n / 61 : 1;

	for (uint64_t i = 0; i < n; i += step)
		same(c, r->va + i * 4096);
	same(c, r->va + r->size - 8);
	return 0;
}

static void check_space(struct check *c)
{
	assert_int_equal(mvm_vcpu_get_sregs(c->f->vcpu, &c->s), 0);
	assert_int_equal(mvm_shadow_load_cr3(c->sh, c->s.cr0, c->s.cr3,
					     c->s.cr4, c->s.efer),
			 0);
	assert_int_equal(mvm_pt_for_each_range_efer(mvm_vm_mem(c->f->vm),
						    c->s.cr3, c->s.efer,
						    check_range, c),
			 0);
}

/* Run to the next SYNC; its ucall in *uc. */
static void to_sync(struct check *c, struct mvm_ucall *uc, uint64_t stage)
{
	struct mvm_exit e;
	enum mvm_verdict v;

	v = mvm_machine_run(c->f->m, 0, RUN_MS, 1, NULL, NULL, &e);
	assert_int_equal(mvm_ucall_last_of(c->f->devs.ucall, 0, uc),
			 v == MVM_SYNC ? MVM_UCALL_SYNC : MVM_UCALL_DONE);
	if (v != MVM_SYNC)
		fail_msg("expected SYNC %llu, got verdict %s: %s",
			 (unsigned long long)stage, mvm_verdict_name(v),
			 uc->text);
	assert_int_equal(uc->args[0], stage);
}

static void
shadow_follows_a_guest_that_switches_and_edits_its_tables(void **state)
{
	struct fixture *f = *state;
	struct check c = {.f = f};
	struct mvm_shadow_stats st;
	struct mvm_ucall uc;
	struct mvm_exit e;
	uint64_t v;

	assert_int_equal(mvm_shadow_create(mvm_vm_mem(f->vm), &c.sh), 0);
	assert_true(mvm_shadow_attach(c.sh, f->m, MVM_PTPOOL_ADDR,
				      MVM_PTPOOL_SIZE) > 0);
	fixture_load(f, "pt-switch.elf", MVM_MODE_LONG64);
	fixture_backstop(RUN_MS);
	for (unsigned k = 0; k < PTS_SPACES; k++) {
		to_sync(&c, &uc, PTS_STAGE_SPACE + k);
		check_space(&c);
		assert_int_equal(c.s.cr3, PTS_PML4(k));
		/* The guest's store went through its own tables. */
		assert_int_equal(mvm_vm_read(f->vm, PTS_DATA(k, 0), &v, 8), 0);
		assert_int_equal(v, 0x1000 + k);
	}
	mvm_shadow_get_stats(c.sh, &st);
	assert_int_equal(st.traps, 0); /* tables were built before use */
	assert_int_equal(st.roots_built, PTS_SPACES);
	to_sync(&c, &uc, PTS_STAGE_REMAP);
	mvm_shadow_get_stats(c.sh, &st);
	assert_int_equal(st.traps, 1); /* the live PTE edit */
	assert_int_equal(st.resyncs, 1);
	check_space(&c);
	/* The #PF: vector 14, error code W=1 P=0 (SDM Vol. 3A 4.7), CR2. */
	to_sync(&c, &uc, PTS_STAGE_FAULT);
	assert_int_equal(uc.args[1], 14);
	assert_int_equal(uc.args[2], 0x2);
	assert_int_equal(uc.args[3], PTS_HOLE);
	to_sync(&c, &uc, PTS_STAGE_MAPPED);
	check_space(&c);
	mvm_shadow_get_stats(c.sh, &st);
	assert_int_equal(st.traps, 3); /* + unmap + the handler's map */
	assert_int_equal(mvm_machine_run(f->m, 0, RUN_MS, 1, NULL, NULL, &e),
			 MVM_DONE);
	alarm(0);
	printf("# %lu pages compared; %llu traps, %llu fills, %llu "
	       "re-syncs, %llu roots, %llu protected table pages\n",
	       c.pages, (unsigned long long)st.traps,
	       (unsigned long long)st.fills, (unsigned long long)st.resyncs,
	       (unsigned long long)st.roots_built,
	       (unsigned long long)st.protected_pages);
	mvm_machine_destroy(f->m); /* its pool handler refers to c.sh */
	f->m = NULL;
	mvm_shadow_destroy(c.sh);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			shadow_follows_a_guest_that_switches_and_edits_its_tables,
			fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
