#!/usr/bin/env bash
# Builds the host staticlib and the C smoke program against the committed header, runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/xfota-smoke
mkdir -p "$out"
(cd "$root/rust" && cargo build -q --release -p xfota-ffi)
cc -std=c11 -Wall -Wextra -Werror -O2 -I"$root/rust/xfota-ffi/include" -I"$root/tests/fakes" \
	"$root/tests/smoke/smoke.c" "$root/tests/fakes/fake_sha256.c" \
	"$root/rust/target/release/libxfota_ffi.a" -o "$out/smoke"
"$out/smoke"
