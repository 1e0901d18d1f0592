/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE UART with RTS/CTS hardware flow control and Zephyr's interrupt-driven API
 * (zephyr/include/zephyr/drivers/uart.h, CONFIG_UART_INTERRUPT_DRIVEN), as the nRF9161 DK's
 * UART0 behaves with hw-flow-control: while the host keeps the device's CTS inactive (VCOM port
 * not opened, RTS not asserted) no byte leaves, the TX-ready interrupt does not come and
 * uart_fifo_fill() takes nothing. The interrupt is level triggered: the callback runs again and
 * again while TX is enabled and ready, or received bytes wait, like a UART ISR. It runs on a
 * dedicated highest-priority thread (the "interrupt"). Under Zephyr it is a device
 * (compatible "vnd,xfota-fake-uart", "vnd" being the devicetree stand-in vendor for tests); on the host it implements the uart_* calls directly.
 */
#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/device.h>
#include <zephyr/drivers/uart.h>

#include "fake_ncs.h"

#if defined(__ZEPHYR__)
#define FAKE_UART_ON DT_HAS_COMPAT_STATUS_OKAY(vnd_xfota_fake_uart)
#else
#define FAKE_UART_ON 1
#endif

#if FAKE_UART_ON

#define FIFO_BYTES 16 /* bytes one uart_fifo_fill() takes */
#define RX_CAP 2048
#define OUT_CAP 2048

static uart_irq_callback_user_data_t isr;
static void *isr_data;
static const struct device *isr_dev;
static atomic_t tx_irq_on;
static atomic_t rx_irq_on;
static atomic_t cts = ATOMIC_INIT(1);
static struct k_spinlock data_lock;
static uint8_t rx_fifo[RX_CAP];
static size_t rx_head;
static size_t rx_count;
static char out[OUT_CAP];
static size_t out_len;
static K_SEM_DEFINE(kick, 0, 1);
static atomic_t irq_started;
#define IRQ_STACK 2048
static K_THREAD_STACK_DEFINE(irq_stack, IRQ_STACK);
static struct k_thread irq_thread;

static bool rx_waiting(void)
{
	bool r;

	k_spinlock_key_t key = k_spin_lock(&data_lock);
	r = rx_count > 0;
	k_spin_unlock(&data_lock, key);
	return r;
}

static bool pending(void)
{
	return (atomic_get(&tx_irq_on) && atomic_get(&cts)) ||
	       (atomic_get(&rx_irq_on) && rx_waiting());
}

static void irq_main(void *p1, void *p2, void *p3)
{
	(void)p1;
	(void)p2;
	(void)p3;
	for (;;) {
		(void)k_sem_take(&kick, K_MSEC(5));
		while (isr != NULL && pending()) {
			isr(isr_dev, isr_data);
		}
	}
}

static void raise_irq(void)
{
	k_sem_give(&kick);
}

static int fu_fifo_fill(const struct device *dev, const uint8_t *data, int size)
{
	int n;

	(void)dev;
	if (!atomic_get(&cts)) {
		return 0;
	}
	n = MIN(size, FIFO_BYTES);
	k_spinlock_key_t key = k_spin_lock(&data_lock);
	n = (int)MIN((size_t)n, OUT_CAP - 1 - out_len);
	memcpy(out + out_len, data, (size_t)n);
	out_len += (size_t)n;
	out[out_len] = '\0';
	k_spin_unlock(&data_lock, key);
	return n;
}

static int fu_fifo_read(const struct device *dev, uint8_t *data, const int size)
{
	int n = 0;

	(void)dev;
	k_spinlock_key_t key = k_spin_lock(&data_lock);
	while (n < size && rx_count > 0) {
		data[n++] = rx_fifo[rx_head];
		rx_head = (rx_head + 1) % RX_CAP;
		rx_count--;
	}
	k_spin_unlock(&data_lock, key);
	return n;
}

static void fu_irq_tx_enable(const struct device *dev)
{
	(void)dev;
	atomic_set(&tx_irq_on, 1);
	raise_irq();
}

static void fu_irq_tx_disable(const struct device *dev)
{
	(void)dev;
	atomic_set(&tx_irq_on, 0);
}

static int fu_irq_tx_ready(const struct device *dev)
{
	(void)dev;
	return atomic_get(&tx_irq_on) && atomic_get(&cts);
}

static void fu_irq_rx_enable(const struct device *dev)
{
	(void)dev;
	atomic_set(&rx_irq_on, 1);
	raise_irq();
}

static void fu_irq_rx_disable(const struct device *dev)
{
	(void)dev;
	atomic_set(&rx_irq_on, 0);
}

static int fu_irq_rx_ready(const struct device *dev)
{
	(void)dev;
	return rx_waiting();
}

static int fu_irq_is_pending(const struct device *dev)
{
	(void)dev;
	return pending();
}

static int fu_irq_update(const struct device *dev)
{
	(void)dev;
	return 1;
}

static void fu_irq_callback_set(const struct device *dev, uart_irq_callback_user_data_t cb,
				void *user_data)
{
	isr_dev = dev;
	isr_data = user_data;
	isr = cb;
	if (atomic_cas(&irq_started, 0, 1)) {
		k_thread_create(&irq_thread, irq_stack, IRQ_STACK, irq_main, NULL, NULL, NULL,
				K_PRIO_COOP(0), 0, K_NO_WAIT);
	}
}

void fake_uart_cts(bool active)
{
	atomic_set(&cts, active ? 1 : 0);
	raise_irq();
}

void fake_uart_rx(const uint8_t *data, size_t len)
{
	k_spinlock_key_t key = k_spin_lock(&data_lock);
	for (size_t i = 0; i < len && rx_count < RX_CAP; i++) {
		rx_fifo[(rx_head + rx_count) % RX_CAP] = data[i];
		rx_count++;
	}
	k_spin_unlock(&data_lock, key);
	raise_irq();
}

size_t fake_uart_take(char *dst, size_t cap)
{
	size_t n;

	k_spinlock_key_t key = k_spin_lock(&data_lock);
	n = MIN(out_len, cap - 1);
	memcpy(dst, out, n);
	dst[n] = '\0';
	out_len = 0;
	out[0] = '\0';
	k_spin_unlock(&data_lock, key);
	return n;
}

bool fake_uart_wait_for(const char *want, int ms)
{
	for (int t = 0; t <= ms; t += 2) {
		bool found;

		k_spinlock_key_t key = k_spin_lock(&data_lock);
		found = strstr(out, want) != NULL;
		k_spin_unlock(&data_lock, key);
		if (found) {
			return true;
		}
		k_msleep(2);
	}
	return false;
}

#if defined(__ZEPHYR__)
#define DT_DRV_COMPAT vnd_xfota_fake_uart

static int fu_poll_in(const struct device *dev, unsigned char *c)
{
	return fu_fifo_read(dev, c, 1) == 1 ? 0 : -1;
}

static void fu_poll_out(const struct device *dev, unsigned char c)
{
	while (fu_fifo_fill(dev, &c, 1) == 0) {
		k_msleep(1);
	}
}

static const struct uart_driver_api fake_uart_api = {
	.poll_in = fu_poll_in,
	.poll_out = fu_poll_out,
	.fifo_fill = fu_fifo_fill,
	.fifo_read = fu_fifo_read,
	.irq_tx_enable = fu_irq_tx_enable,
	.irq_tx_disable = fu_irq_tx_disable,
	.irq_tx_ready = fu_irq_tx_ready,
	.irq_rx_enable = fu_irq_rx_enable,
	.irq_rx_disable = fu_irq_rx_disable,
	.irq_rx_ready = fu_irq_rx_ready,
	.irq_is_pending = fu_irq_is_pending,
	.irq_update = fu_irq_update,
	.irq_callback_set = fu_irq_callback_set,
};

DEVICE_DT_INST_DEFINE(0, NULL, NULL, NULL, NULL, POST_KERNEL, CONFIG_SERIAL_INIT_PRIORITY,
		      &fake_uart_api);
#else
const struct device fake_uart_dev = {"fake_uart"};

bool device_is_ready(const struct device *dev)
{
	return dev == &fake_uart_dev;
}

int uart_irq_callback_user_data_set(const struct device *dev, uart_irq_callback_user_data_t cb,
				    void *user_data)
{
	fu_irq_callback_set(dev, cb, user_data);
	return 0;
}

int uart_irq_update(const struct device *dev)
{
	return fu_irq_update(dev);
}

int uart_irq_is_pending(const struct device *dev)
{
	return fu_irq_is_pending(dev);
}

int uart_irq_rx_ready(const struct device *dev)
{
	return fu_irq_rx_ready(dev);
}

int uart_irq_tx_ready(const struct device *dev)
{
	return fu_irq_tx_ready(dev);
}

void uart_irq_rx_enable(const struct device *dev)
{
	fu_irq_rx_enable(dev);
}

void uart_irq_rx_disable(const struct device *dev)
{
	fu_irq_rx_disable(dev);
}

void uart_irq_tx_enable(const struct device *dev)
{
	fu_irq_tx_enable(dev);
}

void uart_irq_tx_disable(const struct device *dev)
{
	fu_irq_tx_disable(dev);
}

int uart_fifo_read(const struct device *dev, uint8_t *rx_data, const int size)
{
	return fu_fifo_read(dev, rx_data, size);
}

int uart_fifo_fill(const struct device *dev, const uint8_t *tx_data, int size)
{
	return fu_fifo_fill(dev, tx_data, size);
}
#endif

#endif /* fake UART in the devicetree */
