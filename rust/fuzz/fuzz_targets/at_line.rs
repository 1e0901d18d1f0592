//! Arbitrary bytes as one AT line, into a fresh booted core, a core mid-download (modem, after
//! the erase, at 37 %), a core at stage 4 and a core whose modem is down. The shared harness
//! (`xfota-core/tests/common`) checks that the core's parse agrees with the independent grammar
//! model (Nordic's at_parser lexing, DESIGN.md §2 rules), that every write is an allowed line,
//! that the line ends with exactly one OK/ERROR (or nothing for a foreign line), that an invalid
//! line only logs and answers ERROR with the core unchanged, that an accepted start hands the
//! downloader exactly the validated URL, and more.
#![no_main]

#[path = "../../xfota-core/tests/common/mod.rs"]
mod common;

use common::{report, Harness, CANNED};
use libfuzzer_sys::fuzz_target;
use xfota_core::at::{self, Command, Parsed};
use xfota_core::{DownloadEvent, SwapType};

fn check<T>(r: Result<T, String>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("invariant violated: {e}"),
    }
}

fuzz_target!(|line: &[u8]| {
    // Grammar-level properties of anything accepted.
    if let Parsed::Command(cmd) = at::parse(line) {
        assert!(line.iter().all(|&b| (0x20..=0x7e).contains(&b)));
        if let Command::Start(s) = cmd {
            assert_eq!(s.url.https, s.sec_tag.is_some());
            assert!(!s.url.raw.is_empty() && s.url.raw.len() <= 255);
            assert!(s.url.raw.iter().all(|&b| (0x21..=0x7e).contains(&b)));
            if let Some(apn) = s.apn {
                assert!(apn
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
            }
        }
    }

    let mut h = check(Harness::booted());
    check(h.line(line));

    let mut h = check(Harness::booted());
    check(h.line(CANNED[1]));
    check(h.event(1, DownloadEvent::Erased));
    check(h.event(1, DownloadEvent::Progress(37)));
    check(h.line(line));
    // Whatever the line did, the session's events still work (or are an echo / stale).
    let s = h.last_started();
    check(h.event(s, DownloadEvent::Finished));

    let mut h = check(Harness::booted());
    check(h.line(CANNED[0]));
    check(h.event(1, DownloadEvent::Finished));
    check(h.line(line));

    let mut h = Harness::ok();
    check(h.boot(None, report(SwapType::None, None, -5)));
    check(h.line(line));
});
