/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrfxlib nrf_modem/include/nrf_modem.h (as pinned by sdk-nrf v3.2.x): the fault
 * information the modem library hands to nrf_modem_fault_handler(), and the DFU result codes.
 */
#ifndef FAKE_NRF_MODEM_H_
#define FAKE_NRF_MODEM_H_

#include <stdint.h>

struct nrf_modem_fault_info {
	uint32_t reason;
	uint32_t program_counter;
};

#define NRF_MODEM_DFU_RESULT_OK 0x5500001u
#define NRF_MODEM_DFU_RESULT_INTERNAL_ERROR 0x4400001u
#define NRF_MODEM_DFU_RESULT_HARDWARE_ERROR 0x4400002u
#define NRF_MODEM_DFU_RESULT_AUTH_ERROR 0x4400003u
#define NRF_MODEM_DFU_RESULT_UUID_ERROR 0x4400004u
#define NRF_MODEM_DFU_RESULT_VOLTAGE_LOW 0x4400005u

#endif /* FAKE_NRF_MODEM_H_ */
