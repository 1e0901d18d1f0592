/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host stand-in for zephyr/include/zephyr/storage/flash_map.h (struct flash_area and the three
 * calls the shell makes, prototypes as in that header). Implemented by the fake flash of
 * tests/fakes/fake_ncs.c.
 */
#ifndef HOST_ZEPHYR_FLASH_MAP_H_
#define HOST_ZEPHYR_FLASH_MAP_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct flash_area {
	uint8_t fa_id;
	uint8_t fa_device_id;
	uint16_t pad16;
	off_t fa_off;
	size_t fa_size;
	const void *fa_dev;
};

int flash_area_open(uint8_t id, const struct flash_area **fa);
void flash_area_close(const struct flash_area *fa);
int flash_area_read(const struct flash_area *fa, off_t off, void *dst, size_t len);

#endif /* HOST_ZEPHYR_FLASH_MAP_H_ */
