#!/usr/bin/env bash
# Prints the footprint and cost numbers of docs/benchmarks.md (not a pass/fail test; it only
# fails if a build or a QEMU run fails):
#  1. flash/RAM the Rust staticlib adds to a minimal C firmware, per Cortex-M target
#     (bench/fw/fw_min.c linked with and without the xfota_* entry points referenced);
#  2. the largest Rust symbols in the Cortex-M33 soft-float firmware;
#  3. on a Cortex-M33 under QEMU (-icount shift=0): core state size, worst stack per entry
#     point and Thumb instruction counts, once through the core API (rust/xfota-qemu) and once
#     through the C ABI (bench/fw/fw_run.c linked with the staticlib), and the progress
#     notifications of a 1 MiB download in 2 KiB fragments.
set -euo pipefail
# shellcheck source=../bench/fw/fw.sh
source "$(dirname "$0")/../bench/fw/fw.sh"

qemu() {
    timeout 120 qemu-system-arm -M mps2-an505 -cpu cortex-m33 -nographic -monitor none \
        -serial none -icount shift=0 -semihosting-config enable=on,target=native \
        -kernel "$1" -append bench </dev/null
}

echo "== Flash/RAM added by the Rust staticlib (bytes; -Os, --gc-sections, logging hook empty)"
printf '%-28s %6s %7s %5s %5s %6s %4s\n' target .text .rodata .data .bss flash RAM
for t in "${FW_TARGETS[@]}"; do
    lib=$(fw_staticlib "$t")
    with=$FW_OUT/$t/with.elf without=$FW_OUT/$t/without.elf
    fw_link "$t" "$with" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$lib"
    fw_link "$t" "$without" "$FW_DIR/fw_min.c"
    d=()
    for s in .text .rodata .data .bss; do
        d+=($(($(fw_section "$with" $s) - $(fw_section "$without" $s))))
    done
    printf '%-28s %6d %7d %5d %5d %6d %4d\n' "$t" "${d[@]}" \
        $((d[0] + d[1] + d[2])) $((d[2] + d[3]))
done

t=thumbv8m.main-none-eabi
echo
echo "== Largest symbols of the Rust part ($t firmware; bytes, demangled)"
arm-none-eabi-nm -C --size-sort -r -S "$FW_OUT/$t/with.elf" |
    grep -vE ' (main|fw_reset|fw_fault|vectors|xfota_entry_points|xfota_sys_log|xfota_sys_panic)$' |
    head -n 15 | while read -r _ size _ name; do printf '%6d  %s\n' $((16#$size)) "$name"; done
# compiler_builtins' memory routines: any real firmware links a C library that has its own, and
# the Rust objects then share them (the bench firmware is -nostdlib, so they count here).
mem=0
while read -r _ size _ name; do
    mem=$((mem + 16#$size))
done < <(arm-none-eabi-nm -C -S "$FW_OUT/$t/with.elf" |
    grep -E ' (compiler_builtins::mem::\S+|__aeabi_mem\S*|mem(cpy|set|move|cmp))$')
echo "of which compiler_builtins memory routines (memcpy/memset/__aeabi_mem*): $mem"

echo
echo "== Cortex-M33 (QEMU mps2-an505, -icount shift=0): core API (rust/xfota-qemu)"
(cd "$FW_ROOT/rust/xfota-qemu" && cargo build --quiet --release --locked)
qemu "$FW_ROOT/rust/target/xfota-qemu/thumbv8m.main-none-eabi/release/xfota-qemu" |
    grep -E '^(state|start line|stack|progress|insns|FAIL)|passed'

echo
echo "== Cortex-M33 (QEMU mps2-an505, -icount shift=0): C ABI (bench/fw/fw_run.c + staticlib)"
run=$FW_OUT/$t/fw_run.elf
fw_link "$t" "$run" -DFW_SEMIHOSTING "$FW_DIR/fw_run.c" "$(fw_staticlib "$t")"
qemu "$run"
