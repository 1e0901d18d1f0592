/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * UART transport of the AT host, interrupt driven in both directions. The AT thread (the
 * caller of at_uart_run()) drains reception, the download event queue and the notification
 * buffer; the UART interrupt drains the TX buffer. Nothing here waits for the UART except the
 * AT thread, and it only when the TX buffer is full (Serial Modem's sm_uart_handler.c splits
 * the work the same way: responses wait for room, notifications are buffered or dropped).
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
RING_BUF_DECLARE(tx_ring, CONFIG_XFOTA_UART_TX_BUF_SIZE);
RING_BUF_DECLARE(urc_ring, CONFIG_XFOTA_UART_URC_BUF_SIZE);
/* Guards the three rings against the interrupt and the notifying threads. */
static struct k_spinlock lock;
static K_SEM_DEFINE(wake, 0, 1);
static K_SEM_DEFINE(tx_room, 0, 1);
static atomic_t rx_paused;
static atomic_t urc_dropped_new;
static atomic_t urc_dropped_total;

/* Reads only what the ring can take, so no byte is lost here: with the ring full, reception
 * pauses (the bytes stay in the UART, which holds RTS with hw-flow-control) until the AT thread
 * made room.
 */
static void isr_rx(const struct device *dev)
{
	uint8_t chunk[32];

	for (;;) {
		k_spinlock_key_t key = k_spin_lock(&lock);
		uint32_t room = ring_buf_space_get(&rx_ring);
		int n;

		if (room == 0) {
			uart_irq_rx_disable(dev);
			atomic_set(&rx_paused, 1);
			k_spin_unlock(&lock, key);
			break;
		}
		n = uart_fifo_read(dev, chunk, (int)MIN(room, sizeof(chunk)));
		if (n > 0) {
			(void)ring_buf_put(&rx_ring, chunk, (uint32_t)n);
		}
		k_spin_unlock(&lock, key);
		if (n <= 0) {
			break;
		}
		k_sem_give(&wake);
	}
}

static void isr_tx(const struct device *dev)
{
	k_spinlock_key_t key = k_spin_lock(&lock);
	uint8_t *data;
	uint32_t n = ring_buf_get_claim(&tx_ring, &data, CONFIG_XFOTA_UART_TX_BUF_SIZE);

	if (n == 0) {
		/* Nothing left: the next write enables the interrupt again. */
		uart_irq_tx_disable(dev);
		(void)ring_buf_get_finish(&tx_ring, 0);
		k_spin_unlock(&lock, key);
		return;
	}
	int sent = uart_fifo_fill(dev, data, (int)n);

	n = sent > 0 ? (uint32_t)sent : 0;
	(void)ring_buf_get_finish(&tx_ring, n);
	k_spin_unlock(&lock, key);
	if (n > 0) {
		k_sem_give(&tx_room);
	}
}

static void uart_isr(const struct device *dev, void *user_data)
{
	ARG_UNUSED(user_data);
	if (uart_irq_update(dev) <= 0) {
		return;
	}
	if (uart_irq_rx_ready(dev) > 0) {
		isr_rx(dev);
	}
	if (uart_irq_tx_ready(dev) > 0) {
		isr_tx(dev);
	}
}

/* AT thread: queues bytes, waiting for the interrupt to make room. Never drops. */
static void tx_write(const uint8_t *data, size_t len)
{
	while (len > 0) {
		k_spinlock_key_t key = k_spin_lock(&lock);
		uint32_t n = ring_buf_put(&tx_ring, data, (uint32_t)MIN(len, UINT32_MAX));

		k_spin_unlock(&lock, key);
		if (n > 0) {
			uart_irq_tx_enable(uart);
		}
		data += n;
		len -= n;
		if (len > 0) {
			(void)k_sem_take(&tx_room, K_FOREVER);
		}
	}
}

/* Any thread: the notification goes in whole, or is dropped and counted. */
static int urc_put(const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len)
{
	k_spinlock_key_t key = k_spin_lock(&lock);
	int rc = 0;

	if (ring_buf_space_get(&urc_ring) >= head_len + body_len) {
		(void)ring_buf_put(&urc_ring, head, (uint32_t)head_len);
		(void)ring_buf_put(&urc_ring, body, (uint32_t)body_len);
	} else {
		rc = -ENOBUFS;
	}
	k_spin_unlock(&lock, key);
	if (rc) {
		atomic_inc(&urc_dropped_new);
		atomic_inc(&urc_dropped_total);
	}
	k_sem_give(&wake);
	return rc;
}

/* AT thread: moves queued notifications to the TX buffer. The ring only ever holds whole
 * notifications, so an empty ring is a boundary between two of them.
 */
static void urc_flush(void)
{
	uint8_t chunk[64];
	uint32_t n;
	atomic_val_t dropped;

	do {
		k_spinlock_key_t key = k_spin_lock(&lock);

		n = ring_buf_get(&urc_ring, chunk, sizeof(chunk));
		k_spin_unlock(&lock, key);
		tx_write(chunk, n);
	} while (n > 0);
	dropped = atomic_set(&urc_dropped_new, 0);
	if (dropped > 0) {
		LOG_WRN("%d modem notifications dropped: the host holds CTS",
			(int)dropped);
	}
}

static void tx_drain(uint32_t timeout_ms)
{
	int64_t end = k_uptime_get() + timeout_ms;

	for (;;) {
		k_spinlock_key_t key = k_spin_lock(&lock);
		bool empty = ring_buf_is_empty(&tx_ring);

		k_spin_unlock(&lock, key);
		if (empty || k_uptime_get() >= end) {
			return;
		}
		k_sleep(K_MSEC(5));
	}
}

static const struct at_host_io uart_io = {
	.write = tx_write,
	.notify = urc_put,
	.drain = tx_drain,
};

uint32_t at_uart_urc_dropped(void)
{
	return (uint32_t)atomic_get(&urc_dropped_total);
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
	at_host_init(&uart_io);
	/* Receive from now on: what the host sends right after "Ready" waits in the ring. */
	uart_irq_rx_enable(uart);
	return 0;
}

int at_uart_process(k_timeout_t wait)
{
	uint8_t chunk[64];
	uint32_t n;

	if (k_sem_take(&wake, wait) != 0) {
		return -EAGAIN;
	}
	xfota_shell_process_events();
	urc_flush();
	for (;;) {
		k_spinlock_key_t key = k_spin_lock(&lock);

		n = ring_buf_get(&rx_ring, chunk, sizeof(chunk));
		k_spin_unlock(&lock, key);
		if (n == 0) {
			break;
		}
		if (atomic_cas(&rx_paused, 1, 0)) {
			uart_irq_rx_enable(uart);
		}
		at_host_feed(chunk, n);
		/* Events and notifications queued while a line ran go out before the next one. */
		xfota_shell_process_events();
		urc_flush();
	}
	return 0;
}

FUNC_NORETURN void at_uart_run(void)
{
	for (;;) {
		(void)at_uart_process(K_FOREVER);
	}
}
