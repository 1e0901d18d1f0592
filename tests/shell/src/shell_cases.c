/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The real C shell (src/xfota_shell.c, src/at_host.c, src/at_uart.c) and the real Rust
 * staticlib, against models of every NCS call (tests/fakes). Each case asserts the exact bytes
 * on the "UART" and the state the fakes were left in. Download events come from the fake
 * downloader's own thread, modem notifications from the system workqueue (as at_monitor).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <zephyr/kernel.h>

#include <xfota.h>
#include <xfota/at_host.h>
#include <xfota/at_uart.h>
#include <xfota/xfota_shell.h>
#include <modem/nrf_modem_lib.h>

#include "fake_ncs.h"
#include "harness.h"
#include "test_images.h"

#define BOOT_SWAP_NONE 1
#define BOOT_SWAP_TEST 2
#define BOOT_SWAP_REVERT 4

/* ---- the capture transport: what at_host writes, from the AT thread and from at_monitor ---- */

static char uart[CONFIG_XFOTA_AT_BUF_SIZE + 512];
static size_t uart_len;
/* Notifications wait here until the line being handled is done, as at_uart's notification
 * buffer waits for the AT thread: they never land inside a response.
 */
static char urcs[1024];
static size_t urcs_len;
static K_MUTEX_DEFINE(uart_lock);

static void cap_append(const uint8_t *data, size_t len)
{
	k_mutex_lock(&uart_lock, K_FOREVER);
	if (uart_len + len < sizeof(uart)) {
		memcpy(uart + uart_len, data, len);
		uart_len += len;
		uart[uart_len] = '\0';
	}
	k_mutex_unlock(&uart_lock);
}

static void cap_write(const uint8_t *data, size_t len)
{
	cap_append(data, len);
}

static int cap_notify(const uint8_t *head, size_t head_len, const uint8_t *body, size_t body_len)
{
	int rc = -ENOBUFS;

	k_mutex_lock(&uart_lock, K_FOREVER);
	if (urcs_len + head_len + body_len < sizeof(urcs)) {
		memcpy(urcs + urcs_len, head, head_len);
		memcpy(urcs + urcs_len + head_len, body, body_len);
		urcs_len += head_len + body_len;
		rc = 0;
	}
	k_mutex_unlock(&uart_lock);
	return rc;
}

static const struct at_host_io cap_io = {
	.write = cap_write,
	.notify = cap_notify,
};

/* Returns what was written since the last call (valid until the next call). */
/* Also the scratch buffer of the cases that build long lines (RAM is short on
 * qemu_cortex_m3): a line fed from it is consumed before the next uart_take().
 */
static char taken[sizeof(uart)];

static const char *uart_take(void)
{
	fake_at_notif_flush();
	k_mutex_lock(&uart_lock, K_FOREVER);
	cap_append((const uint8_t *)urcs, urcs_len);
	urcs_len = 0;
	memcpy(taken, uart, uart_len + 1);
	uart_len = 0;
	uart[0] = '\0';
	k_mutex_unlock(&uart_lock);
	return taken;
}

/* What main.c does at boot, in its order. */
static void power_cycle(void)
{
	k_mutex_lock(&uart_lock, K_FOREVER);
	uart_len = 0;
	uart[0] = '\0';
	urcs_len = 0;
	k_mutex_unlock(&uart_lock);
	at_host_init(&cap_io);
	xfota_shell_set_hooks(at_host_send, NULL);
	(void)xfota_shell_init();
	(void)xfota_shell_boot(nrf_modem_lib_init());
}

static void at_thread_stop(void);

void shell_before_each(void)
{
	at_thread_stop();
	fake_reset();
	power_cycle();
	(void)uart_take();
}

/* Host input in uneven pieces (1, 2, 3, ... bytes), as a UART delivers it. */
static void feed(const char *s)
{
	size_t len = strlen(s);
	size_t step = 1;

	for (size_t i = 0; i < len; i += step, step = step % 5 + 1) {
		size_t n = len - i < step ? len - i : step;

		at_host_feed((const uint8_t *)s + i, n);
	}
	xfota_shell_process_events();
}

/* The AT thread drains what the downloader thread queued. */
static void drain(void)
{
	xfota_shell_process_events();
}

static void feed_reset(void)
{
	feed("AT#XRESET\r\n");
}

/* MCUboot swapped the downloaded image in: the primary slot now holds it. */
static void swap_in_secondary(void)
{
	memcpy(fake.slot[0], fake.slot[1], FAKE_SLOT_SIZE);
}

/* An image that fails its hash: one body byte flipped after hashing (as xfota-sim --corrupt). */
static void write_corrupt_image(void)
{
	fake_slot_write(1, img_good, img_good_len);
	fake.slot[1][0x200] ^= 0xff;
}

static void start_app(void)
{
	fake_slot_write(1, img_good, img_good_len);
	feed("AT#XFOTA=1,\"http://fw.example.com/images/app.bin\"\r\n");
}

/* A verified app image waits for activation (4,0); the UART is emptied. */
static void app_downloaded(void)
{
	start_app();
	fake_dl_done();
	drain();
	(void)uart_take();
}

/* ==== boot ==================================================================================== */

SHELL_TEST(boot_prints_ready_once)
{
	fake_reset();
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_EQ(fake.fota_init_calls, 1);
	EXPECT_EQ(fake.modem_inits, 1);
}

/* ==== application FOTA, verified image, identity at boot ===================================== */

SHELL_TEST(app_flow_verified_image_then_revert_reports_5_0)
{
	EXPECT_TRUE(HAVE_IMG_GOOD && HAVE_IMG_OTHER); /* imgtool made them */
	start_app();
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.fota_starts, 1);
	EXPECT_STR(fake.host, "http://fw.example.com");
	EXPECT_STR(fake.file, "images/app.bin");
	EXPECT_EQ(fake.sec_tag, -1);
	EXPECT_EQ(fake.pdn_id, 0);
	EXPECT_EQ(fake.type, DFU_TARGET_IMAGE_TYPE_MCUBOOT);

	fake_dl_progress(0);
	fake_dl_progress(0);
	fake_dl_progress(50);
	drain();
	/* The downloader still holds the host pointer: it points at intact text. */
	feed("AT\r\n");
	EXPECT_STR(fake.host_ptr, "http://fw.example.com");
	EXPECT_STR(fake.file_ptr, "images/app.bin");
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,50\r\n\r\nOK\r\n"
				"\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 4,0\r\n");
	EXPECT_TRUE(fake.rec_present);
	EXPECT_EQ(fake.rec_len, XFOTA_RECORD_LEN);
	EXPECT_EQ(fake.hash_checks, 1);
	/* Scheduled once, by the shell, after the record was saved (autoschedule off). */
	EXPECT_EQ(fake.scheduled_ok, 1);
	EXPECT_EQ(fake.schedules, 1);

	feed("AT#XFOTA=1,\"http://fw.example.com/images/app.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");

	/* AT#XRESET: OK, then the reboot. */
	fake_run_until_reboot(feed_reset);
	EXPECT_EQ(fake.reboots, 1);
	EXPECT_STR(fake.at_printf_cmd, "AT+CFUN=0");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");

	swap_in_secondary();
	fake.swap_type = BOOT_SWAP_REVERT;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(!fake.rec_present);

	/* Reported once: the next boot is quiet. */
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
}

SHELL_TEST(simulator_images_good_4_0_corrupt_1_1_2)
{
	if (!HAVE_IMG_SIM_GOOD || !HAVE_IMG_SIM_CORRUPT) {
		SKIP("xfota-sim --make-image images not made (the simulator does not build)");
	}
	fake_slot_write(1, img_sim_good, img_sim_good_len);
	feed("AT#XFOTA=1,\"http://h/app.bin\"\r\n");
	fake_dl_progress(10);
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,10\r\n"
				"\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 4,0\r\n");
	feed("AT#XFOTA=8\r\n");
	(void)uart_take();
	fake_slot_write(1, img_sim_corrupt, img_sim_corrupt_len);
	feed("AT#XFOTA=1,\"http://h/app.bin\"\r\n");
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 1,1,2\r\n");
}

SHELL_TEST(corrupt_app_image_is_rejected_1_1_2)
{
	write_corrupt_image();
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	fake_dl_progress(50);
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,50\r\n"
				"\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 1,1,2\r\n");
	EXPECT_TRUE(!fake.rec_present);
	EXPECT_EQ(fake.saves, 0);
	EXPECT_EQ(fake.schedules, 0);
	EXPECT_TRUE(!fake.dfu_target_active); /* reset */
}

SHELL_TEST(hash_failure_rejects_the_image_1_1_2)
{
	/* A good image, but the hash cannot be computed (flash read or PSA failure): nothing that
	 * was not verified is saved or scheduled.
	 */
	fake.hash_rc = -ESRCH;
	start_app();
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 1,1,2\r\n");
	EXPECT_EQ(fake.hash_checks, 1);
	EXPECT_TRUE(!fake.rec_present);
	EXPECT_EQ(fake.saves, 0);
	EXPECT_EQ(fake.schedules, 0);
	EXPECT_TRUE(!fake.dfu_target_active);
}

SHELL_TEST(no_image_in_the_slot_is_rejected)
{
	/* Erased secondary slot (no MCUboot magic). */
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	fake_dl_progress(100);
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 1,1,2\r\n");
	EXPECT_EQ(fake.schedules, 0);
}

SHELL_TEST(another_image_running_reports_5_3)
{
	app_downloaded();
	/* MCUboot reverted: the old image runs. */
	fake_slot_write(0, img_other, img_other_len);
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,3\r\n");
	EXPECT_EQ(fake.confirms, 0);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(foreign_image_in_trial_mode_is_not_confirmed)
{
	app_downloaded();
	fake_slot_write(0, img_other, img_other_len);
	fake.swap_type = BOOT_SWAP_REVERT;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,3\r\n");
	EXPECT_EQ(fake.confirms, 0);
}

SHELL_TEST(same_image_swap_type_2_reports_5_0_without_confirm)
{
	app_downloaded();
	swap_in_secondary();
	fake.swap_type = BOOT_SWAP_TEST;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 0);
}

SHELL_TEST(unreadable_primary_header_falls_back_to_swap_type)
{
	app_downloaded();
	fake_slot_write(0, img_other, img_other_len);
	fake.primary_read_rc = -EINVAL; /* TF-M refusing the secure header range */
	fake.swap_type = BOOT_SWAP_REVERT;
	power_cycle();
	/* Identity unknown: REVERT confirms, as Nordic's Serial Modem does. */
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
}

/* ==== schedule after save (issue 10.2) ====================================================== */

SHELL_TEST(save_failure_schedules_nothing)
{
	fake.save_rc = -ENOSPC;
	start_app();
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 1,1,1\r\n");
	EXPECT_EQ(fake.schedules, 0);
	EXPECT_TRUE(!fake.dfu_target_active);
}

SHELL_TEST(schedule_failure_clears_record)
{
	fake.schedule_rc = -EIO;
	start_app();
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 1,1,1\r\n");
	EXPECT_EQ(fake.schedules, 1);
	EXPECT_TRUE(!fake.rec_present);
}

/* ==== storage and flash failures (the fakes fail as Zephyr's settings and flash map do) ====== */

static void app_waiting_then_swapped(int swap_type)
{
	app_downloaded();
	swap_in_secondary();
	fake.swap_type = swap_type;
}

/* The image was confirmed at the previous boot: this boot (storage working again) says 5,0 once
 * more, at least once, and clears the record.
 */
static void next_boot_reports_5_0_again_and_clears(void)
{
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(secondary_slot_read_error_rejects_the_image_1_1_2)
{
	fake.secondary_read_rc = -EIO;
	start_app();
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 1,1,2\r\n");
	EXPECT_EQ(fake.hash_checks, 0);
	EXPECT_EQ(fake.saves, 0);
	EXPECT_EQ(fake.schedules, 0);
	EXPECT_TRUE(!fake.dfu_target_active);
}

SHELL_TEST(settings_backend_down_at_boot_still_confirms_the_new_image)
{
	/* No record can be read: MCUboot runs a new image in test mode, so it is confirmed and
	 * reported; storing the result and clearing fail (-ENOENT, no backend), and the stage-4
	 * record stays for the next boot, which reports by identity.
	 */
	app_waiting_then_swapped(BOOT_SWAP_REVERT);
	fake.settings_init_rc = -EIO;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(fake.rec_present);

	fake.settings_init_rc = 0;
	next_boot_reports_5_0_again_and_clears();
}

SHELL_TEST(record_read_error_at_boot_is_a_lost_record)
{
	/* Another image runs in test mode. With its record read, the identity says 5,3; with the
	 * record unreadable, it is a lost record: the swap type decides (REVERT: confirm, 5,0).
	 */
	app_downloaded();
	fake_slot_write(0, img_other, img_other_len);
	fake.swap_type = BOOT_SWAP_REVERT;
	fake.rec_read_rc = -EIO;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(record_delete_failure_reports_again_at_the_next_boot)
{
	app_waiting_then_swapped(BOOT_SWAP_REVERT);
	fake.delete_rc = -EIO;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_TRUE(fake.rec_present); /* the stored result */

	fake.delete_rc = 0;
	next_boot_reports_5_0_again_and_clears();
}

SHELL_TEST(erase_of_a_waiting_image_fails_while_its_record_cannot_be_deleted)
{
	app_downloaded();
	fake.delete_rc = -EIO;
	feed("AT#XFOTA=8\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	/* The image still counts as waiting: no new download. */
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.fota_starts, 1);

	fake.delete_rc = 0;
	feed("AT#XFOTA=8\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(record_load_failure_at_boot_reports_at_the_next_boot)
{
	/* The settings backend cannot read the record at this boot: Zephyr's
	 * settings_load_subtree_direct() drops the backend's error and returns 0, the record is
	 * simply not handed over. No record: nothing is reported, confirmed or cleared. MCUboot
	 * reverted the test image (another image runs, swap type NONE); the next boot that reads
	 * the record says 5,3.
	 */
	app_downloaded();
	fake_slot_write(0, img_other, img_other_len);
	fake.swap_type = BOOT_SWAP_NONE;
	fake.load_rc = -EIO;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_EQ(fake.confirms, 0);
	EXPECT_EQ(fake.saves, 1); /* the stage-4 record, at the download */
	EXPECT_EQ(fake.deletes, 0);
	EXPECT_TRUE(fake.rec_present);

	fake.load_rc = 0;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,3\r\n");
	EXPECT_TRUE(!fake.rec_present);

	/* A modem update applied at a boot whose record cannot be read: the modem's result (OK)
	 * has no record to go with and is dropped; the next boot finds the record and no result:
	 * 5,1,-2, outcome unknown (as the wire contract says for a lost result).
	 */
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 4,0\r\n");
	fake.dfu_res = 0x5500001; /* NRF_MODEM_DFU_RESULT_OK */
	fake.dfu_res_pending = true;
	fake.load_rc = -EIO;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_TRUE(fake.rec_present);

	fake.load_rc = 0;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,1,-2\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(confirm_failure_at_boot_reports_5_1_errno)
{
	char want[64];

	/* boot_write_img_confirmed() fails (-EIO: Zephyr's mcuboot.c when the running slot's flash
	 * area cannot be opened): the image stays unconfirmed, MCUboot reverts it at the next
	 * reset. The host hears 5,1,<errno> once; the record is cleared.
	 */
	app_waiting_then_swapped(BOOT_SWAP_REVERT);
	fake.confirm_rc = -EIO;
	power_cycle();
	snprintf(want, sizeof(want), "Ready\r\n\r\n#XFOTA: 5,1,%d\r\n", -EIO);
	EXPECT_STR(uart_take(), want);
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_EQ(fake.saves, 2); /* stage 4, then the result before its notification */
	EXPECT_TRUE(!fake.rec_present);

	/* MCUboot reverted: the old image runs; nothing more is said, nothing confirmed. */
	fake.confirm_rc = 0;
	fake_slot_write(0, img_other, img_other_len);
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_EQ(fake.confirms, 1);

	/* No record and a new image in test mode (a lost record): the same failure, the same
	 * report.
	 */
	fake.confirm_rc = -EIO;
	fake.swap_type = BOOT_SWAP_REVERT;
	power_cycle();
	EXPECT_STR(uart_take(), want);
	EXPECT_EQ(fake.confirms, 2);
	EXPECT_TRUE(!fake.rec_present);
}

/* boot_write_img_confirmed() in the sdk-zephyr of NCS v3.2.1 returns boot_set_next()'s bootutil
 * code as is, a positive number (BOOT_EFLASH, 1, when the image trailer cannot be read or
 * written). The shell maps it to -EIO, as it maps the modem's positive codes (errno_of()) and as
 * Zephyr's boot_write_img_confirmed_multi() maps any bootutil failure; passed on as is, the FFI
 * would take it for a broken port contract and the host would read 5,1,-22.
 */
SHELL_TEST(confirm_bootutil_code_reports_eio)
{
	char want[64];

	app_waiting_then_swapped(BOOT_SWAP_REVERT);
	fake.confirm_rc = 1; /* BOOT_EFLASH */
	power_cycle();
	snprintf(want, sizeof(want), "Ready\r\n\r\n#XFOTA: 5,1,%d\r\n", -EIO);
	EXPECT_STR(uart_take(), want);
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(fota_download_autoschedule_is_off)
{
	/* The fake schedules in fota_download too when prj.conf leaves autoschedule on: the
	 * image would then be scheduled before its record exists, and twice.
	 */
	EXPECT_TRUE(!fake.autoschedule);
	start_app();
	fake_dl_done();
	drain();
	EXPECT_EQ(fake.schedules, 1);
}

/* ==== modem FOTA ============================================================================= */

SHELL_TEST(modem_flow_erase_then_uuid_error)
{
	feed("AT+CFUN=1\r\n");
	(void)uart_take();
	feed("AT#XFOTA=2,\"https://fw.example.com:8443/mfw/delta.bin?v=2\",42,\"iot.example\"\r");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_STR(fake.host, "https://fw.example.com:8443");
	EXPECT_STR(fake.file, "mfw/delta.bin?v=2");
	EXPECT_EQ(fake.sec_tag, 42);
	EXPECT_EQ(fake.type, DFU_TARGET_IMAGE_TYPE_MODEM_DELTA);
	EXPECT_STR(fake.pdn[1].apn, "iot.example");
	EXPECT_TRUE(fake.pdn[1].active);
	EXPECT_EQ(fake.pdn_id, 5); /* AT%XGETPDNID of cid 1 */

	fake_dl_progress(7);
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,7\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 4,0\r\n");
	EXPECT_EQ(fake_pdn_contexts(), 0);
	EXPECT_EQ(fake.hash_checks, 0); /* modem images are not walked */

	fake.dfu_res = 0x4400004; /* NRF_MODEM_DFU_RESULT_UUID_ERROR */
	fake.dfu_res_pending = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,1,71303172\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(modem_voltage_low_keeps_waiting_then_ok)
{
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	fake_dl_done();
	drain();
	(void)uart_take();
	fake.dfu_res = 0x4400005; /* NRF_MODEM_DFU_RESULT_VOLTAGE_LOW */
	fake.dfu_res_pending = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 4,1,71303173\r\n");
	EXPECT_TRUE(fake.rec_present);
	fake.dfu_res = 0x5500001; /* NRF_MODEM_DFU_RESULT_OK */
	fake.dfu_res_pending = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

/* ==== cancel (issue 10.5): fota_download.c's handshake, events from the downloader thread ==== */

SHELL_TEST(cancel_urc_before_ok_and_echo_swallowed)
{
	start_app();
	fake_dl_progress(20);
	drain();
	(void)uart_take();
	feed("AT#XFOTA=0\r\n");
	/* fota_download_cancel() returned once the downloader thread had sent CANCELLED. */
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
	EXPECT_EQ(fake.fota_cancels, 1);
	EXPECT_TRUE(!fake_dl_downloading());
	EXPECT_TRUE(!fake.dfu_target_active);
	drain(); /* the queued CANCELLED: the echo */
	EXPECT_STR(uart_take(), "");
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	feed("AT#XFOTA=1,\"http://h/b.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_STR(fake.file, "b.bin");
}

SHELL_TEST(cancel_racing_an_error_reports_the_cancel_once)
{
	start_app();
	fake_dl_progress(30);
	drain();
	(void)uart_take();
	/* A fragment failed; its STOPPED is still on its way when the cancel arrives:
	 * fota_download's stopped() then sends ERROR, not CANCELLED.
	 */
	fake_dl_fail_slowly(FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED, 50);
	feed("AT#XFOTA=0\r\n");
	drain();
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
	fake_dl_idle();
	drain();
	EXPECT_STR(uart_take(), "");
	feed("AT#XFOTA=1,\"http://h/b.bin\"\r\n");
	fake_dl_progress(1);
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,1\r\n");
}

SHELL_TEST(cancel_in_the_resume_window_is_retried)
{
	start_app();
	fake_dl_progress(10);
	fake_dl_resume_window(); /* stopped; restarted by a work item 1 s later */
	drain();
	(void)uart_take();
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
	EXPECT_TRUE(fake.fota_cancels >= 2);
	EXPECT_TRUE(!fake_dl_downloading());
}

SHELL_TEST(cancel_before_any_fragment_counts_as_cancelled)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	(void)uart_take();
	/* No DFU target yet: fota_download_cancel() returns -EACCES, the download stopped. */
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
	EXPECT_TRUE(!fake_dl_downloading());
}

SHELL_TEST(cancel_of_a_finished_download_is_error)
{
	app_downloaded();
	feed("AT#XFOTA=0\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
}

/* ==== start and errors ====================================================================== */

SHELL_TEST(start_refused_by_downloader)
{
	char want[64];

	fake.fota_start_rc = -EPROTONOSUPPORT;
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	snprintf(want, sizeof(want), "\r\n#XFOTA: 1,1,%d\r\n\r\nERROR\r\n", -EPROTONOSUPPORT);
	EXPECT_STR(uart_take(), want);
	EXPECT_TRUE(!fake_dl_downloading());
	fake.fota_start_rc = 0;
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
}

SHELL_TEST(download_error_maps_cause_and_resets_target)
{
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	fake_dl_progress(5);
	fake_dl_fail(FOTA_DOWNLOAD_ERROR_CAUSE_TYPE_MISMATCH);
	drain();
	EXPECT_STR(uart_take(),
		   "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,5\r\n\r\n#XFOTA: 1,1,3\r\n");
	EXPECT_TRUE(!fake.dfu_target_active);
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	fake_dl_fail(FOTA_DOWNLOAD_ERROR_CAUSE_CONNECT_FAILED);
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,1,1\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(terminal_event_survives_a_progress_flood)
{
	start_app();
	(void)uart_take();
	/* The AT thread is busy: nothing is drained while the downloader sends. */
	for (int p = 1; p <= 60; p++) {
		fake_dl_progress(p);
	}
	fake_dl_done();
	drain();
	const char *out = uart_take();
	const char *tail = "\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 4,0\r\n";

	EXPECT_TRUE(strlen(out) >= strlen(tail));
	EXPECT_STR(out + strlen(out) - strlen(tail), tail);
	EXPECT_TRUE(strncmp(out, "\r\n#XFOTA: 1,0,0\r\n", 17) == 0);
	EXPECT_TRUE(fake.rec_present);
}

/* ==== the <apn> PDN: managed with plain AT, released on every path (issue 10.1, 9.3) ========= */

static void start_with_apn(int expect_line_ok)
{
	feed("AT+CFUN=1\r\n");
	(void)uart_take();
	fake_slot_write(1, img_good, img_good_len);
	feed("AT#XFOTA=1,\"http://h/a.bin\",,\"apn.example\"\r\n");
	if (expect_line_ok) {
		EXPECT_TRUE(fake.pdn[1].active);
	}
}

static void pdn_released_after_refused_start(int rc)
{
	char want[64];

	fake_reset();
	power_cycle();
	(void)uart_take();
	fake.fota_start_rc = rc;
	start_with_apn(0);
	snprintf(want, sizeof(want), "\r\n#XFOTA: 1,1,%d\r\n\r\nERROR\r\n", rc);
	EXPECT_STR(uart_take(), want);
	EXPECT_EQ(fake_pdn_contexts(), 0);
}

SHELL_TEST(pdn_released_when_the_start_is_refused)
{
	pdn_released_after_refused_start(-EINVAL);
	pdn_released_after_refused_start(-EPERM);
	pdn_released_after_refused_start(-EPROTONOSUPPORT);
	/* -EALREADY: fota_download still busy with an earlier download it never ended. */
	fake_reset();
	power_cycle();
	(void)uart_take();
	(void)fota_download_start_with_image_type("http://x", "y", -1, 0, 0,
						  DFU_TARGET_IMAGE_TYPE_MCUBOOT);
	start_with_apn(0);
	{
		char want[64];

		snprintf(want, sizeof(want), "\r\n#XFOTA: 1,1,%d\r\n\r\nERROR\r\n", -EALREADY);
		EXPECT_STR(uart_take(), want);
	}
	EXPECT_EQ(fake_pdn_contexts(), 0);
}

SHELL_TEST(pdn_released_on_error_cancel_finish_and_rejection)
{
	start_with_apn(1);
	fake_dl_fail(FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED);
	drain();
	EXPECT_EQ(fake_pdn_contexts(), 0);

	start_with_apn(1);
	feed("AT#XFOTA=0\r\n");
	drain();
	EXPECT_EQ(fake_pdn_contexts(), 0);

	start_with_apn(1);
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 4,0\r\n");
	EXPECT_EQ(fake_pdn_contexts(), 0);
	feed("AT#XFOTA=8\r\n"); /* discard, back to idle */

	start_with_apn(1);
	write_corrupt_image();
	fake_dl_done();
	drain();
	EXPECT_EQ(fake_pdn_contexts(), 0);
	/* Deactivated before deleted: the modem refuses to delete an active context. */
	EXPECT_TRUE(fake_at_logged("AT+CGACT=0,1"));
}

SHELL_TEST(pdn_activation_failure_is_reported_and_cleaned_up)
{
	char want[64];

	/* The modem is not attached (CFUN=0): AT+CGACT=1 fails. */
	fake_slot_write(1, img_good, img_good_len);
	feed("AT#XFOTA=1,\"http://h/a.bin\",,\"apn.example\"\r\n");
	snprintf(want, sizeof(want), "\r\n#XFOTA: 1,1,%d\r\n\r\nERROR\r\n", -ENOEXEC);
	EXPECT_STR(uart_take(), want);
	EXPECT_EQ(fake.fota_starts, 0);
	EXPECT_EQ(fake_pdn_contexts(), 0);
}

SHELL_TEST(no_unsolicited_cgev_or_cnec_from_the_firmware)
{
	/* The host attaches and runs a FOTA with an APN: the firmware neither subscribes to
	 * +CGEV/+CNEC_ESM (lte_lc's PDN module would: AT+CNEC=16, AT+CGEREP=1 at every CFUN=1)
	 * nor sends the host a line it did not ask for.
	 */
	start_with_apn(1);
	fake_dl_fail(FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED);
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,1,1\r\n");
	EXPECT_TRUE(!fake_at_logged("AT+CGEREP"));
	EXPECT_TRUE(!fake_at_logged("AT+CNEC"));
	EXPECT_TRUE(!fake_at_logged("AT%XEPCO"));

	/* After the host subscribes itself, the same session relays the modem's +CGEV lines. */
	feed("AT+CGEREP=1\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	feed("AT#XFOTA=1,\"http://h/a.bin\",,\"apn.example\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n+CGEV: ME PDN ACT 1\r\n");
	feed("AT#XFOTA=0\r\n");
	drain();
	EXPECT_STR(uart_take(), "\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n\r\n+CGEV: ME PDN DEACT 1\r\n");
}

/* ==== DFU target failures =================================================================== */

SHELL_TEST(dfu_target_reset_failure_still_ends_the_session)
{
	/* dfu_target_reset() fails (the target's reset(), e.g. the MCUboot slot erase; the target
	 * then stays current): logged. Each path that discards an image (error, cancel, rejected
	 * image) still ends the session: its URC, its PDN released, the next start accepted.
	 */
	start_with_apn(1);
	fake_dl_progress(10);
	fake.dfu_reset_rc = -EIO;
	fake_dl_fail(FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED);
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,10\r\n"
				"\r\n#XFOTA: 1,1,1\r\n");
	EXPECT_EQ(fake.dfu_resets, 1);
	EXPECT_TRUE(fake.dfu_target_active); /* not reset */
	EXPECT_EQ(fake_pdn_contexts(), 0);

	start_with_apn(1);
	fake_dl_progress(20);
	drain();
	feed("AT#XFOTA=0\r\n");
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,20\r\n"
				"\r\n#XFOTA: 1,2,0\r\n\r\nOK\r\n");
	EXPECT_EQ(fake.dfu_resets, 2);
	EXPECT_EQ(fake_pdn_contexts(), 0);

	start_with_apn(1);
	write_corrupt_image();
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 1,1,2\r\n");
	EXPECT_EQ(fake.dfu_resets, 3);
	EXPECT_EQ(fake.saves, 0);
	EXPECT_EQ(fake_pdn_contexts(), 0);

	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.fota_starts, 4);
}

SHELL_TEST(dfu_target_done_failure_at_the_end_leaves_the_session_hanging)
{
	/* NCS's behaviour, not the shell's: in sdk-nrf v3.2.1 fota_download.c, when
	 * dfu_target_done(true) fails at DOWNLOADER_EVT_DONE (e.g. MCUboot's last flash write),
	 * fota_download sets its error state, calls dfu_target_done(false) and returns -1 to the
	 * downloader, which ignores the answer to DONE (downloader.c download_thread()) and is
	 * idle. No FINISHED, ERROR or STOPPED follows and FLAG_DOWNLOADING stays set: the session
	 * never ends.
	 */
	start_app();
	fake_dl_progress(40);
	fake.dfu_done_rc = -EIO;
	fake_dl_done();
	drain();
	/* The host sees progress stop at 40 %: no 1,0,100, no 4,0, no error. */
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,40\r\n");
	EXPECT_EQ(fake.dfu_dones, 2); /* done(true) failed, then done(false) */
	EXPECT_EQ(fake.hash_checks, 0);
	EXPECT_EQ(fake.saves, 0);
	EXPECT_EQ(fake.schedules, 0);
	EXPECT_TRUE(fake_dl_downloading());

	/* For the core the download still runs: no new start, no erase. */
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	feed("AT#XFOTA=8\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nERROR\r\n");
	EXPECT_EQ(fake.fota_starts, 1);
	EXPECT_EQ(fake.erase_banks, 0);

	/* Nor can a cancel end it: the idle downloader refuses (-EPERM), tried 1 + 3 times. */
	feed("AT#XFOTA=0\r\n");
	drain();
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.fota_cancels, 4);
	EXPECT_TRUE(fake_dl_downloading());
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");

	/* Only a reset ends it. Nothing was saved: the next boot reports nothing. */
	fake_run_until_reboot(feed_reset);
	EXPECT_EQ(fake.reboots, 1);
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_TRUE(!fake.rec_present);
	fake_reset(); /* the reboot: fota_download and the downloader start afresh */
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	start_app();
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
}

/* ==== modem library init and faults (issue 10.3) ============================================ */

SHELL_TEST(modem_init_eio_reported_and_modem_ops_refused)
{
	fake_reset();
	fake.modem_init_rc = -5; /* -NRF_EIO: the modem needs a full firmware program */
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XMODEM: INIT,-5\r\n");
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nERROR\r\n");
	EXPECT_EQ(fake.fota_starts, 0);
	feed("AT#XFOTA=8\r\n");
	feed("AT\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\nOK\r\n");
}

SHELL_TEST(modem_init_eagain_keeps_a_waiting_modem_update)
{
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	fake_dl_done();
	drain();
	(void)uart_take();
	fake.modem_init_rc = -11; /* -NRF_EAGAIN: the update is retried at the next init */
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XMODEM: INIT,-11\r\n");
	EXPECT_TRUE(fake.rec_present);
}

SHELL_TEST(modem_fault_shuts_down_and_reinitialises)
{
	/* nrf_modem_lib_shutdown() returns 0 whatever happens (sdk-nrf v3.2.1): SHUTDOWN,0. */
	fake_modem_fault(0x2, 0x12345);
	/* Nothing happens on the faulting context; the AT thread does the work. */
	EXPECT_EQ(fake.modem_shutdowns, 0);
	drain();
	EXPECT_STR(uart_take(), "\r\n#XMODEM: FAULT,0x2,0x12345\r\n\r\n#XMODEM: SHUTDOWN,0\r\n"
				"\r\n#XMODEM: INIT,0\r\n");
	EXPECT_EQ(fake.modem_shutdowns, 1);
	EXPECT_EQ(fake.modem_inits, 2);
	feed("AT#XFOTA=1,\"http://h/a.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
}

SHELL_TEST(modem_fault_with_failed_reinit_refuses_modem_ops)
{
	fake.modem_init_rc = -5;
	fake_modem_fault(0x1, 0x0);
	drain();
	EXPECT_STR(uart_take(), "\r\n#XMODEM: FAULT,0x1,0x0\r\n\r\n#XMODEM: SHUTDOWN,0\r\n"
				"\r\n#XMODEM: INIT,-5\r\n");
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
}

/* ==== settings before fota_download (issue 10.6) =========================================== */

SHELL_TEST(boot_result_reported_when_fota_download_init_fails)
{
	app_downloaded();
	swap_in_secondary();
	fake.swap_type = BOOT_SWAP_REVERT;
	fake.fota_init_rc = -ENOMEM;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_TRUE(!fake.rec_present);
	EXPECT_EQ(fake.confirms, 1);
}

/* ==== erase operations ====================================================================== */

SHELL_TEST(op8_erases_secondary_slot)
{
	feed("AT#XFOTA=8\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.erase_banks, 1);
	EXPECT_EQ(fake.erase_area, XFOTA_TEST_SECONDARY_AREA_ID);
	fake.erase_bank_rc = -EIO;
	feed("AT#XFOTA=8\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
}

SHELL_TEST(op9_polls_erase_until_done)
{
	fake.delta_offset = 0x280000; /* NRF_MODEM_DELTA_DFU_OFFSET_DIRTY */
	fake.erase_polls = 3;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.delta_erases, 1);
	/* One offset() before the erase, then three "pending" polls and the final one. */
	EXPECT_EQ(fake.delta_polls, 5);
}

SHELL_TEST(op9_erase_already_running_is_waited_for)
{
	fake.erase_remaining = 2; /* e.g. dfu_target_reset() started one */
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.delta_erases, 0);
	EXPECT_EQ(fake.delta_polls, 3);
}

SHELL_TEST(op9_invalid_data_while_erasing_means_pending)
{
	fake.delta_offset = 0x280000;
	fake.erase_polls = 2;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	fake.delta_erases = 0;
	fake.delta_offset = 0x280000;
	fake.delta_offset_rc = 5; /* NRF_MODEM_DELTA_DFU_INVALID_DATA, for good */
	feed("AT#XFOTA=9\r\n");
	/* Unusable scratch: erased; "invalid data" while erasing is waited for, up to the timeout. */
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.delta_erases, 1);
}

SHELL_TEST(op9_clean_scratch_needs_no_erase)
{
	fake.delta_offset = 0;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_EQ(fake.delta_erases, 0);
}

SHELL_TEST(op9_erase_timeout_is_error)
{
	fake.delta_offset = 0x280000;
	fake.erase_polls = 1000000;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.delta_erases, 1);
	/* Timeout / poll interval (prj.conf: 200 ms / 20 ms) polls, plus the first offset(). */
	EXPECT_EQ(fake.delta_polls,
		  1 + CONFIG_XFOTA_MODEM_ERASE_TIMEOUT_MS / CONFIG_XFOTA_MODEM_ERASE_POLL_MS);
}

SHELL_TEST(op9_erase_refused_by_the_modem_is_error)
{
	/* nrf_modem_delta_dfu_erase() refuses: a positive modem code (13,
	 * NRF_MODEM_DELTA_DFU_ERASE_ERROR) or a negative one (-NRF_ENOMEM): ERROR at once,
	 * nothing polled, the scratch area as it was.
	 */
	fake.delta_offset = 0x280000; /* NRF_MODEM_DELTA_DFU_OFFSET_DIRTY */
	fake.delta_erase_rc = 13;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.delta_erases, 1);
	EXPECT_EQ(fake.delta_polls, 1); /* the offset() before the erase only */
	EXPECT_EQ(fake.delta_offset, 0x280000);
	fake.delta_erase_rc = -12; /* -NRF_ENOMEM */
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.delta_erases, 2);
	EXPECT_EQ(fake.delta_polls, 2);

	/* A waiting modem image that cannot be erased keeps waiting (record kept, no new start)
	 * until an erase succeeds.
	 */
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	fake_dl_done();
	drain();
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,100\r\n"
				"\r\n#XFOTA: 4,0\r\n");
	fake.delta_offset = 0x1000; /* the downloaded image */
	feed("AT#XFOTA=9\r\n");
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nERROR\r\n");
	EXPECT_TRUE(fake.rec_present);
	EXPECT_EQ(fake.fota_starts, 1);
	EXPECT_EQ(fake.delta_erases, 3);

	fake.delta_erase_rc = 0;
	feed("AT#XFOTA=9\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
	EXPECT_TRUE(!fake.rec_present);
	EXPECT_EQ(fake.delta_offset, 0);
	feed("AT#XFOTA=2,\"http://h/d.bin\"\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
}

/* ==== stored records ======================================================================== */

SHELL_TEST(corrupt_record_dropped_quietly)
{
	static const uint8_t junk[] = {'X', 'F', 2, 1, 4, 0, 0, 0};

	memcpy(fake.rec, junk, sizeof(junk));
	fake.rec_len = sizeof(junk);
	fake.rec_present = true;
	fake.swap_type = BOOT_SWAP_NONE;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_EQ(fake.confirms, 0);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(revert_without_record_is_confirmed)
{
	fake.swap_type = BOOT_SWAP_REVERT;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n\r\n#XFOTA: 5,0\r\n");
	EXPECT_EQ(fake.confirms, 1);
	EXPECT_TRUE(!fake.rec_present);
}

SHELL_TEST(oversized_record_dropped)
{
	memset(fake.rec, 'X', 40);
	fake.rec_len = 40;
	fake.rec_present = true;
	power_cycle();
	EXPECT_STR(uart_take(), "Ready\r\n");
	EXPECT_TRUE(!fake.rec_present);
}

/* ==== framing (issue 9.1) =================================================================== */

SHELL_TEST(line_ends_cr_lf_crlf_one_line_each_and_case)
{
	feed("AT\r\nat\rAt\n\r\n\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n\r\nOK\r\n\r\nOK\r\n");
	/* CR LF is one line: a modem command sent with CR LF reaches the modem once. */
	feed("AT+CGMR\r\n");
	EXPECT_EQ(fake.at_calls, 1);
	feed("AT+CGMR\r");
	feed("AT+CGMR\n");
	EXPECT_EQ(fake.at_calls, 3);
	(void)uart_take();
	feed("at#xfota=?\r\n");
	EXPECT_STR(uart_take(),
		   "\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n\r\nOK\r\n");
	feed("AT#XFOTA?\r\nAT#XFOTA\r\nAT#XFOTA=3\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nERROR\r\n\r\nERROR\r\n");
}

static char pem[2048];

/* A real-size PEM: 1.3+ KB, LF line breaks inside the quotes. */
static size_t make_pem_cmd(char *cmd, size_t cap, const char *eol)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = (size_t)snprintf(cmd, cap, "AT%%CMNG=0,16842753,0,\"-----BEGIN CERTIFICATE-----%s",
				    eol);

	for (int line = 0; line < 24; line++) {
		for (int i = 0; i < 64; i++) {
			cmd[n++] = b64[(line * 7 + i * 13) % 64];
		}
		n += (size_t)snprintf(cmd + n, cap - n, "%s", eol);
	}
	n += (size_t)snprintf(cmd + n, cap - n, "-----END CERTIFICATE-----%s\"", eol);
	return n;
}

SHELL_TEST(pem_provisioning_reaches_the_modem_whole)
{
	char *cmd = pem;
	size_t n = make_pem_cmd(cmd, sizeof(pem), "\n");
	int lfs = 0;

	for (size_t i = 0; i < n; i++) {
		lfs += cmd[i] == '\n';
	}
	EXPECT_TRUE(n >= 1300);
	EXPECT_TRUE(lfs >= 20);
	feed(cmd);
	feed("\r\n");
	EXPECT_EQ(fake.at_calls, 1);
	EXPECT_EQ(fake.at_cmd_len, n);
	EXPECT_TRUE(memcmp(fake.at_cmd, cmd, n) == 0);
	EXPECT_STR(uart_take(), "\r\nOK\r\n");

	/* CR LF line breaks inside the quotes are kept too. */
	n = make_pem_cmd(cmd, sizeof(pem), "\r\n");
	feed(cmd);
	feed("\r\n");
	EXPECT_EQ(fake.at_calls, 2);
	EXPECT_EQ(fake.at_cmd_len, n);
	EXPECT_TRUE(memcmp(fake.at_cmd, cmd, n) == 0);
}

SHELL_TEST(line_of_buffer_size_is_forwarded)
{
	char *big = taken;

	memset(big, 'A', CONFIG_XFOTA_AT_BUF_SIZE);
	memcpy(big, "AT+", 3);
	big[CONFIG_XFOTA_AT_BUF_SIZE] = '\r';
	big[CONFIG_XFOTA_AT_BUF_SIZE + 1] = '\n';
	big[CONFIG_XFOTA_AT_BUF_SIZE + 2] = '\0';
	feed(big);
	EXPECT_EQ(CONFIG_XFOTA_AT_BUF_SIZE, 4096);
	EXPECT_EQ(fake.at_calls, 1);
	EXPECT_EQ(fake.at_cmd_len, CONFIG_XFOTA_AT_BUF_SIZE);
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
}

SHELL_TEST(line_over_buffer_size_one_error_no_modem_call)
{
	char *big = taken;

	memset(big, 'A', CONFIG_XFOTA_AT_BUF_SIZE + 1);
	memcpy(big, "AT+", 3);
	big[CONFIG_XFOTA_AT_BUF_SIZE + 1] = '\r';
	big[CONFIG_XFOTA_AT_BUF_SIZE + 2] = '\n';
	big[CONFIG_XFOTA_AT_BUF_SIZE + 3] = '\0';
	feed(big);
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.at_calls, 0);
	/* Overlong AT#XFOTA lines never reach the core either. */
	memset(big, 'A', CONFIG_XFOTA_AT_BUF_SIZE + 1);
	big[CONFIG_XFOTA_AT_BUF_SIZE + 1] = '\r';
	big[CONFIG_XFOTA_AT_BUF_SIZE + 2] = '\n';
	big[CONFIG_XFOTA_AT_BUF_SIZE + 3] = '\0';
	memcpy(big, "AT#XFOTA=1,\"", 12);
	big[CONFIG_XFOTA_AT_BUF_SIZE] = '"';
	feed(big);
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
	EXPECT_EQ(fake.fota_starts, 0);
	feed("AT\r\n");
	EXPECT_STR(uart_take(), "\r\nOK\r\n");
}

SHELL_TEST(quote_left_open_is_never_dispatched)
{
	feed("AT%CMNG=0,1,0,\"-----BEGIN\r\nAAAA\r\n");
	feed("AT\r\n");
	EXPECT_STR(uart_take(), "");
	EXPECT_EQ(fake.at_calls, 0);
	/* The closing quote ends it: the whole thing is one command. */
	feed("\"\r\n");
	EXPECT_EQ(fake.at_calls, 1);
	EXPECT_STR(fake.at_cmd, "AT%CMNG=0,1,0,\"-----BEGIN\r\nAAAA\r\nAT\r\n\"");
}

SHELL_TEST(unfinished_line_is_never_dispatched)
{
	feed("AT+CGMR");
	EXPECT_EQ(fake.at_calls, 0);
	EXPECT_STR(uart_take(), "");
	feed("\r\n");
	EXPECT_EQ(fake.at_calls, 1);
}

SHELL_TEST(nul_ignored_backspace_edits)
{
	at_host_feed((const uint8_t *)"A\0T+CGMX\bR\r\n", 12);
	EXPECT_STR(fake.at_cmd, "AT+CGMR");
}

SHELL_TEST(other_commands_go_to_the_modem)
{
	fake.at_rsp = "mfw_nrf91x1_2.0.2\r\nOK\r\n";
	feed("AT+CGMR\r\n");
	EXPECT_STR(fake.at_cmd, "AT+CGMR");
	EXPECT_STR(uart_take(), "\r\nmfw_nrf91x1_2.0.2\r\nOK\r\n");

	fake.at_rsp = "+CME ERROR: 50\r\n";
	fake.at_rc = 1;
	feed("AT+CFUN?\r\n");
	EXPECT_STR(uart_take(), "\r\n+CME ERROR: 50\r\n");

	fake.at_rc = -ENOMEM;
	feed("AT+CFUN?\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n");
}

SHELL_TEST(modem_notifications_relayed)
{
	fake_at_notif("+CEREG: 5\r\n");
	EXPECT_STR(uart_take(), "\r\n+CEREG: 5\r\n");
}

SHELL_TEST(bad_input_changes_nothing)
{
	feed("AT#XFOTA=1,\"ftp://h/a.bin\"\r\n");
	feed("AT#XFOTA=1,\"https://h/a.bin\"\r\n");
	feed("AT#XFOTA=1,\"http://h:0/a.bin\"\r\n");
	feed("AT#XFOTA=1,\"http://h/a.bin\",1,\"a b\"\r\n");
	EXPECT_STR(uart_take(), "\r\nERROR\r\n\r\nERROR\r\n\r\nERROR\r\n\r\nERROR\r\n");
	EXPECT_EQ(fake.fota_starts, 0);
	EXPECT_EQ(fake.at_calls, 0);
}

/* ==== the UART transport (issue 9.2): IRQ-driven TX, a host that holds CTS ==================== */

#define AT_STACK 4096
static K_THREAD_STACK_DEFINE(at_stack, AT_STACK);
static struct k_thread at_thread;
static atomic_t at_stop;

static bool at_running;

static void at_main(void *p1, void *p2, void *p3)
{
	(void)p1;
	(void)p2;
	(void)p3;
	while (!atomic_get(&at_stop)) {
		(void)at_uart_process(K_MSEC(10));
	}
}

static void at_thread_start(void)
{
	atomic_set(&at_stop, 0);
	k_thread_create(&at_thread, at_stack, AT_STACK, at_main, NULL, NULL, NULL,
			K_PRIO_PREEMPT(1), 0, K_NO_WAIT);
	at_running = true;
}

/* Also runs before every case: a failed UART case returns early, its thread must not live on. */
static void at_thread_stop(void)
{
	if (!at_running) {
		return;
	}
	fake_uart_cts(true);
	atomic_set(&at_stop, 1);
	(void)k_thread_join(&at_thread, K_FOREVER);
	at_running = false;
	k_msleep(20);
	(void)fake_uart_take(taken, sizeof(taken));
}

static atomic_t work_ran;

static void probe_work(struct k_work *w)
{
	(void)w;
	atomic_set(&work_ran, 1);
}
static K_WORK_DEFINE(probe, probe_work);

SHELL_TEST(uart_blocked_by_cts_stalls_nobody_and_resumes_in_order)
{
	char *out = taken;
	static char want[1536];
	char big[200];
	size_t wl = 0;
	const int cmds = 6;
	const int notifs = 20;
	uint32_t dropped0;

	fake_uart_cts(false); /* the host has not opened the port (RTS inactive) */
	EXPECT_EQ(at_uart_init(), 0);
	xfota_shell_set_hooks(at_host_send, at_uart_wake);
	(void)xfota_shell_init();
	(void)xfota_shell_boot(0);
	dropped0 = at_uart_urc_dropped();
	at_thread_start();

	/* Responses bigger than the TX buffer (CONFIG_XFOTA_UART_TX_BUF_SIZE): the AT thread
	 * blocks on the second one.
	 */
	memset(big, 'r', sizeof(big) - 7);
	strcpy(big + sizeof(big) - 7, "\r\nOK\r\n");
	snprintf(want + wl, sizeof(want) - wl, "Ready\r\n");
	wl = strlen(want);
	fake.at_rsp = big;
	for (int i = 0; i < cmds; i++) {
		fake_uart_rx((const uint8_t *)"AT+CGSN\r\n", 9);
		wl += (size_t)snprintf(want + wl, sizeof(want) - wl, "\r\n%s", big);
	}
	k_msleep(50);
	/* Modem notifications keep coming; at_monitor runs them on the system workqueue. */
	for (int i = 0; i < notifs; i++) {
		char n[32];

		snprintf(n, sizeof(n), "+CEREG: %d\r\n", i);
		fake_at_notif(n);
	}
	atomic_set(&work_ran, 0);
	k_work_submit(&probe);
	for (int t = 0; t < 200 && !atomic_get(&work_ran); t++) {
		k_msleep(5);
	}
	EXPECT_TRUE(atomic_get(&work_ran)); /* the system workqueue was not blocked */
	EXPECT_EQ(fake.notifs_dropped, 0);  /* nor was at_monitor's heap filled up */
	EXPECT_EQ(fake_uart_take(out, sizeof(taken)), 0);
	/* More notifications than the notification buffer holds: counted as dropped. */
	EXPECT_TRUE(at_uart_urc_dropped() > dropped0);

	fake_uart_cts(true);
	{
		size_t got = 0;
		int oks = 0;

		for (int t = 0; t < 1500 && oks < cmds; t++) {
			got += fake_uart_take(out + got, sizeof(taken) - got);
			oks = 0;
			for (const char *q = out; (q = strstr(q, "OK\r\n")) != NULL; q++) {
				oks++;
			}
			k_msleep(2);
		}
		k_msleep(20);
		got += fake_uart_take(out + got, sizeof(taken) - got);
		if (oks != cmds) {
			printf("uart out: [%s]\n", out);
		}
		EXPECT_EQ(oks, cmds);
	}

	/* Every response arrived whole and in order; the notifications that fitted came
	 * whole, between responses, never inside one.
	 */
	{
		char *resp_only = uart;
		size_t rl = 0;
		int urcs = 0;
		const char *p = out;

		while (*p) {
			if (strncmp(p, "\r\n+CEREG: ", 10) == 0) {
				const char *e = strstr(p + 2, "\r\n");

				EXPECT_TRUE(e != NULL);
				p = e + 2;
				urcs++;
				continue;
			}
			resp_only[rl++] = *p++;
		}
		resp_only[rl] = '\0';
		EXPECT_STR(resp_only, want);
		EXPECT_EQ((uint32_t)urcs + (at_uart_urc_dropped() - dropped0), (uint32_t)notifs);
		EXPECT_TRUE(urcs > 0);
	}

	/* And the line after works normally. */
	fake.at_rsp = "OK\r\n";
	fake_uart_rx((const uint8_t *)"AT\r\n", 4);
	EXPECT_TRUE(fake_uart_wait_for("\r\nOK\r\n", 2000));

	at_thread_stop();
	at_host_init(&cap_io);
}

SHELL_TEST(uart_pem_provisioning_through_the_uart)
{
	char *cmd = pem;
	char *out = taken;
	size_t n = make_pem_cmd(cmd, sizeof(pem), "\n");

	fake_uart_cts(true);
	EXPECT_EQ(at_uart_init(), 0);
	xfota_shell_set_hooks(at_host_send, at_uart_wake);
	at_thread_start();
	fake.echo_len = true;
	fake_uart_rx((const uint8_t *)cmd, n);
	fake_uart_rx((const uint8_t *)"\r\n", 2);
	EXPECT_TRUE(fake_uart_wait_for("OK\r\n", 2000));
	(void)fake_uart_take(out, sizeof(taken));
	{
		char want[64];

		snprintf(want, sizeof(want), "\r\n%%XFAKE: %d,26\r\nOK\r\n", (int)n);
		EXPECT_STR(out, want);
	}
	EXPECT_EQ(fake.at_calls, 1);
	at_thread_stop();
	at_host_init(&cap_io);
}
