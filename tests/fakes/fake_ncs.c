/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fakes of the NCS (and MCUboot/settings/reboot) calls the shell makes. Each prototype is the
 * one from the header named beside it (sdk-nrf / sdk-nrfxlib / zephyr as pinned by v3.2.4);
 * the fake records its arguments and answers what the test scripted in `fake`.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zephyr/dfu/mcuboot.h>
#include <zephyr/settings/settings.h>
#include <zephyr/sys/reboot.h>

#include <dfu/dfu_target.h>
#include <modem/at_monitor.h>
#include <modem/lte_lc.h>
#include <modem/nrf_modem_lib.h>
#include <net/fota_download.h>
#include <nrf_modem_at.h>
#include <nrf_modem_delta_dfu.h>

#include "fake_ncs.h"

struct fake_ncs fake;

#if defined(__ZEPHYR__)
#include <zephyr/kernel.h>

#define REBOOT_STACK 4096
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

/* Registered by the shell's NRF_MODEM_LIB_ON_DFU_RES / the AT host's AT_MONITOR. */
extern const struct nrf_modem_lib_dfu_cb fake_nrf_modem_dfu_hook;
extern const at_monitor_handler_t fake_at_monitor_handler;

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.swap_type = BOOT_SWAP_TYPE_NONE;
	fake.pdn_id_answer = 5;
	fake.at_rsp = "OK\r\n";
}

/* net/fota_download.h */
int fota_download_init(fota_download_callback_t client_callback)
{
	fake.fota_init_calls++;
	fake.fota_cb = client_callback;
	return client_callback == NULL ? -EINVAL : 0;
}

int fota_download_start_with_image_type(const char *host, const char *file, int sec_tag,
					uint8_t pdn_id, size_t fragment_size,
					const enum dfu_target_image_type expected_type)
{
	fake.fota_starts++;
	fake.host_ptr = host;
	fake.file_ptr = file;
	snprintf(fake.host, sizeof(fake.host), "%s", host);
	snprintf(fake.file, sizeof(fake.file), "%s", file);
	fake.sec_tag = sec_tag;
	fake.pdn_id = pdn_id;
	fake.fragment_size = fragment_size;
	fake.type = expected_type;
	return fake.fota_start_rc;
}

int fota_download_cancel(void)
{
	fake.fota_cancels++;
	return fake.fota_cancels == 1 ? fake.fota_cancel_rc : fake.fota_cancel_rc_after;
}

void fake_fota_emit(enum fota_download_evt_id id, int value)
{
	struct fota_download_evt evt = {.id = id};

	if (id == FOTA_DOWNLOAD_EVT_ERROR) {
		evt.cause = (enum fota_download_error_cause)value;
	} else {
		evt.progress = value;
	}
	if (fake.fota_cb != NULL) {
		fake.fota_cb(&evt);
	}
}

/* dfu/dfu_target.h */
int dfu_target_reset(void)
{
	fake.dfu_resets++;
	return fake.dfu_reset_rc;
}

/* nrf_modem_delta_dfu.h */
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

/* modem/lte_lc.h */
int lte_lc_pdn_ctx_create(uint8_t *cid)
{
	fake.pdn_creates++;
	*cid = 1;
	return 0;
}

int lte_lc_pdn_ctx_configure(uint8_t cid, const char *apn, enum lte_lc_pdn_family family,
			     struct lte_lc_pdn_pdp_context_opts *opts)
{
	(void)cid;
	(void)family;
	(void)opts;
	snprintf(fake.apn, sizeof(fake.apn), "%s", apn);
	return 0;
}

int lte_lc_pdn_ctx_destroy(uint8_t cid)
{
	(void)cid;
	fake.pdn_destroys++;
	return 0;
}

int lte_lc_pdn_activate(uint8_t cid, int *esm, enum lte_lc_pdn_family *family)
{
	(void)cid;
	(void)esm;
	(void)family;
	fake.pdn_activates++;
	return 0;
}

int lte_lc_pdn_deactivate(uint8_t cid)
{
	(void)cid;
	fake.pdn_deactivates++;
	return 0;
}

int lte_lc_pdn_id_get(uint8_t cid)
{
	(void)cid;
	return fake.pdn_id_answer;
}

/* nrf_modem_at.h */
int nrf_modem_at_printf(const char *fmt, ...)
{
	va_list ap;

	fake.at_printfs++;
	va_start(ap, fmt);
	vsnprintf(fake.at_printf_cmd, sizeof(fake.at_printf_cmd), fmt, ap);
	va_end(ap);
	return 0;
}

int nrf_modem_at_cmd(void *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	fake.at_calls++;
	va_start(ap, fmt);
	vsnprintf(fake.at_cmd, sizeof(fake.at_cmd), fmt, ap);
	va_end(ap);
	if (fake.at_rc < 0) {
		return fake.at_rc;
	}
	if (strlen(fake.at_rsp) >= len) {
		return -E2BIG;
	}
	strcpy(buf, fake.at_rsp);
	return fake.at_rc;
}

void fake_at_notif(const char *notif)
{
	fake_at_monitor_handler(notif);
}

/* modem/nrf_modem_lib.h */
int nrf_modem_lib_init(void)
{
	if (fake.dfu_res_pending) {
		fake.dfu_res_pending = false;
		fake_nrf_modem_dfu_hook.callback(fake.dfu_res, fake_nrf_modem_dfu_hook.context);
	}
	return 0;
}

/* zephyr/settings/settings.h */
int settings_subsys_init(void)
{
	return 0;
}

static ssize_t fake_read(void *cb_arg, void *data, size_t len)
{
	(void)cb_arg;
	if (len > fake.rec_len) {
		len = fake.rec_len;
	}
	memcpy(data, fake.rec, len);
	return (ssize_t)len;
}

int settings_load_subtree_direct(const char *subtree, settings_load_direct_cb cb, void *param)
{
	if (strcmp(subtree, "xfota") != 0 || !fake.rec_present) {
		return 0;
	}
	return cb("rec", fake.rec_len, fake_read, NULL, param);
}

int settings_save_one(const char *name, const void *value, size_t val_len)
{
	fake.saves++;
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
	if (strcmp(name, "xfota/rec") != 0) {
		return -EINVAL;
	}
	fake.rec_present = false;
	fake.rec_len = 0;
	return 0;
}

/* zephyr/dfu/mcuboot.h */
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
	return fake.erase_bank_rc;
}

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
