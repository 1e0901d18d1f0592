/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of sdk-nrf v3.2.x include/dfu/dfu_target.h (the parts the shell and the fake
 * fota_download use); behaviour modelled on subsys/dfu/dfu_target/src/dfu_target.c: one
 * current target set by dfu_target_init(), -EACCES from done/reset/schedule_update without
 * one, dfu_target_reset() forgets it.
 */
#ifndef FAKE_DFU_TARGET_H_
#define FAKE_DFU_TARGET_H_

#include <stdbool.h>
#include <stddef.h>

enum dfu_target_image_type {
	DFU_TARGET_IMAGE_TYPE_NONE = 0,
	DFU_TARGET_IMAGE_TYPE_MCUBOOT = 1,
	DFU_TARGET_IMAGE_TYPE_MODEM_DELTA = 2,
	DFU_TARGET_IMAGE_TYPE_FULL_MODEM = 4,
	DFU_TARGET_IMAGE_TYPE_SMP = 8,
	DFU_TARGET_IMAGE_TYPE_CUSTOM = 128,
	DFU_TARGET_IMAGE_TYPE_ANY_APPLICATION = DFU_TARGET_IMAGE_TYPE_MCUBOOT,
	DFU_TARGET_IMAGE_TYPE_ANY_MODEM =
		(DFU_TARGET_IMAGE_TYPE_MODEM_DELTA | DFU_TARGET_IMAGE_TYPE_FULL_MODEM),
	DFU_TARGET_IMAGE_TYPE_ANY =
		(DFU_TARGET_IMAGE_TYPE_MCUBOOT | DFU_TARGET_IMAGE_TYPE_MODEM_DELTA |
		 DFU_TARGET_IMAGE_TYPE_FULL_MODEM | DFU_TARGET_IMAGE_TYPE_CUSTOM),
};

enum dfu_target_evt_id {
	DFU_TARGET_EVT_ERASE_PENDING,
	DFU_TARGET_EVT_TIMEOUT,
	DFU_TARGET_EVT_ERASE_DONE,
};

typedef void (*dfu_target_callback_t)(enum dfu_target_evt_id evt_id);

int dfu_target_init(int img_type, int img_num, size_t file_size, dfu_target_callback_t cb);
int dfu_target_done(bool successful);
int dfu_target_reset(void);
int dfu_target_schedule_update(int img_num);

#endif /* FAKE_DFU_TARGET_H_ */
