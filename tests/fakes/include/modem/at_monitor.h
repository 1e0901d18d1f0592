/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrf v3.2.x include/modem/at_monitor.h. The fake AT_MONITOR registers the handler
 * under a fixed name (one monitor per program, which is all the AT host defines); the fake
 * modem dispatches notifications to it as lib/at_monitor/at_monitor.c does: copied into a
 * CONFIG_AT_MONITOR_HEAP_SIZE heap (dropped when full) and handed over on the system workqueue.
 */
#ifndef FAKE_AT_MONITOR_H_
#define FAKE_AT_MONITOR_H_

#include <stddef.h>

typedef void (*at_monitor_handler_t)(const char *notif);

#define ANY NULL

#define AT_MONITOR(name, _filter, _handler, ...)                                                   \
	static void _handler(const char *);                                                        \
	const at_monitor_handler_t fake_at_monitor_handler = _handler

#endif /* FAKE_AT_MONITOR_H_ */
