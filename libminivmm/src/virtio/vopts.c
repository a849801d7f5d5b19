/*
 * vopts.c - --disk, --virtio and --virtio-plain for every program that
 * builds a machine with virtio devices (virtio_opts.h): one parser, one
 * mapping onto the machine config, so `mvm run` and mvmdbg attach the
 * same devices for the same words.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "minivmm/machine.h"
#include "minivmm/virtio_devs.h"
#include "minivmm/virtio_opts.h"

/* FILE or FILE,ro. */
static int parse_disk(struct mvm_virtio_opts *o, const char *arg, char *err,
		      size_t errlen)
{
	size_t n = strlen(arg);

	o->disk_ro = n > 3 && strcmp(arg + n - 3, ",ro") == 0;
	if (o->disk_ro)
		n -= 3;
	if (n == 0 || n >= sizeof(o->disk_buf)) {
		snprintf(err, errlen, "bad --disk '%s': use FILE or FILE,ro",
			 arg);
		return -EINVAL;
	}
	memcpy(o->disk_buf, arg, n);
	o->disk_buf[n] = '\0';
	o->disk = o->disk_buf;
	return 0;
}

int mvm_virtio_opts_parse(struct mvm_virtio_opts *o, const char *name,
			  const char *arg, char *err, size_t errlen)
{
	if (strcmp(name, "virtio-plain") == 0) {
		o->on = o->plain = 1;
		return 0;
	}
	if (strcmp(name, "disk") && strcmp(name, "virtio"))
		return -ENOENT;
	if (!arg)
		arg = "";
	if (strcmp(name, "disk") == 0) {
		int rc = parse_disk(o, arg, err, errlen);

		o->on |= rc == 0;
		return rc;
	}
	if (strcmp(arg, "mmio") == 0)
		o->transport = MVM_VIRTIO_TRANSPORT_MMIO;
	else if (strcmp(arg, "pci") == 0)
		o->transport = MVM_VIRTIO_TRANSPORT_PCI;
	else {
		snprintf(err, errlen, "bad --virtio '%s': use mmio or pci",
			 arg);
		return -EINVAL;
	}
	o->on = 1;
	return 0;
}

void mvm_virtio_opts_config(const struct mvm_virtio_opts *o,
			    struct mvm_machine_config *cfg)
{
	if (!o->on)
		return;
	cfg->virtio = MVM_VIRTIO_DEV_RNG | MVM_VIRTIO_DEV_CONSOLE |
		      (o->disk ? MVM_VIRTIO_DEV_BLK : 0);
	cfg->disk = o->disk;
	cfg->disk_ro = o->disk_ro;
	cfg->virtio_transport = o->transport;
	cfg->virtio_plain = o->plain;
}
