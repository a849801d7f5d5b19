/*
 * lab1_util.c - helpers shared by Lab 1's grader tests: loading the lab's
 * guests, running them to their next ucall, and failing with messages
 * that say what the guest did instead of what was expected.
 */
#include "lab1.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void lab1_load_guest(struct fixture *f, const char *name)
{
	struct mvm_mode_config mode = {.mode = MVM_MODE_LONG64};
	char path[1024];
	int r;

	snprintf(path, sizeof(path), "%s/guests/%s", LAB1_BUILD, name);
	r = mvm_load_file(mvm_vm_mem(f->vm), path, MVM_LOAD_ADDR, &f->img,
			  mvm_vm_log(f->vm));
	GRADE_EXPECT(r == 0, "loading %s failed (%s); log:\n%s", path,
		     strerror(-r), f->log);
	mode.entry = f->img.entry;
	r = mvm_vcpu_setup_mode(f->vcpu, &mode);
	GRADE_EXPECT(r == 0, "long-mode setup failed (%s); log:\n%s",
		     strerror(-r), f->log);
}

int lab1_run(struct fixture *f, unsigned timeout_ms, struct mvm_exit *e,
	     struct mvm_ucall *uc)
{
	int r, cmd;

	memset(uc, 0, sizeof(*uc));
	r = fixture_run(f, timeout_ms, e);
	if (r < 0)
		return MVM_UCALL_NONE;
	cmd = mvm_ucall_last(f->devs.ucall, uc);
	mvm_ucall_clear(f->devs.ucall);
	return cmd;
}

/* What probably went wrong, for the exits a missing earlier task causes:
 * a student reading a task 3 failure should learn that task 1 or 2 is
 * the culprit. */
static const char *hint(int cmd, const struct mvm_exit *e)
{
	if (cmd == MVM_UCALL_NONE && e->reason == KVM_EXIT_IO &&
	    e->u.io.size == 0)
		return "\nhint: the I/O exit came back empty (size 0): "
		       "decode_io() in exit.c (task 1) comes first";
	if (cmd == MVM_UCALL_NONE && e->reason == KVM_EXIT_HLT)
		return "\nhint: the guest halted without reaching the ucall "
		       "device: are tasks 1-2 (decode_io(), handle_io(), "
		       "mvm_bus_access()) done? Their tests come first";
	if (cmd == MVM_UCALL_NONE && e->reason == KVM_EXIT_SHUTDOWN)
		return "\nhint: a triple fault: the guest took an exception "
		       "it has no handler for (in the MSR guest: the #GP of "
		       "an access the handler refused with msr->error = 1)";
	if (cmd != MVM_UCALL_NONE && cmd != MVM_UCALL_ASSERT)
		return "\nhint: the guest got further than expected, so the "
		       "run did not stop at its earlier ucalls: does "
		       "mvm_bus_access() return what the write op returned "
		       "(MVM_IO_STOP, task 2)?";
	return "";
}

/* What the guest did, in words, for a failure message. */
static void describe(int cmd, const struct mvm_exit *e,
		     const struct mvm_ucall *uc, char *buf, size_t len)
{
	char ex[256];

	if (cmd == MVM_UCALL_ASSERT && uc->args[1])
		snprintf(buf, len,
			 "guest assertion failed: %s (left 0x%llx, right "
			 "0x%llx)",
			 uc->text, (unsigned long long)uc->args[2],
			 (unsigned long long)uc->args[3]);
	else if (cmd == MVM_UCALL_ASSERT)
		snprintf(buf, len, "guest assertion failed: %s", uc->text);
	else if (cmd != MVM_UCALL_NONE)
		snprintf(buf, len, "guest made ucall %s (stage %llu)",
			 mvm_ucall_cmd_name((uint64_t)cmd),
			 (unsigned long long)uc->args[0]);
	else {
		mvm_exit_describe(e, ex, sizeof(ex));
		snprintf(buf, len, "guest stopped without a ucall: %s", ex);
	}
}

void lab1_expect_ucall_at(struct fixture *f, unsigned timeout_ms, int cmd,
			  uint64_t stage, const char *file, int line)
{
	struct mvm_exit e;
	struct mvm_ucall uc;
	char what[512];
	int got = lab1_run(f, timeout_ms, &e, &uc);

	if (got == cmd && (cmd != MVM_UCALL_SYNC || uc.args[0] == stage))
		return;
	describe(got, &e, &uc, what, sizeof(what));
	grade_fail(file, line,
		   "expected the guest to reach %s %llu; %s%s\n"
		   "guest output:\n%s\nlibrary log:\n%s",
		   mvm_ucall_cmd_name((uint64_t)cmd), (unsigned long long)stage,
		   what, hint(got, &e), f->out, f->log);
}

void lab1_out(void *ctx, const char *buf, size_t len)
{
	struct fixture *f = ctx;

	if (len > sizeof(f->out) - 1 - f->out_len)
		len = sizeof(f->out) - 1 - f->out_len;
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	f->out[f->out_len] = '\0';
}

void lab1_real_code(struct fixture *f, uint64_t entry, uint64_t ds_base,
		    const void *code, size_t len)
{
	GRADE_EXPECT(mvm_vm_write(f->vm, entry, code, len) == 0,
		     "cannot write the test's guest code at 0x%llx",
		     (unsigned long long)entry);
	fixture_real_mode(f, entry, ds_base);
}

void lab1_step(struct fixture *f, struct mvm_exit *e)
{
	int r = fixture_run_once(f, 10000, e);

	GRADE_EXPECT(r == 0, "mvm_vcpu_run_once failed: %s; log:\n%s",
		     strerror(-r), f->log);
}

const char *lab1_result_name(long long v, char *buf, size_t len)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{E2BIG, "E2BIG"},   {EFAULT, "EFAULT"}, {EINVAL, "EINVAL"},
		{ENOSYS, "ENOSYS"}, {EROFS, "EROFS"},	{ENOENT, "ENOENT"},
		{ENOMEM, "ENOMEM"}, {EIO, "EIO"},	{EPERM, "EPERM"},
	};

	for (size_t i = 0; v < 0 && i < sizeof(names) / sizeof(names[0]); i++)
		if (v == -names[i].err) {
			snprintf(buf, len, "-%s (%lld)", names[i].name, v);
			return buf;
		}
	snprintf(buf, len, "%lld", v);
	return buf;
}

void lab1_expect_result_at(long long got, long long want, const char *what,
			   const char *file, int line)
{
	char g[48], w[48];

	if (got == want)
		return;
	grade_fail(file, line, "%s: expected %s, got %s%s", what,
		   lab1_result_name(want, w, sizeof(w)),
		   lab1_result_name(got, g, sizeof(g)),
		   got == -EROFS ? " (mvm_memmap_write's -EROFS is not in "
				   "the hypercall ABI: to the guest a buffer "
				   "it may not write is a bad address)"
				 : "");
}
