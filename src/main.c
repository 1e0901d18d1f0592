/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * Standalone AT#XFOTA application for the nRF9161 DK: the AT host on the DK's UART.
 */

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>

#include <modem/nrf_modem_lib.h>

#include <xfota/at_host.h>
#include <xfota/xfota_shell.h>

#include <xfota/at_uart.h>

LOG_MODULE_REGISTER(xfota_app, CONFIG_XFOTA_LOG_LEVEL);

int main(void)
{
	int err;
	int modem;

	err = at_uart_init();
	if (err) {
		LOG_ERR("AT UART init failed: %d", err);
		return err;
	}
	xfota_shell_set_hooks(at_host_send, at_uart_wake);

	/* A failure here (storage, downloader) is logged, not fatal: the modem and the AT host
	 * still come up, so the device stays reachable.
	 */
	err = xfota_shell_init();
	if (err) {
		LOG_ERR("xfota init failed: %d", err);
	}

	/* A pending modem update is applied here; its result reaches the shell's DFU hook.
	 * -NRF_EIO: the modem needs a full firmware program; -NRF_EAGAIN: an update is retried
	 * at the next init. Either is reported after Ready (#XMODEM: INIT,<err>) and the FOTA
	 * operations that need the modem answer ERROR; AT and AT#XRESET keep working.
	 */
	modem = nrf_modem_lib_init();
	if (modem) {
		LOG_ERR("nrf_modem_lib_init failed: %d", modem);
	}

	err = xfota_shell_boot(modem);
	if (err) {
		LOG_ERR("xfota boot report failed: %d", err);
	}

	at_uart_run();
}
