/*
 * virtio_opts.h - the command-line options that give a machine its
 * virtio devices, parsed in one place for every program that takes
 * them (`mvm run`, `mvm run --linux`, mvmdbg):
 *
 *   --disk FILE[,ro]   virtio-blk on FILE (read-only with ",ro"), with
 *                      virtio-rng and virtio-console
 *   --virtio mmio|pci  those devices, on this transport (default mmio)
 *   --virtio-plain     every queue kick exits (no ioeventfd/irqfd)
 *
 * Any of them gives the machine virtio-rng and virtio-console; --disk
 * adds virtio-blk. mvm_virtio_opts_config() puts the choice into a
 * machine config (machine.h), so every program builds the same devices.
 */
#ifndef MINIVMM_VIRTIO_OPTS_H
#define MINIVMM_VIRTIO_OPTS_H

/* The API below is what libminivmm.so exports (libminivmm/build.mk). */
#pragma GCC visibility push(default)

#include <stddef.h>

struct mvm_machine_config;

struct mvm_virtio_opts {
	int on;		     /* one of the options was given */
	const char *disk;    /* --disk's FILE (points into disk_buf) */
	int disk_ro;	     /* ...,ro */
	int transport;	     /* MVM_VIRTIO_TRANSPORT_* (virtio_devs.h) */
	int plain;	     /* --virtio-plain */
	char disk_buf[4096]; /* FILE without ",ro" */
};

/* Take option `name` ("disk", "virtio" or "virtio-plain", without the
 * dashes) with its argument (NULL for virtio-plain). 0, or -EINVAL
 * with one line in err ("bad --virtio 'x': use mmio or pci"); -ENOENT
 * for a name that is not one of these. */
int mvm_virtio_opts_parse(struct mvm_virtio_opts *o, const char *name,
			  const char *arg, char *err, size_t errlen);
/* Fill cfg's virtio fields from o (nothing when no option was given). */
void mvm_virtio_opts_config(const struct mvm_virtio_opts *o,
			    struct mvm_machine_config *cfg);

#pragma GCC visibility pop

#endif
