/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrf v3.2.4 include/net/fota_download.h: declarations copied from that header
 * (enum values as numbered there); implemented by tests/fakes/fake_ncs.c.
 */
#ifndef FAKE_NET_FOTA_DOWNLOAD_H_
#define FAKE_NET_FOTA_DOWNLOAD_H_

#include <stddef.h>
#include <stdint.h>
#include <dfu/dfu_target.h>

enum fota_download_evt_id {
	FOTA_DOWNLOAD_EVT_PROGRESS,
	FOTA_DOWNLOAD_EVT_FINISHED,
	FOTA_DOWNLOAD_EVT_ERASE_PENDING,
	FOTA_DOWNLOAD_EVT_ERASE_TIMEOUT,
	FOTA_DOWNLOAD_EVT_ERASE_DONE,
	FOTA_DOWNLOAD_EVT_ERROR,
	FOTA_DOWNLOAD_EVT_CANCELLED,
};

enum fota_download_error_cause {
	FOTA_DOWNLOAD_ERROR_CAUSE_NO_ERROR,
	FOTA_DOWNLOAD_ERROR_CAUSE_CONNECT_FAILED,
	FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED,
	FOTA_DOWNLOAD_ERROR_CAUSE_INVALID_UPDATE,
	FOTA_DOWNLOAD_ERROR_CAUSE_TYPE_MISMATCH,
	FOTA_DOWNLOAD_ERROR_CAUSE_INTERNAL,
	FOTA_DOWNLOAD_ERROR_CAUSE_DFU,
	FOTA_DOWNLOAD_ERROR_CAUSE_PROTO_NOT_SUPPORTED,
	FOTA_DOWNLOAD_ERROR_CAUSE_INVALID_CONFIGURATION,
};

struct fota_download_evt {
	enum fota_download_evt_id id;

	union {
		/** Error cause. */
		enum fota_download_error_cause cause;
		/** Download progress %. */
		int progress;
	};
};

typedef void (*fota_download_callback_t)(const struct fota_download_evt *evt);

int fota_download_init(fota_download_callback_t client_callback);

int fota_download_start_with_image_type(const char *host, const char *file,
			int sec_tag, uint8_t pdn_id, size_t fragment_size,
			const enum dfu_target_image_type expected_type);

int fota_download_cancel(void);

#endif /* FAKE_NET_FOTA_DOWNLOAD_H_ */
