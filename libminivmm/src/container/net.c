/*
 * net.c - placeholder for the veth pair (rtnetlink), being written.
 */
#include <errno.h>

#include "ctr_internal.h"

int ctr_veth_create(struct mvm_ctr *c, pid_t pid)
{
	(void)pid;
	mvm_logf(&c->log, MVM_LOG_ERROR, "network: veth not implemented yet");
	return -EOPNOTSUPP;
}

int ctr_veth_configure_inside(const struct mvm_ctr *c,
			      const struct mvm_log *log)
{
	(void)c;
	(void)log;
	return 0;
}

void ctr_veth_destroy(struct mvm_ctr *c)
{
	(void)c;
}
