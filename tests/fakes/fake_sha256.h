/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * SHA-256 (FIPS 180-4) for the fakes: the hash that Zephyr's flash_area_check_int_sha256()
 * (subsys/storage/flash_map/flash_map_integrity.c, through PSA psa_hash_* or Mbed TLS)
 * computes over a flash area for flash_img_check() (subsys/dfu/img_util/flash_img.c). The
 * fake flash_img_check() in fake_ncs.c hashes the fake slot with it. Test code only.
 */
#ifndef FAKE_SHA256_H_
#define FAKE_SHA256_H_

#include <stddef.h>
#include <stdint.h>

/* SHA-256 of data[0..len) into out. */
void fake_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif /* FAKE_SHA256_H_ */
