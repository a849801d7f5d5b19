/*
 * quirks.c - detect the KVM backend and name its quirks (quirks.h).
 *
 * The backend is the vendor module that is loaded; each known module
 * comes with a fixed set of quirks, described in quirks.h. kvm_pvm is
 * looked for first, so a host that lists it next to kvm_intel/kvm_amd
 * gets its workarounds: the safe side, since each of them is harmless on
 * hardware KVM (the int3 fix-up never triggers there, a hidden CPUID bit
 * only costs a feature, a skipped test only costs coverage).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "internal.h"

/* The vendor modules we know, in the order they are looked for. */
static const struct mvm_backend known[] = {
	{"kvm_pvm", MVM_QUIRK_RING0_EMULATED | MVM_QUIRK_SOFT_INT_EMULATION |
			    MVM_QUIRK_STEP_SKIPS_HLT |
			    MVM_QUIRK_NO_LEGACY_PAGING | MVM_QUIRK_NO_1G_PAGES |
			    MVM_QUIRK_NO_CMPXCHG16B | MVM_QUIRK_NO_WATCHPOINTS |
			    MVM_QUIRK_NO_RING3_DEBUG | MVM_QUIRK_EMULATOR_ISA |
			    MVM_QUIRK_NO_GUEST_SYSCALLS},
	{"kvm_intel", 0},
	{"kvm_amd", 0},
};

/* Name and symptom of each quirk, indexed by bit number. */
static const struct {
	const char *name;
	const char *symptom;
} quirk_text[] = {
	{"RING0_EMULATED", "guest ring-0 and real-mode code runs in KVM's "
			   "instruction emulator (~1 us per instruction)"},
	{"SOFT_INT_EMULATION",
	 "int3 / int n at ring 0 stop with an emulation failure instead of "
	 "reaching the guest's IDT (minivmm injects them)"},
	{"STEP_SKIPS_HLT", "single-step steps over HLT like a NOP: no HLT "
			   "exit (mvmdbg reports the HLT itself)"},
	{"NO_LEGACY_PAGING", "32-bit and PAE paging cannot run: KVM clears "
			     "CR0.PG outside long mode"},
	{"NO_1G_PAGES", "1 GiB pages make the guest triple-fault (hidden "
			"from the guest's CPUID)"},
	{"NO_CMPXCHG16B", "cmpxchg16b in ring-0 code stops with an emulation "
			  "failure (CX16 hidden from the guest's CPUID)"},
	{"NO_WATCHPOINTS", "hardware data watchpoints never fire (minivmm "
			   "refuses them; execute breakpoints work)"},
	{"NO_RING3_DEBUG", "single-step and breakpoints in ring-3 guest code "
			   "go to the guest, not the VMM (native ring 3)"},
	{"EMULATOR_ISA", "xsave, rdtscp, SSE+, popcnt, movbe, clac/stac, "
			 "fsgsbase stop the emulator (Linux told not to use "
			 "them)"},
	{"NO_GUEST_SYSCALLS", "a guest kernel cannot take system calls: "
			      "Linux boots, but /init dies at its first one"},
};
_Static_assert(sizeof(quirk_text) / sizeof(quirk_text[0]) == MVM_QUIRK_COUNT,
	       "one name and symptom per MVM_QUIRK_* bit");

int mvm_backend_detect_in(const char *module_dir, struct mvm_backend *out)
{
	struct stat st;
	char path[256];

	out->name = "unknown";
	out->quirks = 0;
	if (stat(module_dir, &st) < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", module_dir,
			 known[i].name);
		if (stat(path, &st) == 0) {
			*out = known[i];
			break;
		}
	}
	return 0;
}

int mvm_backend_detect(struct mvm_backend *out)
{
	return mvm_backend_detect_in("/sys/module", out);
}

const struct mvm_backend *mvm_vm_backend(const struct mvm_vm *vm)
{
	return &vm->backend;
}

/* Bit number of a single-bit quirk, or -1. */
static int quirk_index(unsigned quirk)
{
	for (int i = 0; i < MVM_QUIRK_COUNT; i++)
		if (quirk == 1u << i)
			return i;
	return -1;
}

const char *mvm_quirk_name(unsigned quirk)
{
	int i = quirk_index(quirk);

	return i < 0 ? NULL : quirk_text[i].name;
}

const char *mvm_quirk_symptom(unsigned quirk)
{
	int i = quirk_index(quirk);

	return i < 0 ? NULL : quirk_text[i].symptom;
}

/*
 * EMULATOR_ISA's Linux words. clearcpuid numbers are word * 32 + bit
 * (arch/x86/include/asm/cpufeatures.h): 59 RDTSCP (word 1, 80000001H
 * EDX[27]); 128 SSE3, 129 PCLMULQDQ, 137 SSSE3, 140 FMA, 147 SSE4.1,
 * 148 SSE4.2, 150 MOVBE, 151 POPCNT, 153 AES, 157 F16C (word 4, 01H
 * ECX); 308 SMAP (clac/stac), 311 CLFLUSHOPT, 312 CLWB (word 9, 07H EBX).
 */
static const char emulator_isa_args[] =
	"noxsave nofsgsbase clearcpuid=59,128,129,137,140,147,148,150,151,"
	"153,157,308,311,312";

/*
 * RING0_EMULATED's Linux word: rodata=off skips mark_rodata_ro(), which
 * remaps the kernel image read-only and frees the gaps, ~10 s of emulated
 * boot (the teaching kernel reached "Run /init" after 25.2 s of guest
 * time with it, 35.9 s without). Only speed changes, and the kernel's
 * own protection of its code, which a teaching guest can spare.
 */
const char *mvm_quirk_linux_args(unsigned quirk)
{
	return quirk == MVM_QUIRK_EMULATOR_ISA	   ? emulator_isa_args
	       : quirk == MVM_QUIRK_RING0_EMULATED ? "rodata=off"
						   : NULL;
}

int mvm_quirk_linux_cmdline(unsigned quirks, const char *user, char *buf,
			    size_t len)
{
	size_t used;

	if (!buf || len == 0)
		return -EINVAL;
	used = (size_t)snprintf(buf, len, "%s", user ? user : "");
	for (int i = 0; used < len && i < MVM_QUIRK_COUNT; i++) {
		const char *w = mvm_quirk_linux_args(quirks & (1u << i));

		if (w)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? " " : "", w);
	}
	return used < len ? 0 : -E2BIG;
}
