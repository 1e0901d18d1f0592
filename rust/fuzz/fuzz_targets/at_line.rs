//! Arbitrary bytes as one AT line, into a fresh core, a core mid-download (modem, after the
//! erase, at 37 %) and a core at stage 4. The shared harness (`xfota-core/tests/common`) checks
//! every write against DESIGN.md §2, that the line ends with exactly one OK/ERROR (or nothing for
//! a foreign line), that an invalid line only logs and answers ERROR with the core unchanged,
//! that an accepted start hands the downloader exactly the validated URL, and more.
#![no_main]

#[path = "../../xfota-core/tests/common/mod.rs"]
mod common;

use common::{Harness, CANNED};
use libfuzzer_sys::fuzz_target;
use xfota_core::at::{self, Command, Parsed};
use xfota_core::url::Scheme;
use xfota_core::{BootReport, DownloadEvent, SwapType};

fn check(r: Result<(), String>) {
    if let Err(e) = r {
        panic!("invariant violated: {e}");
    }
}

fn fresh() -> Harness {
    let mut h = Harness::ok();
    check(h.boot(
        None,
        BootReport {
            app_swap: SwapType::None,
            modem_result: None,
        },
    ));
    h
}

fuzz_target!(|line: &[u8]| {
    // Grammar-level properties of anything accepted.
    if let Parsed::Command(cmd) = at::parse(line) {
        assert!(line.iter().all(|&b| (0x20..=0x7e).contains(&b)));
        if let Command::Start(s) = cmd {
            assert_eq!(s.url.scheme == Scheme::Https, s.sec_tag.is_some());
            assert!(!s.url.authority.is_empty() && !s.url.authority.contains('@'));
            assert!(!s.url.path.is_empty());
            if let Some(apn) = s.apn {
                assert!(apn
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
            }
        }
    }

    let mut h = fresh();
    check(h.line(line).map(|_| ()));

    let mut h = fresh();
    check(h.line(CANNED[1]).map(|_| ()));
    check(h.event(1, DownloadEvent::Erased));
    check(h.event(1, DownloadEvent::Progress(37)));
    check(h.line(line).map(|_| ()));
    // Whatever the line did, the session's events still work.
    let s = h.last_started();
    check(h.event(s, DownloadEvent::Finished));

    let mut h = fresh();
    check(h.line(CANNED[0]).map(|_| ()));
    check(h.event(1, DownloadEvent::Finished));
    check(h.line(line).map(|_| ()));
});
