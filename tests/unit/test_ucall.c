/*
 * test_ucall.c - the host side of the ucall port: good calls, and guests
 * that hand over bad addresses, bad sizes or unterminated text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm/minivmm.h"

#include "capture.h"
#include "hostram.h"

#define RAM_SIZE 0x10000
#define UC_GPA	 0x4000 /* where the tests put the guest's struct */

struct env {
	uint8_t *ram;
	struct mvm_memmap mem;
	struct mvm_ucall_dev *dev;
	char out[512];
	size_t out_len;
	char log[16384];
	unsigned nlog[MVM_LOG_DEBUG + 1]; /* messages per level */
};

static void out_fn(void *ctx, const char *buf, size_t len)
{
	struct env *e = ctx;

	capture_append(e->out, sizeof(e->out), &e->out_len, buf, len);
}

static void log_fn(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct env *e = ctx;
	size_t used = strlen(e->log);

	if ((unsigned)level <= MVM_LOG_DEBUG)
		e->nlog[level]++;
	snprintf(e->log + used, sizeof(e->log) - used, "%s\n", msg);
}

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct mvm_log lg = {log_fn, e};

	assert_non_null(e);
	e->ram = hostram_map(&e->mem, RAM_SIZE, 0);
	assert_non_null(e->ram);
	assert_int_equal(mvm_ucall_create(&e->mem, out_fn, e, &lg, &e->dev), 0);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;

	mvm_ucall_destroy(e->dev);
	free(e->ram);
	free(e);
	return 0;
}

/* What the guest does: fill the struct at gpa, OUT its address. */
static int guest_call(struct env *e, uint32_t gpa, uint64_t cmd, uint64_t a0,
		      const char *text)
{
	struct mvm_ucall uc = {.cmd = cmd, .args = {a0}};

	snprintf(uc.text, sizeof(uc.text), "%s", text);
	if (gpa + sizeof(uc) <= RAM_SIZE)
		memcpy(e->ram + gpa, &uc, sizeof(uc));
	return mvm_ucall_ops.write(e->dev, NULL, 0, &gpa, 4);
}

static void ucall_print_goes_to_output_and_guest_continues(void **state)
{
	struct env *e = *state;

	assert_int_equal(guest_call(e, UC_GPA, MVM_UCALL_PRINT, 0, "hello"), 0);
	assert_int_equal(e->out_len, 5);
	assert_memory_equal(e->out, "hello", 5);
	assert_int_equal(mvm_ucall_last(e->dev, NULL), MVM_UCALL_NONE);
}

static void ucall_sync_stops_and_is_stored(void **state)
{
	struct env *e = *state;
	struct mvm_ucall uc;

	assert_int_equal(guest_call(e, UC_GPA, MVM_UCALL_SYNC, 7, ""),
			 MVM_IO_STOP);
	assert_int_equal(mvm_ucall_last(e->dev, &uc), MVM_UCALL_SYNC);
	assert_int_equal(uc.args[0], 7);
	mvm_ucall_clear(e->dev);
	assert_int_equal(mvm_ucall_last(e->dev, &uc), MVM_UCALL_NONE);
}

static void ucall_assert_keeps_the_guest_message(void **state)
{
	struct env *e = *state;
	struct mvm_ucall uc;

	assert_int_equal(
		guest_call(e, UC_GPA, MVM_UCALL_ASSERT, 0, "x == 1@guest.c:12"),
		MVM_IO_STOP);
	assert_int_equal(mvm_ucall_last(e->dev, &uc), MVM_UCALL_ASSERT);
	assert_string_equal(uc.text, "x == 1@guest.c:12");
	assert_int_equal(guest_call(e, UC_GPA, MVM_UCALL_DONE, 0, ""),
			 MVM_IO_STOP);
	assert_int_equal(mvm_ucall_last(e->dev, NULL), MVM_UCALL_DONE);
}

static void ucall_unterminated_text_is_cut_by_the_host(void **state)
{
	struct env *e = *state;
	struct mvm_ucall uc = {.cmd = MVM_UCALL_ASSERT};
	uint32_t gpa = UC_GPA;

	memset(uc.text, 'A', sizeof(uc.text));
	memcpy(e->ram + gpa, &uc, sizeof(uc));
	assert_int_equal(mvm_ucall_ops.write(e->dev, NULL, 0, &gpa, 4),
			 MVM_IO_STOP);
	mvm_ucall_last(e->dev, &uc);
	assert_int_equal(strlen(uc.text), MVM_UCALL_TEXT - 1);
}

static void ucall_address_outside_ram_is_logged_and_ignored(void **state)
{
	struct env *e = *state;

	assert_int_equal(guest_call(e, 0xc0000000u, MVM_UCALL_DONE, 0, ""), 0);
	assert_non_null(strstr(e->log, "0xc0000000"));
	assert_int_equal(mvm_ucall_last(e->dev, NULL), MVM_UCALL_NONE);
}

static void ucall_struct_crossing_end_of_ram_is_ignored(void **state)
{
	struct env *e = *state;
	uint32_t gpa = RAM_SIZE - 8; /* cmd fits, the rest does not */

	e->ram[gpa] = MVM_UCALL_DONE;
	assert_int_equal(mvm_ucall_ops.write(e->dev, NULL, 0, &gpa, 4), 0);
	assert_int_equal(mvm_ucall_last(e->dev, NULL), MVM_UCALL_NONE);
	assert_non_null(strstr(e->log, "not in guest RAM"));
}

static void ucall_non_four_byte_write_is_ignored(void **state)
{
	struct env *e = *state;
	uint8_t b = 0x40;
	uint16_t w = 0x4000;

	guest_call(e, UC_GPA, MVM_UCALL_PRINT, 0, "x"); /* struct in place */
	e->out_len = 0;
	assert_int_equal(mvm_ucall_ops.write(e->dev, NULL, 0, &b, 1), 0);
	assert_int_equal(mvm_ucall_ops.write(e->dev, NULL, 0, &w, 2), 0);
	assert_int_equal(e->out_len, 0);
	assert_non_null(strstr(e->log, "1-byte write"));
	assert_non_null(strstr(e->log, "2-byte write"));
}

static void ucall_unknown_command_is_ignored(void **state)
{
	struct env *e = *state;

	assert_int_equal(guest_call(e, UC_GPA, 99, 0, ""), 0);
	assert_int_equal(mvm_ucall_last(e->dev, NULL), MVM_UCALL_NONE);
	assert_non_null(strstr(e->log, "unknown command 99"));
}

/* A guest that repeats a bad call in a loop must not flood the log: the
 * first 32 are warnings, then one notice, then debug messages only. */
static void ucall_bad_calls_are_capped_at_warning_level(void **state)
{
	struct env *e = *state;
	uint8_t b = 0x40;
	int i;

	for (i = 0; i < 100; i++)
		assert_int_equal(mvm_ucall_ops.write(e->dev, NULL, 0, &b, 1),
				 0);
	assert_int_equal(e->nlog[MVM_LOG_WARN], 32 + 1);
	assert_int_equal(e->nlog[MVM_LOG_DEBUG], 100 - 32);
	assert_non_null(strstr(e->log, "further ones are logged at debug"));
	/* Other kinds of bad call share the cap. */
	assert_int_equal(guest_call(e, UC_GPA, 99, 0, ""), 0);
	assert_int_equal(guest_call(e, 0xc0000000u, MVM_UCALL_DONE, 0, ""), 0);
	assert_int_equal(e->nlog[MVM_LOG_WARN], 32 + 1);
	assert_int_equal(e->nlog[MVM_LOG_DEBUG], 100 - 32 + 2);
	/* Good calls still work. */
	assert_int_equal(guest_call(e, UC_GPA, MVM_UCALL_DONE, 0, ""),
			 MVM_IO_STOP);
}

/* mvm_ucall_seen: every accepted call, PRINT included, numbered; ignored
 * calls do not count and clearing the last SYNC/DONE does not forget it. */
static void ucall_seen_counts_every_accepted_call(void **state)
{
	struct env *e = *state;
	struct mvm_ucall uc;
	uint8_t b = 0x40;

	assert_int_equal(mvm_ucall_seen(e->dev, &uc), 0);
	assert_int_equal(uc.cmd, MVM_UCALL_NONE);
	guest_call(e, UC_GPA, MVM_UCALL_PRINT, 0, "hi");
	assert_int_equal(mvm_ucall_seen(e->dev, &uc), 1);
	assert_int_equal(uc.cmd, MVM_UCALL_PRINT);
	assert_string_equal(uc.text, "hi");
	guest_call(e, UC_GPA, MVM_UCALL_SYNC, 5, "");
	mvm_ucall_clear(e->dev);
	assert_int_equal(mvm_ucall_seen(e->dev, &uc), 2);
	assert_int_equal(uc.cmd, MVM_UCALL_SYNC);
	assert_int_equal(uc.args[0], 5);
	/* Ignored: bad size, unknown command, address outside RAM. */
	mvm_ucall_ops.write(e->dev, NULL, 0, &b, 1);
	guest_call(e, UC_GPA, 99, 0, "");
	guest_call(e, 0xc0000000u, MVM_UCALL_DONE, 0, "");
	assert_int_equal(mvm_ucall_seen(e->dev, NULL), 2);
}

static void ucall_command_names(void **state)
{
	(void)state;
	assert_string_equal(mvm_ucall_cmd_name(MVM_UCALL_SYNC), "SYNC");
	assert_string_equal(mvm_ucall_cmd_name(MVM_UCALL_PRINT), "PRINT");
	assert_string_equal(mvm_ucall_cmd_name(MVM_UCALL_NR), "?");
	assert_string_equal(mvm_ucall_cmd_name(UINT64_MAX), "?");
}

#define T(f) cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ucall_print_goes_to_output_and_guest_continues),
		T(ucall_sync_stops_and_is_stored),
		T(ucall_assert_keeps_the_guest_message),
		T(ucall_unterminated_text_is_cut_by_the_host),
		T(ucall_address_outside_ram_is_logged_and_ignored),
		T(ucall_struct_crossing_end_of_ram_is_ignored),
		T(ucall_non_four_byte_write_is_ignored),
		T(ucall_unknown_command_is_ignored),
		T(ucall_bad_calls_are_capped_at_warning_level),
		T(ucall_seen_counts_every_accepted_call),
		T(ucall_command_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
