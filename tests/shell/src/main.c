/*
 * SPDX-License-Identifier: Apache-2.0
 */
#include <zephyr/ztest.h>

#include "harness.h"

static void before(void *fixture)
{
	ARG_UNUSED(fixture);
	shell_before_each();
}

ZTEST_SUITE(xfota_shell, NULL, NULL, before, NULL, NULL);
