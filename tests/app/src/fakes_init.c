/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The fakes answer with their defaults (success everywhere) from the first boot on.
 */
#include <zephyr/init.h>

#include "fake_ncs.h"

static int fakes_init(void)
{
	fake_reset();
	return 0;
}

SYS_INIT(fakes_init, APPLICATION, 0);
