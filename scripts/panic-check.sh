#!/usr/bin/env bash
# Proves the target staticlib of rust/xfota-ffi has no reachable panic or core::fmt code:
# links it into a minimal C firmware that references every exported entry point
# (bench/fw/fw_min.c, -Os, --gc-sections) for each Cortex-M target and fails if any symbol
# matching core::panicking / core::fmt / panic / fmt:: / rust_begin_unwind survives.
# The C panic hook xfota_sys_panic is only kept if the Rust panic handler is reachable, so it
# counts as a panic symbol too. A control link adding a symbol that demangles to
# core::panicking::panic_fmt proves the check can see one.
# Usage: scripts/panic-check.sh [rust-target...]   (default: all three Cortex-M targets)
set -euo pipefail
# shellcheck source=../bench/fw/fw.sh
source "$(dirname "$0")/../bench/fw/fw.sh"

pattern='core::panicking|core::fmt|panic|fmt::|rust_begin_unwind'
targets=("$@")
[ $# -gt 0 ] || targets=("${FW_TARGETS[@]}")
status=0
for t in "${targets[@]}"; do
    lib=$(fw_staticlib "$t")
    elf=$FW_OUT/$t/panic-check.elf
    fw_link "$t" "$elf" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$lib"
    syms=$(arm-none-eabi-nm -C "$elf")
    for s in "${FW_SYMBOLS[@]}"; do
        if ! grep -qE "^[0-9a-f]+ T $s\$" <<<"$syms"; then
            echo "panic-check $t: FAIL: entry point $s missing from the firmware" >&2
            status=1
        fi
    done
    if bad=$(grep -E "$pattern" <<<"$syms"); then
        echo "panic-check $t: FAIL: panic/fmt symbols survive in $elf:" >&2
        echo "$bad" >&2
        status=1
        continue
    fi
    # Control: with a Rust panic symbol linked in, the same grep must find it.
    ctl=$FW_OUT/$t/panic-check-control.elf
    fw_link "$t" "$ctl" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$FW_DIR/panic_control.c" "$lib" \
        -Wl,--undefined=_ZN4core9panicking9panic_fmt17h0123456789abcdefE
    if ! arm-none-eabi-nm -C "$ctl" | grep -qE "$pattern"; then
        echo "panic-check $t: FAIL: control link shows no panic symbol; the check is blind" >&2
        status=1
        continue
    fi
    text=$(fw_section "$elf" .text)
    echo "panic-check $t: OK (no panic/fmt symbols; firmware .text $text B)"
done
exit $status
