/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief UART transport of the AT host (chosen node ncs,xfota-uart), interrupt driven.
 *
 * Reception goes into a ring buffer drained by the AT thread. Output goes into a TX ring
 * buffer that the UART interrupt drains (uart_irq_tx_enable + uart_fifo_fill), so a host that
 * holds CTS inactive (port not opened, RTS not asserted) stalls only the AT thread, and only
 * once the TX buffer is full. Modem notifications go into a separate buffer, whole or not at
 * all (dropped and counted when it is full), and are moved to the TX buffer by the AT thread
 * between responses, never inside one.
 */

#ifndef XFOTA_AT_UART_H_
#define XFOTA_AT_UART_H_

#include <stdint.h>

#include <zephyr/kernel.h>

/** Prepares the AT UART and enables reception. @return 0 or a negative errno. */
int at_uart_init(void);

/** Wakes the AT thread (xfota_shell notifier). */
void at_uart_wake(void);

/**
 * One round of the AT thread: waits up to @p wait for work, then delivers queued download
 * events, moves queued notifications to the TX buffer and handles received bytes.
 *
 * @return 0 after a round, -EAGAIN if nothing woke it in time.
 */
int at_uart_process(k_timeout_t wait);

/** Runs the AT thread loop on the calling thread. */
FUNC_NORETURN void at_uart_run(void);

/** Notifications dropped so far because the notification buffer was full. */
uint32_t at_uart_urc_dropped(void);

#endif /* XFOTA_AT_UART_H_ */
