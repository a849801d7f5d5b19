/*
 * grader_report.c - what the grader prints, and the results.json it
 * writes for Gradescope.
 *
 * The text report is for the student at a terminal: one line per test
 * with PASS/FAIL and points, and under a failure the task it checks and
 * the test's own explanation (the EXPECTED: lines of GRADE_EXPECT*,
 * cmocka's assertion text, the file and line). cmocka's framing lines
 * ("[ RUN      ]", "[==========]" ...) are noise here and are left out.
 */
#include "grader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOW_LINES 25 /* lines of a failing test's output shown */

struct grade_result *grade_run_add(struct grade_run *r)
{
	if (r->n >= GRADE_MAX_TESTS)
		return NULL;
	memset(&r->t[r->n], 0, sizeof(r->t[0]));
	return &r->t[r->n++];
}

void grade_run_free(struct grade_run *r)
{
	for (int i = 0; i < r->n; i++) {
		free(r->t[i].output);
		free(r->t[i].child.out);
	}
	r->n = 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* cmocka's own framing, which says nothing the PASS/FAIL line does not. */
static int is_frame(const char *line)
{
	static const char *const frames[] = {
		"[==========]", "[ RUN      ]", "[       OK ]",
		"[  PASSED  ]", "[  FAILED  ]", "[  SKIPPED ]",
	};

	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		if (strncmp(line, frames[i], strlen(frames[i])) == 0)
			return 1;
	return line[0] == '\0';
}

/* Print the useful lines of out, indented; notes_only: just NOTE lines. */
static void print_detail(const char *out, int notes_only)
{
	const char *p = out;
	int shown = 0;

	while (p && *p && shown < SHOW_LINES) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		char line[512];

		snprintf(line, sizeof(line), "%.*s", len, p);
		p = nl ? nl + 1 : NULL;
		if (is_frame(line))
			continue;
		if (notes_only && strncmp(line, "NOTE: ", 6) != 0)
			continue;
		if (strstr(line, "FAILED TEST(S)") ||
		    strstr(line, "SKIPPED TEST(S)"))
			continue;
		/* cmocka's "[  ERROR   ] --- [   LINE   ] --- f.c:12: error:
		 * Failure!" says where; keep just that. */
		if (strstr(line, "[   LINE   ] --- ")) {
			char *at = strstr(line, "[   LINE   ] --- ") + 17;
			char *err = strstr(at, ": error:");

			if (err)
				*err = '\0';
			printf("        at %s\n", at);
			shown++;
			continue;
		}
		printf("        %s\n", line);
		shown++;
	}
}

void grade_print_result(const struct grade_run *r, int i)
{
	const struct grade_result *t = &r->t[i];
	static const char *const state[] = {"FAIL", "PASS", "SKIP"};
	char dots[80];
	int pad;

	if (i == 0 || strcmp(r->t[i - 1].lab, t->lab) != 0)
		printf("== %s\n", t->lab);
	if (i == 0 || strcmp(r->t[i - 1].prog, t->prog) != 0)
		printf("  %s\n", base_name(t->prog));
	pad = 58 - (int)strlen(t->name);
	if (pad < 2)
		pad = 2;
	memset(dots, '.', sizeof(dots));
	dots[pad < 79 ? pad : 79] = '\0';
	printf("    %s %s %s %2d/%d", t->name, dots, state[t->state], t->score,
	       t->points);
	if (t->state != GRADE_PASS && strcmp(t->why, "failed") != 0)
		printf("  (%s)", t->why);
	printf("\n");
	if (t->state == GRADE_FAIL)
		printf("        checks %s\n", t->task);
	if (t->child.timed_out && t->child.where[0])
		printf("        hint: your code did not return: when the "
		       "grader "
		       "stopped it, it was %s; tests of %.*s not started "
		       "yet are not run.\n",
		       t->child.where, (int)strcspn(t->task, ":"), t->task);
	else if (t->child.timed_out)
		printf("        hint: your code did not return: an endless "
		       "loop (or a wait that never ends) in the code of "
		       "%.*s? Its tests not started yet are not run.\n",
		       (int)strcspn(t->task, ":"), t->task);
	print_detail(t->output, t->state == GRADE_PASS);
	fflush(stdout);
}

/* Totals of one lab, starting at index *i; advances *i past the lab. */
static int print_lab_total(const struct grade_run *r, int *i)
{
	const char *lab = r->t[*i].lab;
	int score = 0, max = 0, pass = 0, fail = 0, skip = 0;

	for (; *i < r->n && strcmp(r->t[*i].lab, lab) == 0; (*i)++) {
		score += r->t[*i].score;
		max += r->t[*i].points;
		pass += r->t[*i].state == GRADE_PASS;
		fail += r->t[*i].state == GRADE_FAIL;
		skip += r->t[*i].state == GRADE_SKIP;
	}
	printf("%s: %d/%d", lab, score, max);
	if (skip)
		printf("  (%d test%s skipped: see SKIP lines)", skip,
		       skip > 1 ? "s" : "");
	printf("\n");
	if (max != 100)
		printf("warning: %s's points add up to %d, not 100\n", lab,
		       max);
	/* One line for scripts (the honesty check in labs/build.mk). */
	printf("grade-summary: lab=%s score=%d max=%d pass=%d fail=%d "
	       "skip=%d\n",
	       lab, score, max, pass, fail, skip);
	return score == max;
}

int grade_print_summary(const struct grade_run *r, int listing_errors)
{
	int score = 0, max = 0, full = 1;

	printf("-------------------------------------------------------------"
	       "------\n");
	for (int i = 0; i < r->n;)
		full &= print_lab_total(r, &i);
	for (int i = 0; i < r->n; i++) {
		score += r->t[i].score;
		max += r->t[i].points;
	}
	if (listing_errors) {
		printf("error: %d test program%s could not be run; their "
		       "points are missing from the total\n",
		       listing_errors, listing_errors > 1 ? "s" : "");
		full = 0;
	}
	printf("Score: %d/%d\n", score, max);
	return full;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one:
 * test output may carry any byte a guest printed, and JSON must be
 * UTF-8 (RFC 8259 section 8.1). */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] <= 0xf4   ? 4
		: s[0] >= 0xe0 && s[0] <= 0xef ? 3
		: s[0] >= 0xc2 && s[0] <= 0xdf ? 2
					       : 0;

	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Write s as a JSON string (RFC 8259 section 7). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		int n = c >= 0x80 ? utf8_len((const unsigned char *)s) : 0;

		if (n > 0) {
			fwrite(s, 1, (size_t)n, f);
			s += n - 1;
		} else if (c >= 0x80)
			fputs("\\ufffd", f); /* not UTF-8: replacement char */
		else if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A test's "output": why it did not pass, which task, what it printed. */
static void json_output(FILE *f, const struct grade_result *t)
{
	size_t n = strlen(t->task) + strlen(t->why) + 64 +
		   (t->output ? strlen(t->output) : 0);
	char *buf = malloc(n);

	if (!buf) {
		json_str(f, t->why);
		return;
	}
	if (t->state == GRADE_PASS)
		snprintf(buf, n, "%s", t->output ? t->output : "");
	else
		snprintf(buf, n, "%s; checks %s\n%s", t->why, t->task,
			 t->output ? t->output : "");
	json_str(f, buf);
	free(buf);
}

int grade_write_json(const struct grade_run *r, const char *path, long seconds)
{
	static const char *const status[] = {"failed", "passed", "failed"};
	FILE *f = fopen(path, "w");
	int score = 0;

	if (!f)
		return -1;
	for (int i = 0; i < r->n; i++)
		score += r->t[i].score;
	fprintf(f, "{\n  \"score\": %d,\n  \"execution_time\": %ld,\n", score,
		seconds);
	fprintf(f, "  \"output\": \"minivmm lab grader\",\n  \"tests\": [\n");
	for (int i = 0; i < r->n; i++) {
		const struct grade_result *t = &r->t[i];
		char name[400];

		snprintf(name, sizeof(name), "%s/%s/%s", t->lab,
			 base_name(t->prog), t->name);
		fprintf(f, "    {\"name\": ");
		json_str(f, name);
		fprintf(f,
			", \"number\": \"%d\", \"score\": %d, "
			"\"max_score\": %d, \"status\": \"%s\", "
			"\"visibility\": \"visible\", \"output\": ",
			i + 1, t->score, t->points, status[t->state]);
		json_output(f, t);
		fprintf(f, "}%s\n", i + 1 < r->n ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
	return fclose(f) == 0 ? 0 : -1;
}
