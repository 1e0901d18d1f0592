#!/usr/bin/env bash
# The C shell (src/) + the host-built Rust staticlib against fakes of the NCS calls, run on the
# host; then the shell's C cross-compiled for Cortex-M33 with -Werror to catch warnings.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/xfota-shell-host
mkdir -p "$out"
(cd "$root/rust" && cargo build -q --release -p xfota-ffi)

inc=(-include "$root/tests/host/config.h" -I"$root/tests/host/include" -I"$root/tests/fakes/include"
	-I"$root/tests/fakes" -I"$root/tests/shell/src" -I"$root/include"
	-I"$root/rust/xfota-ffi/include" -I"$root/rust/zephyr-sys" -I"$root/src")
srcs=("$root/src/xfota_shell.c" "$root/src/at_host.c" "$root/src/xfota_sys.c")
warn=(-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wno-missing-field-initializers)

cc "${warn[@]}" -O1 -g "${inc[@]}" "${srcs[@]}" "$root/tests/fakes/fake_ncs.c" \
	"$root/tests/host/fake_kernel.c" "$root/tests/shell/src/shell_cases.c" \
	"$root/tests/host/main.c" "$root/rust/target/release/libxfota_ffi.a" -o "$out/shell-host"
"$out/shell-host"

if command -v arm-none-eabi-gcc >/dev/null; then
	for f in "${srcs[@]}"; do
		arm-none-eabi-gcc -mcpu=cortex-m33 -mthumb -Os "${warn[@]}" "${inc[@]}" \
			-c "$f" -o "$out/$(basename "$f").o"
	done
	echo "shell-cross: cortex-m33 -Wall -Wextra -Werror OK (${#srcs[@]} files)"
else
	echo "shell-cross: arm-none-eabi-gcc missing" >&2
	exit 1
fi
