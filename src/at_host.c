/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * AT host: line framing and dispatch. Transport only; AT#XFOTA is decided by the core.
 */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/reboot.h>

#include <modem/at_monitor.h>
#include <nrf_modem_at.h>

#include <xfota.h>
#include <xfota/at_host.h>
#include <xfota/xfota_shell.h>

LOG_MODULE_DECLARE(xfota, CONFIG_XFOTA_LOG_LEVEL);

static const uint8_t rsp_ok[] = "\r\nOK\r\n";
static const uint8_t rsp_error[] = "\r\nERROR\r\n";

static K_MUTEX_DEFINE(tx_lock);
static at_host_tx_t tx_fn;

/* One byte more for the NUL the modem call needs. */
static char line[CONFIG_XFOTA_AT_BUF_SIZE + 1];
static size_t line_len;
static bool line_overflow;

static char modem_rsp[CONFIG_XFOTA_AT_MODEM_RSP_SIZE];

void at_host_send(const uint8_t *data, size_t len)
{
	if (tx_fn == NULL || len == 0) {
		return;
	}
	(void)k_mutex_lock(&tx_lock, K_FOREVER);
	tx_fn(data, len);
	(void)k_mutex_unlock(&tx_lock);
}

/* "\r\n" and a text, in one locked write pair so nothing lands between them. */
static void send_framed(const char *s)
{
	if (tx_fn == NULL) {
		return;
	}
	(void)k_mutex_lock(&tx_lock, K_FOREVER);
	tx_fn((const uint8_t *)"\r\n", 2);
	tx_fn((const uint8_t *)s, strlen(s));
	(void)k_mutex_unlock(&tx_lock);
}

/* Case-insensitive comparison of the whole line with an upper-case command. */
static bool is_cmd(const char *cmd)
{
	size_t i;

	for (i = 0; i < line_len && cmd[i] != '\0'; i++) {
		char c = line[i];

		if (c >= 'a' && c <= 'z') {
			c = (char)(c - 'a' + 'A');
		}
		if (c != cmd[i]) {
			return false;
		}
	}
	return i == line_len && cmd[i] == '\0';
}

static void forward_to_modem(void)
{
	int err;

	line[line_len] = '\0';
	err = nrf_modem_at_cmd(modem_rsp, sizeof(modem_rsp), "%s", line);
	if (err < 0) {
		/* Includes -E2BIG: never relay a truncated answer. */
		LOG_WRN("modem AT command failed: %d", err);
		at_host_send(rsp_error, sizeof(rsp_error) - 1);
		return;
	}
	/* The modem's answer ends with its own OK / ERROR / +CME ERROR line. */
	send_framed(modem_rsp);
}

static void dispatch(void)
{
	int rc;

	if (is_cmd("AT")) {
		at_host_send(rsp_ok, sizeof(rsp_ok) - 1);
		return;
	}
	if (is_cmd("AT#XRESET")) {
		at_host_send(rsp_ok, sizeof(rsp_ok) - 1);
		/* As Nordic's Serial Modem: the modem goes to minimal functionality first, so it
		 * stores its state before the SiP resets.
		 */
		rc = nrf_modem_at_printf("AT+CFUN=0");
		if (rc) {
			LOG_WRN("AT+CFUN=0 before reset failed: %d", rc);
		}
		/* Let the UART drain before the reset. */
		k_sleep(K_MSEC(CONFIG_XFOTA_RESET_DELAY_MS));
		sys_reboot(SYS_REBOOT_COLD);
		return;
	}
	rc = xfota_shell_handle_line((const uint8_t *)line, line_len);
	if (rc == XFOTA_LINE_NOT_MINE) {
		forward_to_modem();
	} else if (rc < 0) {
		LOG_ERR("core refused the call: %d", rc);
		at_host_send(rsp_error, sizeof(rsp_error) - 1);
	}
}

void at_host_init(at_host_tx_t tx)
{
	tx_fn = tx;
	line_len = 0;
	line_overflow = false;
}

void at_host_overrun(void)
{
	line_overflow = true;
}

void at_host_feed(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];

		if (c == '\r' || c == '\n') {
			if (line_overflow) {
				LOG_WRN("AT line too long, discarded");
				at_host_send(rsp_error, sizeof(rsp_error) - 1);
			} else if (line_len > 0) {
				dispatch();
			}
			line_len = 0;
			line_overflow = false;
		} else if (line_len < CONFIG_XFOTA_AT_BUF_SIZE) {
			line[line_len++] = (char)c;
		} else {
			line_overflow = true;
		}
	}
}

AT_MONITOR(xfota_at_relay, ANY, at_notif_relay);

static void at_notif_relay(const char *notif)
{
	send_framed(notif);
}
