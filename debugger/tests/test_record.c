/*
 * test_record.c - JSON Lines traces: the reader rejects bad input with
 * a position, and a recorded session replays through the same commands
 * without KVM (debugger/json.c, record.c, replay.c, exec.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay.h"

static char err[200];

static void json_flattens_nested_objects(void **state)
{
	(void)state;
	static struct dbg_json j;
	assert_int_equal(
		dbg_json_parse("{\"kind\":\"exit\",\"regs\":{\"rip\":"
			       "\"0x10\"},\"n\":12,\"s\":\"a\\\"b\\u0041\"}",
			       &j, err, sizeof(err)),
		0);
	assert_string_equal(dbg_json_get(&j, "kind"), "exit");
	assert_string_equal(dbg_json_get(&j, "regs.rip"), "0x10");
	assert_string_equal(dbg_json_get(&j, "s"), "a\"bA");
	uint64_t v;
	assert_int_equal(dbg_json_u64(&j, "n", &v), 0);
	assert_true(v == 12);
	assert_int_equal(dbg_json_u64(&j, "missing", &v), -ENOENT);
}

static void json_bad_lines_name_the_column(void **state)
{
	(void)state;
	static struct dbg_json j;
	assert_int_equal(dbg_json_parse("{\"a\" 1}", &j, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "column 6"));
	assert_non_null(strstr(err, "':'"));
	assert_int_equal(
		dbg_json_parse("{\"a\":\"unterminated", &j, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "unterminated"));
	assert_int_equal(dbg_json_parse("{\"a\":[1]}", &j, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(dbg_json_parse("{} x", &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(dbg_json_parse("{\"a\":\"\\", &j, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(
		dbg_json_parse(
			"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":1}}}}}}", &j,
			err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "nested"));
}

/* A session as if it had stopped at an OUT, written with dbg_record. */
static void write_trace(const char *path)
{
	static struct dbg_session s;
	dbg_session_init(&s);
	s.rec = fopen(path, "w");
	assert_non_null(s.rec);
	s.cur.regs.rip = 0x100000;
	s.cur.regs.rflags = 2;
	s.cur.sregs.cr0 = MVM_CR0_PG | MVM_CR0_ET | MVM_CR0_PE;
	s.cur.sregs.efer = MVM_EFER_LMA | MVM_EFER_LME;
	s.cur.sregs.cs = (struct kvm_segment){
		.selector = 0x10, .l = 1, .s = 1, .type = 0xb, .present = 1};
	const uint8_t code[] = {0xb0, 0x48, 0xe6, 0xe9, 0xf4};
	memcpy(s.code.bytes, code, sizeof(code));
	s.code.addr = 0x100000;
	s.code.len = sizeof(code);
	assert_int_equal(dbg_record(&s, "start"), 0);
	s.cur.regs.rip = 0x100004;
	s.cur.regs.rax = 0x48;
	s.last = (struct mvm_exit){
		.seq = 1, .reason = KVM_EXIT_IO, .rip = 0x100004};
	s.last.u.io = (struct mvm_exit_io){.port = 0xe9,
					   .size = 1,
					   .is_write = 1,
					   .count = 1,
					   .data = {'H'}};
	dbg_session_output(&s, "H", 1);
	assert_int_equal(dbg_record(&s, "exit"), 0);
	dbg_session_close(&s);
}

static void replay_steps_through_recorded_exits(void **state)
{
	(void)state;
	char path[] = "/tmp/mvmdbg-trace-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_trace(path);
	static struct dbg_session s;
	dbg_session_init(&s);
	assert_int_equal(dbg_session_open_replay(&s, path), 0);
	assert_true(s.cur.regs.rip == 0x100000);
	assert_int_equal(dbg_exec(&s, "code"), 0);
	assert_true(dbg_text_find(&s.result, "=> 0x00100000  b0 48") >= 0);
	assert_int_equal(dbg_exec(&s, "nexit"), 0);
	assert_int_equal(s.last.reason, KVM_EXIT_IO);
	assert_int_equal(s.last.u.io.port, 0xe9);
	assert_int_equal(s.last.u.io.data[0], 'H');
	assert_true(s.cur.regs.rax == 0x48);
	assert_int_equal(s.out_len, 1);
	assert_int_equal(dbg_exec(&s, "exits"), 0);
	assert_true(dbg_text_find(&s.result, "out port 0x00e9") >= 0);
	/* What was not recorded is an error, not a crash. */
	assert_int_equal(dbg_exec(&s, "xp/4xb 0"), -ENODATA);
	assert_non_null(strstr(s.status, "not recorded"));
	assert_true(dbg_exec(&s, "nexit") < 0);
	assert_non_null(strstr(s.status, "end of the trace"));
	assert_true(dbg_exec(&s, "set rax 1") < 0);
	dbg_session_close(&s);
	unlink(path);
}

/* Guest output longer than one line (and than the 64 bytes a record
 * once kept), with quotes, a newline and a non-ASCII byte, comes back
 * whole from a replay. */
static void replay_keeps_long_guest_output_whole(void **state)
{
	(void)state;
	char path[] = "/tmp/mvmdbg-trace-XXXXXX";
	char text[3000];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + i % 26);
	memcpy(text + 100, "\"quoted\"\n", 9);
	static struct dbg_session w;
	dbg_session_init(&w);
	w.rec = fopen(path, "w");
	assert_non_null(w.rec);
	w.cur.sregs.cr0 = MVM_CR0_PE;
	assert_int_equal(dbg_record(&w, "start"), 0);
	w.last = (struct mvm_exit){.seq = 1, .reason = KVM_EXIT_IO};
	dbg_session_output(&w, text, sizeof(text));
	assert_int_equal(dbg_record(&w, "exit"), 0);
	dbg_session_close(&w);

	static struct dbg_session s;
	dbg_session_init(&s);
	assert_int_equal(dbg_session_open_replay(&s, path), 0);
	assert_int_equal(dbg_exec(&s, "nexit"), 0);
	assert_int_equal(s.out_len, sizeof(text));
	assert_memory_equal(s.out, text, sizeof(text));
	dbg_session_close(&s);
	unlink(path);
}

static void replay_of_a_bad_file_names_the_line(void **state)
{
	(void)state;
	char path[] = "/tmp/mvmdbg-bad-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "{\"kind\":\"start\",\"regs\":{\"rip\":\"0x1\"},"
			   "\"sregs\":{\"cr0\":\"0x0\"}}\n"
			   "{\"kind\":\"exit\", oops}\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	static struct dbg_session s;
	dbg_session_init(&s);
	assert_int_equal(dbg_session_open_replay(&s, path), -EINVAL);
	assert_non_null(strstr(s.status, "line 2"));
	dbg_session_close(&s);
	unlink(path);
}

static void commands_report_errors_in_the_status_line(void **state)
{
	(void)state;
	static struct dbg_session s;
	dbg_session_init(&s);
	assert_int_equal(dbg_exec(&s, "frobnicate"), -EINVAL);
	assert_true(s.status_error);
	assert_non_null(strstr(s.status, "unknown command 'frobnicate'"));
	assert_int_equal(dbg_exec(&s, "x/4q rip"), -EINVAL);
	assert_int_equal(dbg_exec(&s, "stepi 0"), -EINVAL);
	assert_non_null(strstr(s.status, "bad count"));
	assert_int_equal(dbg_exec(&s, "break io 0x10000"), -EINVAL);
	assert_int_equal(dbg_exec(&s, "break exit nosuch"), -EINVAL);
	assert_int_equal(dbg_exec(&s, "break watch 0x1000"), -EOPNOTSUPP);
	assert_non_null(strstr(s.status, "data breakpoints"));
	assert_int_equal(dbg_exec(&s, "delete 9"), -ENOENT);
	assert_int_equal(dbg_exec(&s, "help"), 0);
	assert_true(dbg_text_find(&s.result, "x/NFU ADDR") >= 0);
	assert_int_equal(dbg_exec(&s, "help stepi"), 0);
	assert_true(dbg_text_find(&s.result, "single-step") >= 0);
	assert_int_equal(dbg_exec(&s, "q"), DBG_QUIT);
	dbg_session_close(&s);
}

static void every_pane_has_a_name_that_parses_back(void **state)
{
	(void)state;
	for (int p = 0; p <= DBG_P_CODE; p++) {
		const char *name = dbg_pane_name((enum dbg_pane)p);
		assert_string_not_equal(name, "?");
		assert_int_equal(dbg_pane_parse(name), p);
	}
	assert_int_equal(dbg_pane_parse("nosuch"), -1);
}

static void fifth_hardware_breakpoint_is_refused(void **state)
{
	(void)state;
	static struct dbg_session s;
	dbg_session_init(&s);
	char cmd[64];
	for (int i = 0; i < 4; i++) {
		snprintf(cmd, sizeof(cmd), "break 0x%x", 0x1000 + i);
		assert_int_equal(dbg_exec(&s, cmd), 0);
	}
	assert_int_equal(dbg_exec(&s, "break exit hlt"), 0);
	assert_int_equal(dbg_exec(&s, "break rip 0x2000"), -ENOSPC);
	assert_non_null(strstr(s.status, "all 4 hardware breakpoints"));
	assert_int_equal(dbg_exec(&s, "delete 2"), 0);
	assert_int_equal(dbg_exec(&s, "break rip 0x2000"), 0);
	assert_int_equal(dbg_exec(&s, "info break"), 0);
	assert_true(dbg_text_find(&s.result, "6: rip 0x2000") >= 0);
	assert_true(dbg_text_find(&s.result, "5: exit HLT") >= 0);
	dbg_session_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_flattens_nested_objects),
		cmocka_unit_test(json_bad_lines_name_the_column),
		cmocka_unit_test(replay_steps_through_recorded_exits),
		cmocka_unit_test(replay_keeps_long_guest_output_whole),
		cmocka_unit_test(replay_of_a_bad_file_names_the_line),
		cmocka_unit_test(commands_report_errors_in_the_status_line),
		cmocka_unit_test(every_pane_has_a_name_that_parses_back),
		cmocka_unit_test(fifth_hardware_breakpoint_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
