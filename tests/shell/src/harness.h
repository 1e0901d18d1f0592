/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The shell test cases (shell_cases.c) run under ztest (twister: native_sim, qemu_cortex_m3,
 * mps2/an521/cpu0, nrf9161dk) and under a small host runner on pthreads (tests/host): these
 * macros map them onto either.
 */
#ifndef SHELL_HARNESS_H_
#define SHELL_HARNESS_H_

#include <stdio.h>
#include <string.h>

#if defined(__ZEPHYR__)
#include <zephyr/ztest.h>

#define SHELL_TEST(name) ZTEST(xfota_shell, test_##name)
#define SKIP(why) ztest_test_skip()
#define EXPECT_TRUE(cond) zassert_true((cond), "%s", #cond)
#define EXPECT_EQ(a, b)                                                                            \
	zassert_equal((a), (b), "%s == %s: %d != %d", #a, #b, (int)(a), (int)(b))
#define EXPECT_STR(got, want)                                                                      \
	do {                                                                                       \
		const char *g_ = (got);                                                            \
		const char *w_ = (want);                                                           \
		zassert_true(strcmp(g_, w_) == 0, "got \"%s\" want \"%s\"", g_, w_);           \
	} while (0)
#else
typedef void (*host_test_fn)(void);
void host_register(const char *name, host_test_fn fn);
void host_fail(const char *file, int line, const char *fmt, ...);
void host_skip(const char *why);

#define SHELL_TEST(name)                                                                           \
	static void test_##name(void);                                                             \
	__attribute__((constructor)) static void reg_##name(void)                                  \
	{                                                                                          \
		host_register(#name, test_##name);                                                 \
	}                                                                                          \
	static void test_##name(void)
#define SKIP(why)                                                                                  \
	do {                                                                                       \
		host_skip(why);                                                                    \
		return;                                                                            \
	} while (0)
#define EXPECT_TRUE(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			host_fail(__FILE__, __LINE__, "%s", #cond);                                \
			return;                                                                    \
		}                                                                                  \
	} while (0)
#define EXPECT_EQ(a, b)                                                                            \
	do {                                                                                       \
		if ((a) != (b)) {                                                                  \
			host_fail(__FILE__, __LINE__, "%s == %s: %d != %d", #a, #b, (int)(a),      \
				  (int)(b));                                                       \
			return;                                                                    \
		}                                                                                  \
	} while (0)
#define EXPECT_STR(got, want)                                                                      \
	do {                                                                                       \
		const char *g_ = (got);                                                            \
		const char *w_ = (want);                                                           \
		if (strcmp(g_, w_) != 0) {                                                         \
			host_fail(__FILE__, __LINE__, "got \"%s\" want \"%s\"", g_, w_);           \
			return;                                                                    \
		}                                                                                  \
	} while (0)
#endif

/* Before every case: fakes reset, a clean boot, the "Ready" consumed. */
void shell_before_each(void);

#endif /* SHELL_HARNESS_H_ */
