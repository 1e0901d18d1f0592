/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host implementations of the kernel stand-ins in tests/host/include/zephyr/kernel.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/kernel.h>

int host_log_lines;
int64_t host_slept_ms;

int32_t k_sleep(k_timeout_t timeout)
{
	host_slept_ms += timeout.ms;
	return 0;
}

void k_panic(void)
{
	fprintf(stderr, "k_panic\n");
	abort();
}

int k_msgq_put(struct k_msgq *q, const void *data, k_timeout_t timeout)
{
	(void)timeout; /* single-threaded: a full queue can never drain while we wait */
	if (q->used == q->max_msgs) {
		return -1;
	}
	memcpy(q->buf + ((q->read + q->used) % q->max_msgs) * q->msg_size, data, q->msg_size);
	q->used++;
	return 0;
}

int k_msgq_get(struct k_msgq *q, void *data, k_timeout_t timeout)
{
	(void)timeout;
	if (q->used == 0) {
		return -1;
	}
	memcpy(data, q->buf + q->read * q->msg_size, q->msg_size);
	q->read = (q->read + 1) % q->max_msgs;
	q->used--;
	return 0;
}

uint32_t k_msgq_num_free_get(struct k_msgq *q)
{
	return q->max_msgs - q->used;
}

int k_mutex_lock(struct k_mutex *m, k_timeout_t timeout)
{
	(void)timeout;
	m->locked++;
	return 0;
}

int k_mutex_unlock(struct k_mutex *m)
{
	m->locked--;
	return 0;
}
