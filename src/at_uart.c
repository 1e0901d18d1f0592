/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * UART transport of the AT host: interrupt-driven reception into a ring buffer, the AT
 * thread (the caller of at_uart_run()) drains it and the download event queue.
 */

#include <errno.h>

#include <zephyr/device.h>
#include <zephyr/drivers/uart.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/ring_buffer.h>

#include <xfota/at_host.h>
#include <xfota/xfota_shell.h>

#include <xfota/at_uart.h>

LOG_MODULE_DECLARE(xfota, CONFIG_XFOTA_LOG_LEVEL);

#define AT_UART_NODE DT_CHOSEN(ncs_xfota_uart)

static const struct device *const uart = DEVICE_DT_GET(AT_UART_NODE);

RING_BUF_DECLARE(rx_ring, CONFIG_XFOTA_UART_RX_BUF_SIZE);
static K_SEM_DEFINE(wake, 0, 1);
static atomic_t rx_overrun;

static void uart_isr(const struct device *dev, void *user_data)
{
	uint8_t buf[32];

	ARG_UNUSED(user_data);
	while (uart_irq_update(dev) > 0 && uart_irq_rx_ready(dev) > 0) {
		int n = uart_fifo_read(dev, buf, sizeof(buf));

		if (n <= 0) {
			break;
		}
		if (ring_buf_put(&rx_ring, buf, (uint32_t)n) < (uint32_t)n) {
			atomic_set(&rx_overrun, 1);
		}
		k_sem_give(&wake);
	}
}

static void at_uart_tx(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uart_poll_out(uart, data[i]);
	}
}

void at_uart_wake(void)
{
	k_sem_give(&wake);
}

int at_uart_init(void)
{
	int err;

	if (!device_is_ready(uart)) {
		return -ENODEV;
	}
	err = uart_irq_callback_user_data_set(uart, uart_isr, NULL);
	if (err) {
		return err;
	}
	at_host_init(at_uart_tx);
	/* Receive from now on: what the host sends right after "Ready" waits in the ring. */
	uart_irq_rx_enable(uart);
	return 0;
}

FUNC_NORETURN void at_uart_run(void)
{
	uint8_t buf[64];

	for (;;) {
		uint32_t n;

		(void)k_sem_take(&wake, K_FOREVER);
		xfota_shell_process_events();
		while ((n = ring_buf_get(&rx_ring, buf, sizeof(buf))) > 0) {
			at_host_feed(buf, n);
			/* Events queued while a line ran are delivered in order, before the next. */
			xfota_shell_process_events();
		}
		/* Bytes were dropped at the ring's tail: the line they belonged to is the one now
		 * being assembled.
		 */
		if (atomic_cas(&rx_overrun, 1, 0)) {
			at_host_overrun();
		}
	}
}
