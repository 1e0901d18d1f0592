//! Cortex-M33 (QEMU `mps2-an505`) test image for `xfota-core`.
//!
//! 1. Runs the conformance table of `xfota-vectors` — the same `CASES` the host tests run —
//!    printing `PASS <name>` / `FAIL <name> ...` per case.
//! 2. Measures the deepest stack use of each core entry point with its worst input (stack
//!    painting), the size of the core's state, and the progress notifications of a 1 MiB
//!    download delivered in 2 KiB fragments.
//! 3. With `bench` on the semihosting command line (`-append bench`) and QEMU run with
//!    `-icount shift=0`, counts the Thumb instructions of a start command, a progress event and
//!    the boot report, using SysTick as a clock of executed instructions.
//!
//! The last line is `N passed, M failed`; the exit status is 0 only if every case passed and
//! every measurement ran as intended.
#![no_std]
#![no_main]

mod measure;
mod rt;

use heapless::Vec;
use ufmt::uwriteln;
use xfota_vectors::{run_all, run_case, Mismatch, MismatchKind, CASES};

/// The semihosting console, one line at a time (`ufmt`'s `uWrite`: no `core::fmt` on the
/// target). Bytes are collected until a `\n`, then written in one semihosting call; a line's
/// bytes beyond 256 are dropped.
#[derive(Default)]
pub struct Console {
    line: Vec<u8, 256>,
}

impl ufmt::uWrite for Console {
    type Error = core::convert::Infallible;
    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        for &c in s.as_bytes() {
            // A full line refuses the byte (the `\n` too: the line is still written).
            let _ = self.line.push(c);
            if c == b'\n' {
                rt::write(&self.line);
                self.line.clear();
            }
        }
        Ok(())
    }
}

fn describe(m: &Mismatch) -> (&'static str, i64) {
    match m.kind {
        MismatchKind::Trace { index } => ("trace entry ", index as i64),
        MismatchKind::TraceShort { got, .. } => ("trace ended after entries: ", got as i64),
        MismatchKind::State => ("state", -1),
        MismatchKind::Stored => ("stored record", -1),
        MismatchKind::Config => ("config", -1),
    }
}

/// The program; returns the exit status.
pub fn run() -> u32 {
    let mut con = Console::default();
    let (mut passed, mut failed) = (0i64, 0i64);
    for case in CASES {
        match run_case(case, &mut |_, _| {}) {
            Ok(()) => {
                passed += 1;
                let _ = uwriteln!(con, "PASS {}", case.name);
            }
            Err(m) => {
                failed += 1;
                let (what, n) = describe(&m);
                if n < 0 {
                    let _ = uwriteln!(con, "FAIL {} (step {}: {})", case.name, m.step, what);
                } else {
                    let _ = uwriteln!(con, "FAIL {} (step {}: {}{})", case.name, m.step, what, n);
                }
            }
        }
    }
    // The same table through the library's own loop: the counts must agree.
    let again = run_all(&mut |_| {}) as i64;
    if again != failed {
        let _ = uwriteln!(con, "FAIL run_all reports failures: {}", again);
        failed = failed.max(again).max(1);
    }

    let mut cmd = [0u8; 256];
    let bench = rt::cmdline(&mut cmd)
        .split(|&b| b == b' ')
        .any(|w| w == b"bench");
    let problems = measure::report(&mut con, bench);
    if problems > 0 {
        failed += problems;
    }

    let _ = uwriteln!(con, "{} passed, {} failed", passed, failed);
    u32::from(failed != 0)
}
