/*
 * C services the xfota Rust staticlib calls. The Zephyr shell implements them in
 * src/xfota_sys.c; host tests provide their own. Bindings: src/bindings.rs (bindgen,
 * committed; regenerate with `XFOTA_BLESS=1 cargo test -p zephyr-sys`).
 */
#ifndef XFOTA_SYS_H_
#define XFOTA_SYS_H_

#include <stddef.h>
#include <stdint.h>

/** Called by the Rust panic handler; must not return (k_panic() on Zephyr). */
void xfota_sys_panic(void);

/**
 * One log line from the core: an event code (XFOTA_LOG_* in xfota.h; the shell holds the
 * texts and levels) and one integer (an errno, a reason code, a session, or 0). Never carries
 * user data such as URLs or APNs.
 */
void xfota_sys_log(uint32_t code, int32_t value);

#endif /* XFOTA_SYS_H_ */
