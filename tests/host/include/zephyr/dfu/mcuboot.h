/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host stand-in for zephyr/include/zephyr/dfu/mcuboot.h (prototypes and values copied).
 */
#ifndef HOST_ZEPHYR_MCUBOOT_H_
#define HOST_ZEPHYR_MCUBOOT_H_

#include <stdint.h>

#define BOOT_SWAP_TYPE_NONE 1
#define BOOT_SWAP_TYPE_TEST 2
#define BOOT_SWAP_TYPE_PERM 3
#define BOOT_SWAP_TYPE_REVERT 4
#define BOOT_SWAP_TYPE_FAIL 5

int mcuboot_swap_type(void);
int boot_write_img_confirmed(void);
int boot_erase_img_bank(uint8_t area_id);

#endif /* HOST_ZEPHYR_MCUBOOT_H_ */
