/*
 * test_gdbproto.c - the gdb stub (gdbstub.h) under malformed and hostile
 * packets, without gdb: the test talks the remote protocol itself over a
 * socketpair to mvm_gdb_serve() running in a thread on a real machine.
 * Every bad packet must get an error reply (or '-'), and the stub must
 * stay usable afterwards; run under SANITIZE=1 for ASan/UBSan and under
 * SANITIZE=thread (the serve thread and this one share the socket).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "minivmm/minivmm.h"

#define GUESTS	  MVM_GUEST_DIR
#define REPLY_MAX 20000

static int sv[2] = {-1, -1};
static struct mvm_gdb *g;
static struct mvm_machine *m;
static pthread_t th;
static int serve_rc;
static char rep[REPLY_MAX];

static void *serve(void *arg)
{
	(void)arg;
	serve_rc = mvm_gdb_serve(g);
	return NULL;
}

static int setup(void **state)
{
	struct mvm_machine_config cfg = {.image = GUESTS "/hello-long.elf",
					 .mode = MVM_MODE_AUTO};
	struct mvm_gdb_config gc = {0};

	(void)state;
	fixture_require_kvm();
	alarm(60);
	if (mvm_machine_create(&cfg, &m) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	gc.machine = m;
	if (mvm_gdb_create(&gc, &g) < 0 || mvm_gdb_attach_fd(g, sv[1]) < 0)
		return -1;
	return pthread_create(&th, NULL, serve, NULL) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	close(sv[0]);
	pthread_join(th, NULL);
	mvm_gdb_destroy(g);
	mvm_machine_destroy(m);
	alarm(0);
	return 0;
}

static int get_byte(void)
{
	struct pollfd p = {sv[0], POLLIN, 0};
	char c;

	if (poll(&p, 1, 10000) != 1 || read(sv[0], &c, 1) != 1)
		fail_msg("the stub did not answer");
	return (unsigned char)c;
}

/* The next reply: "-" for a NAK, else a packet's payload (acked). */
static const char *reply(void)
{
	size_t n = 0;
	int c;

	while ((c = get_byte()) != '$')
		if (c == '-')
			return "-";
	while ((c = get_byte()) != '#' && n < REPLY_MAX - 1)
		rep[n++] = (char)c;
	rep[n] = '\0';
	get_byte();
	get_byte();
	assert_int_equal(write(sv[0], "+", 1), 1);
	return rep;
}

/* Skip console output ('O' packets) up to the final reply. */
static const char *final_reply(void)
{
	const char *r;

	while ((r = reply())[0] == 'O' && strcmp(r, "OK") != 0)
		;
	return r;
}

static const char *raw(const void *bytes, size_t n)
{
	assert_int_equal(write(sv[0], bytes, n), (ssize_t)n);
	return final_reply();
}

static const char *cmd(const char *payload)
{
	static char f[2 * REPLY_MAX];
	int n = mvm_gdb_frame(payload, strlen(payload), f, sizeof(f));

	assert_true(n > 0);
	return raw(f, (size_t)n);
}

static void stub_answers_bad_framing_with_nak_or_error(void **state)
{
	size_t big = 3 * MVM_GDB_PACKET_MAX;
	char *p = malloc(big + 8);

	(void)state;
	assert_string_equal(raw("$g#00", 5), "-");
	assert_string_equal(raw("$g#zz", 5), "-");
	assert_string_equal(raw("$a}#de", 6), "E01"); /* truncated escape */
	assert_string_equal(raw("$*#2a", 5), "E01");  /* '*' with no byte */
	assert_non_null(p);
	p[0] = '$';
	memset(p + 1, 'm', big);
	uint8_t sum = (uint8_t)(big * 'm');
	snprintf(p + 1 + big, 8, "#%02x", sum);
	assert_string_equal(raw(p, strlen(p)), "E01"); /* overlong */
	free(p);
	assert_string_equal(cmd("qAttached"), "1"); /* still alive */
}

static void stub_refuses_bad_memory_and_register_requests(void **state)
{
	const char *r;

	(void)state;
	r = cmd("m0,ffffffffffffffff"); /* huge length: a short answer */
	assert_true(strlen(r) > 0 && strlen(r) % 2 == 0 && r[0] != 'E');
	assert_string_equal(cmd("mffffffffffff0000,10"), "E0e");
	assert_string_equal(cmd("m100000"), "E16");
	assert_string_equal(cmd("m,"), "E16");
	assert_string_equal(cmd("m11111111111111111111,1"), "E16");
	assert_string_equal(cmd("M100000,2:zz"), "E16");
	assert_string_equal(cmd("M100000,ffffffff:00"), "E16");
	assert_string_equal(cmd("X100000,10:abc"), "E16");
	assert_string_equal(cmd("p3e8"), "E16");
	assert_string_equal(cmd("pffffffffffffffffff"), "E16");
	assert_string_equal(cmd("P0=12"), "E16");
	assert_string_equal(cmd("G00"), "E16");
	assert_string_equal(cmd("vCont;x"), "E16");
	assert_string_equal(cmd("Cxyz"), "E16");
	assert_string_equal(cmd("qRcmd,7"), "E16");
	assert_string_equal(cmd("qRcmd,6e6f7065"), "OK"); /* "nope" */
	assert_string_equal(cmd("qXfer:features:read:target.xml:fffffff,10"),
			    "l");
	r = cmd("qXfer:features:read:target.xml:0,fff");
	assert_non_null(strstr(r, "<target"));
	assert_string_equal(cmd("Z2,100000,1"), ""); /* watchpoints */
}

static void stub_has_four_hardware_breakpoints(void **state)
{
	(void)state;
	assert_string_equal(cmd("Z0,100000,1"), "OK");
	assert_string_equal(cmd("Z1,100010,1"), "OK");
	assert_string_equal(cmd("Z0,100020,1"), "OK");
	assert_string_equal(cmd("Z1,100030,1"), "OK");
	assert_string_equal(cmd("Z0,100040,1"), "E1c"); /* ENOSPC */
	assert_string_equal(cmd("z1,100030,1"), "OK");
	assert_string_equal(cmd("Z0,100040,1"), "OK");
}

/* Random packets of the letters that read or write state (not the ones
 * that run the guest or end the session), with random arguments. */
static void stub_survives_random_packets(void **state)
{
	static const char first[] = "gmMXpPZzqQH?T";
	static const char rest[] = "0123456789abcdef,:;=xX}*$#";
	unsigned seed = 4242;
	char pkt[64];

	(void)state;
	for (int i = 0; i < 3000; i++) {
		size_t len;
		seed = seed * 1103515245u + 12345u;
		len = 1 + (seed >> 16) % 40;
		pkt[0] = first[(seed >> 8) % (sizeof(first) - 1)];
		for (size_t k = 1; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			pkt[k] = rest[(seed >> 16) % (sizeof(rest) - 1)];
		}
		pkt[len] = '\0';
		if (strncmp(pkt, "QStartNoAckMode", 15) == 0)
			continue;
		cmd(pkt);
	}
	assert_string_equal(cmd("qAttached"), "1");
}

/* Ctrl-C (0x03) while the guest spins in `jmp $`: the watcher thread
 * kicks the vCPU out of KVM_RUN and the stub reports SIGINT. */
static void stub_ctrl_c_stops_a_spinning_guest(void **state)
{
	char f[16];
	int n = mvm_gdb_frame("c", 1, f, sizeof(f));

	(void)state;
	/* no breakpoints left from the tests before */
	assert_string_equal(cmd("z0,100000,1"), "OK");
	assert_string_equal(cmd("z0,100010,1"), "OK");
	assert_string_equal(cmd("z0,100020,1"), "OK");
	assert_string_equal(cmd("z0,100040,1"), "OK");
	assert_string_equal(cmd("M100000,2:ebfe"), "OK"); /* jmp $ */
	assert_int_equal(write(sv[0], f, (size_t)n), n);
	usleep(300 * 1000);
	assert_int_equal(write(sv[0], "\x03", 1), 1);
	assert_string_equal(reply(), "T02thread:1;");
	/* the guest is still at its jmp */
	assert_string_equal(cmd("p10"), "0000100000000000");
}

static void stub_k_ends_the_session_as_killed(void **state)
{
	char f[16];
	int n = mvm_gdb_frame("k", 1, f, sizeof(f));

	(void)state;
	assert_int_equal(write(sv[0], f, (size_t)n), n);
	assert_int_equal(get_byte(), '+');
	pthread_join(th, NULL);
	assert_int_equal(serve_rc, MVM_GDB_KILLED);
	/* teardown joins again: start a thread that ends at once */
	assert_int_equal(pthread_create(&th, NULL, serve, NULL), 0);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(stub_answers_bad_framing_with_nak_or_error),
		cmocka_unit_test(stub_refuses_bad_memory_and_register_requests),
		cmocka_unit_test(stub_has_four_hardware_breakpoints),
		cmocka_unit_test(stub_survives_random_packets),
		cmocka_unit_test(stub_ctrl_c_stops_a_spinning_guest),
		cmocka_unit_test(stub_k_ends_the_session_as_killed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
