//! Arbitrary sequences of AT lines, download events (any progress value, erase pending/done,
//! finished, errors with any cause, cancelled; for the current, a stale, the cancelled or any
//! session), cancel races (the echo as CANCELLED, ERROR or FINISHED, before or after a new start,
//! or never, and a second terminal event), served images (well formed or broken), power cycles
//! (MCUboot and the modem modelled, or any stored bytes / swap type / running image / modem
//! result / modem init), repeated boot reports, modem faults and re-inits, and changes of the fake
//! port's answers (every effect can fail with any errno). The shared harness
//! (`xfota-core/tests/common`) compares every step with its model and checks the DESIGN.md §2
//! invariants.
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
