/*
 * test_5_shadow.c - Lab 2, task "shadow paging": the sync step in
 * sync_entry() (libminivmm/src/mem/shadow_sync.c). After a guest wrote
 * an entry of its own page tables, the shadow tables must translate
 * every address exactly as the guest's tables now do.
 *
 * First on tables in host memory that this test builds and edits at
 * random (no /dev/kvm needed), then on a guest that switches address
 * spaces and edits a live page-table entry (examples/pt-switch.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "grade.h"
#include "hostram.h"

#include "../../../examples/pt-switch.h"

#define CR0  (MVM_CR0_PG | MVM_CR0_ET | MVM_CR0_PE)
#define CR4  MVM_CR4_PAE
#define EFER (MVM_EFER_LMA | MVM_EFER_LME | MVM_EFER_NXE)
#define BITS (MVM_PTE_P | MVM_PTE_RW | MVM_PTE_US | MVM_PTE_A)
#define RAM  (4ULL << 20)

/* Five tables: PML4 0x1000, PDPT 0x2000, PD 0x3000, PTs 0x4000, 0x5000. */
static const uint64_t table[5] = {0x1000, 0x2000, 0x3000, 0x4000, 0x5000};

static void put(struct hostram *h, uint64_t t, unsigned i, uint64_t v)
{
	memcpy(h->ram + t + 8 * (uint64_t)i, &v, 8);
}

/* shadow(gva) == guest walk(gva), or fail saying where they differ. */
static void agree(struct mvm_shadow *sh, struct hostram *h, uint64_t gva,
		  const char *after)
{
	struct mvm_pt_walk w;
	struct mvm_shadow_xlate x;
	int rw = mvm_pt_walk(&h->mem, CR0, table[0], CR4, EFER, gva, &w);
	int rs = mvm_shadow_translate(sh, gva, &x);

	GRADE_EXPECT(rw == rs && (rw ||
				  (x.gpa == w.gpa && x.writable == w.writable &&
				   x.user == w.user && x.nx == w.nx)),
		     "after %s: VA 0x%llx: the guest's tables say %s "
		     "(GPA 0x%llx%s), the shadow says %s (GPA 0x%llx%s) - "
		     "a stale shadow entry?",
		     after, (unsigned long long)gva, rw ? w.why : "mapped",
		     (unsigned long long)w.gpa, w.writable ? ", writable" : "",
		     rs ? mvm_pt_fault_name(x.fault) : "mapped",
		     (unsigned long long)x.gpa, x.writable ? ", writable" : "");
}

static uint64_t sample(unsigned i)
{
	/* VA 0..4 MiB in 4 KiB steps, then 1 GiB and the top half. */
	if (i < 1024)
		return (uint64_t)i * 4096 + (i * 0x55 & 0xfff);
	return (i % 2 ? 1ULL << 30 : 0xffffff8000000000ULL) +
	       (uint64_t)(i - 1024) * 4096;
}

static void shadow_stays_in_sync_with_random_guest_edits(void **state)
{
	struct hostram *h = hostram_new(RAM, 0);
	struct mvm_shadow *sh;
	struct mvm_shadow_stats st;
	char what[96];
	uint64_t pte;
	unsigned seed;

	(void)state;
	GRADE_EXPECT(h && mvm_shadow_create(&h->mem, &sh) == 0,
		     "cannot make the model");
	put(h, table[0], 0, table[1] | BITS);
	put(h, table[0], 511, table[1] | BITS);
	put(h, table[1], 0, table[2] | BITS);
	put(h, table[1], 1, MVM_PTE_PS | BITS); /* 1 GiB at GPA 0 */
	put(h, table[2], 0, table[3] | BITS);
	put(h, table[2], 1, table[4] | BITS);
	for (unsigned i = 0; i < 512; i++) {
		put(h, table[3], i, (0x100000 + i * 4096ULL) | BITS);
		put(h, table[4], i, (0x200000 + i * 4096ULL) | BITS);
	}
	GRADE_EXPECT_EQ(mvm_shadow_load_cr3(sh, CR0, table[0], CR4, EFER), 0,
			"mvm_shadow_load_cr3()");
	for (unsigned i = 0; i < 1100; i++)
		agree(sh, h, sample(i), "building the shadow");
	/* One PTE edit the shadow has a leaf for, first: the random edits
	 * below may unhook every page table (a PML4 or PDE entry cleared
	 * early) and so never reach the level-1 re-sync path. */
	pte = (0x300000 + 7 * 4096ULL) | BITS;
	GRADE_EXPECT(mvm_shadow_is_protected(sh, table[3] + 8 * 7),
		     "the page table at 0x%llx is not write-protected after "
		     "the shadow was built from it",
		     (unsigned long long)table[3]);
	GRADE_EXPECT_EQ(mvm_shadow_trap_write(sh, table[3] + 8 * 7, &pte, 8), 0,
			"mvm_shadow_trap_write()");
	for (unsigned i = 0; i < 1100; i++)
		agree(sh, h, sample(i),
		      "remapping PTE 7 of the table at 0x4000");
	seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	grade_note("random edits from seed %u", seed);
	srand(seed);
	for (int round = 0; round < 120; round++) {
		/* Mostly PTE and PDE edits: the level-1 re-sync path. */
		int t = rand() % 8 < 5 ? 3 + rand() % 2 : rand() % 3;
		unsigned i = rand() % 4 ? (unsigned)(rand() % 512)
					: (unsigned)(rand() % 2);
		uint64_t v = rand() % 5 == 0
				     ? 0
				     : ((uint64_t)(rand() % 1024) << 12) |
					       MVM_PTE_P | MVM_PTE_A |
					       (rand() % 2 ? MVM_PTE_RW : 0) |
					       (rand() % 2 ? MVM_PTE_US : 0);
		uint64_t gpa = table[t] + 8 * (uint64_t)i;

		if (t < 3 && v && rand() % 2) /* keep the tree walkable */
			v = table[t + 1 + rand() % (t == 2 ? 2 : 1)] | BITS;
		if (mvm_shadow_is_protected(sh, gpa))
			GRADE_EXPECT_EQ(mvm_shadow_trap_write(sh, gpa, &v, 8),
					0, "mvm_shadow_trap_write()");
		else
			put(h, table[t], i, v);
		snprintf(what, sizeof(what),
			 "edit %d (entry %u of the table at 0x%llx := 0x%llx)",
			 round, i, (unsigned long long)table[t],
			 (unsigned long long)v);
		for (unsigned s = 0; s < 1100; s += 3)
			agree(sh, h, sample(s), what);
	}
	mvm_shadow_get_stats(sh, &st);
	grade_note("%llu traps, %llu zaps, %llu re-syncs",
		   (unsigned long long)st.traps, (unsigned long long)st.zaps,
		   (unsigned long long)st.resyncs);
	GRADE_EXPECT(st.resyncs > 0, "no PTE was re-synced after a trap "
				     "(count sh->st.resyncs)");
	mvm_shadow_destroy(sh);
	hostram_free(h);
}

/* The live guest: its window after the PTE edit, as KVM sees it. */
static void shadow_follows_the_pt_switch_guest(void **state)
{
	struct fixture *f = *state;
	struct mvm_shadow *sh;
	struct mvm_shadow_xlate x;
	struct mvm_ucall uc;
	struct kvm_sregs s;
	struct mvm_exit e;
	enum mvm_verdict v;

	GRADE_EXPECT(mvm_shadow_create(mvm_vm_mem(f->vm), &sh) == 0 &&
			     mvm_shadow_attach(sh, f->m, MVM_PTPOOL_ADDR,
					       MVM_PTPOOL_SIZE) > 0,
		     "cannot attach the model");
	fixture_load(f, "pt-switch.elf", MVM_MODE_LONG64);
	fixture_backstop(4000);
	for (;;) {
		v = mvm_machine_run(f->m, 0, 4000, 1, NULL, NULL, &e);
		GRADE_EXPECT(v == MVM_SYNC,
			     "the guest stopped with %s before "
			     "its stage %d",
			     mvm_verdict_name(v), PTS_STAGE_REMAP);
		mvm_ucall_last_of(f->devs.ucall, 0, &uc);
		GRADE_EXPECT(mvm_vcpu_get_sregs(f->vcpu, &s) == 0 &&
				     mvm_shadow_load_cr3(sh, s.cr0, s.cr3,
							 s.cr4, s.efer) == 0,
			     "cannot load the guest's CR3");
		/* Shadow the window before the guest edits its PTE. */
		mvm_shadow_translate(sh, PTS_WINDOW, &x);
		if (uc.args[0] == PTS_STAGE_REMAP)
			break;
	}
	alarm(0);
	GRADE_EXPECT_EQ(x.gpa, PTS_DATA(1, 0),
			"GPA the shadow gives for space 0's window after the "
			"guest pointed its PTE at space 1's page");
	mvm_shadow_destroy(sh);
	mvm_machine_destroy(f->m); /* its pool handler refers to sh */
	f->m = NULL;
}

static const struct grade_test tests[] = {
	GRADE_TEST(shadow_stays_in_sync_with_random_guest_edits, 9,
		   "shadow paging: sync_entry() in mem/shadow_sync.c"),
	GRADE_TEST_SETUP(shadow_follows_the_pt_switch_guest, 6,
			 "shadow paging: sync_entry() on a live guest",
			 fixture_setup, fixture_teardown),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
