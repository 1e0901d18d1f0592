/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The real C shell (src/xfota_shell.c, src/at_host.c) and the real Rust staticlib, against
 * fakes of every NCS call (tests/fakes). Each case asserts the exact bytes on the "UART".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <xfota.h>
#include <xfota/at_host.h>
#include <xfota/xfota_shell.h>
#include <modem/nrf_modem_lib.h>

#include "fake_ncs.h"
#include "harness.h"

#define BOOT_SWAP_NONE 1
#define BOOT_SWAP_REVERT 4

static char uart[8192];
static size_t uart_len;

static void cap_write(const uint8_t *data, size_t len)
{
	if (uart_len + len < sizeof(uart)) {
		memcpy(uart + uart_len, data, len);
		uart_len += len;
		uart[uart_len] = '\0';
	}
}

/* Returns what was written since the last call (valid until the next write). */
static const char *uart_take(void)
{
	static char taken[sizeof(uart)];

	memcpy(taken, uart, uart_len + 1);
	uart_len = 0;
	uart[0] = '\0';
	return taken;
}

/* What main.c does at boot, in its order. */
static void power_cycle(void)
{
	uart_len = 0;
	uart[0] = '\0';
	at_host_init(cap_write);
	xfota_shell_set_hooks(at_host_send, NULL);
	(void)xfota_shell_init();
	(void)nrf_modem_lib_init();
	(void)xfota_shell_boot();
}

void shell_before_each(void)
{
	fake_reset();
	power_cycle();
	(void)uart_take();
}

/* Host input in uneven pieces (1, 2, 3, ... bytes), as a UART delivers it. */
static void feed(const char *s)
{
	size_t len = strlen(s);
	size_t step = 1;

	for (size_t i = 0; i < len; i += step, step = step % 5 + 1) {
		size_t n = len - i < step ? len - i : step;

		at_host_feed((const uint8_t *)s + i, n);
	}
	xfota_shell_process_events();
}

/* The downloader's thread delivers an event; the AT thread drains the queue. */
static void dl(enum fota_download_evt_id id, int value)
{
	fake_fota_emit(id, value);
	xfota_shell_process_events();
}

static void feed_reset(void)
{
	feed("AT#XRESET\r\n");
}

SHELL_TEST(boot_prints_ready_once)
{
	fake_reset();
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_EQ(fake.fota_init_calls, 1);
}

SHELL_TEST(app_flow_reboot_revert_reports_5_0)
{
	feed("AT#XFOTA=1,\"http://fw.example.com/images/app.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.fota_starts, 1);
	EXPECT_STR(fake.host, "http://fw.example.com");
	EXPECT_STR(fake.file, "images/app.bin");
	EXPECT_EQ(fake.sec_tag, -1);
	EXPECT_EQ(fake.pdn_id, 0);
	EXPECT_EQ(fake.type, DFU_TARGET_IMAGE_TYPE_MCUBOOT);

	dl(FOTA_DOWNLOAD_EVT_PROGRESS, 0);
	dl(FOTA_DOWNLOAD_EVT_PROGRESS, 0);
	dl(FOTA_DOWNLOAD_EVT_PROGRESS, 50);
	dl(FOTA_DOWNLOAD_EVT_PROGRESS, 100);
	/* The downloader still holds the host pointer: it points at intact text. */
	feed("AT\r\n");
	EXPECT_STR(fake.host_ptr, "http://fw.example.com");
	EXPECT_STR(fake.file_ptr, "images/app.bin");
	dl(FOTA_DOWNLOAD_EVT_FINISHED, 0);
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,50\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\nOK\r\n\r\n#XFOTA: 4,0\r\n");
	EXPECT_TRUE(fake.rec_present);
	EXPECT_EQ(fake.saves, 1);

	feed("AT#XFOTA=1,\"http://fw.example.com/images/app.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");

	/* AT#XRESET: OK, then the reboot. */
	fake_run_until_reboot(feed_reset);
	EXPECT_EQ(fake.reboots, 1);
	/* The modem was put to minimal functionality before the reset. */
	EXPECT_EQ(fake.at_printfs, 1);
	EXPECT_STR(fake.at_printf_cmd, "AT+CFUN=0");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");

	fake.swap_type = BOOT_SWAP_REVERT;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(!fake.rec_present);

	/* Reported once: the next boot is quiet. */
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
}

SHELL_TEST(app_image_not_kept_reports_5_3)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\n");
	dl(FOTA_DOWNLOAD_EVT_FINISHED, 0);
	(void)uart_take();
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,3\r\n");
	EXPECT_EQ(fake.confirms, 0);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(modem_flow_erase_then_uuid_error)
{
	feed("AT#XFOTA=2,\"https://fw.example.com:8443/mfw/delta.bin?v=2\",42,\"iot.example\"\r");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_STR(fake.host, "https://fw.example.com:8443");
	EXPECT_STR(fake.file, "mfw/delta.bin?v=2");
	EXPECT_EQ(fake.sec_tag, 42);
	EXPECT_EQ(fake.type, DFU_TARGET_IMAGE_TYPE_MODEM_DELTA);
	EXPECT_STR(fake.apn, "iot.example");
	EXPECT_EQ(fake.pdn_activates, 1);
	EXPECT_EQ(fake.pdn_id, 5);

	dl(FOTA_DOWNLOAD_EVT_ERASE_PENDING, 0);
	dl(FOTA_DOWNLOAD_EVT_ERASE_TIMEOUT, 0);
	dl(FOTA_DOWNLOAD_EVT_ERASE_DONE, 0);
	dl(FOTA_DOWNLOAD_EVT_PROGRESS, 7);
	dl(FOTA_DOWNLOAD_EVT_FINISHED, 0);
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 2,0\r\n\r\n#XFOTA: 3,0\r\n\r\n#XFOTA: 1,0,0\r\n"
				"\r\n#XFOTA: 1,0,7\r\n\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 4,0\r\n");

	fake.dfu_res = 0x4400004; /* NRF_MODEM_DFU_RESULT_UUID_ERROR */
	fake.dfu_res_pending = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,1,71303172\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(modem_voltage_low_keeps_waiting_then_ok)
{
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	dl(FOTA_DOWNLOAD_EVT_FINISHED, 0);
	(void)uart_take();
	fake.dfu_res = 0x4400005; /* NRF_MODEM_DFU_RESULT_VOLTAGE_LOW */
	fake.dfu_res_pending = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 4,1,71303173\r\n");
	EXPECT_TRUE(fake.rec_present);
	fake.dfu_res = 0x5500001; /* NRF_MODEM_DFU_RESULT_OK */
	fake.dfu_res_pending = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(cancel_urc_before_ok_and_late_event_ignored)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	dl(FOTA_DOWNLOAD_EVT_PROGRESS, 20);
	(void)uart_take();
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
	EXPECT_EQ(fake.fota_cancels, 1);
	EXPECT_EQ(fake.dfu_resets, 1);
	/* fota_download sends CANCELLED later, from its own thread. */
	dl(FOTA_DOWNLOAD_EVT_CANCELLED, 0);
	EXPECT_STR(uart_take(), "");
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	feed("AT#XFOTA=1,\"http://h/b.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_STR(fake.file, "b.bin");
}

SHELL_TEST(apn_context_released_when_the_session_ends)
{
	feed("AT#XFOTA=2,\"http://h/d.bin\",,\"iot.example\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.pdn_creates, 1);
	dl(FOTA_DOWNLOAD_EVT_ERROR, FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED);
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,1,1\r\n");
	/* Deactivated before deleted: the modem refuses to delete an active context. */
	EXPECT_EQ(fake.pdn_deactivates, 1);
	EXPECT_EQ(fake.pdn_destroys, 1);
	feed("AT#XFOTA=2,\"http://h/d.bin\",,\"iot.example\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.pdn_creates, 2);
	EXPECT_EQ(fake.pdn_destroys, 1);
	feed("AT#XFOTA=0\r\n");
	EXPECT_EQ(fake.pdn_deactivates, 2);
	EXPECT_EQ(fake.pdn_destroys, 2);
}

SHELL_TEST(cancel_in_the_resume_window_is_retried)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	(void)uart_take();
	fake.fota_cancel_rc = -EPERM; /* the downloader is between a stop and its resume */
	fake.fota_cancel_rc_after = 0;
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
	EXPECT_EQ(fake.fota_cancels, 2);
}

SHELL_TEST(cancel_eacces_counts_as_cancelled)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	(void)uart_take();
	fake.fota_cancel_rc = -EACCES;
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
}

SHELL_TEST(start_refused_by_downloader)
{
	char want[64];

	fake.fota_start_rc = -EALREADY;
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	snprintf(want, sizeof(want), "\r\n#XFOTA: 1,1,%d\r\n\r\nERROR\r\n", -EALREADY);
	EXPECT_STR(uart_take(), want);
	fake.fota_start_rc = 0;
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
}

SHELL_TEST(download_error_maps_cause_and_resets_target)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	dl(FOTA_DOWNLOAD_EVT_ERROR, FOTA_DOWNLOAD_ERROR_CAUSE_TYPE_MISMATCH);
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,1,3\r\n");
	EXPECT_EQ(fake.dfu_resets, 1);
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	dl(FOTA_DOWNLOAD_EVT_ERROR, FOTA_DOWNLOAD_ERROR_CAUSE_CONNECT_FAILED);
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,1,1\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(terminal_event_survives_a_progress_flood)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	(void)uart_take();
	/* The AT thread is busy: nothing is drained while the downloader sends. */
	for (int p = 1; p <= 60; p++) {
		fake_fota_emit(FOTA_DOWNLOAD_EVT_PROGRESS, p);
	}
	fake_fota_emit(FOTA_DOWNLOAD_EVT_FINISHED, 0);
	xfota_shell_process_events();
	const char *out = uart_take();
	const char *tail = "\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 4,0\r\n";

	EXPECT_TRUE(strlen(out) >= strlen(tail));
	EXPECT_STR(out + strlen(out) - strlen(tail), tail);
	EXPECT_TRUE(strncmp(out, "\r\n#XFOTA: 1,0,0\r\n", 17) == 0);
	EXPECT_TRUE(fake.rec_present);
}

SHELL_TEST(op8_erases_secondary_slot)
{
	feed("AT#XFOTA=8\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.erase_banks, 1);
	EXPECT_EQ(fake.erase_area, XFOTA_TEST_SECONDARY_AREA_ID);
	fake.erase_bank_rc = -EIO;
	feed("AT#XFOTA=8\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
}

SHELL_TEST(op9_polls_erase_until_done)
{
	fake.delta_offset = 0x280000; /* NRF_MODEM_DELTA_DFU_OFFSET_DIRTY */
	fake.erase_polls = 3;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.delta_erases, 1);
	/* One offset() before the erase, then three "pending" polls and the final one. */
	EXPECT_EQ(fake.delta_polls, 5);
}

SHELL_TEST(op9_erase_already_running_is_waited_for)
{
	fake.erase_remaining = 2; /* e.g. dfu_target_reset() started one */
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.delta_erases, 0);
	EXPECT_EQ(fake.delta_polls, 3);
}

SHELL_TEST(op9_invalid_data_while_erasing_means_pending)
{
	fake.delta_offset = 0x280000;
	fake.erase_polls = 2;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	fake_reset();
	fake.delta_offset = 0x280000;
	fake.delta_offset_rc = 5; /* NRF_MODEM_DELTA_DFU_INVALID_DATA, for good */
	feed("AT#XFOTA=9\r\n");
	/* Unusable scratch: erased; "invalid data" while erasing is waited for, up to the timeout. */
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.delta_erases, 1);
}

SHELL_TEST(op9_clean_scratch_needs_no_erase)
{
	fake.delta_offset = 0;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.delta_erases, 0);
}

SHELL_TEST(op9_erase_timeout_is_error)
{
	fake.delta_offset = 0x280000;
	fake.erase_polls = 1000000;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.delta_erases, 1);
	/* Timeout / poll interval (prj.conf: 200 ms / 20 ms) polls, plus the first offset(). */
	EXPECT_EQ(fake.delta_polls,
		  1 + CONFIG_XFOTA_MODEM_ERASE_TIMEOUT_MS / CONFIG_XFOTA_MODEM_ERASE_POLL_MS);
}

SHELL_TEST(corrupt_record_dropped_quietly)
{
	static const uint8_t junk[] = {'X', 'F', 1, 1, 4, 0, 0, 0};

	memcpy(fake.rec, junk, sizeof(junk));
	fake.rec_len = sizeof(junk);
	fake.rec_present = true;
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_EQ(fake.confirms, 0);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(revert_without_record_is_confirmed)
{
	/* No record (lost), but MCUboot runs a new image in test mode: confirmed and reported,
	 * so it does not silently revert at the next reset.
	 */
	fake.swap_type = BOOT_SWAP_REVERT;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(oversized_record_dropped)
{
	memset(fake.rec, 'X', 40);
	fake.rec_len = 40;
	fake.rec_present = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(line_framing_cr_lf_crlf_and_case)
{
	feed("AT\r\nat\rAt\n\r\n\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n");
	feed("at#xfota=?\r\n");
	EXPECT_STR(uart_take(),
		   "\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n\r\nOK\r\n");
	feed("AT#XFOTA?\r\nAT#XFOTA\r\nAT#XFOTA=3\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nERROR\r\n\r\nERROR\r\n");
}

SHELL_TEST(overlong_line_discarded_whole)
{
	static char big[CONFIG_XFOTA_AT_BUF_SIZE + 40];

	memset(big, 'A', sizeof(big) - 3);
	memcpy(big, "AT+", 3);
	big[sizeof(big) - 3] = '\r';
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	feed(big);
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.at_calls, 0);
	feed("AT\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");

	/* Exactly the buffer size still fits. */
	memset(big, 'A', CONFIG_XFOTA_AT_BUF_SIZE);
	memcpy(big, "AT+", 3);
	big[CONFIG_XFOTA_AT_BUF_SIZE] = '\r';
	big[CONFIG_XFOTA_AT_BUF_SIZE + 1] = '\0';
	feed(big);
	EXPECT_EQ(fake.at_calls, 1);
	EXPECT_EQ(strlen(fake.at_cmd), CONFIG_XFOTA_AT_BUF_SIZE);
}

SHELL_TEST(rx_overrun_discards_line)
{
	feed("AT#XFO");
	at_host_overrun();
	feed("TA=?\r\nAT\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nOK\r\n");
}

SHELL_TEST(other_commands_go_to_the_modem)
{
	fake.at_rsp = "mfw_nrf91x1_2.0.2\r\nOK\r\n";
	feed("AT+CGMR\r\n");
	EXPECT_STR(fake.at_cmd, "AT+CGMR");
	EXPECT_STR(uart_take(), "\r\nmfw_nrf91x1_2.0.2\r\nOK\r\n");

	fake.at_rsp = "+CME ERROR: 50\r\n";
	fake.at_rc = 1;
	feed("AT+CFUN=9\r\n");
	EXPECT_STR(uart_take(), "\r\n+CME ERROR: 50\r\n");

	fake.at_rc = -ENOMEM;
	feed("AT+CFUN?\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
}

SHELL_TEST(modem_notifications_relayed)
{
	fake_at_notif("+CEREG: 5\r\n");
	EXPECT_STR(uart_take(), "\r\n+CEREG: 5\r\n");
}

SHELL_TEST(bad_input_changes_nothing)
{
	feed("AT#XFOTA=1,\"ftp://h/a.bin\"\r\n");
	feed("AT#XFOTA=1,\"https://h/a.bin\"\r\n");
	feed("AT#XFOTA=1,\"http://h:0/a.bin\"\r\n");
	feed("AT#XFOTA=1,\"http://h/a.bin\",1,\"a\\\"b\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nERROR\r\n\r\nERROR\r\n\r\nERROR\r\n");
	EXPECT_EQ(fake.fota_starts, 0);
	EXPECT_EQ(fake.pdn_creates, 0);
	EXPECT_EQ(fake.at_calls, 0);
}
