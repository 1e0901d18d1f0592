/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host stand-in for zephyr/include/zephyr/sys/ring_buffer.h (byte mode): the calls the AT UART
 * uses, with the same semantics (put/get move as much as fits, claim/finish for zero-copy
 * reads, no locking: the caller serialises).
 */
#ifndef HOST_ZEPHYR_RING_BUFFER_H_
#define HOST_ZEPHYR_RING_BUFFER_H_

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct ring_buf {
	uint8_t *buf;
	uint32_t size;
	uint32_t head; /* total bytes put */
	uint32_t tail; /* total bytes got (finished) */
	uint32_t claimed;
};

#define RING_BUF_DECLARE(name, sz)                                                                 \
	static uint8_t name##_data[(sz)];                                                          \
	struct ring_buf name = {name##_data, (sz), 0, 0, 0}

static inline uint32_t ring_buf_size_get(struct ring_buf *rb)
{
	return rb->head - rb->tail;
}

static inline uint32_t ring_buf_space_get(struct ring_buf *rb)
{
	return rb->size - ring_buf_size_get(rb);
}

static inline bool ring_buf_is_empty(struct ring_buf *rb)
{
	return rb->head == rb->tail;
}

static inline void ring_buf_reset(struct ring_buf *rb)
{
	rb->head = rb->tail = rb->claimed = 0;
}

static inline uint32_t ring_buf_put(struct ring_buf *rb, const uint8_t *data, uint32_t size)
{
	uint32_t n = 0;

	while (n < size && ring_buf_space_get(rb) > 0) {
		rb->buf[rb->head % rb->size] = data[n++];
		rb->head++;
	}
	return n;
}

static inline uint32_t ring_buf_get(struct ring_buf *rb, uint8_t *data, uint32_t size)
{
	uint32_t n = 0;

	while (n < size && !ring_buf_is_empty(rb)) {
		if (data != NULL) {
			data[n] = rb->buf[rb->tail % rb->size];
		}
		n++;
		rb->tail++;
	}
	return n;
}

/* Contiguous bytes from the tail, up to the end of the storage. */
static inline uint32_t ring_buf_get_claim(struct ring_buf *rb, uint8_t **data, uint32_t size)
{
	uint32_t start = rb->tail % rb->size;
	uint32_t n = ring_buf_size_get(rb);

	if (n > rb->size - start) {
		n = rb->size - start;
	}
	if (n > size) {
		n = size;
	}
	*data = &rb->buf[start];
	rb->claimed = n;
	return n;
}

static inline int ring_buf_get_finish(struct ring_buf *rb, uint32_t size)
{
	if (size > rb->claimed) {
		return -22;
	}
	rb->tail += size;
	rb->claimed = 0;
	return 0;
}

#endif /* HOST_ZEPHYR_RING_BUFFER_H_ */
