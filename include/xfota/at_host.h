/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief AT host: line framing and dispatch (AT, AT#XRESET, AT#XFOTA, modem), as Nordic's
 *        sdk-nrf lib/at_host and Serial Modem frame lines.
 *
 * A line ends at CR, LF or CR LF (one line) **outside double quotes**; inside quotes CR and LF
 * are part of the command (a PEM certificate in AT%CMNG reaches the modem whole). Bytes of an
 * unfinished line are never dispatched. A line longer than CONFIG_XFOTA_AT_BUF_SIZE is answered
 * ERROR once, when it ends, and nothing of it reaches the modem or the core. NUL bytes are
 * ignored; backspace/DEL remove the previous byte. Lines without a printable character are
 * ignored. "AT" answers OK, "AT#XRESET" answers OK and reboots, "AT#XFOTA..." goes to the core,
 * every other line is sent to the modem (nrf_modem_at_cmd) and its answer relayed. Modem
 * notifications (at_monitor) are queued for the host whole, or dropped when the transport's
 * notification buffer is full; they never block the system workqueue.
 */

#ifndef XFOTA_AT_HOST_H_
#define XFOTA_AT_HOST_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Output of the AT host. */
struct at_host_io {
	/**
	 * AT thread only: queues bytes for the host, waiting for room if needed (responses are
	 * never dropped or reordered).
	 */
	void (*write)(const uint8_t *data, size_t len);
	/**
	 * Any thread, never blocks: queues head + body as one notification, or drops it whole.
	 * @return 0, or -ENOBUFS when it was dropped.
	 */
	int (*notify)(const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len);
	/** Optional: waits up to timeout_ms for queued output to leave (before a reboot). */
	void (*drain)(uint32_t timeout_ms);
};

/** Sets the output (the structure must stay valid) and resets the framing state. */
void at_host_init(const struct at_host_io *io);

/** Feeds received bytes; complete lines are dispatched from the calling (AT) thread. */
void at_host_feed(const uint8_t *data, size_t len);

/** AT thread: sends a whole response or notification to the host. */
void at_host_send(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* XFOTA_AT_HOST_H_ */
