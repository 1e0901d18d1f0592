#!/usr/bin/env bash
# README's test command: every check that can run without an NCS tree or a board.
# Stops at the first failing step; prints "test-all: N passed, 0 failed" at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

steps=0
step() {
	echo
	echo "=== $1"
	steps=$((steps + 1))
}

step "rust: fmt"
(cd rust && cargo fmt --all -- --check)
(cd rust/xfota-qemu && cargo fmt -- --check)
(cd rust/fuzz && cargo fmt -- --check)

step "rust: clippy -D warnings (host, all targets; no_std crates for thumbv8m.main)"
(cd rust && cargo clippy --workspace --all-targets --locked -- -D warnings)
(cd rust && cargo clippy -p xfota-core -p xfota-vectors -p xfota-ffi --locked \
	--target thumbv8m.main-none-eabi --release -- -D warnings)
(cd rust/xfota-qemu && cargo clippy --release --locked -- -D warnings)

step "rust: cargo test --workspace (conformance, properties, corpus, security, drift, simulator e2e + faults)"
(cd rust && cargo test --workspace --locked)

step "rust: staticlib cross builds"
for t in thumbv8m.main-none-eabi thumbv8m.main-none-eabihf thumbv7m-none-eabi i686-unknown-linux-gnu; do
	(cd rust && cargo build -q --release --locked -p xfota-ffi --target "$t")
	echo "built libxfota_ffi.a for $t"
done

step "C: smoke program over the committed header"
tests/smoke/run.sh

step "C: shell against NCS fakes (host) + cortex-m33 -Werror compile"
tests/host/run.sh

step "Cortex-M33 under QEMU: the conformance table"
scripts/qemu-test.sh

step "panic-free link check"
scripts/panic-check.sh

step "link hygiene: firmware links take no C library/libgcc routine from the Rust archive (+ control)"
scripts/check-link.sh --bench

step "board CI workflow lints (actionlint; the board build itself runs in .github/workflows/board.yml)"
actionlint .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflow(s) clean"

step "NCS compatibility table covers every symbol used"
python3 scripts/check-ncs-compat.py

step "fuzz: each target for ${XFOTA_FUZZ_SECS:-20} s"
scripts/fuzz.sh "${XFOTA_FUZZ_SECS:-20}"

echo
echo "test-all: $steps passed, 0 failed"
