/* SPDX-License-Identifier: Apache-2.0 -- SHA-256 for the fakes (fake_sha256.c). */
#ifndef FAKE_SHA256_H_
#define FAKE_SHA256_H_

#include <stddef.h>
#include <stdint.h>

void fake_sha256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif /* FAKE_SHA256_H_ */
