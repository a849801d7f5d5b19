/*
 * test_sensitive.c - examples/sensitive.c: at CPL 3, which instructions
 * trap into the guest's ring-0 handler and which run silently, without
 * and with CR4.UMIP (Intel SDM Vol. 3A 2.5).
 *
 * The guest prints one row per instruction ("NAME  kind  trapped (...)"
 * or "... ran silently: ..."); the test finds each row and checks the
 * verdict against the architecture: the privileged instructions always
 * #GP at CPL 3; the sensitive ones of Robin & Irvine's list run silently,
 * except that UMIP turns SGDT, SIDT, SLDT, SMSW and STR into #GP. The UMIP
 * case skips, with the reason, where the guest's CPUID lacks UMIP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define RUN_MS 20000 /* ring-0 setup is emulated on some backends */

struct row {
	const char *name;
	int umip_blocks; /* UMIP makes it fault at CPL > 0 */
};

/* Sensitive but unprivileged (Robin & Irvine, USENIX Security 2000). */
static const struct row sensitive[] = {
	{"SGDT", 1},	  {"SIDT", 1},	{"SLDT", 1}, {"SMSW", 1},
	{"STR", 1},	  {"PUSHF", 0}, {"POPF", 0}, {"MOV r, CS", 0},
	{"MOV r, SS", 0}, {"LAR", 0},	{"LSL", 0},  {"VERR", 0},
	{"VERW", 0},
};

/* Privileged: #GP at CPL 3 (IN/OUT, CLI/STI because IOPL is 0). */
static const char *const privileged[] = {
	"CLI",	      "STI",	    "HLT",    "IN",	"OUT",	 "MOV r, CR3",
	"MOV CR3, r", "MOV r, CR0", "LGDT",   "LIDT",	"LLDT",	 "LTR",
	"LMSW",	      "CLTS",	    "INVLPG", "WBINVD", "RDMSR", "WRMSR",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *out_str(struct fixture *f)
{
	size_t n =
		f->out_len < sizeof(f->out) ? f->out_len : sizeof(f->out) - 1;
	f->out[n] = '\0';
	return f->out;
}

/* The row of `name`: a line starting with the name and then spaces. */
static const char *row_of(struct fixture *f, const char *name)
{
	const char *s = out_str(f);
	size_t n = strlen(name);

	for (const char *p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, name, n) == 0 && p[n] == ' ')
			return p;
	fail_msg("no row for %s in:\n%s", name, s);
	return NULL;
}

static void assert_row(struct fixture *f, const char *name, int traps)
{
	const char *p = row_of(f, name);
	const char *end = strchr(p, '\n');
	const char *want = traps ? "trapped (#GP" : "ran silently: ";
	size_t len = end ? (size_t)(end - p) : strlen(p);
	char line[256];

	snprintf(line, sizeof(line), "%.*s", (int)len, p);
	if (!strstr(line, want))
		fail_msg("%s: wanted \"%s\", the guest said:\n%s", name, want,
			 line);
}

/* Run the image to its DONE (a ucall over MMIO, from ring 3). Returns 0,
 * or 1 when the guest said its CPU has no UMIP. */
static int run_table(struct fixture *f, const char *img)
{
	struct mvm_ucall uc;
	struct mvm_exit e;
	int rc;

	fixture_load(f, img, MVM_MODE_LONG64);
	rc = fixture_run(f, RUN_MS, &e);
	if (rc != 0)
		fail_msg("run: rc %d, exit %s; output:\n%s", rc,
			 mvm_exit_reason_name(e.reason), out_str(f));
	assert_int_equal(mvm_ucall_last(f->devs.ucall, &uc), MVM_UCALL_DONE);
	if (strstr(out_str(f), "has no UMIP"))
		return 1;
	assert_int_equal(e.reason, KVM_EXIT_MMIO);
	assert_int_equal(e.u.mmio.addr, MVM_MMIO_UCALL_ADDR);
	return 0;
}

static void
sensitive_instructions_run_silently_privileged_ones_trap(void **state)
{
	struct fixture *f = *state;

	run_table(f, "sensitive.elf");
	for (size_t i = 0; i < N(sensitive); i++)
		assert_row(f, sensitive[i].name, 0);
	for (size_t i = 0; i < N(privileged); i++)
		assert_row(f, privileged[i], 1);
	/* The wrong answers themselves: the real CS has RPL 3, and PUSHF
	 * shows IF = 1 right after the kernel's CLI. */
	assert_non_null(strstr(row_of(f, "MOV r, CS"), "CS = 0x33"));
	assert_non_null(strstr(row_of(f, "PUSHF"), "IF = 1"));
}

static void umip_makes_the_descriptor_table_reads_trap(void **state)
{
	struct fixture *f = *state;

	if (run_table(f, "sensitive-umip.elf")) {
		fprintf(stderr, "  skipped: the guest's CPUID has no UMIP "
				"(CPUID.07H:ECX[2] = 0)\n");
		skip();
	}
	for (size_t i = 0; i < N(sensitive); i++)
		assert_row(f, sensitive[i].name, sensitive[i].umip_blocks);
	for (size_t i = 0; i < N(privileged); i++)
		assert_row(f, privileged[i], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			sensitive_instructions_run_silently_privileged_ones_trap,
			fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			umip_makes_the_descriptor_table_reads_trap,
			fixture_setup, fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
