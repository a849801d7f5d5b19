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

/* Cut `src` for lab `lab` (only: just the region of that name, or
 * NULL); returns awk's exit status, output in out. */
static int cut_only(const char *src, int lab, const char *only, char *out,
		    size_t outlen)
{
	char path[] = "/tmp/labcut-XXXXXX", cmd[512];
	int fd = mkstemp(path), st;
	size_t n;
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, src, strlen(src)), (ssize_t)strlen(src));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "awk -v lab=%d -v only='%s' -f %s/scripts/labcut.awk %s 2>&1",
		 lab, only ? only : "", MVM_SRC_DIR, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int cut(const char *src, int lab, char *out, size_t outlen)
{
	return cut_only(src, lab, NULL, out, outlen);
}

/* The honesty check cuts one region at a time, whatever its lab. */
static void labcut_only_cuts_just_the_named_region(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(cut_only(two_regions, 1, "memory", out, sizeof(out)),
			 0);
	assert_non_null(strstr(out, "return 42; /* solution */"));
	assert_null(strstr(out, "return 7;"));
	assert_non_null(strstr(out, "return -38;"));
	assert_null(strstr(out, "your code here"));
	assert_null(strstr(out, "LAB("));
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

/* --- make-handout.sh on a tiny tree ------------------------------------ */

static char tree[64];

static void put(const char *rel, const char *text)
{
	char path[256], cmd[512];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname %s/%s)\"", tree, rel);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A reference tree (not a git checkout) with labs 1 and 2. */
static int tree_setup(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(tree, sizeof(tree), "/tmp/labcut-tree-XXXXXX");
	assert_non_null(mkdtemp(tree));
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/scripts && cp %s/scripts/make-handout.sh "
		 "%s/scripts/labcut.awk %s/scripts/",
		 tree, MVM_SRC_DIR, MVM_SRC_DIR, tree);
	assert_int_equal(system(cmd), 0);
	put("labs/build.mk", "# lab rules\n");
	put("labs/lab1-one/README.md", "lab 1\n");
	put("labs/lab2-two/README.md", "lab 2\n");
	put("src/f.c", two_regions);
	return 0;
}

static int tree_teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s.out", tree, tree);
	return system(cmd) == 0 ? 0 : -1;
}

static int handout(int lab, char *out, size_t len)
{
	char cmd[512];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd),
		 "cd %s && sh scripts/make-handout.sh %d %s.out 2>&1", tree,
		 lab, tree);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void handout_cuts_regions_and_leaves_out_later_labs(void **state)
{
	char out[4096], path[256];
	FILE *f;
	size_t n;

	(void)state;
	assert_int_equal(handout(1, out, sizeof(out)), 0);
	snprintf(path, sizeof(path), "%s.out/src/f.c", tree);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	assert_null(strstr(out, "return 42"));
	assert_non_null(strstr(out, "your code here"));
	snprintf(path, sizeof(path), "%s.out/labs/lab2-two/README.md", tree);
	assert_int_equal(access(path, F_OK), -1); /* lab 2: not yet */
	snprintf(path, sizeof(path), "%s.out/labs/HANDOUT", tree);
	assert_int_equal(access(path, F_OK), 0);
}

static void handout_refuses_solution_copied_outside_region(void **state)
{
	char out[4096];

	(void)state;
	put("src/g.c", "int h(void)\n{\n"
		       "\treturn 42; /* solution */\n}\n");
	/* "return 42; ..." is short: not a leak by itself */
	assert_int_equal(handout(1, out, sizeof(out)), 0);
	put("src/f.c",
	    "int f(void)\n{\n" B(
		    1, "x") "\treturn compute_the_secret_answer(6, 7) "
			    "* 1;\n" S(1) "\treturn -38;\n" E(1) "}\n");
	put("src/g.c", "/* a copy: return compute_the_secret_answer(6, 7) * "
		       "1; */\n");
	assert_int_equal(handout(1, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "src/g.c:1:"));
	assert_non_null(strstr(out, "appear outside their region"));
}

static void handout_refuses_missing_lab_and_nested_handout(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(handout(3, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "lab 3 does not exist (labs here: "
				    "lab1-one lab2-two)"));
	put("labs/HANDOUT", "lab 1 handout\n");
	assert_int_equal(handout(1, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "this tree is itself a handout"));
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
		cmocka_unit_test(labcut_only_cuts_just_the_named_region),
		cmocka_unit_test(labcut_rejects_comment_end_inside_stub),
		cmocka_unit_test_setup_teardown(
			handout_cuts_regions_and_leaves_out_later_labs,
			tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(
			handout_refuses_solution_copied_outside_region,
			tree_setup, tree_teardown),
		cmocka_unit_test_setup_teardown(
			handout_refuses_missing_lab_and_nested_handout,
			tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
