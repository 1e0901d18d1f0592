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

use xfota_vectors::{run_all, run_case, Mismatch, MismatchKind, CASES};

/// Decimal digits of `n`, sign included.
pub fn dec(n: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut i = buf.len();
    let neg = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 1 {
            break;
        }
    }
    if neg {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'-';
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// Prints pieces of one line: byte strings and integers.
pub enum Piece<'a> {
    /// Text.
    S(&'a [u8]),
    /// A number.
    N(i64),
}

/// Prints one line made of `pieces`.
pub fn println(pieces: &[Piece<'_>]) {
    let mut line = [0u8; 256];
    let mut len = 0;
    let mut push = |b: &[u8]| {
        for &c in b {
            if let Some(slot) = line.get_mut(len) {
                *slot = c;
                len += 1;
            }
        }
    };
    for p in pieces {
        match p {
            Piece::S(s) => push(s),
            Piece::N(n) => push(dec(*n, &mut [0u8; 24])),
        }
    }
    push(b"\n");
    rt::write(line.get(..len).unwrap_or(&[]));
}

fn describe(m: &Mismatch) -> (&'static [u8], i64) {
    match m.kind {
        MismatchKind::Trace { index } => (b"trace entry ", index as i64),
        MismatchKind::TraceShort { got, .. } => (b"trace ended after entries: ", got as i64),
        MismatchKind::State => (b"state", -1),
        MismatchKind::Stored => (b"stored record", -1),
        MismatchKind::Config => (b"config", -1),
    }
}

/// The program; returns the exit status.
pub fn run() -> u32 {
    let (mut passed, mut failed) = (0i64, 0i64);
    for case in CASES {
        match run_case(case, &mut |_, _| {}) {
            Ok(()) => {
                passed += 1;
                println(&[Piece::S(b"PASS "), Piece::S(case.name.as_bytes())]);
            }
            Err(m) => {
                failed += 1;
                let (what, n) = describe(&m);
                let mut pieces = [
                    Piece::S(b"FAIL "),
                    Piece::S(case.name.as_bytes()),
                    Piece::S(b" (step "),
                    Piece::N(m.step as i64),
                    Piece::S(b": "),
                    Piece::S(what),
                    Piece::N(n),
                    Piece::S(b")"),
                ];
                if n < 0 {
                    if let Some(p) = pieces.get_mut(6) {
                        *p = Piece::S(b"");
                    }
                }
                println(&pieces);
            }
        }
    }
    // The same table through the library's own loop: the counts must agree.
    let again = run_all(&mut |_| {}) as i64;
    if again != failed {
        println(&[
            Piece::S(b"FAIL run_all reports failures: "),
            Piece::N(again),
        ]);
        failed = failed.max(again).max(1);
    }

    let mut cmd = [0u8; 256];
    let bench = rt::cmdline(&mut cmd)
        .split(|&b| b == b' ')
        .any(|w| w == b"bench");
    let problems = measure::report(bench);
    if problems > 0 {
        failed += problems;
    }

    println(&[
        Piece::N(passed),
        Piece::S(b" passed, "),
        Piece::N(failed),
        Piece::S(b" failed"),
    ]);
    u32::from(failed != 0)
}
