/*
 * C services the xfota Rust staticlib calls. The Zephyr shell implements them in
 * src/xfota_sys.c; host tests provide their own. Bindings: src/bindings.rs (bindgen,
 * committed; regenerate with `XFOTA_BLESS=1 cargo test -p zephyr-sys`).
 */
#ifndef XFOTA_SYS_H_
#define XFOTA_SYS_H_

#include <stddef.h>
#include <stdint.h>

/** Log levels, numbered like Zephyr's LOG_LEVEL_ERR..LOG_LEVEL_DBG. */
#define XFOTA_SYS_LOG_ERR 1
#define XFOTA_SYS_LOG_WRN 2
#define XFOTA_SYS_LOG_INF 3
#define XFOTA_SYS_LOG_DBG 4

/** Called by the Rust panic handler; must not return (k_panic() on Zephyr). */
void xfota_sys_panic(void);

/**
 * One log line from the core: a static message (not NUL-terminated) and one integer
 * (an errno, a reason code, or 0). Never carries user data such as URLs or APNs.
 */
void xfota_sys_log(int32_t level, const char *msg, size_t len, int32_t value);

#endif /* XFOTA_SYS_H_ */
