/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 */

#ifndef XFOTA_AT_UART_H_
#define XFOTA_AT_UART_H_

#include <zephyr/toolchain.h>

/** Prepares the AT UART (chosen node ncs,xfota-uart). @return 0 or a negative errno. */
int at_uart_init(void);

/** Wakes the AT thread (xfota_shell notifier). */
void at_uart_wake(void);

/** Runs the AT thread loop on the calling thread. */
FUNC_NORETURN void at_uart_run(void);

#endif /* XFOTA_AT_UART_H_ */
