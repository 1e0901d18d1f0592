/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * The C services the Rust staticlib calls (rust/zephyr-sys/xfota_sys.h).
 */

#include <stddef.h>
#include <stdint.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/logging/log_ctrl.h>

/* The prototypes the Rust side was generated from (bindgen, rust/zephyr-sys). */
#include <xfota_sys.h>

LOG_MODULE_DECLARE(xfota, CONFIG_XFOTA_LOG_LEVEL);

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
	case XFOTA_SYS_LOG_ERR:
		LOG_ERR("%.*s: %d", n, msg, (int)value);
		break;
	case XFOTA_SYS_LOG_WRN:
		LOG_WRN("%.*s: %d", n, msg, (int)value);
		break;
	case XFOTA_SYS_LOG_INF:
		LOG_INF("%.*s: %d", n, msg, (int)value);
		break;
	default:
		LOG_DBG("%.*s: %d", n, msg, (int)value);
		break;
	}
}
