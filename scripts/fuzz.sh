#!/usr/bin/env bash
# Runs every cargo-fuzz target of rust/fuzz for a bounded time; exits non-zero on a finding.
#
#   scripts/fuzz.sh [seconds-per-target]        (default 30)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`, about a minute). Runs on the toolchain
# pinned in rust/rust-toolchain.toml (stable): the default `-s none` build uses only stable
# flags. FUZZ_SANITIZER=address builds with ASan, which needs nightly flags: the script then sets
# RUSTC_BOOTSTRAP=1 so the pinned stable compiler accepts them (the core is
# #![forbid(unsafe_code)], so ASan adds little; it is there for the harness and dependencies).
#
# Environment:
#   FUZZ_TARGETS       targets to run (default: all, from `cargo fuzz list`)
#   FUZZ_SANITIZER     none (default) | address
#   FUZZ_OPTIONAL=1    exit 0 with a message if cargo-fuzz is not installed
#   FUZZ_ARGS          extra libFuzzer arguments (e.g. "-seed=1 -max_len=512")
#
# New inputs go to rust/fuzz/work/<target>/ (ignored by git); the committed seeds in
# rust/fuzz/corpus/<target>/ are only read. Crashes land in rust/fuzz/artifacts/<target>/ and
# are reproduced with `cd rust/fuzz && cargo fuzz run -s none <target> <artifact>`.
set -euo pipefail

secs="${1:-30}"
case "$secs" in
'' | *[!0-9]*)
    echo "usage: $0 [seconds-per-target]" >&2
    exit 2
    ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fuzz_dir="$here/../rust/fuzz"
cd "$fuzz_dir"

if ! cargo fuzz --version >/dev/null 2>&1; then
    if [ "${FUZZ_OPTIONAL:-0}" = 1 ]; then
        echo "fuzz: cargo-fuzz not installed, skipped (cargo install cargo-fuzz --locked)"
        exit 0
    fi
    echo "fuzz: cargo-fuzz not installed: cargo install cargo-fuzz --locked" >&2
    exit 1
fi

sanitizer="${FUZZ_SANITIZER:-none}"
if [ "$sanitizer" != none ]; then
    export RUSTC_BOOTSTRAP=1
fi

targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
mkdir -p work
echo "fuzz: $(cargo fuzz --version), $(rustc --version), sanitizer $sanitizer, ${secs}s per target"
for t in $targets; do
    cargo fuzz build -s "$sanitizer" "$t" >"work/build.log" 2>&1 || {
        tail -n 30 work/build.log >&2
        echo "fuzz: build of $t failed" >&2
        exit 1
    }
done

failed=0
summary=""
for t in $targets; do
    # git keeps no empty directory: a target may have no committed seeds yet.
    mkdir -p "work/$t" "artifacts/$t" "corpus/$t"
    log="work/$t.log"
    echo "fuzz: $t for ${secs}s"
    set +e
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of arguments
    cargo fuzz run -s "$sanitizer" "$t" "work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -dict=at_line.dict \
        -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
    rc=$?
    set -e
    # (`|| true`: under pipefail a grep that finds nothing would end the script silently.)
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1 || true)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)"
    if [ "$rc" -ne 0 ]; then
        failed=1
        echo "fuzz: FINDING in $t (exit $rc); last lines of $log:" >&2
        grep -v '^"' "$log" | tail -n 40 >&2
        summary+="$t: FAILED after ${execs:-?} execs"$'\n'
    else
        summary+="$t: ok, ${execs:-?} execs (${rate:-?}/s), ${cov:-cov ?}"$'\n'
    fi
done
printf '%s' "$summary"
if [ "$failed" -ne 0 ]; then
    echo "fuzz: findings: see rust/fuzz/artifacts/" >&2
    exit 1
fi
echo "fuzz: no findings"
