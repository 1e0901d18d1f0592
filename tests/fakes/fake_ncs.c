/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fakes of the NCS (and MCUboot/settings/flash/reboot) calls the shell makes. Each is a model of
 * the source named above it (sdk-nrf v3.2.1, sdk-nrfxlib as pinned by it, Zephyr), reproducing
 * what the shell depends on: events from the downloader's own thread, the cancel handshake,
 * error paths, the AT commands the modem library sends by itself, limits. Prototypes are the
 * ones of the headers in tests/fakes/include (copied from those sources).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/dfu/flash_img.h>
#include <zephyr/dfu/mcuboot.h>
#include <zephyr/settings/settings.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/reboot.h>

#include <dfu/dfu_target.h>
#include <modem/at_monitor.h>
#include <modem/nrf_modem_lib.h>
#include <net/fota_download.h>
#include <nrf_modem_at.h>
#include <nrf_modem_delta_dfu.h>

#include "fake_ncs.h"
#include "fake_sha256.h"

struct fake_ncs fake;

/* strncpy that always terminates (and keeps -Wformat-truncation quiet). */
static void copy_trunc(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	n = n < cap - 1 ? n : cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}


#ifndef FAKE_FOTA_AUTOSCHEDULE
/* CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE as the firmware's prj.conf sets it; tests/host/run.sh
 * and tests/fakes/fakes.cmake derive it from prj.conf (Kconfig default: y).
 */
#define FAKE_FOTA_AUTOSCHEDULE 1
#endif

/* ==== sys_reboot ============================================================================ */

#if defined(__ZEPHYR__)
#define REBOOT_STACK 3072
static K_THREAD_STACK_DEFINE(reboot_stack, REBOOT_STACK);
static struct k_thread reboot_thread;

static void reboot_entry(void *fn, void *p2, void *p3)
{
	(void)p2;
	(void)p3;
	((void (*)(void))fn)();
}

void fake_run_until_reboot(void (*fn)(void))
{
	k_tid_t tid = k_thread_create(&reboot_thread, reboot_stack, REBOOT_STACK, reboot_entry,
				      (void *)fn, NULL, NULL, K_PRIO_PREEMPT(1), 0, K_NO_WAIT);

	(void)k_thread_join(tid, K_FOREVER);
}
#else
#include <setjmp.h>

static jmp_buf reboot_jmp;

void fake_run_until_reboot(void (*fn)(void))
{
	if (setjmp(reboot_jmp) == 0) {
		fn();
	}
}
#endif

/* zephyr/sys/reboot.h. Under Zephyr the real sys_reboot() may be linked in (boards select
 * CONFIG_REBOOT); the test links with --wrap=sys_reboot so the shell's call lands here.
 */
#if defined(__ZEPHYR__)
FUNC_NORETURN void __wrap_sys_reboot(int type);
FUNC_NORETURN void __wrap_sys_reboot(int type)
#else
FUNC_NORETURN void sys_reboot(int type)
#endif
{
	(void)type;
	fake.reboots++;
#if defined(__ZEPHYR__)
	k_thread_abort(k_current_get());
	CODE_UNREACHABLE;
#else
	longjmp(reboot_jmp, 1);
#endif
}

/* Registered by the shell's NRF_MODEM_LIB_ON_DFU_RES / the AT host's AT_MONITOR. */
extern const struct nrf_modem_lib_dfu_cb fake_nrf_modem_dfu_hook;
extern const at_monitor_handler_t fake_at_monitor_handler;

/* ==== at_monitor: sdk-nrf v3.2.1 lib/at_monitor/at_monitor.c ==================================
 * at_monitor_dispatch() copies a notification into a CONFIG_AT_MONITOR_HEAP_SIZE heap (drops it
 * when there is no room) and at_monitor_task() hands it to the monitors on the system workqueue.
 * The heap is modelled by its byte count (text + NUL + an 8-byte block header) over fixed slots;
 * deviation: a notification of MON_LEN bytes or more is dropped (and counted) here, where the
 * real heap would take it. The tests' notifications are all shorter.
 */
#define MON_HEAP 4096 /* prj.conf: CONFIG_AT_MONITOR_HEAP_SIZE=4096 */
#define MON_SLOTS 24
#define MON_LEN 96
static struct {
	char text[MON_SLOTS][MON_LEN];
	int head;
	int count;
	int heap_used;
} mon;
static K_MUTEX_DEFINE(mon_lock);
static atomic_t mon_pending;

static void mon_task(struct k_work *work)
{
	char text[MON_LEN];

	(void)work;
	for (;;) {
		k_mutex_lock(&mon_lock, K_FOREVER);
		if (mon.count == 0) {
			k_mutex_unlock(&mon_lock);
			return;
		}
		memcpy(text, mon.text[mon.head], MON_LEN);
		mon.head = (mon.head + 1) % MON_SLOTS;
		mon.count--;
		mon.heap_used -= (int)strlen(text) + 1 + 8;
		k_mutex_unlock(&mon_lock);
		fake_at_monitor_handler(text);
		atomic_add(&mon_pending, -1);
	}
}
static K_WORK_DEFINE(mon_work, mon_task);

void fake_at_notif(const char *notif)
{
	int cost = (int)strlen(notif) + 1 + 8;

	k_mutex_lock(&mon_lock, K_FOREVER);
	if (mon.count == MON_SLOTS || mon.heap_used + cost > MON_HEAP ||
	    strlen(notif) >= MON_LEN) {
		fake.notifs_dropped++;
		k_mutex_unlock(&mon_lock);
		return;
	}
	strcpy(mon.text[(mon.head + mon.count) % MON_SLOTS], notif);
	mon.count++;
	mon.heap_used += cost;
	atomic_inc(&mon_pending);
	k_mutex_unlock(&mon_lock);
	k_work_submit(&mon_work);
}

void fake_at_notif_flush(void)
{
	for (int i = 0; i < 5000 && atomic_get(&mon_pending) > 0; i++) {
		k_msleep(1);
	}
}

/* ==== dfu_target: sdk-nrf v3.2.1 subsys/dfu/dfu_target/src/dfu_target.c ===================== */

int dfu_target_init(int img_type, int img_num, size_t file_size, dfu_target_callback_t cb)
{
	(void)img_type;
	(void)img_num;
	(void)file_size;
	(void)cb;
	fake.dfu_inits++;
	fake.dfu_target_active = true;
	return 0;
}

int dfu_target_done(bool successful)
{
	fake.dfu_dones++;
	if (!fake.dfu_target_active) {
		return -EACCES;
	}
	return successful ? fake.dfu_done_rc : 0;
}

int dfu_target_reset(void)
{
	fake.dfu_resets++;
	if (!fake.dfu_target_active) {
		return -EACCES;
	}
	if (fake.dfu_reset_rc) {
		return fake.dfu_reset_rc;
	}
	fake.dfu_target_active = false;
	return 0;
}

int dfu_target_schedule_update(int img_num)
{
	(void)img_num;
	fake.schedules++;
	if (!fake.dfu_target_active) {
		return -EACCES;
	}
	if (fake.schedule_rc) {
		return fake.schedule_rc;
	}
	fake.scheduled_ok++;
	return 0;
}

/* ==== fota_download + downloader ============================================================
 * sdk-nrf v3.2.1 subsys/net/lib/fota_download/src/fota_download.c: FLAG_DOWNLOADING, FLAG_CANCEL,
 * FLAG_RESUME, FLAG_STOPPED, error_state; stopped() clears FLAG_DOWNLOADING first and sends ERROR
 * if an error state was set, else CANCELLED if FLAG_CANCEL (cleared then), else FINISHED;
 * fota_download_cancel() returns -EAGAIN when not downloading, the downloader's -EPERM when it is
 * not CONNECTING/DOWNLOADING (the resume window), else waits (k_msleep(10) loop) until the
 * downloader thread ran stopped(), and returns dfu_target_done(false)'s result (-EACCES without
 * a target). DOWNLOADER_EVT_DONE: dfu_target_done(true), then dfu_target_schedule_update(0) with
 * CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE; a failure there sends no event at all (the downloader
 * ignores that callback's return). subsys/net/lib/downloader/src/downloader.c: the states and
 * download_thread(): every event comes from that thread; STOPPING -> STOPPED -> IDLE.
 */
enum { FLAG_DOWNLOADING, FLAG_FIRST_FRAGMENT, FLAG_RESUME, FLAG_STOPPED, FLAG_CANCEL };
enum dl_state { DL_IDLE, DL_CONNECTING, DL_DOWNLOADING, DL_STOPPING };
enum dl_cmd_id { CMD_PROGRESS, CMD_DONE, CMD_FAIL, CMD_FAIL_SLOW, CMD_RESUME, CMD_WAKE };

extern struct k_work_delayable fake_resume_work;

struct dl_cmd {
	int id;
	int arg;
	int ms;
	bool sync;
};

static atomic_t flags;
static atomic_t dl_state;
static int error_state;
static fota_download_callback_t callback;

K_MSGQ_DEFINE(dl_cmdq, sizeof(struct dl_cmd), 16, 4);
static K_SEM_DEFINE(dl_cmd_done, 0, 1);
static K_SEM_DEFINE(dl_error_set, 0, 1);
#define DL_STACK 2048
static K_THREAD_STACK_DEFINE(dl_stack, DL_STACK);
static struct k_thread dl_thread;
static atomic_t dl_thread_started;

static void send_evt(enum fota_download_evt_id id)
{
	struct fota_download_evt evt = {.id = id};

	callback(&evt);
}

static void send_error_evt(void)
{
	struct fota_download_evt evt = {.id = FOTA_DOWNLOAD_EVT_ERROR};

	evt.cause = (enum fota_download_error_cause)error_state;
	callback(&evt);
}

static void stopped(void)
{
	atomic_clear_bit(&flags, FLAG_DOWNLOADING);
	if (error_state != FOTA_DOWNLOAD_ERROR_CAUSE_NO_ERROR) {
		send_error_evt();
	} else if (atomic_test_and_clear_bit(&flags, FLAG_CANCEL)) {
		send_evt(FOTA_DOWNLOAD_EVT_CANCELLED);
	} else {
		send_evt(FOTA_DOWNLOAD_EVT_FINISHED);
	}
}

static void dl_post(struct dl_cmd cmd);

/* downloader_cancel(): only a connecting or downloading downloader can be stopped. */
static int dl_cancel(void)
{
	if (!atomic_cas(&dl_state, DL_DOWNLOADING, DL_STOPPING) &&
	    !atomic_cas(&dl_state, DL_CONNECTING, DL_STOPPING)) {
		return -EPERM;
	}
	dl_post((struct dl_cmd){.id = CMD_WAKE});
	return 0;
}

static bool dl_running(void)
{
	atomic_val_t s = atomic_get(&dl_state);

	return s == DL_CONNECTING || s == DL_DOWNLOADING;
}

/* fota_download.c error_and_close + the downloader's restart_and_suspend(). */
static void fail(void)
{
	atomic_clear_bit(&flags, FLAG_RESUME);
	(void)dfu_target_done(false);
	if (dl_running()) {
		atomic_set_bit(&flags, FLAG_STOPPED);
		if (!atomic_test_bit(&flags, FLAG_RESUME)) {
			stopped();
		}
		atomic_set(&dl_state, DL_IDLE);
	}
}

/* fota_download.c download_client_callback(), DOWNLOADER_EVT_FRAGMENT: the percentage. */
static void send_progress(int percent)
{
	struct fota_download_evt evt = {.id = FOTA_DOWNLOAD_EVT_PROGRESS};

	evt.progress = percent;
	callback(&evt);
}

static void dl_thread_main(void *p1, void *p2, void *p3)
{
	struct dl_cmd cmd;
	int err;

	(void)p1;
	(void)p2;
	(void)p3;
	for (;;) {
		(void)k_msgq_get(&dl_cmdq, &cmd, K_FOREVER);
		switch (cmd.id) {
		case CMD_PROGRESS:
			(void)atomic_cas(&dl_state, DL_CONNECTING, DL_DOWNLOADING);
			if (atomic_get(&dl_state) != DL_DOWNLOADING) {
				break;
			}
			if (atomic_test_and_clear_bit(&flags, FLAG_FIRST_FRAGMENT)) {
				(void)dfu_target_init(fake.type, 0, 1000, NULL);
			}
			send_progress(cmd.arg);
			break;
		case CMD_DONE:
			(void)atomic_cas(&dl_state, DL_CONNECTING, DL_DOWNLOADING);
			if (!dl_running()) {
				break;
			}
			if (atomic_test_and_clear_bit(&flags, FLAG_FIRST_FRAGMENT)) {
				/* The whole file in one fragment: target initialised, 100 %. */
				(void)dfu_target_init(fake.type, 0, 1000, NULL);
				send_progress(100);
			}
			/* Complete: restart_and_suspend() sends no STOPPED, then DONE. */
			atomic_set(&dl_state, DL_IDLE);
			err = dfu_target_done(true);
			if (err == 0 && fake.autoschedule) {
				err = dfu_target_schedule_update(0);
			}
			if (err != 0) {
				error_state = FOTA_DOWNLOAD_ERROR_CAUSE_DFU;
				atomic_clear_bit(&flags, FLAG_RESUME);
				(void)dfu_target_done(false);
				break;
			}
			atomic_clear_bit(&flags, FLAG_DOWNLOADING);
			atomic_set_bit(&flags, FLAG_STOPPED);
			send_evt(FOTA_DOWNLOAD_EVT_FINISHED);
			break;
		case CMD_FAIL:
			if (dl_running()) {
				error_state = cmd.arg;
				fail();
			}
			break;
		case CMD_FAIL_SLOW:
			if (dl_running()) {
				error_state = cmd.arg;
				k_sem_give(&dl_error_set);
				k_msleep(cmd.ms);
				fail();
			} else {
				k_sem_give(&dl_error_set);
			}
			break;
		case CMD_RESUME:
			if (atomic_get(&dl_state) == DL_DOWNLOADING) {
				atomic_set_bit(&flags, FLAG_RESUME);
				atomic_set(&dl_state, DL_STOPPING);
				k_work_schedule(&fake_resume_work, K_SECONDS(1));
			}
			break;
		default:
			break;
		}
		/* download_thread(): a stop request ends here, with STOPPED. */
		if (atomic_cas(&dl_state, DL_STOPPING, DL_IDLE)) {
			atomic_set_bit(&flags, FLAG_STOPPED);
			if (!atomic_test_bit(&flags, FLAG_RESUME)) {
				stopped();
			}
		}
		if (cmd.sync) {
			k_sem_give(&dl_cmd_done);
		}
	}
}

/* download_with_offset(), on the system workqueue, 1 s after a resume stop. */
struct k_work_delayable fake_resume_work;

static void resume_handler(struct k_work *work)
{
	(void)work;
	if (!atomic_test_bit(&flags, FLAG_STOPPED)) {
		k_work_schedule(&fake_resume_work, K_SECONDS(1));
		return;
	}
	atomic_clear_bit(&flags, FLAG_RESUME);
	atomic_set(&dl_state, DL_DOWNLOADING);
}

static void dl_post(struct dl_cmd cmd)
{
	if (atomic_cas(&dl_thread_started, 0, 1)) {
		k_work_init_delayable(&fake_resume_work, resume_handler);
		k_thread_create(&dl_thread, dl_stack, DL_STACK, dl_thread_main, NULL, NULL, NULL,
				K_PRIO_PREEMPT(2), 0, K_NO_WAIT);
	}
	(void)k_msgq_put(&dl_cmdq, &cmd, K_FOREVER);
}

static void dl_sync(struct dl_cmd cmd)
{
	cmd.sync = true;
	dl_post(cmd);
	(void)k_sem_take(&dl_cmd_done, K_FOREVER);
}

void fake_dl_progress(int percent)
{
	dl_sync((struct dl_cmd){.id = CMD_PROGRESS, .arg = percent});
}

void fake_dl_done(void)
{
	dl_sync((struct dl_cmd){.id = CMD_DONE});
}

void fake_dl_fail(enum fota_download_error_cause cause)
{
	dl_sync((struct dl_cmd){.id = CMD_FAIL, .arg = (int)cause});
}

void fake_dl_fail_slowly(enum fota_download_error_cause cause, int ms)
{
	dl_post((struct dl_cmd){.id = CMD_FAIL_SLOW, .arg = (int)cause, .ms = ms});
	(void)k_sem_take(&dl_error_set, K_FOREVER);
}

void fake_dl_resume_window(void)
{
	dl_sync((struct dl_cmd){.id = CMD_RESUME});
}

void fake_dl_idle(void)
{
	dl_sync((struct dl_cmd){.id = CMD_WAKE});
}

bool fake_dl_downloading(void)
{
	return atomic_test_bit(&flags, FLAG_DOWNLOADING);
}

int fota_download_init(fota_download_callback_t client_callback)
{
	fake.fota_init_calls++;
	if (client_callback == NULL) {
		return -EINVAL;
	}
	callback = client_callback;
	return fake.fota_init_rc;
}

int fota_download_start_with_image_type(const char *host, const char *file, int sec_tag,
					uint8_t pdn_id, size_t fragment_size,
					const enum dfu_target_image_type expected_type)
{
	int err;

	fake.fota_starts++;
	if (host == NULL || file == NULL || callback == NULL) {
		return -EINVAL;
	}
	if (atomic_test_and_set_bit(&flags, FLAG_DOWNLOADING)) {
		return -EALREADY;
	}
	fake.host_ptr = host;
	fake.file_ptr = file;
	copy_trunc(fake.host, sizeof(fake.host), host);
	copy_trunc(fake.file, sizeof(fake.file), file);
	fake.sec_tag = sec_tag;
	fake.pdn_id = pdn_id;
	fake.fragment_size = fragment_size;
	fake.type = expected_type;
	atomic_clear_bit(&flags, FLAG_STOPPED);
	atomic_clear_bit(&flags, FLAG_RESUME);
	error_state = FOTA_DOWNLOAD_ERROR_CAUSE_NO_ERROR;
	atomic_set_bit(&flags, FLAG_FIRST_FRAGMENT);
	/* downloader_get_with_host_and_file(): -EPERM unless idle, or the scripted refusal
	 * (-EINVAL host+file too long, -EPROTONOSUPPORT scheme, -E2BIG file name, ...).
	 */
	err = atomic_get(&dl_state) != DL_IDLE ? -EPERM : fake.fota_start_rc;
	if (err) {
		atomic_clear_bit(&flags, FLAG_DOWNLOADING);
		(void)dl_cancel();
		return err;
	}
	atomic_set(&dl_state, DL_CONNECTING);
	return 0;
}

int fota_download_cancel(void)
{
	int err;

	fake.fota_cancels++;
	if (!atomic_test_bit(&flags, FLAG_DOWNLOADING)) {
		return -EAGAIN;
	}
	atomic_set_bit(&flags, FLAG_CANCEL);
	err = dl_cancel();
	if (err) {
		return err;
	}
	err = dfu_target_done(false);
	while (atomic_test_bit(&flags, FLAG_DOWNLOADING)) {
		k_msleep(10);
	}
	return err;
}

/* ==== modem delta DFU: sdk-nrfxlib nrf_modem/include/nrf_modem_delta_dfu.h ================== */

int nrf_modem_delta_dfu_offset(size_t *off)
{
	fake.delta_polls++;
	if (fake.delta_offset_rc != 0) {
		return fake.delta_offset_rc;
	}
	if (fake.erase_remaining > 0) {
		fake.erase_remaining--;
		return NRF_MODEM_DELTA_DFU_ERASE_PENDING;
	}
	*off = fake.delta_offset;
	return 0;
}

int nrf_modem_delta_dfu_erase(void)
{
	fake.delta_erases++;
	if (fake.delta_erase_rc == 0) {
		fake.delta_offset = 0;
		fake.erase_remaining = fake.erase_polls;
	}
	return fake.delta_erase_rc;
}

/* ==== the modem's AT interface: sdk-nrfxlib nrf_modem_at.h + the nRF91 AT command reference ==
 * nrf_modem_at_cmd()/_printf(): 0 for OK, a positive value for ERROR / +CME ERROR, -NRF_EPERM
 * before nrf_modem_lib_init(), -E2BIG when the answer does not fit. The modem model knows the
 * commands that matter here: AT+CFUN (CFUN=0/4 deactivate every PDN; no NRF_MODEM_LIB_ON_CFUN
 * hook runs, lib/nrf_modem_lib/cfun_hooks.c, as nothing in this firmware registers one),
 * AT+CGEREP (+CGEV notifications only when 1), AT+CNEC, AT%XNEWCID?, AT+CGDCONT (an active
 * context cannot be deleted), AT+CGACT (needs CFUN=1), AT%XGETPDNID (active contexts only).
 */
#define AT_ERROR 65536 /* nrf_modem_at: ERROR */
#define AT_CME(n) (0x20000 | (n))

static K_MUTEX_DEFINE(modem_lock);

static bool cmd_is(const char *cmd, const char *prefix)
{
	for (; *prefix; cmd++, prefix++) {
		char c = *cmd;

		if (c >= 'a' && c <= 'z') {
			c = (char)(c - 'a' + 'A');
		}
		if (c != *prefix) {
			return false;
		}
	}
	return true;
}

static int num_at(const char *p, const char **end)
{
	int v = 0;

	while (*p == ' ') {
		p++;
	}
	if (*p < '0' || *p > '9') {
		*end = p;
		return -1;
	}
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p++ - '0');
	}
	*end = p;
	return v;
}

static void log_cmd(const char *cmd)
{
	if (fake.log_len < FAKE_LOG_ENTRIES) {
		copy_trunc(fake.log[fake.log_len++], sizeof(fake.log[0]), cmd);
	}
}

static void cgev(const char *what, int cid)
{
	char n[64];

	if (fake.cgerep == 1) {
		snprintf(n, sizeof(n), "+CGEV: %s %d\r\n", what, cid);
		fake_at_notif(n);
	}
}

static int answer(char *rsp, size_t cap, int rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rsp, cap, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= cap ? -E2BIG : rc;
}

static int modem_cmd(const char *cmd, char *rsp, size_t cap)
{
	const char *p;
	int a;
	int b;

	if (!fake.modem_up) {
		return -EPERM;
	}
	log_cmd(cmd);
	if (cmd_is(cmd, "AT+CFUN=")) {
		a = num_at(cmd + 8, &p);
		if (a < 0 || *p) {
			return answer(rsp, cap, AT_ERROR, "ERROR\r\n");
		}
		fake.cfun = a;
		if (a == 0 || a == 4) {
			for (int c = 0; c < FAKE_PDN_CIDS; c++) {
				fake.pdn[c].active = false;
			}
		}
		return answer(rsp, cap, 0, "OK\r\n");
	}
	if (cmd_is(cmd, "AT+CGEREP=")) {
		fake.cgerep = num_at(cmd + 10, &p);
		return answer(rsp, cap, 0, "OK\r\n");
	}
	if (cmd_is(cmd, "AT+CNEC=")) {
		fake.cnec = num_at(cmd + 8, &p);
		return answer(rsp, cap, 0, "OK\r\n");
	}
	if (cmd_is(cmd, "AT%XNEWCID?")) {
		if (fake.newcid_rc) {
			return answer(rsp, cap, fake.newcid_rc, "ERROR\r\n");
		}
		for (int c = 1; c < FAKE_PDN_CIDS; c++) {
			if (!fake.pdn[c].allocated) {
				fake.pdn[c].allocated = true;
				return answer(rsp, cap, 0, "%%XNEWCID: %d\r\nOK\r\n", c);
			}
		}
		return answer(rsp, cap, AT_CME(0), "+CME ERROR: 0\r\n");
	}
	if (cmd_is(cmd, "AT+CGDCONT=")) {
		a = num_at(cmd + 11, &p);
		if (a < 0 || a >= FAKE_PDN_CIDS || (a > 0 && !fake.pdn[a].allocated)) {
			return answer(rsp, cap, AT_ERROR, "ERROR\r\n");
		}
		if (*p == '\0') {
			/* Delete: refused while active (3GPP TS 27.007 / nRF91 AT reference). */
			if (fake.pdn[a].active) {
				return answer(rsp, cap, AT_ERROR, "ERROR\r\n");
			}
			fake.pdn[a].defined = false;
			fake.pdn[a].allocated = a == 0;
			return answer(rsp, cap, 0, "OK\r\n");
		}
		{
			const char *q = strrchr(cmd, ',');
			size_t n;

			if (q == NULL) {
				return answer(rsp, cap, AT_ERROR, "ERROR\r\n");
			}
			q++;
			if (*q == '"') {
				q++;
			}
			n = strcspn(q, "\"");
			if (n >= sizeof(fake.pdn[a].apn)) {
				return answer(rsp, cap, AT_ERROR, "ERROR\r\n");
			}
			memcpy(fake.pdn[a].apn, q, n);
			fake.pdn[a].apn[n] = '\0';
		}
		fake.pdn[a].defined = true;
		return answer(rsp, cap, 0, "OK\r\n");
	}
	if (cmd_is(cmd, "AT+CGACT=")) {
		a = num_at(cmd + 9, &p);
		b = *p == ',' ? num_at(p + 1, &p) : -1;
		if (a < 0 || a > 1 || b < 0 || b >= FAKE_PDN_CIDS) {
			return answer(rsp, cap, AT_ERROR, "ERROR\r\n");
		}
		if (a == 1) {
			if (!fake.pdn[b].defined || fake.cfun != 1 || fake.cgact_rc) {
				return answer(rsp, cap, fake.cgact_rc ? fake.cgact_rc : AT_ERROR,
					      "ERROR\r\n");
			}
			if (!fake.pdn[b].active) {
				fake.pdn[b].active = true;
				cgev("ME PDN ACT", b);
			}
		} else if (fake.pdn[b].active) {
			fake.pdn[b].active = false;
			cgev("ME PDN DEACT", b);
		}
		return answer(rsp, cap, 0, "OK\r\n");
	}
	if (cmd_is(cmd, "AT%XGETPDNID=")) {
		a = num_at(cmd + 13, &p);
		if (a < 0 || a >= FAKE_PDN_CIDS || !fake.pdn[a].active) {
			return answer(rsp, cap, AT_ERROR, "ERROR\r\n");
		}
		return answer(rsp, cap, 0, "%%XGETPDNID: %d\r\nOK\r\n", fake.pdn_id_base + a);
	}
	if (fake.echo_len) {
		int lfs = 0;

		for (p = cmd; *p; p++) {
			lfs += *p == '\n';
		}
		return answer(rsp, cap, 0, "%%XFAKE: %d,%d\r\nOK\r\n", (int)strlen(cmd), lfs);
	}
	if (fake.at_rc < 0) {
		return fake.at_rc;
	}
	return answer(rsp, cap, fake.at_rc, "%s", fake.at_rsp);
}

int nrf_modem_at_printf(const char *fmt, ...)
{
	static char cmd[256];
	static char rsp[256];
	va_list ap;
	int rc;

	k_mutex_lock(&modem_lock, K_FOREVER);
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fake.at_printfs++;
	copy_trunc(fake.at_printf_cmd, sizeof(fake.at_printf_cmd), cmd);
	rc = modem_cmd(cmd, rsp, sizeof(rsp));
	k_mutex_unlock(&modem_lock);
	return rc;
}

int nrf_modem_at_cmd(void *buf, size_t len, const char *fmt, ...)
{
	/* libmodem formats the whole command before it writes the answer: buf may be an argument. */
	va_list ap;
	int n;
	int rc;

	k_mutex_lock(&modem_lock, K_FOREVER);
	va_start(ap, fmt);
	n = vsnprintf(fake.at_cmd, sizeof(fake.at_cmd), fmt, ap);
	va_end(ap);
	fake.at_calls++;
	fake.at_cmd_len = n < 0 ? 0 : (size_t)n;
	rc = modem_cmd(fake.at_cmd, buf, len);
	k_mutex_unlock(&modem_lock);
	return rc;
}

bool fake_at_logged(const char *prefix)
{
	for (int i = 0; i < fake.log_len; i++) {
		if (cmd_is(fake.log[i], prefix)) {
			return true;
		}
	}
	return false;
}

int fake_pdn_contexts(void)
{
	int n = 0;

	for (int c = 1; c < FAKE_PDN_CIDS; c++) {
		n += fake.pdn[c].allocated || fake.pdn[c].defined || fake.pdn[c].active;
	}
	return n;
}

/* ==== modem library: sdk-nrf v3.2.1 lib/nrf_modem_lib/nrf_modem_lib.c ========================
 * nrf_modem_lib_init(): the DFU result hook runs inside it; errors such as -NRF_EIO (the modem
 * needs a full firmware program) or -NRF_EAGAIN leave the library down. shutdown(): the modem
 * is off afterwards, and it always returns 0 (it runs the shutdown callbacks, sends AT+CFUN=0
 * if the mode is not 0 or 4, ignores nrf_modem_shutdown()'s result and returns 0): it has no
 * failure to model. Not modelled: that AT+CFUN=0.
 */
int nrf_modem_lib_init(void)
{
	fake.modem_inits++;
	if (fake.dfu_res_pending) {
		fake.dfu_res_pending = false;
		fake_nrf_modem_dfu_hook.callback(fake.dfu_res, fake_nrf_modem_dfu_hook.context);
	}
	fake.modem_up = fake.modem_init_rc == 0;
	return fake.modem_init_rc;
}

int nrf_modem_lib_shutdown(void)
{
	fake.modem_shutdowns++;
	fake.modem_up = false;
	for (int c = 0; c < FAKE_PDN_CIDS; c++) {
		fake.pdn[c].active = false;
	}
	return 0;
}

void fake_modem_fault(uint32_t reason, uint32_t pc)
{
	struct nrf_modem_fault_info info = {.reason = reason, .program_counter = pc};

	/* libmodem calls the handler from its IPC interrupt; the handler may only queue. */
	nrf_modem_fault_handler(&info);
}

/* ==== settings: zephyr include/zephyr/settings/settings.h, one key ========================
 * subsys/settings/src/settings_init.c, settings_store.c: settings_subsys_init() returns the
 * backend's init error; without a backend, settings_save_one() (and settings_delete(), a save
 * of nothing) return -ENOENT (no save destination). The read callback returns the backend's
 * read error. settings_load_subtree_direct() ignores what the backend's csi_load() returns and
 * always returns 0: a backend that cannot read the record (load_rc) just never hands it over
 * (the NVS backend skips an entry whose name or value it cannot read). Here the record stays
 * stored: a transient read failure.
 */

int settings_subsys_init(void)
{
	fake.settings_ready = fake.settings_init_rc == 0;
	return fake.settings_init_rc;
}

static ssize_t fake_read(void *cb_arg, void *data, size_t len)
{
	(void)cb_arg;
	if (fake.rec_read_rc) {
		return fake.rec_read_rc;
	}
	if (len > fake.rec_len) {
		len = fake.rec_len;
	}
	memcpy(data, fake.rec, len);
	return (ssize_t)len;
}

int settings_load_subtree_direct(const char *subtree, settings_load_direct_cb cb, void *param)
{
	if (fake.load_rc) {
		/* The backend's load failed; settings_store.c drops its result. */
		return 0;
	}
	if (strcmp(subtree, "xfota") != 0 || !fake.rec_present) {
		return 0;
	}
	/* settings_call_set_handler() passes the key relative to the subtree. */
	return cb("rec", fake.rec_len, fake_read, NULL, param);
}

int settings_save_one(const char *name, const void *value, size_t val_len)
{
	fake.saves++;
	if (!fake.settings_ready) {
		return -ENOENT;
	}
	if (fake.save_rc != 0) {
		return fake.save_rc;
	}
	if (strcmp(name, "xfota/rec") != 0 || val_len > sizeof(fake.rec)) {
		return -EINVAL;
	}
	memcpy(fake.rec, value, val_len);
	fake.rec_len = val_len;
	fake.rec_present = true;
	return 0;
}

int settings_delete(const char *name)
{
	fake.deletes++;
	if (!fake.settings_ready) {
		return -ENOENT;
	}
	if (fake.delete_rc != 0) {
		return fake.delete_rc;
	}
	if (strcmp(name, "xfota/rec") != 0) {
		return -EINVAL;
	}
	fake.rec_present = false;
	fake.rec_len = 0;
	return 0;
}

/* ==== MCUboot: zephyr include/zephyr/dfu/mcuboot.h ======================================= */

int mcuboot_swap_type(void)
{
	return fake.swap_type;
}

int boot_write_img_confirmed(void)
{
	fake.confirms++;
	return fake.confirm_rc;
}

int boot_erase_img_bank(uint8_t area_id)
{
	fake.erase_banks++;
	fake.erase_area = area_id;
	if (fake.erase_bank_rc == 0 && area_id == XFOTA_TEST_SECONDARY_AREA_ID) {
		memset(fake.slot[1], 0xff, FAKE_SLOT_SIZE);
	}
	return fake.erase_bank_rc;
}

/* ==== flash map: zephyr include/zephyr/storage/flash_map.h, subsys/storage/flash_map ========
 * Two areas (MCUboot primary and secondary); flash_area_read() refuses reads outside the area
 * (-EINVAL, is_in_flash_area_bounds()). primary_read_rc models TF-M refusing a read of the
 * primary slot's secure header region from the non-secure image, secondary_read_rc the flash
 * driver failing (flash_read() errno).
 */
static const struct flash_area areas[2] = {
	{.fa_id = XFOTA_TEST_PRIMARY_AREA_ID, .fa_off = 0x10000, .fa_size = FAKE_SLOT_SIZE},
	{.fa_id = XFOTA_TEST_SECONDARY_AREA_ID, .fa_off = 0x90000, .fa_size = FAKE_SLOT_SIZE},
};

int flash_area_open(uint8_t id, const struct flash_area **fa)
{
	for (int i = 0; i < 2; i++) {
		if (areas[i].fa_id == id) {
			*fa = &areas[i];
			return 0;
		}
	}
	return -ENOENT;
}

void flash_area_close(const struct flash_area *fa)
{
	(void)fa;
}

int flash_area_read(const struct flash_area *fa, off_t off, void *dst, size_t len)
{
	int i = fa == &areas[0] ? 0 : 1;

	fake.flash_reads++;
	if (off < 0 || (size_t)off > fa->fa_size || len > fa->fa_size - (size_t)off) {
		return -EINVAL;
	}
	if (i == 0 && fake.primary_read_rc && off < 0x200) {
		return fake.primary_read_rc;
	}
	if (i == 1 && fake.secondary_read_rc) {
		return fake.secondary_read_rc;
	}
	memcpy(dst, &fake.slot[i][off], len);
	return 0;
}

/* zephyr include/zephyr/dfu/flash_img.h, subsys/dfu/img_util/flash_img.c flash_img_check() over
 * flash_area_check_int_sha256() (subsys/storage/flash_map/flash_map_integrity.c): 0 on a match,
 * -EILSEQ on a mismatch, -EINVAL for a length 0 or past the area, the flash_read() errno when a
 * read fails and -ESRCH when the PSA/Mbed TLS hash fails (fake.hash_rc).
 */
int flash_img_check(struct flash_img_context *ctx, const struct flash_img_check *fic,
		    uint8_t area_id)
{
	const struct flash_area *fa;
	uint8_t hash[32];
	int i;
	int err;

	fake.hash_checks++;
	if (ctx == NULL || fic == NULL || fic->match == NULL) {
		return -EINVAL;
	}
	err = flash_area_open(area_id, &fa);
	if (err) {
		return err;
	}
	if (fic->clen == 0 || fic->clen > fa->fa_size) {
		return -EINVAL;
	}
	i = fa == &areas[0] ? 0 : 1;
	if (i == 1 && fake.secondary_read_rc) {
		return fake.secondary_read_rc;
	}
	if (fake.hash_rc) {
		return fake.hash_rc;
	}
	fake_sha256(fake.slot[i], fic->clen, hash);
	return memcmp(hash, fic->match, sizeof(hash)) == 0 ? 0 : -EILSEQ;
}

void fake_slot_write(int slot, const uint8_t *img, size_t len)
{
	memset(fake.slot[slot], 0xff, FAKE_SLOT_SIZE);
	memcpy(fake.slot[slot], img, len < FAKE_SLOT_SIZE ? len : FAKE_SLOT_SIZE);
}

/* ==== reset between tests =================================================================== */

void fake_reset(void)
{
	if (atomic_get(&dl_thread_started)) {
		fake_dl_idle();
	}
	fake_at_notif_flush();
	memset(&fake, 0, sizeof(fake));
	memset(fake.slot, 0xff, sizeof(fake.slot));
	atomic_set(&flags, 0);
	atomic_set(&dl_state, DL_IDLE);
	error_state = 0;
	fake.autoschedule = FAKE_FOTA_AUTOSCHEDULE;
	fake.swap_type = BOOT_SWAP_TYPE_NONE;
	fake.at_rsp = "OK\r\n";
	fake.cfun = 0; /* the modem starts in minimal functionality */
	fake.pdn_id_base = 4;
	fake.pdn[0].allocated = true;
	fake.pdn[0].defined = true;
}
