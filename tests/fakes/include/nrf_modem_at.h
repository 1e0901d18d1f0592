/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrfxlib nrf_modem/include/nrf_modem_at.h (as pinned by sdk-nrf v3.2.4).
 */
#ifndef FAKE_NRF_MODEM_AT_H_
#define FAKE_NRF_MODEM_AT_H_

#include <stddef.h>

int nrf_modem_at_printf(const char *fmt, ...);
int nrf_modem_at_cmd(void *buf, size_t len, const char *fmt, ...);

#endif /* FAKE_NRF_MODEM_AT_H_ */
