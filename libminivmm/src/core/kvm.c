/*
 * kvm.c - opening /dev/kvm and checking what this KVM can do.
 *
 * KVM's API is versioned once (KVM_GET_API_VERSION must be 12) and
 * otherwise grows by capabilities, each queried with
 * KVM_CHECK_EXTENSION (Documentation/virt/kvm/api.rst, 4.1 and 4.4).
 * minivmm keeps one table of the capabilities it uses, with a line
 * saying why, so that a missing one is reported as "X missing: needed
 * for Y" instead of a bare EINVAL three calls later, and so that
 * `mvm doctor` can print the whole table.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

#define CAP(id, req, why)         \
	{                         \
		id, #id, req, why \
	}

/* [slide:kvm-caps] */
const struct mvm_cap mvm_caps[] = {
	CAP(KVM_CAP_USER_MEMORY, 1, "needed to give the guest RAM"),
	CAP(KVM_CAP_IMMEDIATE_EXIT, 1,
	    "needed to stop a running vCPU without losing a signal"),
	CAP(KVM_CAP_SET_TSS_ADDR, 1,
	    "needed for real mode on Intel (KVM's private TSS pages)"),
	CAP(KVM_CAP_EXT_CPUID, 1, "needed so CPUID works inside the guest"),
	CAP(KVM_CAP_READONLY_MEM, 0, "ROM slots (guest writes exit as MMIO)"),
	CAP(KVM_CAP_SET_GUEST_DEBUG, 0, "single-step and hardware breakpoints"),
	CAP(KVM_CAP_IRQCHIP, 0, "in-kernel PIC, IOAPIC and local APIC"),
	CAP(KVM_CAP_IRQFD, 0, "raise guest interrupts from an eventfd"),
	CAP(KVM_CAP_IOEVENTFD, 0, "guest writes signal an eventfd in-kernel"),
	CAP(KVM_CAP_X86_USER_SPACE_MSR, 0, "emulate MSRs in user space"),
	CAP(KVM_CAP_X86_MSR_FILTER, 0, "choose which MSRs exit to user space"),
	CAP(KVM_CAP_BINARY_STATS_FD, 0, "read KVM's own exit counters"),
	CAP(KVM_CAP_MAX_VCPUS, 0, "how many vCPUs one VM may have"),
	CAP(KVM_CAP_VCPU_EVENTS, 0, "inject exceptions (int3 fix-up)"),
	CAP(KVM_CAP_PIT2, 0, "in-kernel 8254 timer"),
	CAP(KVM_CAP_NR_MEMSLOTS, 0, "how many memory slots a VM may have"),
	CAP(KVM_CAP_SYNC_MMU, 0, "guest memory may be changed by the host"),
	CAP(KVM_CAP_DEBUGREGS, 0, "read the guest's debug registers"),
};
/* [/slide:kvm-caps] */
const int mvm_ncaps = (int)(sizeof(mvm_caps) / sizeof(mvm_caps[0]));
_Static_assert(sizeof(mvm_caps) / sizeof(mvm_caps[0]) <=
		       sizeof(((struct mvm_kvm_info *)0)->cap_value) /
			       sizeof(int),
	       "mvm_kvm_info.cap_value must hold every capability");

/* KVM_CHECK_EXTENSION answers 0 for "no" and a positive number for "yes"
 * (for some capabilities a count, e.g. KVM_CAP_MAX_VCPUS); an ioctl error
 * on an old kernel means "no" as well. */
int mvm_kvm_check_cap(int fd, int cap)
{
	int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

/* Turn an open() failure into advice a student can act on. */
static void log_open_error(const struct mvm_log *log, int err)
{
	const char *hint;

	switch (err) {
	case EACCES:
	case EPERM:
		hint = "permission denied: add yourself to the 'kvm' group "
		       "(sudo usermod -aG kvm $USER) and log in again";
		break;
	case ENOENT:
	case ENODEV:
	case ENXIO:
		hint = "no /dev/kvm: KVM module not loaded or virtualization "
		       "disabled in firmware";
		break;
	default:
		hint = strerror(err);
		break;
	}
	mvm_logf(log, MVM_LOG_ERROR, "cannot open %s: %s", MVM_KVM_DEVICE,
		 hint);
}

/* Check API version and required capabilities on an open system fd.
 * Version 12 is the only one there has ever been since the API was
 * declared stable (api.rst 4.1); anything else is not a KVM we know. */
static int check_kvm(int fd, const struct mvm_log *log)
{
	int v = ioctl(fd, KVM_GET_API_VERSION, 0);

	if (v != MVM_KVM_API_VERSION) {
		mvm_logf(log, MVM_LOG_ERROR,
			 "KVM API version %d, minivmm needs %d", v,
			 MVM_KVM_API_VERSION);
		return -EINVAL;
	}
	for (int i = 0; i < mvm_ncaps; i++) {
		if (!mvm_caps[i].required)
			continue;
		if (mvm_kvm_check_cap(fd, mvm_caps[i].id) <= 0) {
			mvm_logf(log, MVM_LOG_ERROR, "%s missing: %s",
				 mvm_caps[i].name, mvm_caps[i].why);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

int mvm_kvm_open(const struct mvm_log *log)
{
	int fd, r;

	fd = open(MVM_KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_open_error(log, -r);
		return r;
	}
	r = check_kvm(fd, log);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* Unlike mvm_kvm_open(), never fails on a missing feature: `mvm doctor`
 * wants the whole picture, including what is absent. */
int mvm_kvm_probe(struct mvm_kvm_info *info)
{
	int fd;

	memset(info, 0, sizeof(*info));
	info->api_version = -1;
	info->vcpu_mmap_size = -1;
	fd = open(MVM_KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		info->open_errno = errno;
		return -info->open_errno;
	}
	info->api_version = ioctl(fd, KVM_GET_API_VERSION, 0);
	info->vcpu_mmap_size = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	info->max_vcpus = mvm_kvm_check_cap(fd, KVM_CAP_MAX_VCPUS);
	for (int i = 0; i < mvm_ncaps; i++)
		info->cap_value[i] = mvm_kvm_check_cap(fd, mvm_caps[i].id);
	close(fd);
	return 0;
}
