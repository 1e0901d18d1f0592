/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Control and observation of the NCS fakes (fake_ncs.c) used by the shell tests.
 */
#ifndef FAKE_NCS_H_
#define FAKE_NCS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu/dfu_target.h>
#include <net/fota_download.h>

struct fake_ncs {
	/* fota_download */
	fota_download_callback_t fota_cb;
	int fota_init_calls;
	int fota_start_rc;
	int fota_starts;
	const char *host_ptr;
	const char *file_ptr;
	char host[300];
	char file[300];
	int sec_tag;
	uint8_t pdn_id;
	size_t fragment_size;
	enum dfu_target_image_type type;
	int fota_cancel_rc;
	int fota_cancel_rc_after; /* what a second cancel answers */
	int fota_cancels;
	/* dfu_target */
	int dfu_reset_rc;
	int dfu_resets;
	/* modem delta DFU: offset(), erase(); an erase keeps offset() answering "pending" for
	 * erase_polls calls, then the offset reads 0.
	 */
	size_t delta_offset;
	int delta_offset_rc;
	int delta_erase_rc;
	int delta_erases;
	int delta_polls;
	int erase_polls;
	int erase_remaining;
	/* lte_lc PDN */
	char apn[128];
	int pdn_creates;
	int pdn_destroys;
	int pdn_activates;
	int pdn_deactivates;
	int pdn_id_answer; /* what lte_lc_pdn_id_get() answers */
	/* nrf_modem_at_printf: the last command, how many */
	char at_printf_cmd[64];
	int at_printfs;
	/* nrf_modem_at_cmd */
	char at_cmd[600];
	int at_calls;
	int at_rc;
	const char *at_rsp;
	/* nrf_modem_lib: DFU result delivered by nrf_modem_lib_init() */
	bool dfu_res_pending;
	int dfu_res;
	/* settings: one in-memory store for "xfota/rec" */
	uint8_t rec[64];
	size_t rec_len;
	bool rec_present;
	int save_rc;
	int saves;
	int deletes;
	/* MCUboot */
	int swap_type;
	int confirm_rc;
	int confirms;
	int erase_bank_rc;
	int erase_banks;
	uint8_t erase_area;
	/* sys_reboot */
	int reboots;
};

extern struct fake_ncs fake;

/**
 * Runs fn; if it calls sys_reboot() (which never returns), fn is abandoned there: on Zephyr it
 * runs in a thread that the fake sys_reboot() aborts, on the host the fake longjmps back.
 */
void fake_run_until_reboot(void (*fn)(void));

/** Everything back to defaults: success everywhere, empty storage, swap type NONE. */
void fake_reset(void);

/** Delivers a fota_download event to the registered callback (as the downloader thread). */
void fake_fota_emit(enum fota_download_evt_id id, int value);

/** Delivers a modem notification to the registered AT monitor. */
void fake_at_notif(const char *notif);

#endif /* FAKE_NCS_H_ */
