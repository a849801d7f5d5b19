/*
 * test_virtio_echo.c - host input through virtio-console's receive queue
 * (virtio 1.2, 5.3.6) to examples/virtio-echo.c, which sends it back in
 * upper case: from the library (mvm_virtio_console_input() on a running
 * machine, held back while the machine is paused) and from `mvm run
 * --console virtio`, whose console owner hands stdin over and still
 * obeys the Ctrl-A escape keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "mbox.h"

#define RUN_MS 60000
#define ECHO   MVM_GUEST_DIR "/virtio-echo.elf"

static int box_has(struct box *b, const char *s)
{
	int yes;

	pthread_mutex_lock(&b->lock);
	yes = strstr(b->out, s) != NULL;
	pthread_mutex_unlock(&b->lock);
	return yes;
}

/* Poll b's output for s for up to ms milliseconds. */
static int wait_for(struct box *b, const char *s, unsigned ms)
{
	const struct timespec tick = {0, 10 * 1000 * 1000};

	for (unsigned t = 0; t < ms; t += 10) {
		if (box_has(b, s))
			return 1;
		nanosleep(&tick, NULL);
	}
	return box_has(b, s);
}

struct feeder {
	struct mvm_virtio_console *con;
	const char *text;
	atomic_int done;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t n = strlen(f->text), off = 0;

	while (off < n)
		off += mvm_virtio_console_input(f->con, f->text + off, n - off);
	atomic_store(&f->done, 1);
	return NULL;
}

static void input_reaches_the_guest_and_waits_out_a_pause(void **state)
{
	struct box b = {0};
	struct mvm_machine_config cfg = {
		.virtio = MVM_VIRTIO_DEV_CONSOLE,
		.image = ECHO,
		.mode = MVM_MODE_AUTO,
	};
	struct mvm_machine *m;
	struct feeder f = {.text = "abc."};
	const struct timespec a_while = {0, 200 * 1000 * 1000};
	enum mvm_verdict v;
	pthread_t th;

	(void)state;
	m = mbox_machine(&b, &cfg);
	f.con = mvm_machine_virtio(m)->console;
	fixture_backstop(RUN_MS);
	assert_int_equal(mvm_machine_start(m, RUN_MS, NULL, NULL), 0);
	if (!wait_for(&b, "virtio-echo: ready", RUN_MS))
		fail_msg("no greeting:\n%s%s", b.out, b.log);
	/* Paused, the machine is quiet: the input waits. */
	assert_int_equal(mvm_machine_pause(m), 0);
	assert_int_equal(pthread_create(&th, NULL, feed, &f), 0);
	nanosleep(&a_while, NULL);
	assert_int_equal(atomic_load(&f.done), 0);
	assert_false(box_has(&b, "ABC."));
	assert_int_equal(mvm_machine_resume(m), 0);
	pthread_join(th, NULL);
	assert_int_equal(mvm_machine_wait(m, RUN_MS), 0);
	alarm(0);
	assert_int_equal(mvm_machine_result(m, 0, &v, NULL), 0);
	if (v != MVM_DONE || !box_has(&b, "ABC.\nvirtio-echo: bye"))
		fail_msg("%s\n%s%s", mvm_verdict_name(v), b.out, b.log);
	mvm_machine_destroy(m);
}

/* sh -c cmd; its output and exit status. */
static int sh(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	assert_non_null(p);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	return pclose(p);
}

static void mvm_run_console_virtio_echoes_stdin(void **state)
{
	char out[4096];
	int st;

	(void)state;
	fixture_require_kvm();
	st = sh("printf 'hello there.' | timeout 60 " MVM_BUILD_DIR
		"/mvm run -T 30 --console virtio " ECHO " 2>&1",
		out, sizeof(out));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    !strstr(out, "HELLO THERE.\nvirtio-echo: bye"))
		fail_msg("status %d\n%s", st, out);
}

/* The escape prefix is the console owner's, whichever device gets the
 * rest: Ctrl-A x stops a guest that is still waiting for input. */
static void ctrl_a_x_still_stops_with_console_virtio(void **state)
{
	char out[4096];
	int st;

	(void)state;
	fixture_require_kvm();
	st = sh("(printf 'ab'; sleep 1; printf '\\001x') | "
		"timeout 60 " MVM_BUILD_DIR
		"/mvm run -T 30 --console virtio " ECHO " 2>&1",
		out, sizeof(out));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !strstr(out, "AB") ||
	    !strstr(out, "stopped with Ctrl-A x") || strstr(out, "bye"))
		fail_msg("status %d\n%s", st, out);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(input_reaches_the_guest_and_waits_out_a_pause),
		cmocka_unit_test(mvm_run_console_virtio_echoes_stdin),
		cmocka_unit_test(ctrl_a_x_still_stops_with_console_virtio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
