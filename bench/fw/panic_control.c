/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control for scripts/panic-check.sh: a symbol whose demangled name is
 * core::panicking::panic_fmt, linked in with -Wl,--undefined=... to prove that the check's
 * `nm -C | grep` sees a surviving Rust panic symbol.
 */
void _ZN4core9panicking9panic_fmt17h0123456789abcdefE(void);
void _ZN4core9panicking9panic_fmt17h0123456789abcdefE(void)
{
}
