/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrf v3.2.x include/modem/nrf_modem_lib.h. The real NRF_MODEM_LIB_ON_DFU_RES puts
 * the hook in an iterable section; the fake registers it under a fixed name (one per program),
 * which tests/fakes/fake_ncs.c calls where lib/nrf_modem_lib does: from nrf_modem_lib_init().
 * (NRF_MODEM_LIB_ON_CFUN is not modelled: nothing in the firmware registers one since lte_lc
 * was removed.)
 */
#ifndef FAKE_NRF_MODEM_LIB_H_
#define FAKE_NRF_MODEM_LIB_H_

#include <nrf_modem.h>

struct nrf_modem_lib_dfu_cb {
	void (*callback)(int dfu_res, void *ctx);
	void *context;
};

int nrf_modem_lib_init(void);
int nrf_modem_lib_shutdown(void);

/* With CONFIG_NRF_MODEM_LIB_ON_FAULT_APPLICATION_SPECIFIC the application defines it. */
void nrf_modem_fault_handler(struct nrf_modem_fault_info *fault_info);

#define NRF_MODEM_LIB_ON_DFU_RES(name, _callback, _context)                                       \
	static void _callback(int dfu_res, void *ctx);                                             \
	const struct nrf_modem_lib_dfu_cb fake_nrf_modem_dfu_hook = {                              \
		.callback = _callback,                                                             \
		.context = _context,                                                               \
	}

#endif /* FAKE_NRF_MODEM_LIB_H_ */
