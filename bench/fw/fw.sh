# shellcheck shell=bash
# Helpers shared by scripts/panic-check.sh and scripts/bench.sh (sourced, not run).
# Builds rust/xfota-ffi's staticlib for a Rust target and links it into the minimal C firmware
# of bench/fw with arm-none-eabi-gcc, the way a Zephyr firmware links it: the archive as the
# module's build makes it (cmake/xfota_rust.cmake: cargo without the user's Rust environment,
# then the toolchain's routines localised), the __aeabi_mem* shims of src/xfota_mem.c, a C
# library (FW_LIBC: picolibc, NCS's default, or newlib-nano) and libgcc.

FW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FW_DIR=$FW_ROOT/bench/fw
FW_OUT=${FW_OUT:-$FW_ROOT/rust/target/fw}
FW_LIBC=${FW_LIBC:-picolibc}
FW_TARGETS=(thumbv8m.main-none-eabi thumbv8m.main-none-eabihf thumbv7m-none-eabi)
FW_SYMBOLS=(xfota_init xfota_handle_line xfota_download_event xfota_boot xfota_modem_fault
	xfota_modem_reinit xfota_stage)

# C flags matching each Rust target's ABI.
fw_cflags() {
    case $1 in
    thumbv8m.main-none-eabi) echo "-mcpu=cortex-m33 -mthumb -mfloat-abi=soft" ;;
    thumbv8m.main-none-eabihf) echo "-mcpu=cortex-m33 -mthumb -mfloat-abi=hard -mfpu=fpv5-sp-d16" ;;
    thumbv7m-none-eabi) echo "-mcpu=cortex-m3 -mthumb -mfloat-abi=soft" ;;
    *) echo "fw.sh: unknown target $1" >&2; return 1 ;;
    esac
}

# gcc flags selecting the C library.
fw_libc_flags() {
    case $FW_LIBC in
    picolibc) echo "--specs=picolibc.specs" ;;
    newlib-nano) echo "--specs=nano.specs" ;;
    *) echo "fw.sh: unknown FW_LIBC $FW_LIBC (picolibc, newlib-nano)" >&2; return 1 ;;
    esac
}

# The toolchain archives (libgcc, libc, libm) that a link for target $1 loads, from a probe
# link's map.
fw_toolchain_libs() {
    local probe=$FW_OUT/$1/$FW_LIBC/probe.elf
    fw_link_raw "$1" "$probe" "$FW_DIR/fw_min.c" >/dev/null
    awk '/^LOAD / && $2 ~ /\/lib(gcc|c|c_nano|m)\.a$/ { print $2 }' "${probe%.elf}.map" |
        sort -u | paste -sd'|'
}

# The staticlib as cargo makes it for target $1.
fw_cargo_lib() {
    echo "${CARGO_TARGET_DIR:-$FW_ROOT/rust/target}/$1/release/libxfota_ffi.a"
}

# Builds the release staticlib for target $1 as the Zephyr module does; prints the path of the
# archive a firmware links (toolchain routines localised).
fw_staticlib() {
    local t=$1 dir=${CARGO_TARGET_DIR:-$FW_ROOT/rust/target}
    local out=$FW_OUT/$t/$FW_LIBC/libxfota_rust.a
    mkdir -p "$(dirname "$out")"
    cmake -DXFOTA_STEP=cargo -DXFOTA_CARGO=cargo -DXFOTA_RUST_TARGET="$t" \
        -DXFOTA_CARGO_TARGET_DIR="$dir" -P "$FW_ROOT/cmake/xfota_rust.cmake" >&2
    cmake -DXFOTA_STEP=localize -DXFOTA_IN="$(fw_cargo_lib "$t")" -DXFOTA_OUT="$out" \
        -DXFOTA_OBJCOPY=arm-none-eabi-objcopy -DXFOTA_NM=arm-none-eabi-nm \
        -DXFOTA_TOOLCHAIN_LIBS="$(fw_toolchain_libs "$t")" -P "$FW_ROOT/cmake/xfota_rust.cmake" >&2
    echo "$out"
}

# fw_link_raw <target> <out.elf> <extra args: -D..., sources, archives>
fw_link_raw() {
    local target=$1 out=$2
    shift 2
    mkdir -p "$(dirname "$out")"
    # shellcheck disable=SC2046
    arm-none-eabi-gcc $(fw_cflags "$target") $(fw_libc_flags) -Os -g -ffunction-sections \
        -fdata-sections -std=c11 -Wall -Wextra -Werror \
        -I"$FW_ROOT/rust/xfota-ffi/include" -I"$FW_ROOT/rust/zephyr-sys" \
        -nostartfiles -Wl,--gc-sections -Wl,-z,noexecstack \
        -T "$FW_DIR/link.ld" -Wl,-Map="${out%.elf}.map" \
        "$FW_DIR/startup.c" "$@" -lc -lgcc -o "$out"
}

# fw_link <target> <out.elf> <extra args>: as a firmware links, with the shims of
# src/xfota_mem.c (weak, as in the Zephyr module).
fw_link() {
    local target=$1 out=$2
    shift 2
    fw_link_raw "$target" "$out" '-D__weak=__attribute__((weak))' "$FW_ROOT/src/xfota_mem.c" "$@"
}

# Section size of ELF $1, section $2 (0 if absent).
fw_section() {
    arm-none-eabi-size -A "$1" | awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'
}
