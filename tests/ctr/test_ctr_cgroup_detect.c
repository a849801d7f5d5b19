/*
 * test_ctr_cgroup_detect.c - choosing between cgroup v1 and v2, and the
 * errors that explain why neither works, on fake hierarchies in /tmp
 * (mvm_ctr_config.cgroup_root). Needs neither root nor cgroups.
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
#include <sys/stat.h>
#include <unistd.h>

#include "minivmm/container.h"

struct fake {
	char dir[64];	/* the fake hierarchy root */
	char log[2048]; /* what the library logged */
};

static void capture(void *ctx, enum mvm_log_level level, const char *msg)
{
	struct fake *f = ctx;
	size_t n = strlen(f->log);

	(void)level;
	snprintf(f->log + n, sizeof(f->log) - n, "%s\n", msg);
}

/* Each test gets an empty directory as its fake hierarchy root. */
static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/ctr-cg-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Fill the fake root: cgroup.controllers lists `v2` (the v2 view); one
 * directory per name in `v1` stands for a mounted v1 hierarchy. */
static void make_fake(struct fake *f, const char *v2, const char *v1)
{
	char path[256], names[64], *tok, *save;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", v2);
	fclose(fp);
	snprintf(names, sizeof(names), "%s", v1);
	for (tok = strtok_r(names, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, tok);
		assert_int_equal(mkdir(path, 0755), 0);
	}
}

static int detect(struct fake *f, struct mvm_ctr_config *cfg,
		  enum mvm_cgroup_version *v)
{
	char root[256];

	cfg->cgroup_root = f->dir;
	cfg->log = (struct mvm_log){capture, f};
	return mvm_ctr_cgroup_detect(cfg, v, root, sizeof(root));
}

static void v2_with_all_controllers_is_preferred(void **state)
{
	struct mvm_ctr_config cfg = {.memory_max = 1 << 20};
	enum mvm_cgroup_version v = MVM_CGROUP_AUTO;

	make_fake(*state, "cpuset cpu io memory pids", "memory pids cpu");
	assert_int_equal(detect(*state, &cfg, &v), 0);
	assert_int_equal(v, MVM_CGROUP_V2);
}

static void v1_is_used_when_v2_lacks_the_controllers(void **state)
{
	struct mvm_ctr_config cfg = {.memory_max = 1 << 20, .pids_max = 8};
	enum mvm_cgroup_version v = MVM_CGROUP_AUTO;

	make_fake(*state, "", "memory pids cpu"); /* the CI machines */
	assert_int_equal(detect(*state, &cfg, &v), 0);
	assert_int_equal(v, MVM_CGROUP_V1);
}

static void forced_v2_without_memory_controller_names_the_file(void **st)
{
	struct mvm_ctr_config cfg = {.memory_max = 1 << 20,
				     .cgroup = MVM_CGROUP_V2};
	enum mvm_cgroup_version v;
	struct fake *f = *st;
	char want[160];

	make_fake(f, "pids cpu", "memory pids cpu");
	assert_int_equal(detect(f, &cfg, &v), -EOPNOTSUPP);
	snprintf(want, sizeof(want),
		 "cgroup v2: memory controller not available in "
		 "%s/cgroup.controllers",
		 f->dir);
	assert_non_null(strstr(f->log, want));
}

static void neither_version_usable_explains_both(void **state)
{
	struct mvm_ctr_config cfg = {.pids_max = 8};
	enum mvm_cgroup_version v;
	struct fake *f = *state;

	make_fake(f, "memory", "memory cpu");
	assert_int_equal(detect(f, &cfg, &v), -EOPNOTSUPP);
	assert_non_null(strstr(f->log, "cgroup v2: pids controller"));
	assert_non_null(strstr(f->log, "cgroup v1: the pids hierarchy"));
}

static void no_limits_accept_an_empty_v2(void **state)
{
	struct mvm_ctr_config cfg = {.cgroup = MVM_CGROUP_V2};
	enum mvm_cgroup_version v;

	make_fake(*state, "", "");
	assert_int_equal(detect(*state, &cfg, &v), 0);
	assert_int_equal(v, MVM_CGROUP_V2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			v2_with_all_controllers_is_preferred, setup, teardown),
		cmocka_unit_test_setup_teardown(
			v1_is_used_when_v2_lacks_the_controllers, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			forced_v2_without_memory_controller_names_the_file,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			neither_version_usable_explains_both, setup, teardown),
		cmocka_unit_test_setup_teardown(no_limits_accept_an_empty_v2,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
