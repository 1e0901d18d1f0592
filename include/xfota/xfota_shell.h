/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * @file
 * @brief AT#XFOTA shell: the glue between the Rust core (xfota.h) and NCS.
 *
 * The shell owns no FOTA logic. It maps fota_download callbacks to core events (queued, never
 * delivered from the downloader's thread) and the core's effects to NCS calls. One thread (the
 * AT thread) calls every function below except xfota_shell_set_hooks() and
 * xfota_shell_modem_fault().
 *
 * Use from a product with its own AT host:
 *  1. xfota_shell_set_hooks() with a writer (bytes to the AT host) and a notifier (wakes the AT
 *     thread when a download event or a modem fault was queued);
 *  2. xfota_shell_init() once (loads the stored record, then initialises fota_download);
 *  3. nrf_modem_lib_init() (the modem DFU result arrives during it);
 *  4. xfota_shell_boot() with what nrf_modem_lib_init() returned: writes "Ready" and the one
 *     FOTA result notification;
 *  5. for every AT line, xfota_shell_handle_line(); whenever notified,
 *     xfota_shell_process_events().
 */

#ifndef XFOTA_SHELL_H_
#define XFOTA_SHELL_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Writes bytes to the AT host (whole responses and notifications). */
typedef void (*xfota_shell_write_t)(const uint8_t *data, size_t len);

/** Called from another thread (or an interrupt) after something was queued for the AT thread. */
typedef void (*xfota_shell_notify_t)(void);

/** Sets the output writer and the event notifier. */
void xfota_shell_set_hooks(xfota_shell_write_t write, xfota_shell_notify_t notify);

/**
 * Loads the persisted record, initialises the core and fota_download. A failure of one step
 * does not skip the others: the record is loaded (and reported at boot) even when
 * fota_download_init() fails.
 *
 * @return 0 or the first negative errno.
 */
int xfota_shell_init(void);

/**
 * Boot report: "Ready" (and "#XMODEM: INIT,<err>" when the modem library failed), then at most
 * one "#XFOTA: 5,..." (or "4,1,..." for a postponed modem update), then the record is cleared.
 *
 * @param modem_init What nrf_modem_lib_init() returned (0, or a negative errno such as
 *                   -NRF_EIO or -NRF_EAGAIN).
 * @return 0 or a negative errno.
 */
int xfota_shell_boot(int modem_init);

/**
 * Handles one AT line without its terminator.
 *
 * @return XFOTA_LINE_OK or XFOTA_LINE_ERROR when the line was AT#XFOTA (the response was
 *         written), XFOTA_LINE_NOT_MINE for any other line (nothing written), or a negative
 *         errno.
 */
int xfota_shell_handle_line(const uint8_t *line, size_t len);

/**
 * Delivers every queued download event to the core; after a modem fault, reports it, shuts
 * the modem library down and initialises it again (as Nordic's Serial Modem).
 */
void xfota_shell_process_events(void);

/**
 * A modem fault (for products with their own nrf_modem_fault_handler(); the shell defines
 * that handler itself with CONFIG_XFOTA_MODEM_FAULT_HANDLER). Safe from an interrupt: it
 * queues the fault for the AT thread and calls the notifier.
 */
void xfota_shell_modem_fault(uint32_t reason, uint32_t program_counter);

#ifdef __cplusplus
}
#endif

#endif /* XFOTA_SHELL_H_ */
