/*
 * test_quirks.c - backend detection and the quirk table (quirks.h),
 * against a made-up /sys/module so every backend can be tested anywhere.
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

#include "minivmm/minivmm.h"

struct modules {
	char dir[64];	 /* a fake /sys/module */
	char sub[4][96]; /* module directories made in it */
	int nsub;
};

static int setup(void **state)
{
	struct modules *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	snprintf(m->dir, sizeof(m->dir), "/tmp/mvm-quirks-XXXXXX");
	if (!mkdtemp(m->dir)) {
		free(m);
		return -1;
	}
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct modules *m = *state;

	for (int i = 0; i < m->nsub; i++)
		rmdir(m->sub[i]);
	rmdir(m->dir);
	free(m);
	return 0;
}

static void load(struct modules *m, const char *name)
{
	char p[sizeof(m->sub[0])];

	snprintf(p, sizeof(p), "%s/%s", m->dir, name);
	assert_int_equal(mkdir(p, 0700), 0);
	memcpy(m->sub[m->nsub++], p, sizeof(p));
}

static void pvm_module_gives_kvm_pvm_with_its_quirks(void **state)
{
	struct modules *m = *state;
	struct mvm_backend be;

	load(m, "kvm");
	load(m, "kvm_pvm");
	assert_int_equal(mvm_backend_detect_in(m->dir, &be), 0);
	assert_string_equal(be.name, "kvm_pvm");
	assert_true(be.quirks & MVM_QUIRK_SOFT_INT_EMULATION);
	assert_true(be.quirks & MVM_QUIRK_STEP_SKIPS_HLT);
	assert_true(be.quirks & MVM_QUIRK_NO_LEGACY_PAGING);
	assert_true(be.quirks & MVM_QUIRK_NO_1G_PAGES);
}

static void hardware_modules_have_no_quirks(void **state)
{
	struct modules *m = *state;
	struct mvm_backend be;

	load(m, "kvm_intel");
	assert_int_equal(mvm_backend_detect_in(m->dir, &be), 0);
	assert_string_equal(be.name, "kvm_intel");
	assert_int_equal(be.quirks, 0);
	rmdir(m->sub[--m->nsub]);
	load(m, "kvm_amd");
	assert_int_equal(mvm_backend_detect_in(m->dir, &be), 0);
	assert_string_equal(be.name, "kvm_amd");
	assert_int_equal(be.quirks, 0);
}

/* With kvm_pvm listed next to a vendor module, its workarounds apply
 * (they are harmless on hardware KVM; quirks.c). */
static void pvm_wins_over_a_vendor_module(void **state)
{
	struct modules *m = *state;
	struct mvm_backend be;

	load(m, "kvm_amd");
	load(m, "kvm_pvm");
	assert_int_equal(mvm_backend_detect_in(m->dir, &be), 0);
	assert_string_equal(be.name, "kvm_pvm");
}

static void no_vendor_module_is_unknown(void **state)
{
	struct modules *m = *state;
	struct mvm_backend be = {"x", ~0u};

	load(m, "kvm");
	assert_int_equal(mvm_backend_detect_in(m->dir, &be), 0);
	assert_string_equal(be.name, "unknown");
	assert_int_equal(be.quirks, 0);
}

static void unreadable_module_dir_is_enoent_and_unknown(void **state)
{
	struct mvm_backend be = {"x", ~0u};

	(void)state;
	assert_int_equal(mvm_backend_detect_in("/nonexistent/module", &be),
			 -ENOENT);
	assert_string_equal(be.name, "unknown");
	assert_int_equal(be.quirks, 0);
}

/* Every bit has a distinct name and a symptom; anything else has none. */
static void every_quirk_has_a_name_and_a_symptom(void **state)
{
	(void)state;
	for (int i = 0; i < MVM_QUIRK_COUNT; i++) {
		const char *name = mvm_quirk_name(1u << i);

		assert_non_null(name);
		assert_true(strlen(mvm_quirk_symptom(1u << i)) > 20);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name, mvm_quirk_name(1u << j));
	}
	assert_string_equal(mvm_quirk_name(MVM_QUIRK_NO_LEGACY_PAGING),
			    "NO_LEGACY_PAGING");
	assert_null(mvm_quirk_name(0));
	assert_null(mvm_quirk_symptom(1u << MVM_QUIRK_COUNT));
	assert_null(mvm_quirk_symptom(MVM_QUIRK_NO_1G_PAGES |
				      MVM_QUIRK_NO_CMPXCHG16B));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(pvm_module_gives_kvm_pvm_with_its_quirks),
		T(hardware_modules_have_no_quirks),
		T(pvm_wins_over_a_vendor_module),
		T(no_vendor_module_is_unknown),
		T(unreadable_module_dir_is_enoent_and_unknown),
		T(every_quirk_has_a_name_and_a_symptom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
