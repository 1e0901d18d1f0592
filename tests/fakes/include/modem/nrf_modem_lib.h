/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrf v3.2.4 include/modem/nrf_modem_lib.h. The real NRF_MODEM_LIB_ON_DFU_RES puts
 * the hook in an iterable section; the fake registers it under a fixed name the fake library
 * calls from nrf_modem_lib_init() (one hook per program, which is all the shell defines).
 */
#ifndef FAKE_NRF_MODEM_LIB_H_
#define FAKE_NRF_MODEM_LIB_H_

struct nrf_modem_lib_dfu_cb {
	void (*callback)(int dfu_res, void *ctx);
	void *context;
};

int nrf_modem_lib_init(void);

#define NRF_MODEM_LIB_ON_DFU_RES(name, _callback, _context)                                       \
	static void _callback(int dfu_res, void *ctx);                                             \
	const struct nrf_modem_lib_dfu_cb fake_nrf_modem_dfu_hook = {                              \
		.callback = _callback,                                                             \
		.context = _context,                                                               \
	}

#endif /* FAKE_NRF_MODEM_LIB_H_ */
