/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * C smoke test of the Rust staticlib through the committed header include/xfota.h: one full
 * application FOTA flow and one failure flow, checking the exact bytes on the "UART" and the
 * effects the core asks of the port. Proves the header is usable from C.
 *
 * Build and run: tests/smoke/run.sh (host cc + the host-built staticlib).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xfota.h"

static int passed;
static int failed;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			passed++;                                                                  \
		} else {                                                                           \
			failed++;                                                                  \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

/* What the fake port saw. */
struct fake {
	char uart[1024];
	size_t uart_len;
	char host[300];
	char file[300];
	int32_t sec_tag;
	uint8_t image_type;
	uint16_t session;
	int starts;
	int resets;
	int confirms;
	int clears;
	int saves;
	uint8_t record[16];
	size_t record_len;
	int32_t start_rc;
	const char *host_ptr; /* the pointer handed over: must stay valid */
};

static struct fake fk;

static void fake_write(void *ctx, const uint8_t *data, size_t len)
{
	struct fake *f = ctx;

	if (f->uart_len + len < sizeof(f->uart)) {
		memcpy(f->uart + f->uart_len, data, len);
		f->uart_len += len;
		f->uart[f->uart_len] = '\0';
	}
}

static int32_t fake_start(void *ctx, const struct xfota_download_req *req)
{
	struct fake *f = ctx;

	f->starts++;
	snprintf(f->host, sizeof(f->host), "%s", req->host);
	snprintf(f->file, sizeof(f->file), "%s", req->file);
	f->sec_tag = req->sec_tag;
	f->image_type = req->image_type;
	f->session = req->session;
	f->host_ptr = req->host;
	return f->start_rc;
}

static int32_t fake_cancel(void *ctx)
{
	(void)ctx;
	return 0;
}

static int32_t fake_reset(void *ctx, uint8_t image_type)
{
	struct fake *f = ctx;

	(void)image_type;
	f->resets++;
	return 0;
}

static int32_t fake_ok(void *ctx)
{
	(void)ctx;
	return 0;
}

static int32_t fake_erase_done(void *ctx)
{
	(void)ctx;
	return XFOTA_ERASE_DONE;
}

static void fake_sleep(void *ctx, uint32_t ms)
{
	(void)ctx;
	(void)ms;
}

static int32_t fake_save(void *ctx, const uint8_t *data, size_t len)
{
	struct fake *f = ctx;

	if (len > sizeof(f->record)) {
		return -EINVAL;
	}
	f->saves++;
	memcpy(f->record, data, len);
	f->record_len = len;
	return 0;
}

static int32_t fake_clear(void *ctx)
{
	struct fake *f = ctx;

	f->clears++;
	f->record_len = 0;
	return 0;
}

static int32_t fake_confirm(void *ctx)
{
	struct fake *f = ctx;

	f->confirms++;
	return 0;
}

static const struct xfota_port port = {
	.ctx = &fk,
	.write = fake_write,
	.start_download = fake_start,
	.cancel_download = fake_cancel,
	.reset_dfu_target = fake_reset,
	.erase_app_slot = fake_ok,
	.modem_erase_start = fake_erase_done,
	.modem_erase_poll = fake_erase_done,
	.sleep_ms = fake_sleep,
	.save_record = fake_save,
	.clear_record = fake_clear,
	.confirm_image = fake_confirm,
};

/* The C services the staticlib calls (zephyr-sys/xfota_sys.h). */
void xfota_sys_panic(void)
{
	printf("FAIL: Rust panicked\n");
	fflush(stdout);
	_Exit(2);
}

void xfota_sys_log(int32_t level, const char *msg, size_t len, int32_t value)
{
	fprintf(stderr, "log<%d> %.*s %d\n", (int)level, (int)len, msg, (int)value);
}

static struct xfota_state state;

static int32_t line(const char *s)
{
	return xfota_handle_line(&state, (const uint8_t *)s, strlen(s), &port);
}

static void uart_clear(void)
{
	fk.uart_len = 0;
	fk.uart[0] = '\0';
}

#define EXPECT_UART(want)                                                                          \
	do {                                                                                       \
		CHECK(strcmp(fk.uart, (want)) == 0, "uart: got \"%s\" want \"%s\"", fk.uart,      \
		      (want));                                                                     \
		uart_clear();                                                                      \
	} while (0)

static void app_flow(void)
{
	memset(&fk, 0, sizeof(fk));
	CHECK(xfota_init(&state, sizeof(state), 30000, 1000) == 0, "init");
	CHECK(xfota_boot(&state, NULL, 0, 1, false, 0, &port) == 0, "boot");
	EXPECT_UART("Ready\r\n");

	CHECK(line("AT#XFOTA=1,\"https://fw.example.com:8443/images/app_update.bin\",16842753") ==
		      XFOTA_LINE_OK,
	      "start");
	EXPECT_UART("\r\nOK\r\n");
	CHECK(fk.starts == 1, "one start");
	CHECK(strcmp(fk.host, "https://fw.example.com:8443") == 0, "host %s", fk.host);
	CHECK(strcmp(fk.file, "images/app_update.bin") == 0, "file %s", fk.file);
	CHECK(fk.sec_tag == 16842753, "sec_tag %d", (int)fk.sec_tag);
	CHECK(fk.image_type == XFOTA_IMAGE_APP, "image type");
	CHECK(xfota_stage(&state) == 1, "stage 1");

	/* The host pointer lives in the state: still intact after more calls. */
	CHECK(line("AT+CGMR") == XFOTA_LINE_NOT_MINE, "not mine");
	EXPECT_UART("");
	CHECK(strcmp(fk.host_ptr, "https://fw.example.com:8443") == 0, "host pointer stable");

	for (int p = 0; p <= 100; p += 25) {
		CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_PROGRESS, p, &port) == 0,
		      "progress");
	}
	EXPECT_UART("\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,25\r\n\r\n#XFOTA: 1,0,50\r\n"
		    "\r\n#XFOTA: 1,0,75\r\n\r\n#XFOTA: 1,0,100\r\n");
	CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_FINISHED, 0, &port) == 0,
	      "finished");
	EXPECT_UART("\r\n#XFOTA: 4,0\r\n");
	CHECK(fk.record_len == XFOTA_RECORD_LEN, "record saved (%zu bytes)", fk.record_len);
	CHECK(xfota_stage(&state) == 4, "stage 4");

	/* Reboot: fresh state, record from "flash", MCUboot says REVERT (test mode). */
	CHECK(xfota_init(&state, sizeof(state), 30000, 1000) == 0, "re-init");
	CHECK(xfota_boot(&state, fk.record, fk.record_len, 4, false, 0, &port) == 0, "boot 2");
	EXPECT_UART("Ready\r\n\r\n#XFOTA: 5,0\r\n");
	CHECK(fk.confirms == 1, "confirmed once");
	/* The result was stored (stage 5) before the notification, then cleared. */
	CHECK(fk.saves == 2, "result stored before the URC (%d saves)", fk.saves);
	CHECK(fk.clears == 1, "record cleared");
	CHECK(xfota_stage(&state) == 0, "idle");
}

static void failure_flow(void)
{
	memset(&fk, 0, sizeof(fk));
	CHECK(xfota_init(&state, sizeof(state), 30000, 1000) == 0, "init");
	CHECK(xfota_boot(&state, NULL, 0, 1, false, 0, &port) == 0, "boot");
	uart_clear();

	CHECK(line("AT#XFOTA=1,\"https://h/f.bin\"") == XFOTA_LINE_ERROR, "https w/o sec_tag");
	EXPECT_UART("\r\nERROR\r\n");
	CHECK(fk.starts == 0, "no start");

	fk.start_rc = -ENOMEM;
	CHECK(line("AT#XFOTA=2,\"http://h/m.bin\"") == XFOTA_LINE_ERROR, "start refused");
	{
		char want[64];

		snprintf(want, sizeof(want), "\r\n#XFOTA: 1,1,%d\r\n\r\nERROR\r\n", -ENOMEM);
		EXPECT_UART(want);
	}
	fk.start_rc = 0;

	CHECK(line("AT#XFOTA=2,\"http://h/m.bin\"") == XFOTA_LINE_OK, "start modem");
	EXPECT_UART("\r\nOK\r\n");
	CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_ERASE_PENDING, 0, &port) == 0,
	      "erase pending");
	/* 4 = FOTA_DOWNLOAD_ERROR_CAUSE_TYPE_MISMATCH (sdk-nrf v3.2.4) -> <info> 3 */
	CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_ERROR, 4, &port) == 0, "error");
	EXPECT_UART("\r\n#XFOTA: 2,0\r\n\r\n#XFOTA: 2,1,3\r\n");
	CHECK(fk.resets == 1, "DFU target reset after the error");
	CHECK(xfota_stage(&state) == 0, "idle after error");

	/* Bad arguments are refused at the ABI. */
	CHECK(xfota_download_event(&state, 1, 99, 0, &port) == -EINVAL, "bad event");
	CHECK(xfota_handle_line(&state, NULL, 3, &port) == -EINVAL, "null line");
	CHECK(xfota_handle_line(NULL, (const uint8_t *)"AT", 2, &port) == -EINVAL, "null state");
	{
		struct xfota_port partial = port;

		partial.confirm_image = NULL;
		CHECK(line("AT") == XFOTA_LINE_NOT_MINE, "AT not mine");
		CHECK(xfota_handle_line(&state, (const uint8_t *)"AT", 2, &partial) == -EINVAL,
		      "incomplete port");
	}
	CHECK(xfota_init(&state, sizeof(state) - 1, 30000, 1000) == -EINVAL, "short storage");
	CHECK(xfota_init(&state, sizeof(state), 30000, 0) == -EINVAL, "poll 0");
	EXPECT_UART("");
}

int main(void)
{
	app_flow();
	failure_flow();
	printf("smoke: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
