/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * AT host: line framing and dispatch. Transport only; AT#XFOTA is decided by the core.
 * Framing as Nordic's AT hosts (sdk-nrf lib/at_host/at_host.c, Serial Modem
 * app/src/sm_at_host.c): a terminator inside double quotes is part of the command.
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
static const uint8_t crlf[] = "\r\n";

static const struct at_host_io *io;

/* One buffer for the line and the modem's answer, as Nordic's at_host: libmodem formats the
 * command before it writes the response. One byte more for the NUL.
 */
#define AT_BUF_LEN MAX(CONFIG_XFOTA_AT_BUF_SIZE + 1, CONFIG_XFOTA_AT_MODEM_RSP_SIZE)
static char buf[AT_BUF_LEN];
static size_t line_len;
static bool line_overflow;
static bool in_quotes;

void at_host_send(const uint8_t *data, size_t len)
{
	if (io != NULL && len > 0) {
		io->write(data, len);
	}
}

/* Case-insensitive comparison of the whole line with an upper-case command. */
static bool is_cmd(const char *cmd)
{
	size_t i;

	for (i = 0; i < line_len && cmd[i] != '\0'; i++) {
		char c = buf[i];

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

	buf[line_len] = '\0';
	err = nrf_modem_at_cmd(buf, sizeof(buf), "%s", buf);
	if (err < 0) {
		/* Includes -E2BIG: never relay a truncated answer. */
		LOG_WRN("modem AT command failed: %d", err);
		at_host_send(rsp_error, sizeof(rsp_error) - 1);
		return;
	}
	/* The modem's answer ends with its own OK / ERROR / +CME ERROR line. */
	at_host_send(crlf, 2);
	at_host_send((const uint8_t *)buf, strlen(buf));
}

static void reset(void)
{
	int rc;

	at_host_send(rsp_ok, sizeof(rsp_ok) - 1);
	/* As Nordic's Serial Modem: the modem goes to minimal functionality first, so it stores
	 * its state before the SiP resets.
	 */
	rc = nrf_modem_at_printf("AT+CFUN=0");
	if (rc) {
		LOG_WRN("AT+CFUN=0 before reset failed: %d", rc);
	}
	/* Let the UART drain before the reset. */
	if (io != NULL && io->drain != NULL) {
		io->drain(CONFIG_XFOTA_RESET_DELAY_MS);
	} else {
		k_sleep(K_MSEC(CONFIG_XFOTA_RESET_DELAY_MS));
	}
	sys_reboot(SYS_REBOOT_COLD);
}

static void dispatch(void)
{
	int rc;

	if (is_cmd("AT")) {
		at_host_send(rsp_ok, sizeof(rsp_ok) - 1);
		return;
	}
	if (is_cmd("AT#XRESET")) {
		reset();
		return;
	}
	rc = xfota_shell_handle_line((const uint8_t *)buf, line_len);
	if (rc == XFOTA_LINE_NOT_MINE) {
		forward_to_modem();
	} else if (rc < 0) {
		LOG_ERR("core refused the call: %d", rc);
		at_host_send(rsp_error, sizeof(rsp_error) - 1);
	}
}

static bool has_printable(void)
{
	for (size_t i = 0; i < line_len; i++) {
		if ((uint8_t)buf[i] > ' ') {
			return true;
		}
	}
	return false;
}

static void end_line(void)
{
	if (line_overflow) {
		LOG_WRN("AT line longer than %d bytes, discarded", CONFIG_XFOTA_AT_BUF_SIZE);
		at_host_send(rsp_error, sizeof(rsp_error) - 1);
	} else if (has_printable()) {
		dispatch();
	}
	line_len = 0;
	line_overflow = false;
	in_quotes = false;
}

void at_host_init(const struct at_host_io *out)
{
	io = out;
	line_len = 0;
	line_overflow = false;
	in_quotes = false;
}

void at_host_feed(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];

		if (c == '\0') {
			/* nrf_modem_at_cmd() takes a C string: a NUL would cut the command. */
			continue;
		}
		if (!in_quotes && (c == '\r' || c == '\n')) {
			/* The LF of a CRLF ends an empty line, which is ignored. */
			end_line();
			continue;
		}
		if (c == 0x08 || c == 0x7f) {
			/* Backspace/DEL, as Nordic's AT hosts: the previous byte is gone. */
			if (line_len > 0 && !line_overflow) {
				line_len--;
				if (buf[line_len] == '"') {
					in_quotes = !in_quotes;
				}
			}
			continue;
		}
		if (c == '"') {
			in_quotes = !in_quotes;
		}
		if (line_len < CONFIG_XFOTA_AT_BUF_SIZE) {
			buf[line_len++] = (char)c;
		} else {
			line_overflow = true;
		}
	}
}

AT_MONITOR(xfota_at_relay, ANY, at_notif_relay);

/* Runs on the system workqueue (at_monitor): only enqueues, never waits for the UART. */
static void at_notif_relay(const char *notif)
{
	const struct at_host_io *out = io;

	if (out == NULL) {
		return;
	}
	(void)out->notify(crlf, 2, (const uint8_t *)notif, strlen(notif));
}
