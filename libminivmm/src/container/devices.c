/*
 * devices.c - which device nodes a container may open: an allowlist.
 *
 * The container's /dev is a tmpfs holding bind mounts of a few host nodes
 * (rootfs.c), and CAP_MKNOD is dropped, so it cannot make others. The
 * devices controller is the second wall, as in Docker and runc (the OCI
 * runtime spec's linux.resources.devices): even a process that keeps
 * CAP_MKNOD (--keep-caps) or finds a node some other way cannot open a
 * device that is not listed here (cgroup v1, Documentation/admin-guide/
 * cgroup-v1/devices.rst: "a" in devices.deny removes every permission,
 * then each "type major:minor access" line in devices.allow adds one).
 *
 * cgroup v2 has no devices controller: there the rules are a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the group, which this
 * runtime does not install (yet); /dev and the dropped capability still
 * hold there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctr_internal.h"

/* The character devices rootfs.c bind-mounts (Linux's
 * Documentation/admin-guide/devices.txt), read and write but no mknod
 * ("m"): null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0. */
static const char *const allowed[] = {
	"c 1:3 rw", "c 1:5 rw", "c 1:7 rw", "c 1:8 rw", "c 1:9 rw", "c 5:0 rw",
};

int ctr_devices_allow(struct mvm_ctr *c, const char *leaf)
{
	char path[PATH_MAX];
	size_t i;
	int err;

	ctr_path(path, sizeof(path), "%s/devices.deny", leaf);
	err = ctr_write_file(path, "a");
	for (i = 0; !err && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		ctr_path(path, sizeof(path), "%s/devices.allow", leaf);
		err = ctr_write_file(path, "%s", allowed[i]);
	}
	if (err)
		mvm_logf(&c->log, MVM_LOG_ERROR, "cgroup devices: write %s: %s",
			 path, strerror(-err));
	return err;
}
