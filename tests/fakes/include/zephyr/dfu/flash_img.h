/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * FAKE of zephyr/include/zephyr/dfu/flash_img.h, the image-check part
 * (CONFIG_IMG_ENABLE_IMAGE_CHECK): struct flash_img_check and flash_img_check() with the
 * prototypes of that header. The real struct flash_img_context holds a CONFIG_IMG_BLOCK_BUF_SIZE
 * buffer and a stream_flash context; the fake keeps a buffer of the default size (512).
 * Implemented in tests/fakes/fake_ncs.c: SHA-256 over the fake flash area, 0 on a match,
 * -EILSEQ on a mismatch, -EINVAL out of the area's bounds (subsys/storage/flash_map/
 * flash_map_integrity.c, flash_area_check_int_sha256()).
 */
#ifndef FAKE_ZEPHYR_FLASH_IMG_H_
#define FAKE_ZEPHYR_FLASH_IMG_H_

#include <stddef.h>
#include <stdint.h>

struct flash_img_context {
	uint8_t buf[512];
	const struct flash_area *flash_area;
};

struct flash_img_check {
	const uint8_t *match;
	size_t clen;
};

int flash_img_check(struct flash_img_context *ctx, const struct flash_img_check *fic,
		    uint8_t area_id);

#endif /* FAKE_ZEPHYR_FLASH_IMG_H_ */
