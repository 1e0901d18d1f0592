/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tiny Cortex-M startup shared by fw_min.c and fw_run.c: vector table, .data/.bss init, and the
 * two C services the Rust staticlib calls (rust/zephyr-sys/xfota_sys.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "xfota_sys.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _stack_top[];
int main(void);
void fw_exit(int code);

void fw_reset(void);
static void fw_fault(void)
{
	fw_exit(2);
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
	_stack_top, fw_reset, fw_fault, fw_fault, fw_fault, fw_fault, fw_fault, fw_fault,
	fw_fault, fw_fault, fw_fault, fw_fault, fw_fault, fw_fault, fw_fault, fw_fault,
};

void fw_reset(void)
{
	/* volatile: keeps GCC from turning these loops into memcpy/memset calls. */
	for (volatile uint32_t *s = _sidata, *d = _sdata; d < _edata;) {
		*d++ = *s++;
	}
	for (volatile uint32_t *d = _sbss; d < _ebss;) {
		*d++ = 0;
	}
	fw_exit(main());
}

/* Zephyr: k_panic(). Here: fail. Only reachable if the Rust side can panic. */
void xfota_sys_panic(void)
{
	fw_exit(101);
}

/* Zephyr: LOG_*(). Logging compiled out, like the seed-era C handler in the comparison. */
void xfota_sys_log(uint32_t code, int32_t value)
{
	(void)code;
	(void)value;
}

#ifdef FW_SEMIHOSTING
int fw_semihost(int op, const void *arg)
{
	register int r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;
	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return r0;
}

void fw_exit(int code)
{
	const uint32_t block[2] = {0x20026 /* ADP_Stopped_ApplicationExit */, (uint32_t)code};
	fw_semihost(0x20 /* SYS_EXIT_EXTENDED */, block);
	for (;;) {
	}
}
#else
void fw_exit(int code)
{
	(void)code;
	for (;;) {
	}
}
#endif
