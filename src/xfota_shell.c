/*
 * Copyright (c) 2026 xfota authors
 * SPDX-License-Identifier: Apache-2.0
 *
 * AT#XFOTA shell: maps NCS callbacks to core events and core effects to NCS calls.
 * Every decision (grammar, stages, URCs, what to persist) is made by the Rust core.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/settings/settings.h>
#include <zephyr/dfu/mcuboot.h>

#include <dfu/dfu_target.h>
#include <modem/lte_lc.h>
#include <modem/nrf_modem_lib.h>
#include <net/fota_download.h>
#include <nrf_modem_delta_dfu.h>

#include <xfota.h>
#include <xfota/xfota_shell.h>

#include "xfota_partition.h"

LOG_MODULE_REGISTER(xfota, CONFIG_XFOTA_LOG_LEVEL);

#define RECORD_KEY "xfota/rec"
/* Larger than any valid record: a longer stored value is read cut and rejected as corrupt. */
#define RECORD_MAX (XFOTA_RECORD_LEN + 4)

/* A download event on its way from the downloader's thread to the AT thread. */
struct xfota_evt {
	uint16_t session;
	int32_t event;
	int32_t value;
};

/* Terminal events always find room: progress events leave this many slots free. */
#define EVT_RESERVED_SLOTS 3

K_MSGQ_DEFINE(xfota_evtq, sizeof(struct xfota_evt), CONFIG_XFOTA_EVENT_QUEUE_LEN, 4);

static struct xfota_state state;
static atomic_t current_session;
static xfota_shell_write_t out_write;
static xfota_shell_notify_t out_notify;

static uint8_t record[RECORD_MAX + 1];
static size_t record_len;
static bool record_found;

static bool modem_result_known;
static int32_t modem_result;

static uint8_t pdn_cid;

/* Called during nrf_modem_lib_init() when the modem processed an update at this boot. */
NRF_MODEM_LIB_ON_DFU_RES(xfota_dfu_hook, xfota_on_dfu_res, NULL);

static void xfota_on_dfu_res(int dfu_res, void *ctx)
{
	ARG_UNUSED(ctx);
	modem_result = dfu_res;
	modem_result_known = true;
}

static void fota_evt_handler(const struct fota_download_evt *evt)
{
	struct xfota_evt e = {
		.session = (uint16_t)atomic_get(&current_session),
		.value = 0,
	};
	k_timeout_t wait = K_FOREVER;

	switch (evt->id) {
	case FOTA_DOWNLOAD_EVT_PROGRESS:
		e.event = XFOTA_EVT_PROGRESS;
		e.value = evt->progress;
		if (k_msgq_num_free_get(&xfota_evtq) <= EVT_RESERVED_SLOTS) {
			/* A later progress or FINISHED supersedes this one. */
			return;
		}
		wait = K_NO_WAIT;
		break;
	case FOTA_DOWNLOAD_EVT_ERASE_PENDING:
	case FOTA_DOWNLOAD_EVT_ERASE_TIMEOUT: /* the erase goes on: still pending */
		e.event = XFOTA_EVT_ERASE_PENDING;
		break;
	case FOTA_DOWNLOAD_EVT_ERASE_DONE:
		e.event = XFOTA_EVT_ERASE_DONE;
		break;
	case FOTA_DOWNLOAD_EVT_FINISHED:
		e.event = XFOTA_EVT_FINISHED;
		break;
	case FOTA_DOWNLOAD_EVT_ERROR:
		e.event = XFOTA_EVT_ERROR;
		e.value = (int32_t)evt->cause;
		break;
	case FOTA_DOWNLOAD_EVT_CANCELLED:
		e.event = XFOTA_EVT_CANCELLED;
		break;
	default:
		LOG_WRN("unknown fota_download event %d", (int)evt->id);
		return;
	}

	if (k_msgq_put(&xfota_evtq, &e, wait) != 0) {
		LOG_WRN("download event %d dropped", (int)e.event);
		return;
	}
	if (out_notify != NULL) {
		out_notify();
	}
}

/* ---- port: the effects the core asks for ---------------------------------------------- */

static void port_write(void *ctx, const uint8_t *data, size_t len)
{
	ARG_UNUSED(ctx);
	if (out_write != NULL) {
		out_write(data, len);
	}
}

/* Deactivates and forgets the PDN context of the last download with an <apn>. The modem refuses
 * to delete an active context, so deactivation comes first.
 */
static void pdn_release(void)
{
	if (pdn_cid == 0) {
		return;
	}
	(void)lte_lc_pdn_deactivate(pdn_cid);
	(void)lte_lc_pdn_ctx_destroy(pdn_cid);
	pdn_cid = 0;
}

static int pdn_for_apn(const char *apn, uint8_t *pdn_id)
{
	int err;
	int id;

	pdn_release();
	err = lte_lc_pdn_ctx_create(&pdn_cid);
	if (err) {
		LOG_ERR("PDN context create failed: %d", err);
		pdn_cid = 0;
		return err;
	}
	err = lte_lc_pdn_ctx_configure(pdn_cid, apn, LTE_LC_PDN_FAM_IPV4V6, NULL);
	if (!err) {
		err = lte_lc_pdn_activate(pdn_cid, NULL, NULL);
	}
	if (!err) {
		id = lte_lc_pdn_id_get(pdn_cid);
		err = id < 0 ? id : (id > UINT8_MAX ? -EINVAL : 0);
	}
	if (err) {
		LOG_ERR("PDN for the APN failed: %d", err);
		pdn_release();
		return err;
	}
	*pdn_id = (uint8_t)id;
	return 0;
}

static int32_t port_start_download(void *ctx, const struct xfota_download_req *req)
{
	enum dfu_target_image_type type = req->image_type == XFOTA_IMAGE_MODEM
						  ? DFU_TARGET_IMAGE_TYPE_MODEM_DELTA
						  : DFU_TARGET_IMAGE_TYPE_MCUBOOT;
	uint8_t pdn_id = 0;
	int err;

	ARG_UNUSED(ctx);
	if (req->apn != NULL) {
		err = pdn_for_apn(req->apn, &pdn_id);
		if (err) {
			return err;
		}
	}
	/* Events of this download carry this session from now on. */
	atomic_set(&current_session, req->session);
	/* host/file point into the core's state, which outlives the download. */
	return fota_download_start_with_image_type(req->host, req->file, req->sec_tag, pdn_id, 0,
						   type);
}

/* fota_download restarts a resumed download about 1 s after stopping it; a cancel in that window
 * gets -EPERM from the downloader (sdk-nrf v3.2 fota_download.c), so it is tried once more after it.
 */
#define CANCEL_RETRY_MS 1100

static int32_t port_cancel_download(void *ctx)
{
	int err = fota_download_cancel();

	ARG_UNUSED(ctx);
	if (err == -EPERM) {
		k_sleep(K_MSEC(CANCEL_RETRY_MS));
		err = fota_download_cancel();
	}
	/* -EACCES: cancelled before any DFU target existed; the download did stop. */
	return err == -EACCES ? 0 : err;
}

/* Called when a session ends without an image (error, cancel, failed save). */
static int32_t port_reset_dfu_target(void *ctx, uint8_t image_type)
{
	int err = dfu_target_reset();

	ARG_UNUSED(ctx);
	ARG_UNUSED(image_type);
	pdn_release();
	/* -EACCES: no target was ever initialised, nothing to reset. */
	return err == -EACCES ? 0 : err;
}

static int32_t port_erase_app_slot(void *ctx)
{
	ARG_UNUSED(ctx);
	return boot_erase_img_bank(XFOTA_SECONDARY_AREA_ID);
}

/* nrf_modem_delta_dfu_* return positive modem codes too; never let one look like success. */
static int modem_err(int err)
{
	return err > 0 ? -EIO : err;
}

/* Reads the scratch area's offset: XFOTA_ERASE_PENDING while the modem erases, 0 with *offset
 * set, or a negative errno. INVALID_DATA is what the modem answers about a scratch area it
 * cannot use (to be erased) and, during an erase, what sdk-nrf's own erase loop
 * (dfu_target_modem_delta.c) takes for "still erasing": reported as a non-zero offset here.
 */
static int32_t scratch_offset(size_t *offset)
{
	int err = nrf_modem_delta_dfu_offset(offset);

	if (err == NRF_MODEM_DELTA_DFU_ERASE_PENDING) {
		return XFOTA_ERASE_PENDING;
	}
	if (err == NRF_MODEM_DELTA_DFU_INVALID_DATA) {
		*offset = NRF_MODEM_DELTA_DFU_OFFSET_DIRTY;
		return 0;
	}
	if (err) {
		LOG_ERR("delta DFU offset failed: %d", err);
		return modem_err(err);
	}
	return 0;
}

static int32_t port_modem_erase_start(void *ctx)
{
	size_t offset = 0;
	int32_t rc = scratch_offset(&offset);
	int err;

	ARG_UNUSED(ctx);
	if (rc != 0) {
		return rc;
	}
	if (offset == 0) {
		return XFOTA_ERASE_DONE;
	}
	/* Dirty, or a partial image: both are erased (Nordic's op 9 skips a partial one). */
	err = nrf_modem_delta_dfu_erase();
	if (err) {
		LOG_ERR("delta DFU erase failed: %d", err);
		return modem_err(err);
	}
	return XFOTA_ERASE_PENDING;
}

static int32_t port_modem_erase_poll(void *ctx)
{
	size_t offset = 0;
	int32_t rc = scratch_offset(&offset);

	ARG_UNUSED(ctx);
	if (rc != 0) {
		return rc;
	}
	return offset == 0 ? XFOTA_ERASE_DONE : XFOTA_ERASE_PENDING;
}

static void port_sleep_ms(void *ctx, uint32_t ms)
{
	ARG_UNUSED(ctx);
	k_sleep(K_MSEC(ms));
}

static int32_t port_save_record(void *ctx, const uint8_t *data, size_t len)
{
	int err;

	ARG_UNUSED(ctx);
	err = settings_save_one(RECORD_KEY, data, len);
	if (err) {
		LOG_ERR("settings_save_one failed: %d", err);
	}
	return err;
}

static int32_t port_clear_record(void *ctx)
{
	ARG_UNUSED(ctx);
	return settings_delete(RECORD_KEY);
}

static int32_t port_confirm_image(void *ctx)
{
	ARG_UNUSED(ctx);
	return boot_write_img_confirmed();
}

static const struct xfota_port port = {
	.ctx = NULL,
	.write = port_write,
	.start_download = port_start_download,
	.cancel_download = port_cancel_download,
	.reset_dfu_target = port_reset_dfu_target,
	.erase_app_slot = port_erase_app_slot,
	.modem_erase_start = port_modem_erase_start,
	.modem_erase_poll = port_modem_erase_poll,
	.sleep_ms = port_sleep_ms,
	.save_record = port_save_record,
	.clear_record = port_clear_record,
	.confirm_image = port_confirm_image,
};

/* ---- record loading --------------------------------------------------------------------- */

static int record_load_cb(const char *key, size_t len, settings_read_cb read_cb, void *cb_arg,
			  void *param)
{
	ssize_t rc;

	ARG_UNUSED(param);
	if (key == NULL || strcmp(key, "rec") != 0) {
		return 0;
	}
	rc = read_cb(cb_arg, record, MIN(len, sizeof(record)));
	if (rc < 0) {
		LOG_ERR("reading the FOTA record failed: %d", (int)rc);
		return 0;
	}
	record_len = (size_t)rc;
	record_found = true;
	return 0;
}

/* ---- public API ------------------------------------------------------------------------- */

void xfota_shell_set_hooks(xfota_shell_write_t write, xfota_shell_notify_t notify)
{
	out_write = write;
	out_notify = notify;
}

int xfota_shell_init(void)
{
	int err;

	err = xfota_init(&state, sizeof(state), CONFIG_XFOTA_MODEM_ERASE_TIMEOUT_MS,
			 CONFIG_XFOTA_MODEM_ERASE_POLL_MS);
	if (err) {
		return err;
	}
	err = fota_download_init(fota_evt_handler);
	if (err) {
		LOG_ERR("fota_download_init failed: %d", err);
		return err;
	}
	err = settings_subsys_init();
	if (err) {
		LOG_ERR("settings_subsys_init failed: %d", err);
		return err;
	}
	record_found = false;
	record_len = 0;
	err = settings_load_subtree_direct("xfota", record_load_cb, NULL);
	if (err) {
		LOG_ERR("loading the FOTA record failed: %d", err);
		return err;
	}
	return 0;
}

int xfota_shell_boot(void)
{
	int err = xfota_boot(&state, record_found ? record : NULL, record_len, mcuboot_swap_type(),
			     modem_result_known, modem_result, &port);

	/* The modem reports a result once per boot; it has been handed over. */
	modem_result_known = false;
	return err;
}

int xfota_shell_handle_line(const uint8_t *line, size_t len)
{
	return xfota_handle_line(&state, line, len, &port);
}

void xfota_shell_process_events(void)
{
	struct xfota_evt e;

	while (k_msgq_get(&xfota_evtq, &e, K_NO_WAIT) == 0) {
		(void)xfota_download_event(&state, e.session, e.event, e.value, &port);
	}
}
