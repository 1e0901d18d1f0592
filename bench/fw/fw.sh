# shellcheck shell=bash
# Helpers shared by scripts/panic-check.sh and scripts/bench.sh (sourced, not run).
# Builds rust/xfota-ffi's staticlib for a Rust target and links it into the minimal C
# firmware of bench/fw with arm-none-eabi-gcc.

FW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FW_DIR=$FW_ROOT/bench/fw
FW_OUT=${FW_OUT:-$FW_ROOT/rust/target/fw}
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

# Builds the release staticlib for target $1; prints its path.
fw_staticlib() {
    (cd "$FW_ROOT/rust" && cargo build --quiet --release -p xfota-ffi --target "$1")
    echo "$FW_ROOT/rust/target/$1/release/libxfota_ffi.a"
}

# fw_link <target> <out.elf> <extra args: -D..., sources, archives>
fw_link() {
    local target=$1 out=$2
    shift 2
    mkdir -p "$(dirname "$out")"
    # shellcheck disable=SC2046
    arm-none-eabi-gcc $(fw_cflags "$target") -Os -g -ffunction-sections -fdata-sections \
        -std=c11 -Wall -Wextra -Werror \
        -I"$FW_ROOT/rust/xfota-ffi/include" -I"$FW_ROOT/rust/zephyr-sys" \
        -nostdlib -nostartfiles -Wl,--gc-sections -Wl,-z,noexecstack \
        -T "$FW_DIR/link.ld" -Wl,-Map="${out%.elf}.map" \
        "$FW_DIR/startup.c" "$@" -lgcc -o "$out"
}

# Section size of ELF $1, section $2 (0 if absent).
fw_section() {
    arm-none-eabi-size -A "$1" | awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'
}
