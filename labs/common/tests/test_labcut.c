/*
 * test_labcut.c - the handout cutter (scripts/labcut.awk) on small
 * inputs: what a handout keeps, what it drops, and that every malformed
 * region is refused with the file and line named.
 *
 * The markers below are spelled in pieces ("LAB" "(1, x)") so that this
 * file is not itself a region when a handout is cut.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define B(n, name) \
	"\t/* LAB" \
	"(" #n ", " name ") BEGIN */\n"
#define S(n)       \
	"\t/* LAB" \
	"(" #n ") STUB\n"
#define E(n)    \
	"\tLAB" \
	"(" #n ") END */\n"

static const char two_regions[] =
	"int f(void)\n{\n" B(1, "decode") "\treturn 42; /* solution */\n" S(1) "\t// LAB 1: your code here\n\treturn -38;\n" E(
		1) "}\n"
		   "int g(void)\n{\n" B(2, "memory") "\treturn 7;\n" S(
			   2) "\treturn -38;\n" E(2) "}\n";

/* Cut `src` for lab `lab`; returns awk's exit status, output in out. */
static int cut(const char *src, int lab, char *out, size_t outlen)
{
	char path[] = "/tmp/labcut-XXXXXX", cmd[512];
	int fd = mkstemp(path), st;
	size_t n;
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, src, strlen(src)), (ssize_t)strlen(src));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "awk -v lab=%d -f %s/scripts/labcut.awk %s 2>&1", lab,
		 MVM_SRC_DIR, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void labcut_replaces_current_and_later_labs_by_stubs(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(cut(two_regions, 1, out, sizeof(out)), 0);
	assert_null(strstr(out, "return 42"));
	assert_null(strstr(out, "return 7"));
	assert_non_null(strstr(out, "// LAB 1: your code here"));
	assert_null(strstr(out, "LAB("));
}

static void labcut_keeps_earlier_lab_solutions_without_markers(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(cut(two_regions, 2, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "return 42; /* solution */"));
	assert_null(strstr(out, "your code here"));
	assert_null(strstr(out, "return 7"));
	assert_null(strstr(out, "LAB("));
	assert_int_equal(cut(two_regions, 9, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "return 7;"));
	assert_null(strstr(out, "-38"));
}

static void labcut_rejects_unclosed_region_naming_its_line(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(cut("x\n" B(1, "a") "y\n", 1, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "opened at line 2 is not closed"));
}

static void labcut_rejects_nested_and_mismatched_regions(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(cut(B(1, "a") B(2, "b") S(2) E(2) S(1) E(1), 1, out,
			     sizeof(out)),
			 2);
	assert_non_null(strstr(out, "do not nest"));
	assert_int_equal(cut(B(1, "a") "x\n" S(2) E(2), 1, out, sizeof(out)),
			 2);
	assert_non_null(strstr(out, "closes the region LAB(1)"));
	assert_int_equal(cut(S(1) E(1), 1, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "without a BEGIN"));
}

static void labcut_rejects_marker_sharing_a_line(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(cut("int x; /* LAB"
			     "(1, a) BEGIN */\n",
			     1, out, sizeof(out)),
			 2);
	assert_non_null(strstr(out, ":1: malformed lab marker"));
}

static void labcut_rejects_comment_end_inside_stub(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(cut(B(1, "a") "x\n" S(1) "y; /* z */\n" E(1), 1, out,
			     sizeof(out)),
			 2);
	assert_non_null(strstr(out, ":4: stub line contains '*/'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			labcut_replaces_current_and_later_labs_by_stubs),
		cmocka_unit_test(
			labcut_keeps_earlier_lab_solutions_without_markers),
		cmocka_unit_test(
			labcut_rejects_unclosed_region_naming_its_line),
		cmocka_unit_test(labcut_rejects_nested_and_mismatched_regions),
		cmocka_unit_test(labcut_rejects_marker_sharing_a_line),
		cmocka_unit_test(labcut_rejects_comment_end_inside_stub),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
