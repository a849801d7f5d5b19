/*
 * test_log.c - the library's log sink: formatting, levels, truncation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "minivmm/minivmm.h"

struct capture {
	int calls;
	enum mvm_log_level level;
	char msg[1024];
};

static void capture_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct capture *c = ctx;

	c->calls++;
	c->level = level;
	strncpy(c->msg, msg, sizeof(c->msg) - 1);
}

static void logf_formats_and_passes_level_and_ctx(void **state)
{
	struct capture c = {0};
	struct mvm_log log = {capture_fn, &c};

	(void)state;
	mvm_logf(&log, MVM_LOG_WARN, "port 0x%04x size %d", 0x3f8, 2);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.level, MVM_LOG_WARN);
	assert_string_equal(c.msg, "port 0x03f8 size 2");
}

static void null_log_or_null_fn_drops_messages(void **state)
{
	struct capture c = {0};
	struct mvm_log log = {NULL, &c};

	(void)state;
	mvm_logf(NULL, MVM_LOG_ERROR, "dropped %d", 1);
	mvm_logf(&log, MVM_LOG_ERROR, "dropped %d", 2);
	assert_int_equal(c.calls, 0);
}

static void long_message_is_cut_with_an_ellipsis(void **state)
{
	struct capture c = {0};
	struct mvm_log log = {capture_fn, &c};
	char big[2000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mvm_logf(&log, MVM_LOG_INFO, "%s", big);
	assert_int_equal(c.calls, 1);
	assert_true(strlen(c.msg) < sizeof(big) - 1);
	assert_string_equal(c.msg + strlen(c.msg) - 3, "...");
	assert_int_equal(c.msg[0], 'x');
}

static void level_names_cover_every_level(void **state)
{
	(void)state;
	assert_string_equal(mvm_log_level_name(MVM_LOG_ERROR), "error");
	assert_string_equal(mvm_log_level_name(MVM_LOG_WARN), "warning");
	assert_string_equal(mvm_log_level_name(MVM_LOG_INFO), "info");
	assert_string_equal(mvm_log_level_name(MVM_LOG_DEBUG), "debug");
	assert_string_equal(mvm_log_level_name((enum mvm_log_level)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(logf_formats_and_passes_level_and_ctx),
		cmocka_unit_test(null_log_or_null_fn_drops_messages),
		cmocka_unit_test(long_message_is_cut_with_an_ellipsis),
		cmocka_unit_test(level_names_cover_every_level),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
