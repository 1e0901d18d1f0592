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
 * AT thread) calls every function below except xfota_shell_set_hooks().
 *
 * Use from a product with its own AT host:
 *  1. xfota_shell_set_hooks() with a writer (bytes to the AT host) and a notifier (wakes the AT
 *     thread when a download event was queued);
 *  2. xfota_shell_init() once, after settings storage is available;
 *  3. nrf_modem_lib_init() (the modem DFU result arrives during it);
 *  4. xfota_shell_boot(): writes "Ready" and the one FOTA result notification;
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

/** Called from the downloader's thread after an event was queued. */
typedef void (*xfota_shell_notify_t)(void);

/** Sets the output writer and the event notifier. */
void xfota_shell_set_hooks(xfota_shell_write_t write, xfota_shell_notify_t notify);

/**
 * Initialises fota_download, loads the persisted record and initialises the core.
 *
 * @return 0 or a negative errno.
 */
int xfota_shell_init(void);

/**
 * Boot report: "Ready", then at most one "#XFOTA: 5,..." (or "4,1,..." for a postponed modem
 * update) for the image the record says was waiting, then the record is cleared.
 *
 * @return 0 or a negative errno.
 */
int xfota_shell_boot(void);

/**
 * Handles one AT line without its terminator.
 *
 * @return XFOTA_LINE_OK or XFOTA_LINE_ERROR when the line was AT#XFOTA (the response was
 *         written), XFOTA_LINE_NOT_MINE for any other line (nothing written), or a negative
 *         errno.
 */
int xfota_shell_handle_line(const uint8_t *line, size_t len);

/** Delivers every queued download event to the core. */
void xfota_shell_process_events(void);

#ifdef __cplusplus
}
#endif

#endif /* XFOTA_SHELL_H_ */
