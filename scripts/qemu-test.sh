#!/usr/bin/env bash
# Runs the xfota-vectors conformance table on a Cortex-M33 (QEMU mps2-an505, Secure state):
# builds rust/xfota-qemu (release, thumbv8m.main-none-eabi), boots it with semihosting and
# checks its exit status and final `N passed, 0 failed` line. On success prints the summary
# and the measurements (state size, stack, progress notifications); on failure, everything.
# Needs: the rust toolchain of rust/rust-toolchain.toml with thumbv8m.main-none-eabi,
# qemu-system-arm. QEMU_TIMEOUT (seconds, default 120) bounds the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
elf=$root/rust/target/xfota-qemu/thumbv8m.main-none-eabi/release/xfota-qemu

# Cargo reads rust/xfota-qemu/.cargo/config.toml only when started in that directory.
(cd "$root/rust/xfota-qemu" && cargo build --quiet --release --locked)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
timeout "${QEMU_TIMEOUT:-120}" qemu-system-arm -M mps2-an505 -cpu cortex-m33 -nographic \
    -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$elf" >"$log" 2>&1 </dev/null || rc=$?
last=$(tail -n 1 "$log")
if [ "$rc" -ne 0 ] || ! [[ $last =~ ^[0-9]+\ passed,\ 0\ failed$ ]]; then
    cat "$log"
    [ "$rc" -ne 124 ] || echo "qemu-test: timed out" >&2
    echo "qemu-test: FAIL (exit status $rc)" >&2
    exit 1
fi
grep -E '^(state|stack|progress) ' "$log"
echo "qemu-test (Cortex-M33, mps2-an505): $last"
