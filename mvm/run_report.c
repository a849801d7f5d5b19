/*
 * run_report.c - the human-readable side of `mvm run` (see run_report.h).
 * Everything goes to stderr; stdout carries only the guest's output.
 * Text that comes from the guest (ucall texts, assertion messages) is
 * passed through mvm_escape() (log.h) first: a guest must not be able
 * to put terminal control sequences into what mvm says about it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "minivmm/minivmm.h"
#include "run_report.h"

#define CMD "mvm run"

/*
 * A ucall exit is just "OUT of an address to port 0x1000"; what the
 * guest asked for is in the struct at that guest-physical address. The
 * vCPU is stopped, so the struct still holds this call: read it (through
 * the bounds-checked mvm_vm_read, the address is the guest's word) and
 * show the command and the first line of its text.
 */
static void describe_ucall(struct mvm_vm *vm, const struct mvm_exit *e,
			   char *out, size_t len)
{
	char text[4 * MVM_UCALL_TEXT + 1];
	struct mvm_ucall uc;
	uint32_t gpa;

	if (e->reason != KVM_EXIT_IO || e->u.io.port != MVM_PORT_UCALL ||
	    !e->u.io.is_write || e->u.io.size != 4)
		return;
	memcpy(&gpa, e->u.io.data, sizeof(gpa));
	if (mvm_vm_read(vm, gpa, &uc, sizeof(uc)) < 0)
		return;
	uc.text[MVM_UCALL_TEXT - 1] = '\0';
	uc.text[strcspn(uc.text, "\n")] = '\0';
	mvm_escape(text, sizeof(text), uc.text, strlen(uc.text), 0);
	snprintf(out, len, "  [ucall %s \"%s\"]", mvm_ucall_cmd_name(uc.cmd),
		 text);
}

/* One line per exit: sequence number, RIP, host time spent handling it,
 * and the library's description (mvm_exit_describe, exitdesc.c). RIP and
 * handler time are only filled when tracing is on, which --trace does. */
void report_trace(struct mvm_vm *vm, const struct mvm_exit *e)
{
	char buf[256], call[4 * MVM_UCALL_TEXT + 32] = "";

	mvm_exit_describe(e, buf, sizeof(buf));
	describe_ucall(vm, e, call, sizeof(call));
	fprintf(stderr, "%6llu  rip %#010llx %8llu ns  %s%s\n",
		(unsigned long long)e->seq, (unsigned long long)e->rip,
		(unsigned long long)e->handle_ns, buf, call);
}

/*
 * The guest runtime's ASSERT layout (examples/runtime/guest.h): text is
 * "expr@file:line"; args[1] = 1 when args[2] and args[3] are the two
 * values GUEST_ASSERT_EQ compared.
 */
static void print_assert(const struct mvm_ucall *uc)
{
	char raw[MVM_UCALL_TEXT + 1], text[4 * MVM_UCALL_TEXT + 1];
	char *at;

	memcpy(raw, uc->text, MVM_UCALL_TEXT);
	raw[MVM_UCALL_TEXT] = '\0';
	mvm_escape(text, sizeof(text), raw, strlen(raw), 0);
	at = strrchr(text, '@');
	if (at) {
		*at = '\0';
		fprintf(stderr, "%s: guest assertion failed at %s: %s\n", CMD,
			at + 1, text);
	} else {
		fprintf(stderr, "%s: guest assertion failed: %s\n", CMD, text);
	}
	if (uc->args[1] == 1)
		fprintf(stderr,
			"%s:   left = %#llx (%lld), right = %#llx "
			"(%lld)\n",
			CMD, (unsigned long long)uc->args[2],
			(long long)uc->args[2], (unsigned long long)uc->args[3],
			(long long)uc->args[3]);
}

/*
 * Say how the run ended (the machine layer's verdict, machine.h) or, for
 * a SYNC under --trace, how far the guest got. A ucall's details are in
 * the ucall device, which keeps each vCPU's last call.
 */
void report_verdict(struct mvm_machine *m, enum mvm_verdict v,
		    const struct mvm_exit *e, int trace)
{
	report_verdict_of(m, 0, v, e, trace);
}

void report_verdict_of(struct mvm_machine *m, int vcpu, enum mvm_verdict v,
		       const struct mvm_exit *e, int trace)
{
	const struct mvm_std_devices *d = mvm_machine_devices(m);
	struct mvm_ucall uc = {0};
	int ucall =
		((e->reason == KVM_EXIT_IO && e->u.io.port == MVM_PORT_UCALL) ||
		 (e->reason == KVM_EXIT_MMIO &&
		  e->u.mmio.addr == MVM_MMIO_UCALL_ADDR)) &&
		d->ucall;

	if (ucall)
		mvm_ucall_last_of(d->ucall, vcpu, &uc);
	if (v == MVM_SYNC && trace)
		fprintf(stderr, "%s: guest reached stage %llu\n", CMD,
			(unsigned long long)uc.args[0]);
	else if (v == MVM_DONE && ucall)
		fprintf(stderr, "%s: guest finished (DONE)\n", CMD);
	else if (v == MVM_DONE && e->reason == KVM_EXIT_HLT)
		fprintf(stderr, "%s: guest halted (HLT, RIP %#llx)\n", CMD,
			(unsigned long long)e->rip);
	else if (v == MVM_DONE && e->reason == KVM_EXIT_SYSTEM_EVENT)
		fprintf(stderr, "%s: guest powered off\n", CMD);
	else if (v == MVM_DONE)
		fprintf(stderr, "%s: guest wrote the STOP marker\n", CMD);
	else if (v == MVM_FAILED && ucall)
		print_assert(&uc);
	else if (v == MVM_FAILED || v == MVM_DEBUG)
		report_stop_in(m, vcpu, e);
}

void report_stop(const struct mvm_exit *e)
{
	report_stop_in(NULL, 0, e);
}

/* The explanation of a fatal exit, with the guest's state when the
 * machine is there: then a triple fault names the unmapped page or says
 * that RIP is not in RAM (mvm_exit_explain_state(), exitexplain.c).
 * It ends with a newline; drop it so the message is followed by
 * exactly one. */
void report_stop_in(struct mvm_machine *m, int vcpu, const struct mvm_exit *e)
{
	struct mvm_vcpu *v = m ? mvm_machine_vcpu(m, vcpu) : NULL;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	char buf[2048];
	size_t n;

	if (v && mvm_vcpu_get_regs(v, &regs) == 0 &&
	    mvm_vcpu_get_sregs(v, &sregs) == 0)
		mvm_exit_explain_state(e, &regs, &sregs,
				       mvm_vm_mem(mvm_machine_vm(m)), buf,
				       sizeof(buf));
	else
		mvm_exit_explain(e, buf, sizeof(buf));
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	fprintf(stderr, "%s: guest stopped at RIP %#llx:\n%s\n", CMD,
		(unsigned long long)e->rip, buf);
}

/* KVM's own per-vCPU counters (binary stats, api.rst 4.133); io_exits
 * may read 0 on backends that do not count them. */
static void report_kvm_stats(struct mvm_vcpu *vcpu)
{
	static const char *const names[] = {"exits", "io_exits", "mmio_exits",
					    "halt_exits", "insn_emulation"};
	int fd = mvm_stats_open(mvm_vcpu_fd(vcpu));
	uint64_t v;

	if (fd < 0) {
		fprintf(stderr, "  (KVM binary statistics not available)\n");
		return;
	}
	fprintf(stderr, "\nKVM's counters for this vCPU:\n");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (mvm_stats_read(fd, names[i], &v) == 0)
			fprintf(stderr, "  %-16s %10llu\n", names[i],
				(unsigned long long)v);
	close(fd);
}

/* The library counts every exit by reason even with tracing off; mean
 * handler times need timestamps, so cmd_run turns tracing on for
 * --stats. KVM's own counters follow, to compare the two views (KVM also
 * counts exits it handled in the kernel, which user space never sees). */
void report_stats(struct mvm_vcpu *vcpu)
{
	const struct mvm_trace *t = mvm_vcpu_trace(vcpu);
	uint64_t total = 0;

	fprintf(stderr, "\n%-16s %10s %14s\n", "exit reason", "count",
		"mean handler");
	for (uint32_t r = 0; r <= MVM_EXIT_REASONS; r++) {
		uint64_t n = mvm_trace_count(t, r);
		if (!n)
			continue;
		total += n;
		fprintf(stderr, "%-16s %10llu %11llu ns\n",
			r < MVM_EXIT_REASONS ? mvm_exit_reason_name(r)
					     : "other",
			(unsigned long long)n,
			(unsigned long long)mvm_trace_mean_ns(t, r));
	}
	fprintf(stderr, "%-16s %10llu\n", "total", (unsigned long long)total);
	report_kvm_stats(vcpu);
}
