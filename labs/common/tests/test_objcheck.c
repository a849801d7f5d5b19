/*
 * test_objcheck.c - labs/common/objcheck.sh refuses student objects that
 * could act before main() or replace a library function, and passes
 * ordinary ones. Each test compiles a few lines with cc(1) into a
 * temporary object and runs the check on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "grade.h"

/* Compile src into an object and run objcheck.sh on it; returns its
 * exit status, what it printed in out. */
static int check(const char *src, char *out, size_t len)
{
	char dir[] = "/tmp/objcheck-XXXXXX", cmd[1024], path[256];
	FILE *f, *p;
	size_t n;
	int st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/student.c", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(src, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && cc -O2 -c student.c -o student.o && "
		 "%s/labs/common/objcheck.sh student.o 2>&1; echo \"rc=$?\"; "
		 "rm -rf %s",
		 dir, MVM_SRC_DIR, dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	pclose(p);
	st = strstr(out, "rc=0") ? 0 : strstr(out, "rc=1") ? 1 : -1;
	return st;
}

static void objcheck_passes_ordinary_student_code(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(check("static int helper(int x) { return x + 1; }\n"
			       "int mvm_thing(int x) { return helper(x); }\n"
			       "int ctr_other(void) { return 0; }\n"
			       "int lab1_setup_doorbell(void *vm);\n"
			       "int lab1_setup_doorbell(void *vm) "
			       "{ (void)vm; return -38; }\n",
			       out, sizeof(out)),
			 0);
}

static void objcheck_refuses_a_constructor(void **state)
{
	char out[4096];

	(void)state;
	/* (an empty one would be optimized away, harmlessly) */
	assert_int_equal(check("int mvm_flag;\n"
			       "__attribute__((constructor)) static void "
			       "early(void) { mvm_flag = 1; }\n",
			       out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "student.o: section .init_array"));
	assert_int_equal(check("int mvm_flag;\n"
			       "__attribute__((destructor)) static void "
			       "late(void) { mvm_flag = 2; }\n",
			       out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "section .fini_array"));
}

static void objcheck_refuses_a_shadowing_global_and_an_ifunc(void **state)
{
	char out[4096];

	(void)state;
	assert_int_equal(check("#include <sys/types.h>\n"
			       "ssize_t write(int fd, const void *b, size_t n)"
			       " { (void)fd; (void)b; return (ssize_t)n; }\n",
			       out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "global symbol write"));
	assert_int_equal(check("static int impl(void) { return 1; }\n"
			       "static void *pick(void) { return (void *)impl;"
			       " }\n"
			       "int mvm_fast(void) __attribute__((ifunc(\"pick"
			       "\")));\n",
			       out, sizeof(out)),
			 1);
	assert_non_null(strstr(out, "mvm_fast is an indirect function"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(objcheck_passes_ordinary_student_code),
		cmocka_unit_test(objcheck_refuses_a_constructor),
		cmocka_unit_test(
			objcheck_refuses_a_shadowing_global_and_an_ifunc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
