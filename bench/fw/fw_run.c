/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs under QEMU mps2-an505 (Cortex-M33) against the real C ABI of rust/xfota-ffi: stack
 * high-water mark of each entry point with its worst input (stack painting), and with
 * `-icount shift=0` the instructions each one executes (SysTick counts the CPU clock, 20 MHz;
 * with icount QEMU advances 1 ns per instruction; calibrated below). Output via semihosting.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xfota.h"

int fw_semihost(int op, const void *arg);

/* ---- output -------------------------------------------------------------------------- */
static int console = -1;

static void put(const char *s, size_t n)
{
	if (console < 0) {
		const uint32_t open[3] = {(uint32_t)":tt", 4 /* "w" */, 3};
		console = fw_semihost(0x01 /* SYS_OPEN */, open);
	}
	const uint32_t w[3] = {(uint32_t)console, (uint32_t)s, n};
	fw_semihost(0x05 /* SYS_WRITE */, w);
}

static void report(const char *label, long value)
{
	char buf[160];
	size_t n = 0;

	while (*label && n < 120) {
		buf[n++] = *label++;
	}
	char digits[12];
	int d = 0;
	bool neg = value < 0;
	unsigned long v = neg ? -(unsigned long)value : (unsigned long)value;
	do {
		digits[d++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (neg) {
		buf[n++] = '-';
	}
	while (d) {
		buf[n++] = digits[--d];
	}
	buf[n++] = '\n';
	put(buf, n);
}

/* ---- port ---------------------------------------------------------------------------- */
static uint32_t writes, progress_urcs;
static uint16_t session;

static void p_write(void *ctx, const uint8_t *data, size_t len)
{
	static const char prefix[] = "\r\n#XFOTA: 1,0,";
	bool match = len >= sizeof(prefix) - 1;

	(void)ctx;
	for (size_t i = 0; match && i < sizeof(prefix) - 1; i++) {
		match = data[i] == (uint8_t)prefix[i];
	}
	writes++;
	progress_urcs += match;
}
static int32_t p_start(void *ctx, const struct xfota_download_req *req)
{
	(void)ctx;
	session = req->session;
	return 0;
}
static int32_t p_ok(void *ctx)
{
	(void)ctx;
	return 0;
}
static int32_t p_reset(void *ctx, uint8_t image)
{
	(void)ctx;
	(void)image;
	return 0;
}
static int32_t p_erase(void *ctx)
{
	(void)ctx;
	return XFOTA_ERASE_DONE;
}
static void p_sleep(void *ctx, uint32_t ms)
{
	(void)ctx;
	(void)ms;
}
static int32_t p_save(void *ctx, const uint8_t *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	return 0;
}

static void p_end(void *ctx)
{
	(void)ctx;
}

/* Both slots hold the same minimal MCUboot image (as xfota-vectors' test image): a 32-byte
 * header (img_size 16), 16 body bytes, a TLV area with one SHA-256 TLV of 0xa5 bytes. The hash
 * check is answered "match" (hashing is the port's business, not the Rust part's).
 */
static uint8_t image[88];

static void build_image(void)
{
	static const uint8_t head[16] = {0x3d, 0xb8, 0xf3, 0x96, 0, 0, 0, 0, 32, 0, 0, 0, 16, 0, 0, 0};
	static const uint8_t tlv[8] = {0x07, 0x69, 40, 0, 0x10, 0, 32, 0};

	for (int i = 0; i < 16; i++) {
		image[i] = head[i];
		image[32 + i] = (uint8_t)(0xb0 + i);
	}
	for (int i = 0; i < 8; i++) {
		image[48 + i] = tlv[i];
	}
	for (int i = 0; i < 32; i++) {
		image[56 + i] = 0xa5;
	}
}

static int32_t p_read(void *ctx, uint8_t slot, uint32_t offset, uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)slot;
	if (offset > sizeof(image) || len > sizeof(image) - offset) {
		return -22;
	}
	for (size_t i = 0; i < len; i++) {
		buf[i] = image[offset + i];
	}
	return 0;
}
static int32_t p_hash(void *ctx, uint32_t len, const uint8_t *sha256)
{
	(void)ctx;
	(void)len;
	(void)sha256;
	return 1;
}

static const struct xfota_port port = {
	.ctx = NULL,
	.write = p_write,
	.start_download = p_start,
	.cancel_download = p_ok,
	.end_download = p_end,
	.reset_dfu_target = p_reset,
	.schedule_update = p_reset,
	.erase_app_slot = p_ok,
	.modem_erase_start = p_erase,
	.modem_erase_poll = p_erase,
	.sleep_ms = p_sleep,
	.save_record = p_save,
	.clear_record = p_ok,
	.confirm_image = p_ok,
	.read_image = p_read,
	.image_hash_matches = p_hash,
};

/* ---- inputs -------------------------------------------------------------------------- */
/* AT#XFOTA=1,"https://<63 x h>:65535/fw/<p...>",2147483647,"<a...>": the longest URL (255)
 * and APN (APN_LEN) the core accepts, the largest sec_tag. bad_line: the same with '_' as the
 * last APN character, so the whole line is parsed before it is refused. */
#ifndef APN_LEN
#define APN_LEN 63 /* xfota_core::at::APN_MAX_LEN (lte_lc PDN module limit) */
#endif
static uint8_t start_line[512], bad_line[512];
static size_t start_len, bad_len;

static size_t append(uint8_t *buf, size_t n, const char *s)
{
	while (*s) {
		buf[n++] = (uint8_t)*s++;
	}
	return n;
}
static size_t fill(uint8_t *buf, size_t n, char c, size_t count)
{
	while (count--) {
		buf[n++] = (uint8_t)c;
	}
	return n;
}
static size_t build_line(uint8_t *buf, bool bad)
{
	size_t n = append(buf, 0, "AT#XFOTA=1,\"https://");
	size_t url_start = n - 8;

	n = fill(buf, n, 'h', 63);
	n = append(buf, n, ":65535/fw/");
	n = fill(buf, n, 'p', 255 - (n - url_start));
	n = append(buf, n, "\",2147483647,\"");
	for (int i = 0; i < APN_LEN; i++) {
		buf[n++] = (i == APN_LEN - 1 && bad) ? '_' : (i % 64 == 63) ? '.' : 'a';
	}
	return append(buf, n, "\"");
}

static const uint8_t test_line[] = "AT#XFOTA=?";
/* Record {app, stage 4, identity 16 x 0xa5} as xfota-core's record codec writes it (version 2,
 * CRC-16/CCITT-FALSE over the first 26 bytes). */
static uint8_t record[XFOTA_RECORD_LEN];

static uint16_t crc16(const uint8_t *d, size_t n)
{
	uint16_t crc = 0xffff;

	while (n--) {
		crc ^= (uint16_t)(*d++ << 8);
		for (int i = 0; i < 8; i++) {
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
		}
	}
	return crc;
}

/* ---- states and thunks (each thunk is the C caller of one entry point) ----------------- */
static struct xfota_state st, started;
static volatile int32_t rc;

static void init_idle(struct xfota_state *s)
{
	rc = xfota_init(s, sizeof(*s), 30000, 1000, &port);
}
static void do_start(void)
{
	rc = xfota_handle_line(&st, start_line, start_len);
}
static void do_test(void)
{
	rc = xfota_handle_line(&st, test_line, sizeof(test_line) - 1);
}
static void do_bad(void)
{
	rc = xfota_handle_line(&st, bad_line, bad_len);
}
static void do_progress(void)
{
	rc = xfota_download_event(&st, session, XFOTA_EVT_PROGRESS, 50);
}
static void do_progress1(void)
{
	rc = xfota_download_event(&st, session, XFOTA_EVT_PROGRESS, 1);
}
static void do_finished(void)
{
	rc = xfota_download_event(&st, session, XFOTA_EVT_FINISHED, 0);
}
static void do_boot(void)
{
	rc = xfota_boot(&st, record, sizeof(record), 4 /* BOOT_SWAP_TYPE_REVERT */, false, 0, 0);
}

#define PAINT_BYTES 16384u
#define PATTERN 0x5AC3E11Fu

static __attribute__((noinline)) uint32_t stack_used(void (*fn)(void))
{
	uint32_t top, p;

	__asm__ volatile("mov %0, sp" : "=r"(top));
	top &= ~3u;
	p = top - PAINT_BYTES;
	__asm__ volatile("1: str %[pat], [%[p]], #4\n\t"
			 "cmp %[p], %[top]\n\t"
			 "blo 1b"
			 : [p] "+r"(p)
			 : [top] "r"(top), [pat] "r"(PATTERN)
			 : "cc", "memory");
	fn();
	uint32_t a = top - PAINT_BYTES;
	while (a < top && *(volatile uint32_t *)a == PATTERN) {
		a += 4;
	}
	return top - a;
}

/* ---- instruction counting ------------------------------------------------------------- */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018)
#define RUNS 500u

static __attribute__((noinline)) void spin(uint32_t n)
{
	__asm__ volatile("1: subs %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

static uint32_t elapsed(uint32_t t0)
{
	return (t0 - SYST_CVR) & 0xFFFFFFu;
}

enum op { OP_START, OP_PROGRESS, OP_BOOT };

/* Ticks for RUNS repetitions of set-up (+ the operation if `with_op`). */
static __attribute__((noinline)) uint32_t ticks(enum op op, bool with_op)
{
	uint32_t t0 = SYST_CVR;

	for (uint32_t i = 0; i < RUNS; i++) {
		switch (op) {
		case OP_START:
			init_idle(&st);
			if (with_op) {
				do_start();
			}
			break;
		case OP_PROGRESS:
			st = started;
			if (with_op) {
				do_progress1();
			}
			break;
		case OP_BOOT:
			init_idle(&st);
			if (with_op) {
				do_boot();
			}
			break;
		}
	}
	return elapsed(t0);
}

static bool has_arg(const char *word)
{
	static char cmd[256];
	uint32_t block[2] = {(uint32_t)cmd, sizeof(cmd) - 1};

	if (fw_semihost(0x15 /* SYS_GET_CMDLINE */, block) != 0) {
		return false;
	}
	cmd[block[1]] = 0;
	for (const char *p = cmd; *p; p++) {
		const char *a = p, *b = word;
		while (*b && *a == *b) {
			a++;
			b++;
		}
		if (!*b && (*a == 0 || *a == ' ') && (p == cmd || p[-1] == ' ')) {
			return true;
		}
	}
	return false;
}

int main(void)
{
	int fails = 0;

	start_len = build_line(start_line, false);
	bad_len = build_line(bad_line, true);
	build_image();
	/* 'X' 'F' version image stage status info(4, LE) id(16) crc(2, LE) */
	const uint8_t head[10] = {'X', 'F', 2, XFOTA_IMAGE_APP, 4, 0, 0, 0, 0, 0};
	for (int i = 0; i < 10; i++) {
		record[i] = head[i];
	}
	for (int i = 10; i < 26; i++) {
		record[i] = 0xa5;
	}
	uint16_t crc = crc16(record, 26);
	record[26] = (uint8_t)crc;
	record[27] = (uint8_t)(crc >> 8);

	/* A running session at 0 %, to deliver events to. */
	init_idle(&started);
	rc = xfota_handle_line(&started, start_line, start_len);
	fails += rc != XFOTA_LINE_OK;
	rc = xfota_download_event(&started, session, XFOTA_EVT_PROGRESS, 0);

	static const struct {
		const char *label;
		void (*fn)(void);
		bool from_started;
		int32_t want;
	} cases[] = {
		{"stack xfota_handle_line(start, longest URL and APN): ", do_start, false,
		 XFOTA_LINE_OK},
		{"stack xfota_handle_line(test): ", do_test, false, XFOTA_LINE_OK},
		{"stack xfota_handle_line(bad line): ", do_bad, false, XFOTA_LINE_ERROR},
		{"stack xfota_download_event(progress): ", do_progress, true, 0},
		{"stack xfota_download_event(finished): ", do_finished, true, 0},
		{"stack xfota_boot(record, REVERT, identity walk): ", do_boot, false, 0},
	};
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].from_started) {
			st = started;
		} else {
			init_idle(&st);
		}
		uint32_t used = stack_used(cases[i].fn);
		if (rc != cases[i].want) {
			report("FAIL unexpected return value: ", rc);
			fails++;
		}
		report(cases[i].label, (long)used);
	}

	/* 1 MiB in 2 KiB fragments, percent = offset * 100 / size after every fragment. */
	init_idle(&st);
	do_start();
	uint32_t p0 = progress_urcs;
	for (uint32_t off = 2048; off <= (1u << 20); off += 2048) {
		xfota_download_event(&st, session, XFOTA_EVT_PROGRESS,
				     (int32_t)((uint64_t)off * 100 / (1u << 20)));
	}
	xfota_download_event(&st, session, XFOTA_EVT_FINISHED, 0);
	report("progress urcs xfota (1 MiB in 2 KiB fragments): ", (long)(progress_urcs - p0));
	fails += progress_urcs - p0 != 101;

	if (has_arg("bench")) {
		SYST_RVR = 0xFFFFFFu;
		SYST_CVR = 0;
		SYST_CSR = 5; /* enable, processor clock, no interrupt */
		uint32_t t0 = SYST_CVR;
		spin(100000);
		uint32_t calib = elapsed(t0);
		t0 = SYST_CVR;
		spin(1);
		uint32_t empty = elapsed(t0);
		/* instructions per tick, x100 */
		long per_tick = 200L * 99999 / (long)(calib - empty);
		report("insns calibration (per SysTick tick): ", (per_tick + 50) / 100);
		static const char *const labels[] = {
			"insns xfota_handle_line(start, longest URL and APN): ",
			"insns xfota_download_event(progress, one URC): ",
			"insns xfota_boot(record, REVERT, identity walk): ",
		};
		for (int op = OP_START; op <= OP_BOOT; op++) {
			long d = (long)ticks((enum op)op, true) - (long)ticks((enum op)op, false);
			report(labels[op], d * per_tick / (100L * RUNS));
		}
	}
	report("fw_run failures: ", fails);
	return fails != 0;
}
