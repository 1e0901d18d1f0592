/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Control and observation of the NCS fakes (fake_ncs.c, fake_uart.c) used by the shell tests.
 * Each fake models the sdk-nrf v3.2.1 / nrfxlib / Zephyr source named beside it in fake_ncs.c.
 */
#ifndef FAKE_NCS_H_
#define FAKE_NCS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dfu/dfu_target.h>
#include <net/fota_download.h>

#define FAKE_PDN_CIDS 11    /* cid 0 (default) .. 10 */
#define FAKE_LOG_ENTRIES 32 /* AT commands remembered (first 64 bytes each) */
#define FAKE_SLOT_SIZE 0x800 /* the test images are < 2 KB: RAM is short on qemu_cortex_m3 */

struct fake_pdn {
	bool allocated; /* AT%XNEWCID? handed it out, or it is cid 0 */
	bool defined;   /* AT+CGDCONT=<cid>,... */
	bool active;    /* AT+CGACT=1,<cid> */
	char apn[64];
};

struct fake_ncs {
	/* ---- fota_download + downloader (fake_ncs.c models fota_download.c / downloader.c) */
	int fota_init_calls;
	int fota_init_rc;    /* fota_download_init(): e.g. -ENOMEM from downloader_init */
	int fota_start_rc;   /* what downloader_get_with_host_and_file() answers */
	int fota_starts;     /* calls, successful or not */
	const char *host_ptr;
	const char *file_ptr;
	char host[300];
	char file[300];
	int sec_tag;
	uint8_t pdn_id;
	size_t fragment_size;
	enum dfu_target_image_type type;
	int fota_cancels;
	bool autoschedule; /* CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE, from prj.conf */
	/* ---- dfu_target */
	bool dfu_target_active; /* dfu_target_init() ran, no reset since */
	int dfu_inits;
	int dfu_resets;
	int dfu_reset_rc; /* the target's reset() failed: it stays the current target */
	int dfu_dones;
	int dfu_done_rc;  /* dfu_target_done(true): e.g. MCUboot's stream flush, a flash error */
	int schedules;     /* dfu_target_schedule_update() calls */
	int schedule_rc;
	int scheduled_ok;  /* successful ones */
	/* ---- modem delta DFU: offset(), erase(); an erase keeps offset() answering "pending"
	 * for erase_polls calls, then the offset reads 0.
	 */
	size_t delta_offset;
	int delta_offset_rc;
	int delta_erase_rc;
	int delta_erases;
	int delta_polls;
	int erase_polls;
	int erase_remaining;
	/* ---- modem AT interface (nrf_modem_at_cmd / _printf) */
	char at_cmd[CONFIG_XFOTA_AT_BUF_SIZE + 64]; /* the last command, whole */
	size_t at_cmd_len;
	int at_calls;       /* nrf_modem_at_cmd calls (not printf) */
	int at_rc;          /* scripted answer for commands the modem model does not know */
	const char *at_rsp;
	bool echo_len;      /* answer unknown commands with "%XFAKE: <len>,<LF count>" + OK */
	char at_printf_cmd[96];
	int at_printfs;
	char log[FAKE_LOG_ENTRIES][64]; /* every command, in order, from anyone */
	int log_len;
	int cfun;           /* AT+CFUN mode */
	int cgerep;         /* AT+CGEREP=<n> */
	int cnec;           /* AT+CNEC=<n> */
	struct fake_pdn pdn[FAKE_PDN_CIDS];
	int pdn_id_base;    /* AT%XGETPDNID answers pdn_id_base + cid */
	int newcid_rc;      /* >0: AT%XNEWCID? answers ERROR */
	int cgact_rc;       /* >0: AT+CGACT=1 answers ERROR (no network) */
	/* ---- modem library */
	bool dfu_res_pending;
	int dfu_res;
	int modem_init_rc;     /* nrf_modem_lib_init(): 0, -NRF_EIO, -NRF_EAGAIN, ... */
	int modem_inits;
	int modem_shutdowns; /* nrf_modem_lib_shutdown() always returns 0 in v3.2.1 */
	bool modem_up;
	/* ---- at_monitor */
	int notifs_dropped; /* no room in the CONFIG_AT_MONITOR_HEAP_SIZE heap */
	/* ---- settings: one in-memory store for "xfota/rec" */
	uint8_t rec[64];
	size_t rec_len;
	bool rec_present;
	int save_rc;
	int saves;
	int deletes;
	int delete_rc;        /* settings_delete(): a backend write error, e.g. -EIO */
	int load_rc;          /* the backend's load fails: the record is not handed over (and
			       * settings_load_subtree_direct() still returns 0, as Zephyr's)
			       */
	int rec_read_rc;      /* the read callback handed to the record's handler */
	int settings_init_rc; /* settings_subsys_init(): the backend's init error */
	bool settings_ready;  /* settings_subsys_init() succeeded: a save destination exists */
	/* ---- MCUboot */
	int swap_type;
	int confirm_rc; /* boot_write_img_confirmed(): -EIO (flash_area_open), or boot_set_next()'s
			 * bootutil code, positive: BOOT_EFLASH 1, BOOT_EBADIMAGE 3, BOOT_EBADVECT 4
			 */
	int confirms;
	int erase_bank_rc;
	int erase_banks;
	uint8_t erase_area;
	/* ---- flash areas: 6 primary, 7 secondary */
	uint8_t slot[2][FAKE_SLOT_SIZE];
	int primary_read_rc; /* e.g. TF-M refusing a secure read: -EINVAL */
	int secondary_read_rc; /* the flash driver failing a read, e.g. -EIO */
	int flash_reads;
	int hash_checks;
	int hash_rc; /* flash_img_check(): a flash read errno, or -ESRCH for a hash failure */
	/* ---- sys_reboot */
	int reboots;
};

extern struct fake_ncs fake;

/**
 * Runs fn; if it calls sys_reboot() (which never returns), fn is abandoned there: on Zephyr it
 * runs in a thread that the fake sys_reboot() aborts, on the host the fake longjmps back.
 */
void fake_run_until_reboot(void (*fn)(void));

/** Everything back to defaults: success everywhere, empty storage, swap type NONE, CFUN=0. */
void fake_reset(void);

/* ---- the downloader thread (fota_download's events come from it) ---- */

/** A fragment arrived: first one initialises the DFU target; PROGRESS <percent>. Waits. */
void fake_dl_progress(int percent);
/** The download completed (DOWNLOADER_EVT_DONE): done(true), [schedule], FINISHED. Waits. */
void fake_dl_done(void);
/** A fragment or the transport failed with @p cause: ERROR via stopped(). Waits. */
void fake_dl_fail(enum fota_download_error_cause cause);
/**
 * A fragment handler failure whose stop is still on its way: the error state is set, then the
 * downloader thread spends @p ms (e.g. dfu_target_done() erasing) before the STOPPED. Returns as
 * soon as the error state is set, so a cancel can race it.
 */
void fake_dl_fail_slowly(enum fota_download_error_cause cause, int ms);
/** The resume window: fota_download stops the downloader and restarts it after 1 s. */
void fake_dl_resume_window(void);
/** Waits until the downloader thread has nothing left to do. */
void fake_dl_idle(void);
/** Whether fota_download's FLAG_DOWNLOADING is set. */
bool fake_dl_downloading(void);

/** The modem sends an AT notification (dispatched on the system workqueue, as at_monitor). */
void fake_at_notif(const char *notif);
/** Waits until every notification handed to at_monitor was dispatched. */
void fake_at_notif_flush(void);
/** The modem faults (libmodem calls nrf_modem_fault_handler from its IPC interrupt). */
void fake_modem_fault(uint32_t reason, uint32_t pc);

/** Whether the AT command log holds a command starting with @p prefix (case-insensitive). */
bool fake_at_logged(const char *prefix);
/** Number of PDN contexts other than cid 0 still allocated, defined or active. */
int fake_pdn_contexts(void);

/** Writes an image into a fake slot (0 primary, 1 secondary), the rest erased (0xff). */
void fake_slot_write(int slot, const uint8_t *img, size_t len);

/* ---- the fake UART (fake_uart.c): a UART with RTS/CTS and the interrupt-driven API ---- */

/** Host side asserts/deasserts RTS, i.e. the device's CTS: while false, no byte goes out. */
void fake_uart_cts(bool active);
/** Bytes the host sends. */
void fake_uart_rx(const uint8_t *data, size_t len);
/** What went out so far (NUL-terminated copy); clears it. */
size_t fake_uart_take(char *dst, size_t cap);
/** Waits until @p want appears in the output (not cleared), up to @p ms. */
bool fake_uart_wait_for(const char *want, int ms);

#endif /* FAKE_NCS_H_ */
