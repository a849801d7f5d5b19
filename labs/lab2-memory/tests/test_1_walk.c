/*
 * test_1_walk.c - Lab 2, tasks 1-2: the guest page-table walk (ptwalk.c)
 * and the access-rights check (ptaccess.c), on hand-built tables with
 * random addresses, and against KVM's own walk (KVM_TRANSLATE).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "fixture.h"
#include "lab2.h"

#define P  MVM_PTE_P
#define RW MVM_PTE_RW
#define US MVM_PTE_US
#define NX MVM_PTE_NX

static int walk(struct lab2_ram *r, uint64_t gva, unsigned how,
		struct mvm_pt_walk *w)
{
	return mvm_pt_access(&r->mem, LAB2_CR0, LAB2_PML4, LAB2_CR4, LAB2_EFER,
			     gva, how, w);
}

static void walk_finds_4k_2m_and_1g_pages(void **state)
{
	static const uint64_t pages[3] = {MVM_PAGE_4K, MVM_PAGE_2M,
					  MVM_PAGE_1G};
	struct lab2_ram r;
	int i;

	(void)state;
	lab2_ram_init(&r, LAB2_GIB);
	for (i = 0; i < 3; i++) {
		uint64_t page = pages[i], off = lab2_rand() & (page - 1);
		uint64_t gva = (lab2_rand() % 512) << 30 |
			       (lab2_rand() % 512) << 21 |
			       (lab2_rand() % 512) << 12;
		uint64_t gpa = (lab2_rand() % (LAB2_GIB / page)) * page;
		struct mvm_pt_walk w;
		int levels = mvm_page_levels(page), l;

		gva &= ~(page - 1);
		memset(r.ram + LAB2_PML4, 0, 4 * 4096);
		lab2_map(&r, gva, gpa, page, RW);
		grade_note("%llu KiB page: GVA 0x%llx -> GPA 0x%llx",
			   (unsigned long long)page >> 10,
			   (unsigned long long)(gva + off),
			   (unsigned long long)(gpa + off));
		GRADE_EXPECT_EQ(walk(&r, gva + off, 0, &w), 0,
				"mvm_pt_walk's result for a mapped address");
		GRADE_EXPECT_EQ(w.gpa, gpa + off, "the GPA found");
		GRADE_EXPECT_EQ(w.page_size, page, "the page size found");
		GRADE_EXPECT_EQ(w.nlevels, levels, "levels read (w.nlevels)");
		for (l = 0; l < levels; l++) {
			uint64_t tab = LAB2_PML4 + 0x1000 * (uint64_t)l;
			unsigned idx = (gva >> (39 - 9 * l)) & 511;

			GRADE_EXPECT_EQ(w.lv[l].level, 4 - l, "w.lv[].level");
			GRADE_EXPECT_EQ(w.lv[l].entry_gpa, tab + 8 * idx,
					"where the entry of this level is "
					"(w.lv[].entry_gpa)");
			GRADE_EXPECT_EQ(w.lv[l].leaf, l == levels - 1,
					"w.lv[].leaf");
		}
	}
	lab2_ram_free(&r);
}

/* The walk ends at the first entry the CPU would refuse, with the
 * exception the CPU would raise. */
static void walk_stops_at_the_first_absent_or_reserved_entry(void **state)
{
	struct lab2_ram r;
	struct mvm_pt_walk w;

	(void)state;
	lab2_ram_init(&r, 64ULL << 20);
	lab2_map(&r, 0x200000, 0x300000, MVM_PAGE_4K, RW);
	GRADE_EXPECT_EQ(walk(&r, 0x201000, MVM_PT_WRITE, &w), -EFAULT,
			"walk of an address whose PTE is 0");
	GRADE_EXPECT_EQ(w.fault, MVM_PT_NOT_PRESENT, "fault");
	GRADE_EXPECT_EQ(w.nlevels, 4, "levels read before the absent PTE");
	GRADE_EXPECT_EQ(w.pfec, MVM_PFEC_W,
			"#PF error code of a write to an absent page");
	GRADE_EXPECT_EQ(walk(&r, 0x40000000, 0, &w), -EFAULT,
			"walk of an address whose PDPTE is 0");
	GRADE_EXPECT_EQ(w.nlevels, 2, "levels read before the absent PDPTE");
	lab2_set(&r, LAB2_PD, 1, LAB2_PT | P | RW | (1ULL << 7) | 0x1000);
	GRADE_EXPECT_EQ(walk(&r, 0x200000, 0, &w), -EFAULT,
			"walk through a 2 MiB PDE with address bit 12 set");
	GRADE_EXPECT_EQ(w.fault, MVM_PT_RESERVED, "fault");
	GRADE_EXPECT_EQ(w.pfec, MVM_PFEC_P | MVM_PFEC_RSVD, "#PF error code");
	GRADE_EXPECT_EQ(walk(&r, 0x0000800000000000ULL, 0, &w), -EFAULT,
			"walk of a non-canonical address");
	GRADE_EXPECT_EQ(w.vector, MVM_VEC_GP, "its exception (#GP)");
	lab2_ram_free(&r);
}

/* KVM's walk of the tables mvm_vcpu_setup_mode() built, and of one with
 * a recursive PML4 entry, must give the same GPA for every address. */
static void check_against_kvm(struct fixture *f, uint64_t gva)
{
	struct kvm_translation tr = {.linear_address = gva};
	struct kvm_sregs s;
	struct mvm_pt_walk w;
	int rc;

	GRADE_EXPECT(mvm_vcpu_get_sregs(f->vcpu, &s) == 0, "get sregs");
	GRADE_EXPECT(ioctl(mvm_vcpu_fd(f->vcpu), KVM_TRANSLATE, &tr) == 0,
		     "KVM_TRANSLATE failed");
	rc = mvm_pt_walk(mvm_vm_mem(f->vm), s.cr0, s.cr3, s.cr4, s.efer, gva,
			 &w);
	if (!tr.valid) {
		GRADE_EXPECT(rc == -EFAULT,
			     "GVA 0x%llx: KVM finds no mapping, the walk "
			     "found GPA 0x%llx",
			     (unsigned long long)gva,
			     (unsigned long long)w.gpa);
		return;
	}
	GRADE_EXPECT(rc == 0,
		     "GVA 0x%llx: KVM maps it to 0x%llx, the walk "
		     "failed: %s",
		     (unsigned long long)gva,
		     (unsigned long long)tr.physical_address, w.why);
	GRADE_EXPECT(w.gpa == tr.physical_address,
		     "GVA 0x%llx: KVM says GPA 0x%llx, the walk 0x%llx",
		     (unsigned long long)gva,
		     (unsigned long long)tr.physical_address,
		     (unsigned long long)w.gpa);
}

static void walk_agrees_with_kvm_translate(void **state)
{
	struct fixture *f = *state;
	uint64_t page, cr3, rec;
	struct kvm_sregs s;
	int i;

	for (page = 4096; page <= MVM_PAGE_2M; page *= 512) {
		struct mvm_mode_config cfg = {.mode = MVM_MODE_LONG64,
					      .entry = MVM_LOAD_ADDR,
					      .page_size = page};

		GRADE_EXPECT(mvm_vcpu_setup_mode(f->vcpu, &cfg) == 0,
			     "mvm_vcpu_setup_mode, long mode");
		for (i = 0; i < 300; i++)
			check_against_kvm(f, lab2_rand() % (1ULL << 33));
	}
	/* PML4[256] -> the PML4: 256/256/256/256 lands on the PML4 itself */
	GRADE_EXPECT(mvm_vcpu_get_sregs(f->vcpu, &s) == 0, "get sregs");
	cr3 = s.cr3 & MVM_PTE_ADDR;
	rec = cr3 | P | RW;
	GRADE_EXPECT(mvm_vm_write(f->vm, cr3 + 256 * 8, &rec, 8) == 0,
		     "write PML4[256]");
	check_against_kvm(f, 0xffff804020100ff8ULL);
	check_against_kvm(f, 0xffff804020100000ULL | (256 * 8));
}

/* The access-rights table of SDM Vol. 3A 4.6.1, case by case. */
struct rights_case {
	uint64_t flags;	 /* in every entry on the way */
	unsigned how;	 /* the access */
	uint64_t cr0_wp; /* CR0.WP */
	int allowed;
	uint32_t pfec; /* when refused */
	const char *what;
};

static const struct rights_case cases[] = {
	{US | RW, MVM_PT_USER | MVM_PT_WRITE, 1, 1, 0, "user write, user RW"},
	{RW, MVM_PT_USER, 1, 0, 5, "user read of a supervisor page"},
	{RW, MVM_PT_WRITE, 1, 1, 0, "supervisor write, supervisor RW"},
	{US, MVM_PT_USER | MVM_PT_WRITE, 0, 0, 7, "user write, read-only"},
	{US, MVM_PT_WRITE, 1, 0, 3, "supervisor write, read-only, WP=1"},
	{US, MVM_PT_WRITE, 0, 1, 0, "supervisor write, read-only, WP=0"},
	{US, MVM_PT_USER, 1, 1, 0, "user read, read-only user page"},
	{US | NX, MVM_PT_USER | MVM_PT_FETCH, 1, 0, 0x15, "user fetch, NX"},
	{NX, MVM_PT_FETCH, 1, 0, 0x11, "supervisor fetch, NX"},
	{US | NX, MVM_PT_USER, 1, 1, 0, "user read of an NX page"},
	{US, MVM_PT_FETCH, 1, 1, 0, "supervisor fetch from a user page"},
};

static void rights_follow_the_sdm_table(void **state)
{
	struct lab2_ram r;
	size_t i;

	(void)state;
	lab2_ram_init(&r, 64ULL << 20);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rights_case *c = &cases[i];
		uint64_t cr0 = LAB2_CR0 & ~(c->cr0_wp ? 0 : MVM_CR0_WP);
		uint64_t gva = 0x400000 + (lab2_rand() % 512) * 4096;
		struct mvm_pt_walk w;
		int rc;

		memset(r.ram + LAB2_PML4, 0, 4 * 4096);
		lab2_map(&r, gva, 0x800000, MVM_PAGE_4K, c->flags);
		rc = mvm_pt_access(&r.mem, cr0, LAB2_PML4, LAB2_CR4, LAB2_EFER,
				   gva, c->how, &w);
		GRADE_EXPECT(rc == (c->allowed ? 0 : -EFAULT),
			     "%s: expected %s, got %s (%s)", c->what,
			     c->allowed ? "allowed" : "refused",
			     rc == 0 ? "allowed" : "refused", w.why);
		if (c->allowed)
			continue;
		GRADE_EXPECT_EQ(w.fault, MVM_PT_PROTECTION, c->what);
		GRADE_EXPECT_EQ(w.pfec, c->pfec, c->what);
	}
	lab2_ram_free(&r);
}

/* Rights combine over the levels: U/S or R/W clear in any entry wins. */
static void rights_combine_over_all_levels(void **state)
{
	struct lab2_ram r;
	struct mvm_pt_walk w;
	static const unsigned idx[4] = {0, 0, 3, 0}; /* of GVA 0x600000 */
	unsigned level = (unsigned)(lab2_rand() % 4);
	uint64_t tab = LAB2_PML4 + 0x1000 * (uint64_t)level;

	(void)state;
	lab2_ram_init(&r, 64ULL << 20);
	lab2_map(&r, 0x600000, 0x900000, MVM_PAGE_4K, US | RW);
	lab2_set(&r, tab, idx[level],
		 lab2_get(&r, tab, idx[level]) & ~(US | RW));
	grade_note("U/S and R/W cleared in the level-%u entry only", 4 - level);
	GRADE_EXPECT_EQ(walk(&r, 0x600000, MVM_PT_USER, &w), -EFAULT,
			"user read through one supervisor entry");
	GRADE_EXPECT_EQ(w.pfec, MVM_PFEC_P | MVM_PFEC_U, "#PF error code");
	GRADE_EXPECT_EQ(walk(&r, 0x600000, MVM_PT_WRITE, &w), -EFAULT,
			"supervisor write (WP=1) through one read-only entry");
	GRADE_EXPECT_EQ(walk(&r, 0x600000, 0, &w), 0, "supervisor read");
	lab2_ram_free(&r);
}

static const struct grade_test tests[] = {
	GRADE_TEST(walk_finds_4k_2m_and_1g_pages, 6,
		   "task 1: the level loop in ptwalk.c, walk_levels()"),
	GRADE_TEST(walk_stops_at_the_first_absent_or_reserved_entry, 3,
		   "task 1: walk_levels()"),
	GRADE_TEST_SETUP(walk_agrees_with_kvm_translate, 6,
			 "task 1: walk_levels() against KVM_TRANSLATE",
			 fixture_setup, fixture_teardown),
	GRADE_TEST(rights_follow_the_sdm_table, 7,
		   "task 2: access_allowed() in ptaccess.c"),
	GRADE_TEST(rights_combine_over_all_levels, 4,
		   "task 2: access_allowed()"),
};

int main(int argc, char **argv)
{
	return grade_main(argc, argv, tests, GRADE_N(tests));
}
