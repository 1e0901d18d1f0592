/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The fakes answer with their defaults (success everywhere) from the first boot on. The fake
 * modem answers commands it does not model with "%XFAKE: <length>,<LF count>" and OK, so the
 * test over the emulated UART can see what reached nrf_modem_at_cmd().
 */
#include <zephyr/init.h>

#include "fake_ncs.h"

static int fakes_init(void)
{
	fake_reset();
	fake.echo_len = true;
	return 0;
}

SYS_INIT(fakes_init, APPLICATION, 0);
