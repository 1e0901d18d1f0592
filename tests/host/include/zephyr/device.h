/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host stand-in for zephyr/include/zephyr/device.h: one device, the fake AT UART of
 * tests/fakes/fake_uart.c, is what DEVICE_DT_GET(DT_CHOSEN(ncs_xfota_uart)) names.
 */
#ifndef HOST_ZEPHYR_DEVICE_H_
#define HOST_ZEPHYR_DEVICE_H_

#include <stdbool.h>

struct device {
	const char *name;
};

extern const struct device fake_uart_dev;

#define DT_CHOSEN(x) x
#define DEVICE_DT_GET(node) (&fake_uart_dev)

bool device_is_ready(const struct device *dev);

#endif /* HOST_ZEPHYR_DEVICE_H_ */
