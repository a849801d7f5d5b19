/*
 * mbox.c - see mbox.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "mbox.h"

static void box_out(void *ctx, const char *buf, size_t len)
{
	struct box *b = ctx;

	pthread_mutex_lock(&b->lock);
	if (len > sizeof(b->out) - 1 - b->len)
		len = sizeof(b->out) - 1 - b->len;
	memcpy(b->out + b->len, buf, len);
	b->len += len;
	b->out[b->len] = '\0';
	pthread_mutex_unlock(&b->lock);
}

static void box_log(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct box *b = ctx;
	int n;

	(void)level;
	pthread_mutex_lock(&b->lock);
	n = snprintf(b->log + b->loglen, sizeof(b->log) - b->loglen, "%s\n",
		     msg);
	if (n > 0 && (size_t)n < sizeof(b->log) - b->loglen)
		b->loglen += (size_t)n;
	pthread_mutex_unlock(&b->lock);
}

struct mvm_machine *mbox_machine(struct box *b, struct mvm_machine_config *cfg)
{
	struct mvm_machine *m;

	fixture_require_kvm();
	pthread_mutex_init(&b->lock, NULL);
	cfg->out = box_out;
	cfg->out_ctx = b;
	cfg->log = (struct mvm_log){box_log, b};
	if (mvm_machine_create(cfg, &m) < 0)
		fail_msg("mvm_machine_create:\n%s", b->log);
	return m;
}
