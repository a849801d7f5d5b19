/*
 * test_state.c - a VM's state goes out of KVM and back in (state.h).
 *
 * Round trips: save, clobber what was saved with other values, restore,
 * and compare field by field. Then the test that matters: a guest that is
 * stopped half way through a loop, has its state taken out, its vCPU
 * clobbered or its whole VM destroyed and rebuilt, the state put back,
 * and still finishes with the right output and the right sum.
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

#include "fixture.h"

#define RUN_MS 5000

/* MSRs the round trip clobbers (Intel SDM Vol. 4, table 2-2). */
#define MSR_TSC		   0x10
#define MSR_SYSENTER_ESP   0x175
#define MSR_STAR	   0xc0000081
#define MSR_LSTAR	   0xc0000082
#define MSR_KERNEL_GS_BASE 0xc0000102

/*
 * Long-mode guest: prints 'a'..'z' on the debug console, one OUT (one
 * exit) per letter, sums the loop counter in R12 and ends with the sum
 * (0 + 1 + ... + 25 = 325) in RAX and HLT.
 */
static const uint8_t alphabet_guest[] = {
	0x45, 0x31, 0xe4, /* xor r12d, r12d */
	0x31, 0xc9,	  /* xor ecx, ecx */
	0x89, 0xc8,	  /* loop: mov eax, ecx */
	0x04, 0x61,	  /* add al, 'a' */
	0xe6, 0xe9,	  /* out MVM_PORT_DEBUGCON, al */
	0x49, 0x01, 0xcc, /* add r12, rcx */
	0xff, 0xc1,	  /* inc ecx */
	0x83, 0xf9, 0x1a, /* cmp ecx, 26 */
	0x75, 0xf0,	  /* jne loop */
	0x4c, 0x89, 0xe0, /* mov rax, r12 */
	0xf4,		  /* hlt */
};
#define ALPHABET_SUM 325

static struct mvm_vcpu_state *new_state(void)
{
	struct mvm_vcpu_state *st = calloc(1, sizeof(*st));

	assert_non_null(st);
	return st;
}

/* The value of MSR index in st; fails the test if st lacks it. */
static uint64_t msr_of(const struct mvm_vcpu_state *st, uint32_t index)
{
	const struct kvm_msr_entry *e = mvm_vcpu_state_msr(st, index);

	assert_non_null(e);
	return e->data;
}

static void set_msr(struct fixture *f, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = {.h.nmsrs = 1, .e = {.index = index, .data = value}};

	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_SET_MSRS, &m), 1);
}

/* Run the guest for n exits, each an OUT to the debug console. */
static void run_exits(struct fixture *f, int n)
{
	struct mvm_exit e;

	for (int i = 0; i < n; i++) {
		assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
		assert_int_equal(e.reason, KVM_EXIT_IO);
	}
}

/* Run to the HLT and check the sum the guest left in RAX. */
static void run_to_end(struct fixture *f)
{
	struct mvm_exit e;

	assert_int_equal(fixture_run(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_HLT);
	assert_int_equal(fixture_rax(f), ALPHABET_SUM);
}

/* --- one vCPU ------------------------------------------------------------ */

static void vcpu_state_has_every_part_this_kvm_offers(void **state)
{
	struct fixture *f = *state;
	struct mvm_vcpu_state *st = new_state();
	const unsigned want = MVM_STATE_REGS | MVM_STATE_SREGS |
			      MVM_STATE_MSRS | MVM_STATE_EVENTS | MVM_STATE_MP;

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, alphabet_guest,
			  sizeof(alphabet_guest));
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, st), 0);
	assert_int_equal(st->have & want, want);
	assert_true(st->have & (MVM_STATE_XSAVE | MVM_STATE_FPU));
	assert_false(st->have & MVM_STATE_LAPIC); /* no irqchip here */
	assert_true(st->nmsrs > 0 && st->nmsrs <= MVM_STATE_MAX_MSRS);
	assert_int_equal(st->regs.rip, MVM_LOAD_ADDR);
	assert_true(st->sregs.efer & (1u << 10)); /* EFER.LMA */
	assert_non_null(mvm_vcpu_state_msr(st, MSR_TSC));
	print_message("state: %zu bytes, have 0x%x, %u MSRs, XCR0 0x%llx, "
		      "TSC %u kHz\n",
		      sizeof(*st), st->have, st->nmsrs,
		      (unsigned long long)st->xcrs.xcrs[0].value, st->tsc_khz);
	free(st);
}

/* Overwrite, in KVM, every part the round trip checks. */
static void clobber_vcpu(struct fixture *f, const struct mvm_vcpu_state *st)
{
	struct kvm_regs regs = st->regs;
	struct kvm_sregs sregs = st->sregs;
	struct kvm_debugregs dr = st->debugregs;
	struct kvm_xsave *xs = malloc(sizeof(*xs));
	struct kvm_xcrs xcrs = st->xcrs;
	int vfd = mvm_vcpu_fd(f->vcpu);

	regs.rax = 0x1111, regs.rbx = 0x2222, regs.r15 = 0x3333;
	regs.rip = 0x4444, regs.rsp = 0x5555;
	assert_int_equal(mvm_vcpu_set_regs(f->vcpu, &regs), 0);
	sregs.cr2 = 0xdead000;
	sregs.gs.base = 0x7777000;
	assert_int_equal(mvm_vcpu_set_sregs(f->vcpu, &sregs), 0);
	dr.db[0] = 0x100000, dr.db[3] = 0x200000, dr.dr7 = 0x400 | 0x3;
	assert_int_equal(ioctl(vfd, KVM_SET_DEBUGREGS, &dr), 0);
	set_msr(f, MSR_KERNEL_GS_BASE, 0xffff800000001000ULL);
	set_msr(f, MSR_LSTAR, 0xffffffff81000000ULL);
	set_msr(f, MSR_STAR, 0x0023001000000000ULL);
	set_msr(f, MSR_SYSENTER_ESP, 0xabcdef);
	set_msr(f, MSR_TSC, msr_of(st, MSR_TSC) + (1ULL << 40));
	assert_non_null(xs);
	*xs = st->xsave;
	/* XMM0 at byte 160 of the legacy area (SDM Vol. 1, 10.5.1), and
	 * XSTATE_BV bit 1 at byte 512, which says the SSE part is in use
	 * (13.4.2): without it the restore would zero the registers. */
	memset(&xs->region[40], 0x5a, 16);
	xs->region[128] |= 2;
	assert_int_equal(ioctl(vfd, KVM_SET_XSAVE, xs), 0);
	free(xs);
	/* XCR0: x87 alone, or x87 + SSE (SDM Vol. 1, 13.3), whichever it
	 * is not now. */
	xcrs.xcrs[0].value = xcrs.xcrs[0].value == 1 ? 3 : 1;
	assert_int_equal(ioctl(vfd, KVM_SET_XCRS, &xcrs), 0);
}

/* st and back agree part by part; the TSC moved on, but only a little. */
static void assert_same_vcpu_state(const struct mvm_vcpu_state *st,
				   const struct mvm_vcpu_state *back)
{
	uint64_t tsc0 = msr_of(st, MSR_TSC), tsc1 = msr_of(back, MSR_TSC);

	assert_int_equal(back->have, st->have);
	assert_memory_equal(&back->regs, &st->regs, sizeof(st->regs));
	assert_memory_equal(&back->sregs, &st->sregs, sizeof(st->sregs));
	assert_memory_equal(&back->debugregs, &st->debugregs,
			    sizeof(st->debugregs));
	assert_memory_equal(&back->xcrs, &st->xcrs, sizeof(st->xcrs));
	assert_memory_equal(&back->events, &st->events, sizeof(st->events));
	assert_memory_equal(&back->mp, &st->mp, sizeof(st->mp));
	if (st->have & MVM_STATE_XSAVE)
		assert_memory_equal(&back->xsave, &st->xsave,
				    sizeof(st->xsave));
	assert_int_equal(back->nmsrs, st->nmsrs);
	for (uint32_t i = 0; i < st->nmsrs; i++) {
		if (st->msrs[i].index == MSR_TSC)
			continue;
		assert_int_equal(back->msrs[i].index, st->msrs[i].index);
		assert_int_equal(back->msrs[i].data, st->msrs[i].data);
	}
	assert_true(tsc1 >= tsc0 && tsc1 - tsc0 < (1ULL << 36));
}

static void vcpu_state_round_trip_undoes_a_clobber(void **state)
{
	struct fixture *f = *state;
	struct mvm_vcpu_state *st = new_state(), *mid = new_state(),
			      *back = new_state();

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, alphabet_guest,
			  sizeof(alphabet_guest));
	run_exits(f, 3);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, st), 0);
	clobber_vcpu(f, st);

	/* The clobber took: KVM now reports other values. */
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, mid), 0);
	assert_int_equal(mid->regs.rip, 0x4444);
	assert_int_equal(mid->sregs.cr2, 0xdead000);
	assert_int_equal(mid->debugregs.db[3], 0x200000);
	assert_int_equal(msr_of(mid, MSR_LSTAR), 0xffffffff81000000ULL);
	assert_int_equal(mid->xsave.region[40], 0x5a5a5a5a);
	assert_int_not_equal(mid->xcrs.xcrs[0].value, st->xcrs.xcrs[0].value);

	assert_int_equal(mvm_vcpu_state_set(f->vcpu, st), 0);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, back), 0);
	assert_same_vcpu_state(st, back);
	free(st);
	free(mid);
	free(back);
}

static void
guest_finishes_after_its_vcpu_was_clobbered_and_restored(void **state)
{
	struct fixture *f = *state;
	struct mvm_vcpu_state *st = new_state();

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, alphabet_guest,
			  sizeof(alphabet_guest));
	run_exits(f, 10);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, st), 0);
	clobber_vcpu(f, st);
	/* Into real mode at 0: whatever ran now would not be our loop. */
	struct mvm_mode_config mc = {.mode = MVM_MODE_REAL, .entry = 0};
	assert_int_equal(mvm_vcpu_setup_mode(f->vcpu, &mc), 0);
	assert_int_equal(mvm_vcpu_state_set(f->vcpu, st), 0);
	run_to_end(f);
	assert_int_equal(f->out_len, 26);
	assert_memory_equal(f->out, "abcdefghijklmnopqrstuvwxyz", 26);
	free(st);
}

/*
 * The whole machine out and back: vCPU state, the VM's state, the
 * devices' blobs and RAM (the VMM's own memory, copied here by hand) go
 * out; the VM is destroyed; a new one is built and given all of it.
 */
static void
guest_finishes_in_a_new_vm_after_a_full_save_and_restore(void **state)
{
	struct fixture *f = *state, *g;
	struct mvm_vcpu_state *st = new_state();
	struct mvm_vm_state vst;
	uint8_t *ram = malloc(FIXTURE_RAM);
	uint8_t devs[16384];
	void *gstate = NULL;
	int ndevs;

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, alphabet_guest,
			  sizeof(alphabet_guest));
	assert_non_null(ram);
	run_exits(f, 10);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, st), 0);
	assert_int_equal(mvm_vm_state_get(f->vm, &vst), 0);
	ndevs = mvm_bus_save_all(mvm_vm_pio_bus(f->vm), devs, sizeof(devs));
	assert_true(ndevs > 0);
	memcpy(ram, mvm_vm_ram(f->vm), FIXTURE_RAM);
	assert_memory_equal(f->out, "abcdefghij", 10);
	fixture_teardown(state);

	assert_int_equal(fixture_setup(&gstate), 0);
	*state = g = gstate;
	memcpy(mvm_vm_ram(g->vm), ram, FIXTURE_RAM);
	assert_int_equal(mvm_vm_state_set(g->vm, &vst), 0);
	assert_int_equal(mvm_vcpu_state_set(g->vcpu, st), 0);
	assert_int_equal(
		mvm_bus_load_all(mvm_vm_pio_bus(g->vm), devs, (size_t)ndevs),
		0);
	run_to_end(g);
	assert_int_equal(g->out_len, 16);
	assert_memory_equal(g->out, "klmnopqrstuvwxyz", 16);
	free(ram);
	free(st);
}

/*
 * An exception KVM holds for the guest is state too. #UD is queued with
 * KVM_SET_VCPU_EVENTS, the events are cleared behind the library's back,
 * and the restore must bring the exception back. The guest has no IDT
 * entry for it, so delivery ends in a triple fault (Intel SDM Vol. 3A,
 * 6.15, "Double Fault Exception") instead of the 'a' the loop would
 * print.
 */
static void queued_exception_survives_the_restore(void **state)
{
	struct fixture *f = *state;
	struct mvm_vcpu_state *st = new_state();
	struct kvm_vcpu_events none;
	struct mvm_exit e;

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, alphabet_guest,
			  sizeof(alphabet_guest));
	assert_int_equal(mvm_vcpu_inject_exception(f->vcpu, 6, 0, 0, 0), 0);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, st), 0);
	assert_true(st->events.exception.injected ||
		    st->events.exception.pending);
	assert_int_equal(st->events.exception.nr, 6);
	none = st->events;
	memset(&none.exception, 0, sizeof(none.exception));
	none.exception_has_payload = 0;
	assert_int_equal(
		ioctl(mvm_vcpu_fd(f->vcpu), KVM_SET_VCPU_EVENTS, &none), 0);

	assert_int_equal(mvm_vcpu_state_set(f->vcpu, st), 0);
	assert_int_equal(fixture_run_once(f, RUN_MS, &e), 0);
	assert_int_equal(e.reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(f->out_len, 0);
	free(st);
}

static void state_calls_refuse_null_arguments(void **state)
{
	struct fixture *f = *state;
	struct mvm_vcpu_state *st = new_state();
	struct mvm_vm_state vst;

	assert_int_equal(mvm_vcpu_state_get(NULL, st), -EINVAL);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, NULL), -EINVAL);
	assert_int_equal(mvm_vcpu_state_set(f->vcpu, NULL), -EINVAL);
	assert_int_equal(mvm_vm_state_get(f->vm, NULL), -EINVAL);
	assert_int_equal(mvm_vm_state_set(NULL, &vst), -EINVAL);
	/* An empty state is a valid state: nothing to put back. */
	assert_int_equal(mvm_vcpu_state_set(f->vcpu, st), 0);
	free(st);
}

/* --- with the in-kernel irqchip ----------------------------------------- */

static void vm_without_irqchip_has_only_the_clock(void **state)
{
	struct fixture *f = *state;
	struct mvm_vm_state vst;

	assert_int_equal(mvm_vm_state_get(f->vm, &vst), 0);
	assert_int_equal(vst.have & ~MVM_VMSTATE_CLOCK, 0);
	vst.have |= MVM_VMSTATE_PIT;
	assert_int_equal(mvm_vm_state_set(f->vm, &vst), -ENODEV);
}

/* Clobber the PIC, IOAPIC, PIT and clock behind the library's back. */
static void clobber_vm(struct fixture *f, const struct mvm_vm_state *vst)
{
	int fd = mvm_vm_fd(f->vm);
	struct kvm_irqchip pic = vst->pic[0], ioapic = vst->ioapic;
	struct kvm_pit_state2 pit = vst->pit;
	struct kvm_clock_data clock = {.clock = vst->clock.clock +
						1000000000000ULL};

	pic.chip.pic.imr = 0x5a;
	pic.chip.pic.irq_base = 0x20;
	assert_int_equal(ioctl(fd, KVM_SET_IRQCHIP, &pic), 0);
	ioapic.chip.ioapic.redirtbl[3].bits = 0x10031; /* masked, vector 49 */
	assert_int_equal(ioctl(fd, KVM_SET_IRQCHIP, &ioapic), 0);
	pit.channels[0].count = 1234;
	pit.channels[0].mode = 2;
	assert_int_equal(ioctl(fd, KVM_SET_PIT2, &pit), 0);
	assert_int_equal(ioctl(fd, KVM_SET_CLOCK, &clock), 0);
}

static void vm_state_round_trip_undoes_a_clobber(void **state)
{
	struct fixture *f = *state;
	struct mvm_vm_state vst, mid, back;
	const unsigned all = MVM_VMSTATE_PIC_MASTER | MVM_VMSTATE_PIC_SLAVE |
			     MVM_VMSTATE_IOAPIC | MVM_VMSTATE_PIT |
			     MVM_VMSTATE_CLOCK;

	assert_int_equal(mvm_vm_state_get(f->vm, &vst), 0);
	assert_int_equal(vst.have, all);
	clobber_vm(f, &vst);
	assert_int_equal(mvm_vm_state_get(f->vm, &mid), 0);
	assert_int_equal(mid.pic[0].chip.pic.imr, 0x5a);
	assert_int_equal(mid.ioapic.chip.ioapic.redirtbl[3].bits, 0x10031);
	assert_int_equal(mid.pit.channels[0].count, 1234);
	assert_true(mid.clock.clock > vst.clock.clock + 999000000000ULL);

	assert_int_equal(mvm_vm_state_set(f->vm, &vst), 0);
	assert_int_equal(mvm_vm_state_get(f->vm, &back), 0);
	assert_memory_equal(&back.pic, &vst.pic, sizeof(vst.pic));
	assert_memory_equal(&back.ioapic, &vst.ioapic, sizeof(vst.ioapic));
	for (int i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *a = &vst.pit.channels[i],
						   *b = &back.pit.channels[i];

		/* count_load_time is when KVM loaded the count: not state */
		assert_int_equal(b->count, a->count);
		assert_int_equal(b->mode, a->mode);
		assert_int_equal(b->gate, a->gate);
		assert_int_equal(b->rw_mode, a->rw_mode);
		assert_int_equal(b->bcd, a->bcd);
	}
	assert_int_equal(back.pit.flags, vst.pit.flags);
	/* The clock resumed at the saved value, not a second later. */
	assert_true(back.clock.clock >= vst.clock.clock);
	assert_true(back.clock.clock < vst.clock.clock + 1000000000ULL);
}

static void lapic_round_trip_undoes_a_clobber(void **state)
{
	struct fixture *f = *state;
	struct mvm_vcpu_state *st = new_state(), *back = new_state();
	struct kvm_lapic_state lapic;
	const int tpr = 0x80; /* Intel SDM Vol. 3A, table 11-1 */

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, alphabet_guest,
			  sizeof(alphabet_guest));
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, st), 0);
	assert_true(st->have & MVM_STATE_LAPIC);
	lapic = st->lapic;
	lapic.regs[tpr] = 0x20;
	assert_int_equal(ioctl(mvm_vcpu_fd(f->vcpu), KVM_SET_LAPIC, &lapic), 0);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, back), 0);
	assert_int_equal((uint8_t)back->lapic.regs[tpr], 0x20);

	assert_int_equal(mvm_vcpu_state_set(f->vcpu, st), 0);
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, back), 0);
	assert_memory_equal(back->lapic.regs, st->lapic.regs,
			    sizeof(st->lapic.regs));
	assert_same_vcpu_state(st, back);
	free(st);
	free(back);
}

/* A state without a LAPIC goes into an irqchip VM; one with a LAPIC is
 * refused by a VM that has nowhere to put it. */
static void lapic_state_needs_an_irqchip_vm(void **state)
{
	struct fixture *f = *state, *plain;
	struct mvm_vcpu_state *st = new_state();
	void *pstate = NULL;

	fixture_load_code(f, MVM_MODE_LONG64, MVM_LOAD_ADDR, alphabet_guest,
			  sizeof(alphabet_guest));
	assert_int_equal(mvm_vcpu_state_get(f->vcpu, st), 0);
	assert_int_equal(fixture_setup(&pstate), 0); /* no irqchip */
	plain = pstate;
	assert_int_equal(mvm_vcpu_state_set(plain->vcpu, st), -ENODEV);
	st->have &= ~MVM_STATE_LAPIC;
	assert_int_equal(mvm_vcpu_state_set(plain->vcpu, st), 0);
	assert_int_equal(mvm_vcpu_state_set(f->vcpu, st), 0);
	fixture_teardown(&pstate);
	free(st);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			vcpu_state_has_every_part_this_kvm_offers,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			vcpu_state_round_trip_undoes_a_clobber, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			guest_finishes_after_its_vcpu_was_clobbered_and_restored,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			guest_finishes_in_a_new_vm_after_a_full_save_and_restore,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			queued_exception_survives_the_restore, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			state_calls_refuse_null_arguments, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			vm_without_irqchip_has_only_the_clock, fixture_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(
			vm_state_round_trip_undoes_a_clobber,
			fixture_setup_irqchip, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			lapic_round_trip_undoes_a_clobber,
			fixture_setup_irqchip, fixture_teardown),
		cmocka_unit_test_setup_teardown(lapic_state_needs_an_irqchip_vm,
						fixture_setup_irqchip,
						fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
