/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief Minimal AT host: line framing and dispatch (AT, AT#XRESET, AT#XFOTA, modem).
 *
 * Lines end with CR, LF or CRLF and may arrive split across any number of reads; empty lines
 * are ignored. A line longer than CONFIG_XFOTA_AT_BUF_SIZE is discarded whole and answered
 * ERROR. "AT" answers OK, "AT#XRESET" answers OK and reboots, "AT#XFOTA..." goes to the core,
 * every other line is sent to the modem (nrf_modem_at_cmd) and its answer relayed.
 */

#ifndef XFOTA_AT_HOST_H_
#define XFOTA_AT_HOST_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Writes bytes to the UART (blocking). */
typedef void (*at_host_tx_t)(const uint8_t *data, size_t len);

/** Sets the transmit function. */
void at_host_init(at_host_tx_t tx);

/** Feeds received bytes; complete lines are dispatched from the calling (AT) thread. */
void at_host_feed(const uint8_t *data, size_t len);

/** Bytes were lost on reception: the line being received is discarded and answered ERROR. */
void at_host_overrun(void);

/** Sends bytes to the host; safe from any thread (whole writes are never interleaved). */
void at_host_send(const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* XFOTA_AT_HOST_H_ */
