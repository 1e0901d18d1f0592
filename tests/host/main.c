/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host runner for tests/shell/src/shell_cases.c (no Zephyr needed; the kernel stand-in runs on
 * pthreads): prints one line per case and "shell-host: N passed, M failed, K skipped".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

#define MAX_TESTS 128

static struct {
	const char *name;
	host_test_fn fn;
} tests[MAX_TESTS];
static int n_tests;
static int failed_now;
static int skipped_now;

void host_register(const char *name, host_test_fn fn)
{
	if (n_tests < MAX_TESTS) {
		tests[n_tests].name = name;
		tests[n_tests].fn = fn;
		n_tests++;
	}
}

void host_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	failed_now = 1;
	printf("    %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void host_skip(const char *why)
{
	skipped_now = 1;
	printf("    skipped: %s\n", why);
}

int main(void)
{
	int passed = 0;
	int failed = 0;
	int skipped = 0;

	for (int i = 0; i < n_tests; i++) {
		failed_now = 0;
		skipped_now = 0;
		shell_before_each();
		tests[i].fn();
		printf("%s %s\n", failed_now ? "FAIL" : skipped_now ? "SKIP" : "PASS", tests[i].name);
		fflush(stdout);
		if (failed_now) {
			failed++;
		} else if (skipped_now) {
			skipped++;
		} else {
			passed++;
		}
	}
	printf("shell-host: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed == 0 && passed > 0 ? 0 : 1;
}
