/*
 * test_exitexplain_state.c - mvm_exit_explain_state(): with the vCPU's
 * registers and the memory map, a triple fault's explanation names the
 * cause it can see (RIP or the stack on an unmapped page, RIP outside RAM,
 * an empty IDT) instead of only listing the usual suspects.
 *
 * No KVM: the guest is 4 MiB of host memory at guest-physical 0 with
 * identity page tables built by the library, as a long-mode guest has.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/minivmm.h"

#define RAM_SIZE (4ULL << 20)
#define PT_AREA	 0x10000ULL /* tables at 64 KiB .. 128 KiB */
#define PT_END	 0x20000ULL
#define MMIO_GPA 0xd0000000ULL /* mapped by the tables, no memory slot */

struct guest {
	struct mvm_memmap mem;
	void *ram;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	char buf[4096];
};

static int setup(void **state)
{
	struct guest *g = calloc(1, sizeof(*g));
	uint64_t cr3, next;

	assert_non_null(g);
	g->ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(g->ram);
	memset(g->ram, 0, RAM_SIZE);
	assert_int_equal(mvm_memmap_add(&g->mem, 0, RAM_SIZE, g->ram, 0), 0);
	assert_int_equal(mvm_pt_build_identity(&g->mem, PT_AREA, PT_END,
					       RAM_SIZE, 4096, &cr3),
			 0);
	next = PT_AREA + 4096 * (uint64_t)mvm_pt_tables_needed(RAM_SIZE, 4096);
	assert_int_equal(mvm_pt_map_2m(&g->mem, cr3, &next, PT_END, MMIO_GPA,
				       2ULL << 20),
			 0);
	/* 64-bit long mode, CPL 0, an IDT, a stack in RAM, code in RAM. */
	g->sregs.cr0 = MVM_CR0_PE | MVM_CR0_PG;
	g->sregs.cr3 = cr3;
	g->sregs.cr4 = MVM_CR4_PAE;
	g->sregs.efer = MVM_EFER_LME | MVM_EFER_LMA | MVM_EFER_NXE;
	g->sregs.cs.l = 1;
	g->sregs.idt.base = 0x3000;
	g->sregs.idt.limit = 0xfff;
	g->regs.rip = 0x100000;
	g->regs.rsp = 0x9f000;
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct guest *g = *state;

	free(g->ram);
	free(g);
	return 0;
}

static const char *explain(struct guest *g, uint32_t reason)
{
	struct mvm_exit e = {.reason = reason, .rip = g->regs.rip};
	int n;

	if (reason == KVM_EXIT_INTERNAL_ERROR)
		e.u.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
	n = mvm_exit_explain_state(&e, &g->regs, &g->sregs, &g->mem, g->buf,
				   sizeof(g->buf));
	assert_int_equal(n, (int)strlen(g->buf));
	return g->buf;
}

static void shutdown_names_an_unmapped_rip_page(void **state)
{
	struct guest *g = *state;

	g->regs.rip = 0x40000000; /* PDPT[1]: nothing there */
	explain(g, KVM_EXIT_SHUTDOWN);
	assert_non_null(
		strstr(g->buf, "triple-faulted")); /* the general text */
	assert_non_null(
		strstr(g->buf, "RIP 0x40000000 is on an unmapped page: "));
	assert_non_null(strstr(g->buf, "not present"));
	assert_null(strstr(g->buf, "IDT is empty"));
}

static void shutdown_says_rip_is_not_in_ram_in_mmio(void **state)
{
	struct guest *g = *state;

	g->regs.rip = MMIO_GPA + 0x10;
	explain(g, KVM_EXIT_SHUTDOWN);
	assert_non_null(strstr(g->buf, "RIP is not in RAM: 0xd0000010 is "
				       "guest-physical 0xd0000010"));
	assert_null(strstr(g->buf, "unmapped page"));
}

static void shutdown_names_an_unmapped_stack(void **state)
{
	struct guest *g = *state;

	g->regs.rsp = 0x40001000;
	explain(g, KVM_EXIT_SHUTDOWN);
	assert_non_null(strstr(g->buf, "the stack below RSP 0x40001000 is "
				       "not in RAM"));
	assert_non_null(strstr(g->buf, "pushing an exception frame faults"));
	assert_null(strstr(g->buf, "unmapped page"));
}

static void shutdown_names_an_empty_idt(void **state)
{
	struct guest *g = *state;

	g->sregs.idt.limit = 0;
	explain(g, KVM_EXIT_SHUTDOWN);
	assert_non_null(strstr(g->buf, "the IDT is empty (IDTR limit 0)"));
}

static void shutdown_with_everything_mapped_says_so(void **state)
{
	struct guest *g = *state;

	explain(g, KVM_EXIT_SHUTDOWN);
	assert_non_null(strstr(g->buf, "RIP and the stack are in mapped RAM"));
	assert_null(strstr(g->buf, "not in RAM"));
}

/* Real mode: no paging, CS.base + IP is the physical address. */
static void real_mode_rip_past_ram_is_not_in_ram(void **state)
{
	struct guest *g = *state;

	/* 640 KiB of RAM, as a PC has below the VGA hole */
	assert_int_equal(mvm_memmap_remove(&g->mem, 0), 0);
	assert_true(mvm_memmap_add(&g->mem, 0, 0xa0000, g->ram, 0) >= 0);
	memset(&g->sregs, 0, sizeof(g->sregs));
	g->sregs.cs.base = 0xf0000;
	g->sregs.ss.base = 0;
	g->regs.rip = 0xfff0;
	g->regs.rsp = 0x7c00;
	explain(g, KVM_EXIT_SHUTDOWN);
	assert_non_null(strstr(g->buf, "RIP is not in RAM: 0xffff0"));
	assert_null(strstr(g->buf, "IDT is empty")); /* real mode: the IVT */
}

static void emulation_failure_in_mmio_says_rip_is_not_in_ram(void **state)
{
	struct guest *g = *state;

	g->regs.rip = MMIO_GPA;
	explain(g, KVM_EXIT_INTERNAL_ERROR);
	assert_non_null(strstr(g->buf, "emulator could not run"));
	assert_non_null(strstr(g->buf, "RIP is not in RAM"));
}

static void without_state_it_is_the_plain_explanation(void **state)
{
	struct guest *g = *state;
	struct mvm_exit e = {.reason = KVM_EXIT_SHUTDOWN, .rip = 0x1234};
	char plain[4096];

	mvm_exit_explain(&e, plain, sizeof(plain));
	assert_int_equal(mvm_exit_explain_state(&e, NULL, NULL, NULL, g->buf,
						sizeof(g->buf)),
			 (int)strlen(plain));
	assert_string_equal(g->buf, plain);
}

/* mvm_exit_meaning(): one plain sentence per exit, direction-aware. */
static void meaning_says_what_the_guest_did(void **state)
{
	struct mvm_exit e = {.reason = KVM_EXIT_IO};

	(void)state;
	e.u.io.is_write = 1;
	assert_non_null(strstr(mvm_exit_meaning(&e), "executed OUT"));
	assert_non_null(strstr(mvm_exit_meaning(&e), "KVM_RUN"));
	e.u.io.is_write = 0;
	assert_non_null(strstr(mvm_exit_meaning(&e), "executed IN"));
	e.reason = KVM_EXIT_MMIO;
	assert_non_null(strstr(mvm_exit_meaning(&e), "loaded from"));
	e.u.mmio.is_write = 1;
	assert_non_null(strstr(mvm_exit_meaning(&e), "stored to"));
	e.reason = KVM_EXIT_DEBUG;
	assert_non_null(strstr(mvm_exit_meaning(&e), "debugger asked"));
	e.reason = 999;
	assert_non_null(mvm_exit_meaning(&e));
	assert_non_null(mvm_exit_meaning(NULL));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(shutdown_names_an_unmapped_rip_page),
		T(shutdown_says_rip_is_not_in_ram_in_mmio),
		T(shutdown_names_an_unmapped_stack),
		T(shutdown_names_an_empty_idt),
		T(shutdown_with_everything_mapped_says_so),
		T(real_mode_rip_past_ram_is_not_in_ram),
		T(emulation_failure_in_mmio_says_rip_is_not_in_ram),
		T(without_state_it_is_the_plain_explanation),
		cmocka_unit_test(meaning_says_what_the_guest_did),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
