#!/usr/bin/env bash
# Prints the footprint and cost numbers of docs/benchmarks.md (not a pass/fail test; it fails
# if a build, a QEMU run, or scripts/check-link.sh on the bench firmware fails):
#  1. flash/RAM the Rust part adds to a minimal C firmware, per Cortex-M target
#     (bench/fw/fw_min.c linked with and without the xfota_* entry points referenced, both with
#     the C library's memory routines, linked the way a Zephyr firmware links the module:
#     bench/fw/fw.sh; FW_LIBC=picolibc (default) or newlib-nano);
#  2. what that link takes from the Rust archive (scripts/check-link.sh) and what link hygiene
#     saves against the archive as cargo makes it;
#  3. the Rust part's own .text per target beside the .text of the C it replaces (4,447 B);
#  4. the largest Rust symbols in the Cortex-M33 soft-float firmware;
#  5. given Zephyr maps as arguments (scripts/bench.sh build/zephyr/zephyr.map ...): what the
#     Rust archive adds to those images;
#  6. on a Cortex-M33 under QEMU (-icount shift=0): core state size, worst stack per entry
#     point and Thumb instruction counts, once through the core API (rust/xfota-qemu) and once
#     through the C ABI (bench/fw/fw_run.c linked with the staticlib), and the progress
#     notifications of a 1 MiB download in 2 KiB fragments, and the instructions per KiB of a
#     software SHA-256;
#  7. how long the simulator takes to verify a 400 KB application image before 4,0 (the core's
#     MCUboot walk over the simulator's port: rust/xfota-sim/examples/verify_cost.rs).
set -euo pipefail
# shellcheck source=../bench/fw/fw.sh
source "$(dirname "$0")/../bench/fw/fw.sh"

qemu() {
    timeout 120 qemu-system-arm -M mps2-an505 -cpu cortex-m33 -nographic -monitor none \
        -serial none -icount shift=0 -semihosting-config enable=on,target=native \
        -kernel "$1" -append bench </dev/null
}

# The .text of the C that the Rust part replaces (arm-none-eabi-gcc 12.2 -Os, Cortex-M33):
# seed-era slm_at_fota.c 1,038 B + Zephyr http_parser_url.c 1,408 B + sdk-nrf at_parser.c and
# at_match.c 2,001 B.
anchor=4447

echo "== Flash/RAM added by the Rust part (bytes; -Os, --gc-sections, logging hook empty;"
echo "   linked as a firmware links it: $FW_LIBC + libgcc, src/xfota_mem.c shims, localised archive)"
printf '%-28s %6s %7s %5s %5s %6s %4s\n' target .text .rodata .data .bss flash RAM
declare -A own_text saved
flash() { echo $(($(fw_section "$1" .text) + $(fw_section "$1" .rodata) + $(fw_section "$1" .data))); }
for t in "${FW_TARGETS[@]}"; do
    lib=$(fw_staticlib "$t")
    with=$FW_OUT/$t/$FW_LIBC/with.elf without=$FW_OUT/$t/$FW_LIBC/without.elf
    fw_link "$t" "$with" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$lib"
    fw_link "$t" "$without" "$FW_DIR/fw_min.c"
    d=()
    for s in .text .rodata .data .bss; do
        d+=($(($(fw_section "$with" $s) - $(fw_section "$without" $s))))
    done
    printf '%-28s %6d %7d %5d %5d %6d %4d\n' "$t" "${d[@]}" \
        $((d[0] + d[1] + d[2])) $((d[2] + d[3]))
    # What the map says the Rust archive puts in the image (the script fails if any routine
    # of the C library or libgcc came from it).
    report=$("$FW_ROOT/scripts/check-link.sh" "${with%.elf}.map")
    own_text[$t]=$(awk '/by output section:/ { for (i = 1; i < NF; i++) if ($i == ".text") print $(i + 1) }' <<<"$report")
    # The same firmware linked as before link hygiene: the archive as cargo makes it, before
    # the C library, no shims. The flash difference is what link hygiene saves.
    old=$FW_OUT/$t/$FW_LIBC/with-raw-archive.elf
    fw_link_raw "$t" "$old" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$(fw_cargo_lib "$t")"
    saved[$t]=$(($(flash "$old") - $(flash "$with")))
done

t=thumbv8m.main-none-eabi
echo
echo "== What the link takes from the Rust archive ($t firmware, scripts/check-link.sh)"
"$FW_ROOT/scripts/check-link.sh" "$FW_OUT/$t/$FW_LIBC/with.map" | sed -n '2,$p'
echo "Link hygiene saves (flash of the same firmware with the archive as cargo makes it, no"
echo "shims, minus the above): $(for x in "${FW_TARGETS[@]}"; do printf '%s %d B; ' "$x" "${saved[$x]}"; done)"

echo
echo "== The same firmware ($t) with each C library: weak shims, no clash, nothing from Rust"
for libc in picolibc newlib-nano; do
    (
        FW_LIBC=$libc
        lib=$(fw_staticlib "$t")
        elf=$FW_OUT/$t/$libc/with.elf
        fw_link "$t" "$elf" -DWITH_XFOTA "$FW_DIR/fw_min.c" "$lib"
        r=$("$FW_ROOT/scripts/check-link.sh" "${elf%.elf}.map")
        from() { arm-none-eabi-nm "$elf" | awk -v s="$1" '$3 == s { print $1 }'; }
        printf '%-12s check-link %s; __aeabi_memcpy at %s (memcpy at %s), __aeabi_memclr4 at %s\n' \
            "$libc" "$(tail -n 2 <<<"$r" | head -n 1 | tr -d ' ')" "$(from __aeabi_memcpy)" \
            "$(from memcpy)" "$(from __aeabi_memclr4)"
    )
done
echo "(picolibc defines __aeabi_memcpy in memcpy's object, so its strong one replaces the shim;"
echo " newlib's are in separate objects that the weak shims keep out; minimal libc has none)"

echo
echo "== The Rust part's own .text (Rust archive without compiler_builtins) vs the C it replaces"
printf '%-28s %10s %10s  %s\n' target "Rust .text" "C (anchor)" verdict
for x in "${FW_TARGETS[@]}"; do
    o=${own_text[$x]}
    if [ "$o" -lt "$anchor" ]; then v="Rust smaller by $((anchor - o)) B"
    elif [ "$o" -gt "$anchor" ]; then v="C smaller by $((o - anchor)) B"
    else v="equal"; fi
    printf '%-28s %10d %10d  %s\n' "$x" "$o" "$anchor" "$v"
done
echo "(anchor: seed-era slm_at_fota.c 1038 + Zephyr http_parser_url.c 1408 + sdk-nrf at_parser.c"
echo " and at_match.c 2001, arm-none-eabi-gcc 12.2 -Os, Cortex-M33)"

echo
echo "== Largest symbols of the Rust part ($t firmware; bytes, demangled)"
arm-none-eabi-nm -C --size-sort -r -S "$FW_OUT/$t/$FW_LIBC/with.elf" |
    grep -vE ' (main|fw_reset|fw_fault|vectors|xfota_entry_points|libc_routines|xfota_sys_log|xfota_sys_panic|mem(cpy|move|set|cmp)|strlen|__aeabi_\w+)$' |
    head -n 15 | while read -r _ size _ name; do printf '%6d  %s\n' $((16#$size)) "$name"; done

if [ $# -gt 0 ]; then
    echo
    echo "== What the Rust archive adds to the given Zephyr images (scripts/check-link.sh)"
    "$FW_ROOT/scripts/check-link.sh" "$@" || true
fi

echo
echo "== Cortex-M33 (QEMU mps2-an505, -icount shift=0): core API (rust/xfota-qemu)"
(cd "$FW_ROOT/rust/xfota-qemu" && cargo build --quiet --release --locked)
qemu "$FW_ROOT/rust/target/xfota-qemu/thumbv8m.main-none-eabi/release/xfota-qemu" |
    grep -E '^(state|start line|stack|progress|insns|FAIL)|passed'

echo
echo "== Cortex-M33 (QEMU mps2-an505, -icount shift=0): C ABI (bench/fw/fw_run.c + staticlib)"
run=$FW_OUT/$t/$FW_LIBC/fw_run.elf
fw_link "$t" "$run" -DFW_SEMIHOSTING "$FW_DIR/fw_run.c" "$(fw_staticlib "$t")"
qemu "$run"

echo
echo "== Verifying a downloaded app image before 4,0 (issue 13): the simulator, and the software"
echo "   SHA-256 cost on the Cortex-M33 (upper bound for the nRF9161 without its CryptoCell)"
(cd "$FW_ROOT/rust" && cargo run --quiet --release --locked -p xfota-sim --example verify_cost)
