/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host implementation of tests/host/include/zephyr/kernel.h on pthreads. Models what matters
 * of Zephyr's kernel (kernel/sem.c, kernel/msg_q.c, kernel/work.c, kernel/mutex.c): blocking
 * with timeouts, one system workqueue thread running items in submission order, an item
 * submitted while queued is not queued twice, delayable work runs after its delay.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zephyr/kernel.h>

int host_log_lines;

static void deadline(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits on c (m held) until pred() or the timeout; returns 0 or -EAGAIN. */
static int wait_until(pthread_cond_t *c, pthread_mutex_t *m, k_timeout_t t,
		      bool (*pred)(void *), void *arg)
{
	struct timespec ts;

	if (t.ms > 0) {
		deadline(&ts, t.ms);
	}
	while (!pred(arg)) {
		if (t.ms == 0) {
			return -EAGAIN;
		}
		if (t.ms < 0) {
			pthread_cond_wait(c, m);
		} else if (pthread_cond_timedwait(c, m, &ts) == ETIMEDOUT) {
			return pred(arg) ? 0 : -EAGAIN;
		}
	}
	return 0;
}

int32_t k_sleep(k_timeout_t timeout)
{
	struct timespec ts;

	if (timeout.ms <= 0) {
		return 0;
	}
	ts.tv_sec = timeout.ms / 1000;
	ts.tv_nsec = (long)(timeout.ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0) {
	}
	return 0;
}

int32_t k_msleep(int32_t ms)
{
	return k_sleep(K_MSEC(ms));
}

int64_t k_uptime_get(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void k_yield(void)
{
	sched_yield();
}

void k_panic(void)
{
	fprintf(stderr, "k_panic\n");
	abort();
}

/* ---- spinlock ---- */

/* One recursive lock for all spinlocks: "interrupts locked" on a single core. */
static pthread_mutex_t spin;
static pthread_once_t spin_once = PTHREAD_ONCE_INIT;

static void spin_init(void)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&spin, &a);
}

k_spinlock_key_t k_spin_lock(struct k_spinlock *l)
{
	k_spinlock_key_t k = {0};

	(void)l;
	pthread_once(&spin_once, spin_init);
	pthread_mutex_lock(&spin);
	return k;
}

void k_spin_unlock(struct k_spinlock *l, k_spinlock_key_t key)
{
	(void)l;
	(void)key;
	pthread_mutex_unlock(&spin);
}

/* ---- mutex ---- */

static pthread_mutex_t mutex_init_lock = PTHREAD_MUTEX_INITIALIZER;

static void mutex_lazy_init(struct k_mutex *m)
{
	pthread_mutex_lock(&mutex_init_lock);
	if (!m->init) {
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&m->m, &a);
		m->init = 1;
	}
	pthread_mutex_unlock(&mutex_init_lock);
}

int k_mutex_init(struct k_mutex *m)
{
	m->init = 0;
	mutex_lazy_init(m);
	return 0;
}

int k_mutex_lock(struct k_mutex *m, k_timeout_t timeout)
{
	(void)timeout;
	mutex_lazy_init(m);
	pthread_mutex_lock(&m->m);
	return 0;
}

int k_mutex_unlock(struct k_mutex *m)
{
	pthread_mutex_unlock(&m->m);
	return 0;
}

/* ---- semaphore ---- */

int k_sem_init(struct k_sem *s, unsigned int initial, unsigned int limit)
{
	pthread_mutex_init(&s->m, NULL);
	pthread_cond_init(&s->c, NULL);
	s->count = initial;
	s->limit = limit;
	return 0;
}

void k_sem_give(struct k_sem *s)
{
	pthread_mutex_lock(&s->m);
	if (s->count < s->limit) {
		s->count++;
	}
	pthread_cond_broadcast(&s->c);
	pthread_mutex_unlock(&s->m);
}

static bool sem_ready(void *arg)
{
	return ((struct k_sem *)arg)->count > 0;
}

int k_sem_take(struct k_sem *s, k_timeout_t timeout)
{
	int rc;

	pthread_mutex_lock(&s->m);
	rc = wait_until(&s->c, &s->m, timeout, sem_ready, s);
	if (rc == 0) {
		s->count--;
	} else if (timeout.ms == 0) {
		rc = -EBUSY;
	}
	pthread_mutex_unlock(&s->m);
	return rc;
}

void k_sem_reset(struct k_sem *s)
{
	pthread_mutex_lock(&s->m);
	s->count = 0;
	pthread_mutex_unlock(&s->m);
}

unsigned int k_sem_count_get(struct k_sem *s)
{
	unsigned int n;

	pthread_mutex_lock(&s->m);
	n = s->count;
	pthread_mutex_unlock(&s->m);
	return n;
}

/* ---- message queue ---- */

static bool msgq_has_room(void *arg)
{
	struct k_msgq *q = arg;

	return q->used < q->max_msgs;
}

static bool msgq_has_msg(void *arg)
{
	return ((struct k_msgq *)arg)->used > 0;
}

int k_msgq_put(struct k_msgq *q, const void *data, k_timeout_t timeout)
{
	int rc;

	pthread_mutex_lock(&q->m);
	rc = wait_until(&q->c, &q->m, timeout, msgq_has_room, q);
	if (rc == 0) {
		memcpy(q->buf + ((q->read + q->used) % q->max_msgs) * q->msg_size, data,
		       q->msg_size);
		q->used++;
		pthread_cond_broadcast(&q->c);
	} else {
		rc = timeout.ms == 0 ? -ENOMSG : -EAGAIN;
	}
	pthread_mutex_unlock(&q->m);
	return rc;
}

int k_msgq_get(struct k_msgq *q, void *data, k_timeout_t timeout)
{
	int rc;

	pthread_mutex_lock(&q->m);
	rc = wait_until(&q->c, &q->m, timeout, msgq_has_msg, q);
	if (rc == 0) {
		memcpy(data, q->buf + q->read * q->msg_size, q->msg_size);
		q->read = (q->read + 1) % q->max_msgs;
		q->used--;
		pthread_cond_broadcast(&q->c);
	} else {
		rc = timeout.ms == 0 ? -ENOMSG : -EAGAIN;
	}
	pthread_mutex_unlock(&q->m);
	return rc;
}

uint32_t k_msgq_num_free_get(struct k_msgq *q)
{
	uint32_t n;

	pthread_mutex_lock(&q->m);
	n = q->max_msgs - q->used;
	pthread_mutex_unlock(&q->m);
	return n;
}

uint32_t k_msgq_num_used_get(struct k_msgq *q)
{
	uint32_t n;

	pthread_mutex_lock(&q->m);
	n = q->used;
	pthread_mutex_unlock(&q->m);
	return n;
}

void k_msgq_purge(struct k_msgq *q)
{
	pthread_mutex_lock(&q->m);
	q->used = 0;
	q->read = 0;
	pthread_cond_broadcast(&q->c);
	pthread_mutex_unlock(&q->m);
}

/* ---- threads ---- */

static __thread struct k_thread *self;
static __thread struct k_thread self_storage;

static void *thread_main(void *arg)
{
	struct k_thread *t = arg;

	self = t;
	t->entry(t->p1, t->p2, t->p3);
	return NULL;
}

k_tid_t k_thread_create(struct k_thread *t, k_thread_stack_t *stack, size_t stack_size,
			k_thread_entry_t entry, void *p1, void *p2, void *p3, int prio,
			uint32_t options, k_timeout_t delay)
{
	(void)stack;
	(void)stack_size;
	(void)prio;
	(void)options;
	(void)delay;
	t->entry = entry;
	t->p1 = p1;
	t->p2 = p2;
	t->p3 = p3;
	if (pthread_create(&t->pt, NULL, thread_main, t) != 0) {
		k_panic();
	}
	return t;
}

int k_thread_join(struct k_thread *t, k_timeout_t timeout)
{
	(void)timeout;
	return pthread_join(t->pt, NULL) == 0 ? 0 : -EINVAL;
}

k_tid_t k_current_get(void)
{
	if (self == NULL) {
		self_storage.pt = pthread_self();
		self = &self_storage;
	}
	return self;
}

/* ---- system workqueue ---- */

static pthread_mutex_t wq_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_c = PTHREAD_COND_INITIALIZER;
static struct k_work *wq_head;
static struct k_work *wq_tail;
static int wq_busy;
/* Set when the delayed list changes: the workqueue thread must recompute its next deadline
 * (without it, a thread sleeping "forever" on an empty queue would never see a delayed item
 * scheduled after it went to sleep).
 */
static int wq_rescan;
static pthread_t wq_thread;
static pthread_once_t wq_once = PTHREAD_ONCE_INIT;

/* Delayable items waiting for their time (at most a handful in the tests). */
#define MAX_DELAYED 8
static struct k_work_delayable *delayed[MAX_DELAYED];

static bool wq_has_work(void *arg)
{
	(void)arg;
	return wq_head != NULL || wq_rescan;
}

static void *wq_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&wq_m);
	for (;;) {
		int64_t now = k_uptime_get();
		int64_t next = -1;

		wq_rescan = 0;

		for (int i = 0; i < MAX_DELAYED; i++) {
			struct k_work_delayable *d = delayed[i];

			if (d == NULL) {
				continue;
			}
			if (d->due_ms <= now) {
				delayed[i] = NULL;
				d->due_ms = 0;
				if (!d->work.queued) {
					d->work.queued = 1;
					d->work.next = NULL;
					if (wq_tail) {
						wq_tail->next = &d->work;
					} else {
						wq_head = &d->work;
					}
					wq_tail = &d->work;
				}
			} else if (next < 0 || d->due_ms < next) {
				next = d->due_ms;
			}
		}
		if (wq_head == NULL) {
			(void)wait_until(&wq_c, &wq_m, next < 0 ? K_FOREVER : K_MSEC(next - now + 1),
					 wq_has_work, NULL);
			continue;
		}
		struct k_work *w = wq_head;

		wq_head = w->next;
		if (wq_head == NULL) {
			wq_tail = NULL;
		}
		w->queued = 0;
		wq_busy = 1;
		pthread_mutex_unlock(&wq_m);
		w->handler(w);
		pthread_mutex_lock(&wq_m);
		wq_busy = 0;
		pthread_cond_broadcast(&wq_c);
	}
	return NULL;
}

static void wq_start(void)
{
	if (pthread_create(&wq_thread, NULL, wq_main, NULL) != 0) {
		k_panic();
	}
}

void k_work_init(struct k_work *work, k_work_handler_t handler)
{
	memset(work, 0, sizeof(*work));
	work->handler = handler;
}

int k_work_submit(struct k_work *work)
{
	int rc = 0;

	pthread_once(&wq_once, wq_start);
	pthread_mutex_lock(&wq_m);
	if (!work->queued) {
		work->queued = 1;
		work->next = NULL;
		if (wq_tail) {
			wq_tail->next = work;
		} else {
			wq_head = work;
		}
		wq_tail = work;
		rc = 1;
	}
	pthread_cond_broadcast(&wq_c);
	pthread_mutex_unlock(&wq_m);
	return rc;
}

static bool wq_idle(void *arg)
{
	(void)arg;
	return wq_head == NULL && !wq_busy;
}

void host_sysworkq_drain(void)
{
	pthread_once(&wq_once, wq_start);
	pthread_mutex_lock(&wq_m);
	(void)wait_until(&wq_c, &wq_m, K_FOREVER, wq_idle, NULL);
	pthread_mutex_unlock(&wq_m);
}

void k_work_init_delayable(struct k_work_delayable *dwork, k_work_handler_t handler)
{
	memset(dwork, 0, sizeof(*dwork));
	dwork->work.handler = handler;
}

int k_work_schedule(struct k_work_delayable *dwork, k_timeout_t delay)
{
	pthread_once(&wq_once, wq_start);
	pthread_mutex_lock(&wq_m);
	if (dwork->due_ms == 0 && !dwork->work.queued) {
		for (int i = 0; i < MAX_DELAYED; i++) {
			if (delayed[i] == NULL) {
				delayed[i] = dwork;
				dwork->due_ms = k_uptime_get() + (delay.ms > 0 ? delay.ms : 0);
				if (dwork->due_ms == 0) {
					dwork->due_ms = 1;
				}
				wq_rescan = 1;
				break;
			}
		}
	}
	pthread_cond_broadcast(&wq_c);
	pthread_mutex_unlock(&wq_m);
	return 0;
}

int k_work_cancel_delayable(struct k_work_delayable *dwork)
{
	pthread_mutex_lock(&wq_m);
	for (int i = 0; i < MAX_DELAYED; i++) {
		if (delayed[i] == dwork) {
			delayed[i] = NULL;
		}
	}
	dwork->due_ms = 0;
	pthread_mutex_unlock(&wq_m);
	return 0;
}
