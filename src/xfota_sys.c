/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * The C services the Rust staticlib calls (rust/zephyr-sys/wrapper.h).
 */

#include <stddef.h>
#include <stdint.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/logging/log_ctrl.h>

LOG_MODULE_DECLARE(xfota, CONFIG_XFOTA_LOG_LEVEL);

void xfota_sys_panic(void);
void xfota_sys_log(int32_t level, const char *msg, size_t len, int32_t value);

void xfota_sys_panic(void)
{
	LOG_PANIC();
	k_panic();
	CODE_UNREACHABLE;
}

void xfota_sys_log(int32_t level, const char *msg, size_t len, int32_t value)
{
	int n = (int)len;

	switch (level) {
	case LOG_LEVEL_ERR:
		LOG_ERR("%.*s: %d", n, msg, (int)value);
		break;
	case LOG_LEVEL_WRN:
		LOG_WRN("%.*s: %d", n, msg, (int)value);
		break;
	case LOG_LEVEL_INF:
		LOG_INF("%.*s: %d", n, msg, (int)value);
		break;
	default:
		LOG_DBG("%.*s: %d", n, msg, (int)value);
		break;
	}
}
