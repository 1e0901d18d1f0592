//! Runs every line of `tests/data/bad_input.txt` (malformed `AT#XFOTA` lines, format documented
//! at the top of that file) against an idle core, a core mid-download and a core at stage 4: the
//! answer is exactly `\r\nERROR\r\n`, no URC, no port effect other than one log line, and the
//! core is exactly as before.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{Ev, Harness, CANNED};
use xfota_core::{DownloadEvent, LineResult, Log, StateView};

const DATA: &str = include_str!("data/bad_input.txt");

/// Undoes the file's escapes: `\r \n \t \0 \\ \xNN`.
fn unescape(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b != b'\\' {
            assert!(
                (0x20..=0x7e).contains(&b),
                "raw byte {b:#x} in {s:?}: escape it"
            );
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = [it.next().unwrap(), it.next().unwrap()];
                let hex = std::str::from_utf8(&hex).unwrap();
                out.push(
                    u8::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("bad \\x in {s:?}")),
                );
            }
            other => panic!("unknown escape {other:?} in {s:?}"),
        }
    }
    out
}

fn cases() -> Vec<(Vec<u8>, &'static str)> {
    DATA.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (line, reason) = l
                .split_once('\t')
                .unwrap_or_else(|| panic!("no reason: {l:?}"));
            assert!(!reason.trim().is_empty(), "empty reason: {l:?}");
            (unescape(line), reason)
        })
        .collect()
}

fn booted() -> Harness {
    Harness::booted().unwrap()
}

fn idle() -> Harness {
    booted()
}

fn downloading() -> Harness {
    let mut h = booted();
    assert_eq!(h.line(CANNED[3]).unwrap(), LineResult::Ok);
    h.event(1, DownloadEvent::ErasePending).unwrap();
    h.event(1, DownloadEvent::Erased).unwrap();
    h.event(1, DownloadEvent::Progress(42)).unwrap();
    assert!(matches!(
        h.fota.state(),
        StateView::Downloading {
            percent: Some(42),
            ..
        }
    ));
    h
}

fn waiting() -> Harness {
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    assert!(matches!(h.fota.state(), StateView::Downloaded { .. }));
    h
}

#[test]
fn corpus_is_big_and_unique() {
    let cases = cases();
    assert!(cases.len() >= 200, "{} cases", cases.len());
    let mut lines: Vec<&Vec<u8>> = cases.iter().map(|(l, _)| l).collect();
    lines.sort();
    lines.dedup();
    assert_eq!(lines.len(), cases.len(), "duplicate lines");
}

#[test]
fn every_bad_line_is_error_without_effect() {
    let mut failures = Vec::new();
    for (line, reason) in cases() {
        for (name, make) in [
            ("idle", idle as fn() -> Harness),
            ("downloading", downloading),
            ("stage 4", waiting),
        ] {
            let mut h = make();
            let before = h.fota.clone();
            let state = h.fota.state();
            let stored = h.world.stored.clone();
            // The harness checks the common invariants; then the strict expectations.
            let r = h.line(&line);
            let ok = matches!(r, Ok(LineResult::Error))
                && matches!(h.last_trace.as_slice(), [Ev::Log(Log::Rejected, _), Ev::Out(o)] if o == b"\r\nERROR\r\n")
                && h.fota.state() == state
                && h.fota == before
                && h.world.stored == stored;
            if !ok {
                failures.push(format!(
                    "{name}: {:?} ({reason}): {r:?} {:?}",
                    line.escape_ascii().to_string(),
                    h.last_trace
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
