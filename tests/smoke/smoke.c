/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * C smoke test of the Rust staticlib through the committed header include/xfota.h: one full
 * application FOTA flow (a real MCUboot image in the fake secondary slot, walked and hashed) and
 * one failure flow, checking the exact bytes on the "UART" and the effects the core asks of the
 * port. Proves the header is usable from C.
 *
 * Build and run: tests/smoke/run.sh (host cc + the host-built staticlib).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xfota.h"
#include "fake_sha256.h"

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
	uint8_t record[32];
	size_t record_len;
	int32_t start_rc;
	const char *host_ptr; /* the pointer handed over: must stay valid */
	int ends;
	int schedules;
	uint8_t slot[2][1024]; /* MCUboot primary, secondary */
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

static void fake_end(void *ctx)
{
	struct fake *f = ctx;

	f->ends++;
}

static int32_t fake_schedule(void *ctx, uint8_t image_type)
{
	struct fake *f = ctx;

	(void)image_type;
	f->schedules++;
	return 0;
}

static int32_t fake_read_image(void *ctx, uint8_t slot, uint32_t offset, uint8_t *buf, size_t len)
{
	struct fake *f = ctx;

	if (slot > 1 || offset > sizeof(f->slot[0]) || len > sizeof(f->slot[0]) - offset) {
		return -EINVAL;
	}
	memcpy(buf, &f->slot[slot][offset], len);
	return 0;
}

static int32_t fake_hash_matches(void *ctx, uint32_t len, const uint8_t *sha256)
{
	struct fake *f = ctx;
	uint8_t h[32];

	if (len > sizeof(f->slot[1])) {
		return -EINVAL;
	}
	fake_sha256(f->slot[1], len, h);
	return memcmp(h, sha256, 32) == 0;
}

/* An MCUboot image (header 32 bytes, body, TLV info + SHA-256 TLV) in the secondary slot. */
static void make_image(struct fake *f)
{
	uint8_t *p = f->slot[1];
	const uint32_t body = 200;
	const uint32_t hashed = 32 + body;

	memset(p, 0xff, sizeof(f->slot[1]));
	memset(p, 0, hashed);
	p[0] = 0x3d, p[1] = 0xb8, p[2] = 0xf3, p[3] = 0x96; /* IMAGE_MAGIC */
	p[8] = 32;                                         /* ih_hdr_size */
	p[12] = (uint8_t)body;                             /* ih_img_size */
	for (uint32_t i = 0; i < body; i++) {
		p[32 + i] = (uint8_t)(i * 7);
	}
	p[hashed] = 0x07, p[hashed + 1] = 0x69;     /* IMAGE_TLV_INFO_MAGIC */
	p[hashed + 2] = 4 + 4 + 32, p[hashed + 3] = 0; /* it_tlv_tot */
	p[hashed + 4] = 0x10, p[hashed + 5] = 0;     /* IMAGE_TLV_SHA256 */
	p[hashed + 6] = 32, p[hashed + 7] = 0;
	fake_sha256(p, hashed, &p[hashed + 8]);
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
	.end_download = fake_end,
	.reset_dfu_target = fake_reset,
	.schedule_update = fake_schedule,
	.erase_app_slot = fake_ok,
	.modem_erase_start = fake_erase_done,
	.modem_erase_poll = fake_erase_done,
	.sleep_ms = fake_sleep,
	.save_record = fake_save,
	.clear_record = fake_clear,
	.confirm_image = fake_confirm,
	.read_image = fake_read_image,
	.image_hash_matches = fake_hash_matches,
};

/* The C services the staticlib calls (zephyr-sys/xfota_sys.h). */
void xfota_sys_panic(void)
{
	printf("FAIL: Rust panicked\n");
	fflush(stdout);
	_Exit(2);
}

void xfota_sys_log(uint32_t code, int32_t value)
{
	fprintf(stderr, "log %u %d\n", (unsigned int)code, (int)value);
}

static struct xfota_state state;

static int32_t line(const char *s)
{
	return xfota_handle_line(&state, (const uint8_t *)s, strlen(s));
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
	CHECK(xfota_init(&state, sizeof(state), 30000, 1000, &port) == 0, "init");
	CHECK(xfota_boot(&state, NULL, 0, 1, false, 0, 0) == 0, "boot");
	EXPECT_UART("Ready\r\n");
	make_image(&fk);

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
		CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_PROGRESS, p) == 0,
		      "progress");
	}
	EXPECT_UART("\r\n#XFOTA: 1,0,0\r\n\r\n#XFOTA: 1,0,25\r\n\r\n#XFOTA: 1,0,50\r\n"
		    "\r\n#XFOTA: 1,0,75\r\n\r\n#XFOTA: 1,0,100\r\n");
	CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_FINISHED, 0) == 0,
	      "finished");
	EXPECT_UART("\r\n#XFOTA: 4,0\r\n");
	CHECK(fk.record_len == XFOTA_RECORD_LEN, "record saved (%zu bytes)", fk.record_len);
	CHECK(fk.schedules == 1, "scheduled once, after the save");
	CHECK(fk.ends == 1, "session ended once");
	CHECK(xfota_stage(&state) == 4, "stage 4");

	/* Reboot: MCUboot swapped the image in and runs it in test mode (REVERT). */
	memcpy(fk.slot[0], fk.slot[1], sizeof(fk.slot[0]));
	CHECK(xfota_init(&state, sizeof(state), 30000, 1000, &port) == 0, "re-init");
	CHECK(xfota_boot(&state, fk.record, fk.record_len, 4, false, 0, 0) == 0, "boot 2");
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
	CHECK(xfota_init(&state, sizeof(state), 30000, 1000, &port) == 0, "init");
	CHECK(xfota_boot(&state, NULL, 0, 1, false, 0, 0) == 0, "boot");
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
	CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_ERASE_PENDING, 0) == 0,
	      "erase pending");
	/* 4 = FOTA_DOWNLOAD_ERROR_CAUSE_TYPE_MISMATCH (sdk-nrf v3.2.4) -> <info> 3 */
	CHECK(xfota_download_event(&state, fk.session, XFOTA_EVT_ERROR, 4) == 0, "error");
	EXPECT_UART("\r\n#XFOTA: 2,0\r\n\r\n#XFOTA: 2,1,3\r\n");
	CHECK(fk.resets == 1, "DFU target reset after the error");
	CHECK(fk.ends == 1, "session ended once");
	CHECK(xfota_stage(&state) == 0, "idle after error");

	/* Bad arguments are refused at the ABI. */
	CHECK(xfota_download_event(&state, 1, 99, 0) == -EINVAL, "bad event");
	CHECK(xfota_handle_line(&state, NULL, 3) == -EINVAL, "null line");
	CHECK(xfota_handle_line(NULL, (const uint8_t *)"AT", 2) == -EINVAL, "null state");
	CHECK(line("AT") == XFOTA_LINE_NOT_MINE, "AT not mine");
	{
		struct xfota_port partial = port;
		struct xfota_state other;

		partial.image_hash_matches = NULL;
		CHECK(xfota_init(&other, sizeof(other), 30000, 1000, &partial) == -EINVAL,
		      "incomplete port");
	}
	CHECK(xfota_init(&state, sizeof(state) - 1, 30000, 1000, &port) == -EINVAL,
	      "short storage");
	CHECK(xfota_init(&state, sizeof(state), 30000, 0, &port) == -EINVAL, "poll 0");
	EXPECT_UART("");
}

int main(void)
{
	app_flow();
	failure_flow();
	printf("smoke: %d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
