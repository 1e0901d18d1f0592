/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The smallest firmware that keeps the C ABI of rust/xfota-ffi: it takes the address of every
 * entry point, so the linker keeps each of them and everything they can reach. Built twice by
 * scripts/bench.sh, with and without -DWITH_XFOTA; the difference is what the Rust part adds.
 * scripts/panic-check.sh builds it with -DWITH_XFOTA and inspects the symbols that survive.
 * Both builds keep the C library's memory routines, as every real firmware has them: what the
 * Rust part takes from the C library then costs nothing, and what it brings itself counts.
 */
#include <stdint.h>
#include <string.h>

#ifdef WITH_XFOTA
#include "xfota.h"
#define ENTRY(f) ((const void *)(f))
#else
#define ENTRY(f) ((const void *)0)
#endif

/* The same number of slots either way, so the table itself cancels out of the difference. */
const void *volatile const xfota_entry_points[] = {
	ENTRY(xfota_init),
	ENTRY(xfota_handle_line),
	ENTRY(xfota_download_event),
	ENTRY(xfota_boot),
	ENTRY(xfota_modem_fault),
	ENTRY(xfota_modem_reinit),
	ENTRY(xfota_stage),
};

const void *volatile const libc_routines[] = {
	(const void *)memcpy, (const void *)memmove, (const void *)memset,
	(const void *)memcmp, (const void *)strlen,
};

int main(void)
{
	uintptr_t sum = (uintptr_t)libc_routines[0];

	for (unsigned int i = 0; i < sizeof(xfota_entry_points) / sizeof(xfota_entry_points[0]);
	     i++) {
		sum += (uintptr_t)xfota_entry_points[i];
	}
	return (int)(sum & 1);
}
