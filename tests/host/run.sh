#!/usr/bin/env bash
# The C shell (src/) + the host-built Rust staticlib against models of the NCS calls, on real
# threads (pthreads stand in for the Zephyr kernel), run on the host; then the shell's C
# cross-compiled for Cortex-M33 with -Werror to catch warnings.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/xfota-shell-host
mkdir -p "$out"
(cd "$root/rust" && cargo build -q --release -p xfota-ffi)

# Test images: MCUboot's imgtool (required) and the simulator's writer (when it builds).
command -v imgtool >/dev/null || { echo "shell-host: imgtool missing (pip install imgtool)" >&2; exit 1; }
sim=""
if (cd "$root/rust" && cargo build -q --release -p xfota-sim 2>"$out/sim-build.log"); then
	sim="$root/rust/target/release/xfota-sim"
else
	echo "shell-host: xfota-sim does not build here (see $out/sim-build.log): its image case is skipped" >&2
fi
python3 "$root/tests/shell/gen_images.py" "$out/test_images.h" "$out/images" $sim

# The fake fota_download schedules by itself as CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE says in
# the firmware's prj.conf (Kconfig default y).
autoschedule=1
if grep -q '^CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE=n' "$root/prj.conf"; then
	autoschedule=0
fi

inc=(-include "$root/tests/host/config.h" -I"$root/tests/host/include" -I"$root/tests/fakes/include"
	-I"$root/tests/fakes" -I"$root/tests/shell/src" -I"$root/include" -I"$out"
	-I"$root/rust/xfota-ffi/include" -I"$root/rust/zephyr-sys" -I"$root/src")
srcs=("$root/src/xfota_shell.c" "$root/src/at_host.c" "$root/src/at_uart.c" "$root/src/xfota_sys.c")
warn=(-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers)

cc "${warn[@]}" -O1 -g -pthread -DFAKE_FOTA_AUTOSCHEDULE=$autoschedule "${inc[@]}" "${srcs[@]}" \
	"$root/tests/fakes/fake_ncs.c" "$root/tests/fakes/fake_uart.c" \
	"$root/tests/fakes/fake_sha256.c" "$root/tests/host/fake_kernel.c" \
	"$root/tests/shell/src/shell_cases.c" "$root/tests/host/main.c" \
	"$root/rust/target/release/libxfota_ffi.a" -lpthread -ldl -lm -o "$out/shell-host"
timeout 300 "$out/shell-host" 2>"$out/shell-host.log"

if command -v arm-none-eabi-gcc >/dev/null; then
	for f in "${srcs[@]}"; do
		arm-none-eabi-gcc -mcpu=cortex-m33 -mthumb -Os -DXFOTA_HOST_CROSS_CHECK "${warn[@]}" "${inc[@]}" \
			-c "$f" -o "$out/$(basename "$f").o"
	done
	echo "shell-cross: cortex-m33 -Wall -Wextra -Werror OK (${#srcs[@]} files)"
else
	echo "shell-cross: arm-none-eabi-gcc missing" >&2
	exit 1
fi
