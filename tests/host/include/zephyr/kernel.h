/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Host stand-in for the Zephyr kernel services the shell and the fakes use, on real threads
 * (pthreads): k_thread, the system workqueue (one thread, as Zephyr's), k_work /
 * k_work_delayable, k_msgq, k_sem, k_mutex, k_spinlock, atomics, k_sleep. Prototypes follow
 * zephyr/include/zephyr/kernel.h and sys/atomic.h; blocking calls really block, so a test can
 * show that a blocked UART does not stall the system workqueue.
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
#ifndef MAX
#define MAX(a, b) (((a) > (b)) ? (a) : (b))
#endif
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FUNC_NORETURN __attribute__((__noreturn__))
#define CODE_UNREACHABLE __builtin_unreachable()
#define BUILD_ASSERT(c, ...) _Static_assert(c, "" __VA_ARGS__)
#define CONTAINER_OF(ptr, type, field) ((type *)(((char *)(ptr)) - offsetof(type, field)))

#if defined(XFOTA_HOST_CROSS_CHECK)
/* tests/host/run.sh also compiles src/ for Cortex-M33 against these headers (warnings only, not
 * linked): the bare-metal C library has no pthreads, placeholders stand in.
 */
typedef struct {
	int unused;
} host_mutex_t;
typedef host_mutex_t host_cond_t;
typedef host_mutex_t host_thread_t;
#define HOST_MUTEX_INIT {0}
#define HOST_COND_INIT {0}
#else
#include <pthread.h>
typedef pthread_mutex_t host_mutex_t;
typedef pthread_cond_t host_cond_t;
typedef pthread_t host_thread_t;
#define HOST_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER
#define HOST_COND_INIT PTHREAD_COND_INITIALIZER
#endif

typedef struct {
	int64_t ms; /* -1: forever */
} k_timeout_t;
#define K_FOREVER ((k_timeout_t){.ms = -1})
#define K_NO_WAIT ((k_timeout_t){.ms = 0})
#define K_MSEC(t) ((k_timeout_t){.ms = (t)})
#define K_SECONDS(t) K_MSEC((int64_t)(t) * 1000)
#define K_TIMEOUT_EQ(a, b) ((a).ms == (b).ms)

int32_t k_sleep(k_timeout_t timeout);
int32_t k_msleep(int32_t ms);
int64_t k_uptime_get(void);
void k_yield(void);
void k_panic(void) FUNC_NORETURN;
static inline bool k_is_in_isr(void)
{
	return false;
}

/* Atomics (GCC builtins, sequentially consistent). */
typedef long atomic_t;
typedef long atomic_val_t;
#define ATOMIC_INIT(v) (v)
static inline atomic_val_t atomic_get(const atomic_t *t)
{
	return __atomic_load_n(t, __ATOMIC_SEQ_CST);
}
static inline atomic_val_t atomic_set(atomic_t *t, atomic_val_t v)
{
	return __atomic_exchange_n(t, v, __ATOMIC_SEQ_CST);
}
static inline bool atomic_cas(atomic_t *t, atomic_val_t old, atomic_val_t new_value)
{
	return __atomic_compare_exchange_n(t, &old, new_value, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}
static inline atomic_val_t atomic_inc(atomic_t *t)
{
	return __atomic_fetch_add(t, 1, __ATOMIC_SEQ_CST);
}
static inline atomic_val_t atomic_add(atomic_t *t, atomic_val_t v)
{
	return __atomic_fetch_add(t, v, __ATOMIC_SEQ_CST);
}
static inline atomic_val_t atomic_or(atomic_t *t, atomic_val_t v)
{
	return __atomic_fetch_or(t, v, __ATOMIC_SEQ_CST);
}
static inline atomic_val_t atomic_and(atomic_t *t, atomic_val_t v)
{
	return __atomic_fetch_and(t, v, __ATOMIC_SEQ_CST);
}
static inline bool atomic_test_bit(const atomic_t *t, int bit)
{
	return (atomic_get(t) & (1L << bit)) != 0;
}
static inline void atomic_set_bit(atomic_t *t, int bit)
{
	(void)atomic_or(t, 1L << bit);
}
static inline void atomic_clear_bit(atomic_t *t, int bit)
{
	(void)atomic_and(t, ~(1L << bit));
}
static inline bool atomic_test_and_set_bit(atomic_t *t, int bit)
{
	return (atomic_or(t, 1L << bit) & (1L << bit)) != 0;
}
static inline bool atomic_test_and_clear_bit(atomic_t *t, int bit)
{
	return (atomic_and(t, ~(1L << bit)) & (1L << bit)) != 0;
}

/* Spinlock: one process-wide lock stands for "interrupts locked" on a single core. */
struct k_spinlock {
	int unused;
};
typedef struct {
	int unused;
} k_spinlock_key_t;
k_spinlock_key_t k_spin_lock(struct k_spinlock *l);
void k_spin_unlock(struct k_spinlock *l, k_spinlock_key_t key);

/* Mutex (recursive, as Zephyr's). */
struct k_mutex {
	host_mutex_t m;
	int init;
};
#define K_MUTEX_DEFINE(name) struct k_mutex name = {HOST_MUTEX_INIT, 0}
int k_mutex_init(struct k_mutex *m);
int k_mutex_lock(struct k_mutex *m, k_timeout_t timeout);
int k_mutex_unlock(struct k_mutex *m);

/* Counting semaphore. */
struct k_sem {
	host_mutex_t m;
	host_cond_t c;
	unsigned int count;
	unsigned int limit;
};
#define K_SEM_DEFINE(name, initial, lim)                                                           \
	struct k_sem name = {HOST_MUTEX_INIT, HOST_COND_INIT, (initial), (lim)}
int k_sem_init(struct k_sem *s, unsigned int initial, unsigned int limit);
void k_sem_give(struct k_sem *s);
int k_sem_take(struct k_sem *s, k_timeout_t timeout);
void k_sem_reset(struct k_sem *s);
unsigned int k_sem_count_get(struct k_sem *s);

/* Message queue. */
struct k_msgq {
	host_mutex_t m;
	host_cond_t c;
	size_t msg_size;
	uint32_t max_msgs;
	char *buf;
	uint32_t read;
	uint32_t used;
};
#define K_MSGQ_DEFINE(name, size, max, align)                                                      \
	static char name##_buf[(size) * (max)];                                                    \
	struct k_msgq name = {HOST_MUTEX_INIT, HOST_COND_INIT, (size), (max),  \
			      name##_buf, 0, 0}
int k_msgq_put(struct k_msgq *q, const void *data, k_timeout_t timeout);
int k_msgq_get(struct k_msgq *q, void *data, k_timeout_t timeout);
uint32_t k_msgq_num_free_get(struct k_msgq *q);
uint32_t k_msgq_num_used_get(struct k_msgq *q);
void k_msgq_purge(struct k_msgq *q);

/* Threads. */
typedef struct k_thread *k_tid_t;
typedef void (*k_thread_entry_t)(void *p1, void *p2, void *p3);
struct k_thread {
	host_thread_t pt;
	k_thread_entry_t entry;
	void *p1, *p2, *p3;
};
typedef char k_thread_stack_t;
#define K_THREAD_STACK_DEFINE(name, size) k_thread_stack_t name[1]
#define K_THREAD_STACK_SIZEOF(s) sizeof(s)
#define K_PRIO_PREEMPT(p) (p)
#define K_PRIO_COOP(p) (-1 - (p))
k_tid_t k_thread_create(struct k_thread *t, k_thread_stack_t *stack, size_t stack_size,
			k_thread_entry_t entry, void *p1, void *p2, void *p3, int prio,
			uint32_t options, k_timeout_t delay);
int k_thread_join(struct k_thread *t, k_timeout_t timeout);
k_tid_t k_current_get(void);

/* Work items on the system workqueue (one thread, FIFO, as Zephyr's). */
struct k_work;
typedef void (*k_work_handler_t)(struct k_work *work);
struct k_work {
	struct k_work *next;
	k_work_handler_t handler;
	int queued;
};
#define Z_WORK_INITIALIZER(h) {NULL, (h), 0}
#define K_WORK_DEFINE(name, h) struct k_work name = Z_WORK_INITIALIZER(h)
void k_work_init(struct k_work *work, k_work_handler_t handler);
int k_work_submit(struct k_work *work);
/* Waits until every item submitted so far has run (test helper, no Zephyr equivalent). */
void host_sysworkq_drain(void);

struct k_work_delayable {
	struct k_work work;
	int64_t due_ms; /* 0: not scheduled */
};
void k_work_init_delayable(struct k_work_delayable *dwork, k_work_handler_t handler);
int k_work_schedule(struct k_work_delayable *dwork, k_timeout_t delay);
int k_work_cancel_delayable(struct k_work_delayable *dwork);
static inline struct k_work_delayable *k_work_delayable_from_work(struct k_work *work)
{
	return CONTAINER_OF(work, struct k_work_delayable, work);
}

#endif /* HOST_ZEPHYR_KERNEL_H_ */
