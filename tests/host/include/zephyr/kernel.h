/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host stand-in for the few Zephyr kernel services the shell uses (single-threaded: the host
 * tests play the downloader's thread by calling the fake callbacks between shell calls).
 * Prototypes follow zephyr/include/zephyr/kernel.h and sys/atomic.h.
 */
#ifndef HOST_ZEPHYR_KERNEL_H_
#define HOST_ZEPHYR_KERNEL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARG_UNUSED(x) (void)(x)
#ifndef MIN
#define MIN(a, b) (((a) < (b)) ? (a) : (b))
#endif
#define FUNC_NORETURN __attribute__((__noreturn__))
#define CODE_UNREACHABLE __builtin_unreachable()

typedef struct {
	int64_t ms; /* -1: forever */
} k_timeout_t;
#define K_FOREVER ((k_timeout_t){.ms = -1})
#define K_NO_WAIT ((k_timeout_t){.ms = 0})
#define K_MSEC(t) ((k_timeout_t){.ms = (t)})
#define K_SECONDS(t) K_MSEC((t) * 1000)

int32_t k_sleep(k_timeout_t timeout);
void k_panic(void) FUNC_NORETURN;

typedef long atomic_t;
typedef long atomic_val_t;
static inline atomic_val_t atomic_get(const atomic_t *t) { return *t; }
static inline atomic_val_t atomic_set(atomic_t *t, atomic_val_t v)
{
	atomic_val_t o = *t;

	*t = v;
	return o;
}

struct k_msgq {
	size_t msg_size;
	uint32_t max_msgs;
	char *buf;
	uint32_t read;
	uint32_t used;
};
#define K_MSGQ_DEFINE(name, size, max, align)                                                      \
	static char name##_buf[(size) * (max)];                                                    \
	struct k_msgq name = {(size), (max), name##_buf, 0, 0}
int k_msgq_put(struct k_msgq *q, const void *data, k_timeout_t timeout);
int k_msgq_get(struct k_msgq *q, void *data, k_timeout_t timeout);
uint32_t k_msgq_num_free_get(struct k_msgq *q);

struct k_mutex {
	int locked;
};
#define K_MUTEX_DEFINE(name) struct k_mutex name = {0}
int k_mutex_lock(struct k_mutex *m, k_timeout_t timeout);
int k_mutex_unlock(struct k_mutex *m);

#endif /* HOST_ZEPHYR_KERNEL_H_ */
