/*
 * quirks.h - which KVM backend runs the guest, and where it differs from
 * hardware. This is minivmm's record of the backend facts its code relies
 * on; every workaround in the tree tests one MVM_QUIRK_* bit from here and
 * names the symptom in a comment. Nothing else looks at the backend.
 *
 * KVM has a generic part (kvm.ko) and a vendor part that does the actual
 * world switch: kvm_intel (VT-x), kvm_amd (AMD-V), or, on machines that
 * are themselves VMs without nested VT-x/AMD-V, a software backend such as
 * kvm_pvm (a page-table based backend for nested use). Students' machines
 * usually have kvm_intel or kvm_amd, where none of the quirks below apply;
 * the course's build and CI machines run kvm_pvm, where all of them do.
 *
 * Detection: the loaded vendor module, which appears as a directory under
 * /sys/module (Documentation/ABI/stable/sysfs-module). The KVM API itself
 * does not name its backend, so this is the one place that asks the host.
 *
 * The facts, as observed on kvm_pvm (Linux 6.1 host, KVM API 12, "AMD
 * EPYC" vCPUs; each was reproduced with a small guest):
 *
 *  RING0_EMULATED     guest code started at ring 0 or in real mode is run
 *                     by KVM's in-kernel instruction emulator, about 1 us
 *                     per instruction (a compute loop ~7,700x slower than
 *                     native); ring-3 code runs natively. Only speed
 *                     differs: timeouts in tests are generous for this.
 *                     A Linux guest gets rodata=off (mvm_quirk_linux_args
 *                     below): remapping its kernel read-only costs ~10 s.
 *  SOFT_INT_EMULATION `int3` (0xCC) and `int n` (0xCD nn) at ring 0 in
 *                     protected or long mode are not emulated: KVM_RUN
 *                     returns KVM_EXIT_INTERNAL_ERROR, suberror
 *                     KVM_INTERNAL_ERROR_EMULATION, with the instruction
 *                     bytes, instead of the guest's IDT handler running.
 *                     Real mode is fine. Worked around in the run step
 *                     (src/core/exit.c): skip the instruction and inject
 *                     the exception or soft interrupt.
 *  STEP_SKIPS_HLT     with KVM_GUESTDBG_SINGLESTEP, HLT is stepped over
 *                     like a NOP: a KVM_EXIT_DEBUG after it, never
 *                     KVM_EXIT_HLT. Worked around in the debugger
 *                     (debugger/step.c): HLT at RIP is reported before
 *                     stepping.
 *  NO_LEGACY_PAGING   32-bit and PAE paging cannot run: KVM_SET_SREGS
 *                     silently clears CR0.PG outside long mode, and a guest
 *                     that sets it itself triple-faults (KVM_EXIT_SHUTDOWN).
 *                     Real mode, unpaged protected mode and long mode work.
 *                     Tests of legacy paging skip with this text.
 *  NO_1G_PAGES        a 1 GiB page (PDPTE with PS = 1, Intel SDM Vol. 3A
 *                     4.5.4) makes the guest triple-fault, although the
 *                     host CPU has the feature. The vCPU's CPUID hides it
 *                     (CPUID.80000001H:EDX[26], Page1GB; KVM's supported
 *                     list already clears it there, hidden again in case).
 *  NO_CMPXCHG16B      cmpxchg16b in emulated (ring-0) code stops with an
 *                     emulation failure, but CPUID.01H:ECX[13] (CX16)
 *                     says it exists, so a guest that trusts CPUID (Linux
 *                     does) dies. The vCPU's CPUID hides CX16.
 *  NO_WATCHPOINTS     hardware data watchpoints (DR7 R/W = 01 or 11, SDM
 *                     Vol. 3B 18.2.4) never fire; execute breakpoints do.
 *                     mvm_vcpu_set_hwbps() (vm.h) refuses watchpoints
 *                     here instead of setting ones that never fire, and
 *                     mvmdbg's `watch` says so; elsewhere both work.
 *  NO_RING3_DEBUG     guest code at CPL 3 runs natively, and its debug
 *                     exits (single-step, hardware breakpoints) go to the
 *                     guest instead of the VMM: stepping ring-3 code would
 *                     never stop. The gdb stub refuses to step there.
 *  EMULATOR_ISA       the instruction emulator lacks xsave/xrstor/xgetbv,
 *                     rdtscp, SSE and later vector instructions, popcnt,
 *                     movbe, clac/stac and rd/wrfsbase: an emulation
 *                     failure (or #UD) where a Linux kernel uses them
 *                     because CPUID lists them (CPUID bits cannot be
 *                     hidden reliably here: KVM ORs the host's in). Worked
 *                     around on Linux's command line (mvm_quirk_linux_args
 *                     below): noxsave, nofsgsbase and clearcpuid= with the
 *                     kernel's feature numbers (word * 32 + bit; words 1,
 *                     4 and 9 are CPUID 80000001H EDX, 01H ECX and 07H
 *                     EBX, arch/x86/include/asm/cpufeatures.h).
 *  NO_GUEST_SYSCALLS  after a guest's first return from ring 3 to ring 0
 *                     (a SYSCALL or an interrupt), ring-0 code runs
 *                     natively and its privileged instructions #GP, since
 *                     the backend only supports guest kernels written for
 *                     it. Linux boots to its root mount, but /init dies at
 *                     its first system call ("Attempted to kill init").
 *                     Tests that wait for Linux user space skip with this.
 *
 * Each quirk also has a one-line symptom (mvm_quirk_symptom()) that
 * `mvm doctor` prints and tests use as their skip reason.
 */
#ifndef MINIVMM_QUIRKS_H
#define MINIVMM_QUIRKS_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>

struct mvm_vm;

/* One bit per quirk; MVM_QUIRK_COUNT of them, bit i = 1u << i. */
#define MVM_QUIRK_RING0_EMULATED     (1u << 0)
#define MVM_QUIRK_SOFT_INT_EMULATION (1u << 1)
#define MVM_QUIRK_STEP_SKIPS_HLT     (1u << 2)
#define MVM_QUIRK_NO_LEGACY_PAGING   (1u << 3)
#define MVM_QUIRK_NO_1G_PAGES	     (1u << 4)
#define MVM_QUIRK_NO_CMPXCHG16B	     (1u << 5)
#define MVM_QUIRK_NO_WATCHPOINTS     (1u << 6)
#define MVM_QUIRK_NO_RING3_DEBUG     (1u << 7)
#define MVM_QUIRK_EMULATOR_ISA	     (1u << 8)
#define MVM_QUIRK_NO_GUEST_SYSCALLS  (1u << 9)
#define MVM_QUIRK_COUNT		     10

/* What mvm_backend_detect() found. */
struct mvm_backend {
	const char *name; /* "kvm_pvm", "kvm_intel", "kvm_amd", "unknown" */
	unsigned quirks;  /* MVM_QUIRK_* that apply */
};

/*
 * Find the KVM backend of this host and its quirks. Always fills *out
 * ("unknown" with no quirks when no known vendor module is loaded).
 * Returns 0, or -errno when /sys/module cannot be read (then *out is
 * "unknown"). Cheap: a few stat() calls, no KVM ioctl.
 */
int mvm_backend_detect(struct mvm_backend *out);

/* The same, looking for the vendor modules under `module_dir` instead of
 * /sys/module (tests point it at a directory they made). */
int mvm_backend_detect_in(const char *module_dir, struct mvm_backend *out);

/* One line naming where figures were measured, for benchmark output and
 * the slides' CSVs: "CPU model, N CPUs; Linux 6.1.0; KVM backend
 * kvm_intel", plus a note when ring-0 guest code is emulated (figures
 * are only comparable across hosts with the same note). */
void mvm_host_describe(char *buf, size_t len);

/* The backend detected when vm was created; never NULL. A vCPU's is its
 * VM's: mvm_vm_backend(mvm_vcpu_vm(vcpu)). */
const struct mvm_backend *mvm_vm_backend(const struct mvm_vm *vm);

/* For one MVM_QUIRK_* bit: its name ("SOFT_INT_EMULATION") and the
 * symptom in one line. NULL for anything that is not exactly one known
 * bit. */
const char *mvm_quirk_name(unsigned quirk);
const char *mvm_quirk_symptom(unsigned quirk);

/* Words a Linux guest's command line needs for one quirk (see
 * RING0_EMULATED and EMULATOR_ISA), or NULL when it needs none. */
const char *mvm_quirk_linux_args(unsigned quirk);

/*
 * The command line a Linux guest gets on a backend with `quirks`: the
 * user's (may be NULL) followed by every quirk's words. 0, or -E2BIG
 * when buf (len bytes) is too small.
 */
int mvm_quirk_linux_cmdline(unsigned quirks, const char *user, char *buf,
			    size_t len);

#pragma GCC visibility pop

#endif
