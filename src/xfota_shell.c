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
#include <zephyr/dfu/flash_img.h>
#include <zephyr/storage/flash_map.h>

#include <dfu/dfu_target.h>
#include <modem/nrf_modem_lib.h>
#include <net/fota_download.h>
#include <nrf_modem_at.h>
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

static bool booted;
static bool modem_result_known;
static int32_t modem_result;

/* The context made for <apn> (AT%XNEWCID), -1 when none. */
static int pdn_cid = -1;

/* Called during nrf_modem_lib_init() when the modem processed an update at this boot. */
NRF_MODEM_LIB_ON_DFU_RES(xfota_dfu_hook, xfota_on_dfu_res, NULL);

static void xfota_on_dfu_res(int dfu_res, void *ctx)
{
	ARG_UNUSED(ctx);
	if (booted) {
		/* A re-initialisation after a fault: the boot report is long gone. */
		LOG_WRN("modem DFU result 0x%x after boot, not reported", dfu_res);
		return;
	}
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

/* A positive nrf_modem_at_* return is the modem's ERROR / +CME ERROR (as lte_lc's pdn.c maps
 * it).
 */
static int at_err(int err)
{
	return err > 0 ? -ENOEXEC : err;
}

/* The integer after the ':' of a "%NAME: <n>" answer, or -EBADMSG. */
static int at_int_answer(const char *rsp)
{
	const char *p = strchr(rsp, ':');
	int v = 0;
	int digits = 0;

	if (p == NULL) {
		return -EBADMSG;
	}
	for (p++; *p == ' '; p++) {
	}
	for (; *p >= '0' && *p <= '9' && digits < 6; p++, digits++) {
		v = v * 10 + (*p - '0');
	}
	return digits > 0 ? v : -EBADMSG;
}

/* Deactivates and deletes the PDN context made for <apn>: the modem refuses to delete an
 * active context, so AT+CGACT=0 comes first (the same two commands as lte_lc's
 * lte_lc_pdn_deactivate() and lte_lc_pdn_ctx_destroy()).
 */
static void pdn_release(void)
{
	int err;

	if (pdn_cid < 0) {
		return;
	}
	err = nrf_modem_at_printf("AT+CGACT=0,%d", pdn_cid);
	if (err) {
		LOG_WRN("AT+CGACT=0,%d: %d", pdn_cid, err);
	}
	err = nrf_modem_at_printf("AT+CGDCONT=%d", pdn_cid);
	if (err) {
		LOG_WRN("AT+CGDCONT=%d: %d", pdn_cid, err);
	}
	pdn_cid = -1;
}

/* Brings up a PDN for <apn> with plain AT commands (AT%XNEWCID?, AT+CGDCONT, AT+CGACT,
 * AT%XGETPDNID), as lte_lc's PDN module would, without its modem-init and CFUN hooks
 * (AT%XEPCO, AT+CNEC=16, AT+CGEREP=1) that would send the host notifications it never asked
 * for. The APN is [A-Za-z0-9.-] only (checked by the core), so quoting it is safe.
 */
static int pdn_up(const char *apn, uint8_t *pdn_id)
{
	char rsp[48];
	int err;
	int v;

	err = nrf_modem_at_cmd(rsp, sizeof(rsp), "AT%%XNEWCID?");
	if (err) {
		LOG_ERR("AT%%XNEWCID?: %d", err);
		return at_err(err);
	}
	v = at_int_answer(rsp);
	if (v < 0 || v > 100) {
		return v < 0 ? v : -EBADMSG;
	}
	pdn_cid = v;
	err = nrf_modem_at_printf("AT+CGDCONT=%d,\"IPV4V6\",\"%s\"", pdn_cid, apn);
	if (!err) {
		err = nrf_modem_at_printf("AT+CGACT=1,%d", pdn_cid);
	}
	if (!err) {
		err = nrf_modem_at_cmd(rsp, sizeof(rsp), "AT%%XGETPDNID=%d", pdn_cid);
	}
	if (err) {
		LOG_ERR("PDN for the APN failed: %d", err);
		pdn_release();
		return at_err(err);
	}
	v = at_int_answer(rsp);
	if (v < 0 || v > UINT8_MAX) {
		pdn_release();
		return v < 0 ? v : -EBADMSG;
	}
	*pdn_id = (uint8_t)v;
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
	/* The core ends every session it started; this only guards against a leak. */
	pdn_release();
	if (req->apn != NULL) {
		err = pdn_up(req->apn, &pdn_id);
		if (err) {
			return err;
		}
	}
	/* Events of this download carry this session from now on. */
	atomic_set(&current_session, req->session);
	/* host/file point into the core's state, which outlives the download. */
	err = fota_download_start_with_image_type(req->host, req->file, req->sec_tag, pdn_id, 0,
						  type);
	if (err) {
		/* No session started: the core will not call end_download, so release here. */
		LOG_ERR("fota_download_start_with_image_type: %d", err);
		pdn_release();
	}
	return err;
}

static void port_end_download(void *ctx)
{
	ARG_UNUSED(ctx);
	pdn_release();
}

/* fota_download restarts a resumed download 1 s after stopping it (and again 1 s later while the
 * old one has not stopped yet); a cancel in that window gets -EPERM from the downloader (sdk-nrf
 * v3.2.1 fota_download.c download_with_offset()), so it is tried again after each second.
 */
#define CANCEL_RETRY_MS 1100
#define CANCEL_RETRIES 3

static int32_t port_cancel_download(void *ctx)
{
	int err = fota_download_cancel();

	ARG_UNUSED(ctx);
	for (int i = 0; i < CANCEL_RETRIES && err == -EPERM; i++) {
		k_sleep(K_MSEC(CANCEL_RETRY_MS));
		err = fota_download_cancel();
	}
	/* -EACCES: cancelled before any DFU target existed; the download did stop. */
	return err == -EACCES ? 0 : err;
}

/* Called when a session ends without an image (error, cancel, failed verification or save). */
static int32_t port_reset_dfu_target(void *ctx, uint8_t image_type)
{
	int err = dfu_target_reset();

	ARG_UNUSED(ctx);
	ARG_UNUSED(image_type);
	/* -EACCES: no target was ever initialised, nothing to reset. */
	return err == -EACCES ? 0 : err;
}

/* CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE=n: fota_download only calls dfu_target_done(true); the
 * core schedules once the record that reports the result is saved.
 */
static int32_t port_schedule_update(void *ctx, uint8_t image_type)
{
	ARG_UNUSED(ctx);
	ARG_UNUSED(image_type);
	return dfu_target_schedule_update(0);
}

static int32_t port_erase_app_slot(void *ctx)
{
	ARG_UNUSED(ctx);
	return boot_erase_img_bank(XFOTA_SECONDARY_AREA_ID);
}

/* MCUboot slot bytes through the flash map. On the nRF9161 with TF-M the primary slot's header
 * (mcuboot_pad) lies in secure flash: the flash driver routes that read to TF-M's platform
 * read service, which allows exactly that range (docs/ncs-compat.md §12); a refusal is an
 * errno here and the core falls back to MCUboot's swap type.
 */
static int32_t port_read_image(void *ctx, uint8_t slot, uint32_t offset, uint8_t *dst, size_t len)
{
	const struct flash_area *fa;
	int err;

	ARG_UNUSED(ctx);
	err = flash_area_open(slot == XFOTA_SLOT_PRIMARY ? XFOTA_PRIMARY_AREA_ID
							 : XFOTA_SECONDARY_AREA_ID,
			      &fa);
	if (err) {
		return err;
	}
	/* Out of the area: -EINVAL from flash_area_read() (is_in_flash_area_bounds()). */
	err = flash_area_read(fa, (off_t)offset, dst, len);
	flash_area_close(fa);
	return err;
}

/* SHA-256 of the secondary slot's first len bytes (flash_img_check(), Zephyr's DFU image
 * check over flash_area_check_int_sha256()).
 */
static struct flash_img_context img_ctx;

static int32_t port_image_hash_matches(void *ctx, uint32_t len, const uint8_t *sha256)
{
	struct flash_img_check fic = {
		.match = sha256,
		.clen = len,
	};
	int err;

	ARG_UNUSED(ctx);
	err = flash_img_check(&img_ctx, &fic, XFOTA_SECONDARY_AREA_ID);
	if (err == 0) {
		return 1;
	}
	return err == -EILSEQ ? 0 : err;
}

/* Some NCS calls return positive codes of their own besides negative errnos: the modem's delta
 * DFU codes (nrf_modem_delta_dfu_*) and MCUboot's bootutil codes (boot_write_img_confirmed()).
 * The port returns errno values: a positive code is -EIO, never success.
 */
static int errno_of(int err)
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
		return errno_of(err);
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
		return errno_of(err);
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
	/* Zephyr passes boot_set_next()'s bootutil code through: positive (BOOT_EFLASH, ...) when
	 * the image trailer cannot be read or written.
	 */
	return errno_of(boot_write_img_confirmed());
}

static const struct xfota_port port = {
	.ctx = NULL,
	.write = port_write,
	.start_download = port_start_download,
	.cancel_download = port_cancel_download,
	.end_download = port_end_download,
	.reset_dfu_target = port_reset_dfu_target,
	.schedule_update = port_schedule_update,
	.erase_app_slot = port_erase_app_slot,
	.modem_erase_start = port_modem_erase_start,
	.modem_erase_poll = port_modem_erase_poll,
	.sleep_ms = port_sleep_ms,
	.save_record = port_save_record,
	.clear_record = port_clear_record,
	.confirm_image = port_confirm_image,
	.read_image = port_read_image,
	.image_hash_matches = port_image_hash_matches,
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

/* ---- modem faults ------------------------------------------------------------------------ */

static struct nrf_modem_fault_info fault_info;
static atomic_t fault_pending;

void xfota_shell_modem_fault(uint32_t reason, uint32_t program_counter)
{
	fault_info.reason = reason;
	fault_info.program_counter = program_counter;
	atomic_set(&fault_pending, 1);
	if (out_notify != NULL) {
		out_notify();
	}
}

#if defined(CONFIG_XFOTA_MODEM_FAULT_HANDLER)
/* CONFIG_NRF_MODEM_LIB_ON_FAULT_APPLICATION_SPECIFIC: called by the modem library, from the
 * IPC interrupt; the work happens on the AT thread (as Serial Modem v1.0.1 app/src/main.c does
 * it from its work queue).
 */
void nrf_modem_fault_handler(struct nrf_modem_fault_info *info)
{
	xfota_shell_modem_fault(info->reason, info->program_counter);
}
#endif

static void handle_modem_fault(void)
{
	int shutdown;
	int init;

	if (!atomic_cas(&fault_pending, 1, 0)) {
		return;
	}
	LOG_ERR("modem fault 0x%x at 0x%x", (unsigned int)fault_info.reason,
		(unsigned int)fault_info.program_counter);
	(void)xfota_modem_fault(&state, fault_info.reason, fault_info.program_counter);
	shutdown = nrf_modem_lib_shutdown();
	init = nrf_modem_lib_init();
	(void)xfota_modem_reinit(&state, shutdown, init);
}

/* ---- public API ------------------------------------------------------------------------- */

void xfota_shell_set_hooks(xfota_shell_write_t write, xfota_shell_notify_t notify)
{
	out_write = write;
	out_notify = notify;
}

int xfota_shell_init(void)
{
	int first = 0;
	int err;

	err = xfota_init(&state, sizeof(state), CONFIG_XFOTA_MODEM_ERASE_TIMEOUT_MS,
			 CONFIG_XFOTA_MODEM_ERASE_POLL_MS, &port);
	if (err) {
		return err;
	}
	/* The record first: whatever else fails, the boot result is still reported. */
	booted = false;
	record_found = false;
	record_len = 0;
	err = settings_subsys_init();
	if (err) {
		LOG_ERR("settings_subsys_init failed: %d", err);
		first = err;
	} else {
		err = settings_load_subtree_direct("xfota", record_load_cb, NULL);
		if (err) {
			LOG_ERR("loading the FOTA record failed: %d", err);
			first = err;
		}
	}
	err = fota_download_init(fota_evt_handler);
	if (err) {
		LOG_ERR("fota_download_init failed: %d", err);
		first = first ? first : err;
	}
	return first;
}

int xfota_shell_boot(int modem_init)
{
	int err = xfota_boot(&state, record_found ? record : NULL, record_len, mcuboot_swap_type(),
			     modem_result_known, modem_result, modem_init);

	/* The modem reports a result once per boot; it has been handed over. */
	modem_result_known = false;
	booted = true;
	return err;
}

int xfota_shell_handle_line(const uint8_t *line, size_t len)
{
	return xfota_handle_line(&state, line, len);
}

void xfota_shell_process_events(void)
{
	struct xfota_evt e;

	handle_modem_fault();
	while (k_msgq_get(&xfota_evtq, &e, K_NO_WAIT) == 0) {
		(void)xfota_download_event(&state, e.session, e.event, e.value);
	}
}
