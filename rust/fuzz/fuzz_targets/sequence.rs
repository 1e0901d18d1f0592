//! Arbitrary sequences of AT lines, download events (any progress value, erase pending/done,
//! finished, errors with any cause, cancelled; for the current, a stale or any session), power
//! cycles with any stored bytes / swap type / modem result, repeated boot reports, and changes of
//! the fake port's answers (every effect can fail with any errno). The shared harness
//! (`xfota-core/tests/common`) checks the DESIGN.md §2 invariants after every step.
#![no_main]

#[path = "../../xfota-core/tests/common/mod.rs"]
mod common;

use common::{Harness, Scenario};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|s: Scenario| {
    // `boot_first` is fuzzed too: a boot report after AT lines is ignored by the core.
    if let Err(e) = Harness::scenario(&s) {
        panic!("invariant violated: {e}");
    }
});
