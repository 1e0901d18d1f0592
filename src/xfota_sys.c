/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * The C services the Rust staticlib calls (rust/zephyr-sys/xfota_sys.h): panic, and the log
 * line texts and levels for the core's XFOTA_LOG_* codes.
 */

#include <stddef.h>
#include <stdint.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/logging/log_ctrl.h>

#include <xfota.h>
/* The prototypes the Rust side was generated from (bindgen, rust/zephyr-sys). */
#include <xfota_sys.h>

LOG_MODULE_DECLARE(xfota, CONFIG_XFOTA_LOG_LEVEL);

void xfota_sys_panic(void)
{
	LOG_PANIC();
	k_panic();
	CODE_UNREACHABLE;
}

enum level {
	ERR,
	WRN,
	INF,
	DBG,
};

struct log_text {
	uint8_t level;
	const char *text;
};

static const struct log_text texts[XFOTA_LOG_COUNT] = {
	[XFOTA_LOG_REJECTED] = {DBG, "AT#XFOTA refused, reason"},
	[XFOTA_LOG_CORRUPT_RECORD] = {WRN, "corrupt FOTA record dropped, reason"},
	[XFOTA_LOG_SAVE_FAILED] = {ERR, "saving the FOTA record failed, image discarded"},
	[XFOTA_LOG_CLEAR_FAILED] = {ERR, "deleting the FOTA record failed"},
	[XFOTA_LOG_RESET_FAILED] = {ERR, "resetting the DFU target failed"},
	[XFOTA_LOG_ERASE_FAILED] = {ERR, "erase failed"},
	[XFOTA_LOG_ERASE_TIMEOUT] = {ERR, "modem scratch erase timed out"},
	[XFOTA_LOG_CANCEL_FAILED] = {WRN, "cancelling the download failed"},
	[XFOTA_LOG_STALE_EVENT] = {DBG, "download event of no running session ignored, session"},
	[XFOTA_LOG_BAD_PROGRESS] = {WRN, "progress out of range ignored"},
	[XFOTA_LOG_MODEM_VOLTAGE_LOW] = {WRN, "modem update postponed: voltage low"},
	[XFOTA_LOG_LATE_BOOT] = {WRN, "boot report after work started, record left alone"},
	[XFOTA_LOG_REVERT_WITHOUT_RECORD] = {WRN, "image in test mode without a record: confirmed"},
	[XFOTA_LOG_IMAGE_REJECTED] = {ERR, "downloaded image failed verification, reason"},
	[XFOTA_LOG_SCHEDULE_FAILED] = {ERR, "scheduling the update failed, image discarded"},
	[XFOTA_LOG_MODEM_DOWN] = {WRN, "refused: the modem library is not initialised"},
	[XFOTA_LOG_NO_MODEM_RESULT] = {WRN, "waiting modem update brought no DFU result"},
	[XFOTA_LOG_IDENTITY_UNKNOWN] = {WRN, "running image identity unreadable, reason"},
	[XFOTA_LOG_CANCEL_ECHO] = {DBG, "cancel echo swallowed, session"},
};

void xfota_sys_log(uint32_t code, int32_t value)
{
	const struct log_text *t = code < XFOTA_LOG_COUNT ? &texts[code] : NULL;

	if (t == NULL || t->text == NULL) {
		LOG_WRN("core log code %u: %d", (unsigned int)code, (int)value);
		return;
	}
	switch (t->level) {
	case ERR:
		LOG_ERR("%s: %d", t->text, (int)value);
		break;
	case WRN:
		LOG_WRN("%s: %d", t->text, (int)value);
		break;
	case INF:
		LOG_INF("%s: %d", t->text, (int)value);
		break;
	default:
		LOG_DBG("%s: %d", t->text, (int)value);
		break;
	}
}
