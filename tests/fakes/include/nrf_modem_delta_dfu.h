/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrfxlib nrf_modem/include/nrf_modem_delta_dfu.h (as pinned by sdk-nrf v3.2.4).
 */
#ifndef FAKE_NRF_MODEM_DELTA_DFU_H_
#define FAKE_NRF_MODEM_DELTA_DFU_H_

#include <stddef.h>

#define NRF_MODEM_DELTA_DFU_NO_ERROR 0
#define NRF_MODEM_DELTA_DFU_INVALID_DATA 5
#define NRF_MODEM_DELTA_DFU_ERASE_PENDING 17
#define NRF_MODEM_DELTA_DFU_OFFSET_DIRTY 2621440

int nrf_modem_delta_dfu_offset(size_t *off);
int nrf_modem_delta_dfu_erase(void);

#endif /* FAKE_NRF_MODEM_DELTA_DFU_H_ */
