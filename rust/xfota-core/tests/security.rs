//! Security rules of the core, one test (or more) each. See docs/robustness.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{record, Ev, Faults, Harness, Res, StoredGen, CANNED, MODEM_DFU_OK};
use xfota_core::at::{self, Command, Parsed, Reject};
use xfota_core::record::RECORD_LEN;
use xfota_core::url::Scheme;
use xfota_core::{BootReport, DownloadEvent, ImageType, LineResult, LogEvent, StateView, SwapType};

fn boot_report(swap: SwapType, modem: Option<i32>) -> BootReport {
    BootReport {
        app_swap: swap,
        modem_result: modem,
    }
}

fn booted() -> Harness {
    let mut h = Harness::ok();
    h.boot(None, boot_report(SwapType::None, None)).unwrap();
    h
}

fn start_of(h: &Harness) -> Option<(Option<u32>, Option<String>)> {
    h.last_trace.iter().find_map(|e| match e {
        Ev::Start { sec_tag, apn, .. } => Some((*sec_tag, apn.clone())),
        _ => None,
    })
}

// --- Rule 1: https requires a sec_tag (and http never passes one) --------------------------

#[test]
fn https_requires_sec_tag() {
    for line in [
        &b"AT#XFOTA=1,\"https://h/f\""[..],
        b"AT#XFOTA=2,\"HTTPS://h/f\"",
        b"AT#XFOTA=1,\"https://h/f\",",
        b"AT#XFOTA=1,\"https://h/f\",,\"ims\"",
        b"AT#XFOTA=1,\"hTTps://[::1]:443/f\",,",
    ] {
        assert_eq!(
            at::parse(line),
            Parsed::Invalid(Reject::HttpsNeedsSecTag),
            "{line:?}"
        );
        let mut h = booted();
        assert_eq!(h.line(line).unwrap(), LineResult::Error);
        assert!(
            start_of(&h).is_none(),
            "downloader started without credentials"
        );
    }
    let mut h = booted();
    assert_eq!(
        h.line(b"AT#XFOTA=1,\"https://h/f\",0").unwrap(),
        LineResult::Ok
    );
    assert_eq!(start_of(&h), Some((Some(0), None)));
    let mut h = booted();
    assert_eq!(
        h.line(b"AT#XFOTA=1,\"https://h/f\",2147483647,\"a.b\"")
            .unwrap(),
        LineResult::Ok
    );
    assert_eq!(
        start_of(&h),
        Some((Some(2_147_483_647), Some("a.b".into())))
    );
    // http ignores a given sec_tag: it never reaches the downloader (no TLS with a plain URL).
    let mut h = booted();
    assert_eq!(
        h.line(b"AT#XFOTA=1,\"http://h/f\",42").unwrap(),
        LineResult::Ok
    );
    assert_eq!(start_of(&h), Some((None, None)));
}

// --- Rule 2: URL and APN bytes are never echoed ----------------------------------------------

const SECRET_HOST: &str = "zq7-secret-host.example";
const SECRET_PATH: &str = "zq7/secret/path.bin";
const SECRET_APN: &str = "zq7-secret-apn";

#[test]
fn url_and_apn_never_echoed() {
    let good =
        format!("AT#XFOTA=2,\"https://{SECRET_HOST}:8443/{SECRET_PATH}\",9,\"{SECRET_APN}\"");
    let bad = [
        format!("AT#XFOTA=2,\"https://user:pw@{SECRET_HOST}/{SECRET_PATH}\",9"),
        format!("AT#XFOTA=1,\"https://{SECRET_HOST}/{SECRET_PATH}\""),
        format!("AT#XFOTA=1,\"ftp://{SECRET_HOST}/{SECRET_PATH}\""),
        format!("AT#XFOTA=1,\"http://{SECRET_HOST}/{SECRET_PATH}\",1,\"{SECRET_APN};\""),
        format!("AT#XFOTA=7,\"http://{SECRET_HOST}/{SECRET_PATH}\""),
    ];
    let mut h = booted();
    for l in &bad {
        assert_eq!(h.line(l.as_bytes()).unwrap(), LineResult::Error);
    }
    // Successful flow: start, erase, progress, error; start again; cancel; start refused.
    h.line(good.as_bytes()).unwrap();
    h.event(1, DownloadEvent::ErasePending).unwrap();
    h.event(1, DownloadEvent::Erased).unwrap();
    h.event(1, DownloadEvent::Progress(50)).unwrap();
    h.event(1, DownloadEvent::Error(2)).unwrap();
    h.line(good.as_bytes()).unwrap();
    h.line(good.as_bytes()).unwrap(); // refused: busy
    h.line(b"AT#XFOTA=0").unwrap();
    h.faults.start = Res::Err(5);
    h.line(good.as_bytes()).unwrap();
    h.faults.start = Res::Ok;
    h.line(good.as_bytes()).unwrap();
    let s = h.last_started();
    h.event(s, DownloadEvent::Finished).unwrap();
    h.power_cycle(
        &StoredGen::Keep,
        boot_report(SwapType::None, Some(MODEM_DFU_OK)),
    )
    .unwrap();
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 5,0\r\n"));
    for secret in [
        SECRET_HOST,
        SECRET_PATH,
        SECRET_APN,
        "zq7",
        "secret",
        "user",
        "pw",
        "https",
        "://",
    ] {
        assert!(
            !h.uart
                .windows(secret.len())
                .any(|w| w.eq_ignore_ascii_case(secret.as_bytes())),
            "{secret:?} echoed: {:?}",
            h.uart.escape_ascii().to_string()
        );
    }
}

#[test]
fn log_events_carry_no_user_data() {
    // LogEvent is Copy and holds only enums and integers: it cannot carry URL or APN text. This
    // pins that at compile time (a borrowed string would make it non-'static or non-Copy).
    fn assert_plain<T: Copy + 'static>() {}
    assert_plain::<LogEvent>();
    assert_plain::<Reject>();
}

// --- Rule 3: the APN can never alter an AT string ---------------------------------------------

#[test]
fn apn_injection_rejected() {
    let hostile: &[&[u8]] = &[
        b"ims\"",
        b"ims;+CFUN=0",
        b"ims,IP",
        b"ims\r\nAT+CFUN=0",
        b"ims\rAT+CFUN=0",
        b"ims\nAT+CFUN=0",
        b"+CGDCONT=1,\"IP\",\"evil",
        b"x\";+CGDCONT=0,\"IP\",\"evil",
        b"ims\0x",
        b"ims x",
        b"ims\tx",
        b"i%22ms",
        b"ims'",
        b"ims\\",
        b"ims=1",
        b"ims?",
        b"ims#",
        b"a_b",
        b"\xc3\xa9",
        b"",
        b".",
        b"a..b",
        b"a.",
        b".a",
    ];
    for apn in hostile {
        let mut line = b"AT#XFOTA=1,\"http://h/f\",,\"".to_vec();
        line.extend_from_slice(apn);
        line.push(b'"');
        assert!(
            matches!(at::parse(&line), Parsed::Invalid(_)),
            "{:?} accepted",
            line.escape_ascii().to_string()
        );
        let mut h = booted();
        assert_eq!(h.line(&line).unwrap(), LineResult::Error);
        assert!(start_of(&h).is_none());
    }
}

#[test]
fn apn_charset_is_exactly_letters_digits_hyphen_dot() {
    for b in 0u8..=255 {
        let mut line = b"AT#XFOTA=1,\"http://h/f\",,\"a".to_vec();
        line.push(b);
        line.extend_from_slice(b"b\"");
        let allowed = b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
        match at::parse(&line) {
            Parsed::Command(Command::Start(s)) => {
                assert!(allowed, "byte {b:#x} accepted");
                assert_eq!(s.apn.map(str::as_bytes), Some(&line[26..29]));
            }
            other => assert!(!allowed, "byte {b:#x} refused: {other:?}"),
        }
    }
}

#[test]
fn apn_length_limits() {
    let label = |n: usize| "a".repeat(n);
    // lte_lc's PDN module takes at most 63 bytes (APN_STR_MAX_LEN 64 with the NUL).
    let ok = [label(1), label(63), format!("{}.{}", label(31), label(31))];
    let bad = [
        label(64),
        format!("{}.{}", label(31), label(32)),
        format!("{}.{}", label(63), label(1)),
        label(101),
    ];
    for (apn, want) in ok
        .iter()
        .map(|a| (a, true))
        .chain(bad.iter().map(|a| (a, false)))
    {
        let line = format!("AT#XFOTA=1,\"http://h/f\",,\"{apn}\"");
        let got = matches!(
            at::parse(line.as_bytes()),
            Parsed::Command(Command::Start(_))
        );
        assert_eq!(got, want, "APN of {} bytes", apn.len());
    }
}

#[test]
fn url_charset_is_printable_ascii_only() {
    for b in 0u8..=255 {
        let mut line = b"AT#XFOTA=1,\"http://h/a".to_vec();
        line.push(b);
        line.extend_from_slice(b"b\"");
        let allowed = (0x21..=0x7e).contains(&b) && b != b'"';
        match at::parse(&line) {
            Parsed::Command(Command::Start(s)) => {
                assert!(allowed, "byte {b:#x} accepted");
                assert_eq!(s.url.scheme, Scheme::Http);
            }
            other => assert!(!allowed, "byte {b:#x} refused: {other:?}"),
        }
    }
}

#[test]
fn userinfo_rejected() {
    for url in [
        "http://u@h/f",
        "http://u:p@h/f",
        "https://@h/f",
        "http://h@/f",
    ] {
        let line = format!("AT#XFOTA=1,\"{url}\",1");
        assert!(
            matches!(at::parse(line.as_bytes()), Parsed::Invalid(Reject::Url(_))),
            "{url}"
        );
    }
    // '@' after the authority is just part of the path.
    assert!(matches!(
        at::parse(b"AT#XFOTA=1,\"http://h/a@b\""),
        Parsed::Command(_)
    ));
}

// --- Rule 4: a corrupt persisted record is ignored, never acted on, and cleared ---------------
//
// "Never acted on" means: after it is logged and cleared, the boot goes exactly as with no record
// at all. (With no record, the core still confirms and reports an image MCUboot runs in test
// mode, REVERT, so that it does not silently revert; that is driven by MCUboot, not the record.)

fn corrupt_boot(bytes: &[u8], swap: SwapType, modem: Option<i32>) {
    let mut h = Harness::ok();
    h.stored = None;
    h.boot(Some(bytes.to_vec()), boot_report(swap, modem))
        .unwrap();
    let t = h.last_trace.clone();
    assert_eq!(
        t.first(),
        Some(&Ev::Out(b"Ready\r\n".to_vec())),
        "{bytes:?}"
    );
    assert!(
        matches!(t.get(1), Some(Ev::Log(LogEvent::CorruptRecord(_)))),
        "{bytes:?} {t:?}"
    );
    assert!(
        matches!(t.get(2), Some(Ev::Clear(Ok(())))),
        "{bytes:?} {t:?}"
    );
    let mut none = Harness::ok();
    none.stored = None;
    none.boot(None, boot_report(swap, modem)).unwrap();
    let mut rest = vec![t[0].clone()];
    rest.extend(t[3..].iter().cloned());
    assert_eq!(
        rest, none.last_trace,
        "{bytes:?}: differs from a boot with no record"
    );
    assert_eq!(h.fota.state(), none.fota.state());
    assert_eq!(h.uart, none.uart);
}

#[test]
fn corrupt_record_is_never_acted_on() {
    // A trusted record would report 5,3 on NONE, 5,1,<code> on FAIL, 5,0 on DFU OK.
    let reports = [
        (SwapType::Revert, Some(MODEM_DFU_OK)),
        (SwapType::None, Some(0x440_0004)),
        (SwapType::Fail, None),
    ];
    for modem in [false, true] {
        let good = record(modem);
        for bit in 0..RECORD_LEN * 8 {
            let mut c = good;
            c[bit / 8] ^= 1 << (bit % 8);
            for (swap, m) in reports {
                corrupt_boot(&c, swap, m);
            }
        }
        for len in [0, 1, 8, 11, 13, 16] {
            let mut v = good.to_vec();
            v.resize(len, 0);
            corrupt_boot(&v, SwapType::Revert, Some(MODEM_DFU_OK));
        }
    }
    // Valid CRC but a wrong version / image / stage / status / info combination.
    let bad: &[&[(usize, u8)]] = &[
        &[(2, 2)],         // version
        &[(3, 0)],         // image 0
        &[(3, 3)],         // image 3
        &[(4, 0)],         // stage 0
        &[(4, 6)],         // stage 6
        &[(5, 1)],         // stage 4 with status 1
        &[(6, 1)],         // stage 4 with info
        &[(4, 5), (5, 2)], // stage 5, status 2 (cancelled is no result)
        &[(4, 5), (6, 7)], // stage 5 OK with info
    ];
    for changes in bad {
        let mut r = record(false);
        for &(i, v) in *changes {
            r[i] = v;
        }
        let crc = xfota_core::record::crc16(&r[..10]).to_le_bytes();
        r[10..].copy_from_slice(&crc);
        corrupt_boot(&r, SwapType::Revert, Some(MODEM_DFU_OK));
    }
    corrupt_boot(&[0xff; RECORD_LEN], SwapType::Revert, None);
    corrupt_boot(&[0; RECORD_LEN], SwapType::Revert, None);
}

#[test]
fn corrupt_record_clear_failure_is_only_logged() {
    let mut h = Harness::new(
        xfota_core::DEFAULT_CONFIG,
        Faults {
            clear: Res::Err(5),
            ..Faults::default()
        },
    )
    .unwrap();
    h.boot(Some(vec![1, 2, 3]), boot_report(SwapType::None, None))
        .unwrap();
    assert!(h
        .last_trace
        .iter()
        .any(|e| matches!(e, Ev::Log(LogEvent::ClearFailed(-6)))));
    assert!(!h.last_trace.iter().any(|e| matches!(e, Ev::Confirm(_))));
    assert_eq!(h.uart, b"Ready\r\n");
    // Still usable: a download can start.
    assert_eq!(h.line(CANNED[0]).unwrap(), LineResult::Ok);
}

// --- Rule 5: every failed/cancelled session resets the DFU target -----------------------------

fn resets(h: &Harness) -> Vec<ImageType> {
    h.last_trace
        .iter()
        .filter_map(|e| match e {
            Ev::Reset(i, _) => Some(*i),
            _ => None,
        })
        .collect()
}

#[test]
fn download_error_resets_dfu_target() {
    for cause in [i32::MIN, -116, -1, 0, 1, 2, 3, 4, 416, i32::MAX] {
        for (line, image) in [(CANNED[0], ImageType::App), (CANNED[1], ImageType::Modem)] {
            let mut h = booted();
            h.line(line).unwrap();
            h.event(1, DownloadEvent::Progress(60)).unwrap();
            h.event(1, DownloadEvent::Error(cause)).unwrap();
            assert_eq!(resets(&h), [image], "cause {cause}");
            // The next start is a new session from offset 0 (the DFU target was reset).
            h.line(line).unwrap();
            assert!(matches!(
                h.fota.state(),
                StateView::Downloading {
                    session: 2,
                    percent: None,
                    ..
                }
            ));
        }
    }
}

#[test]
fn cancel_and_failed_save_reset_dfu_target() {
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.line(b"AT#XFOTA=0").unwrap();
    assert_eq!(resets(&h), [ImageType::App]);

    let mut h = booted();
    h.line(CANNED[1]).unwrap();
    h.event(1, DownloadEvent::Cancelled).unwrap();
    assert_eq!(resets(&h), [ImageType::Modem]);

    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.faults.save = Res::Err(27);
    h.event(1, DownloadEvent::Finished).unwrap();
    assert_eq!(resets(&h), [ImageType::App]);
    assert_eq!(h.stored, None);
    assert_eq!(h.fota.state(), StateView::Idle);

    // Even when the reset itself fails, the session ends (and the failure is logged).
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.faults.reset = Res::Err(4);
    h.event(1, DownloadEvent::Error(1)).unwrap();
    assert!(h
        .last_trace
        .iter()
        .any(|e| matches!(e, Ev::Log(LogEvent::ResetFailed(-5)))));
    assert_eq!(h.fota.state(), StateView::Idle);
}

#[test]
fn stale_session_events_are_ignored() {
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.line(b"AT#XFOTA=0").unwrap();
    h.line(CANNED[0]).unwrap();
    // Events of session 1 (cancelled) must not touch session 2.
    for ev in [
        DownloadEvent::Finished,
        DownloadEvent::Error(3),
        DownloadEvent::Cancelled,
        DownloadEvent::Progress(100),
    ] {
        for s in [0, 1, 3, u16::MAX] {
            h.event(s, ev).unwrap();
            assert_eq!(h.last_trace, [Ev::Log(LogEvent::StaleEvent)]);
        }
    }
    assert!(matches!(
        h.fota.state(),
        StateView::Downloading { session: 2, .. }
    ));
}

// --- Boot report ordering (a core that handled lines before its boot report) ------------------

/// The shell must call `on_boot` before the AT host runs; if it does not, the core must still
/// never drop a running session (the downloader keeps pointers into the session's host/file
/// storage) nor report a result for an image that was never activated.
#[test]
fn late_boot_report_keeps_running_session() {
    let mut h = Harness::ok();
    h.line(CANNED[1]).unwrap(); // modem download running, unbooted core
    let r = h.boot(
        Some(record(true).to_vec()),
        boot_report(SwapType::None, None),
    );
    assert!(r.is_ok(), "{}", r.unwrap_err());
}

#[test]
fn late_boot_report_does_not_report_unactivated_image() {
    let mut h = Harness::ok();
    h.line(CANNED[0]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    let rec = h.stored.map(|b| b.to_vec());
    let r = h.boot(rec, boot_report(SwapType::Revert, None));
    assert!(r.is_ok(), "{}", r.unwrap_err());
    assert!(!h.last_trace.iter().any(|e| matches!(e, Ev::Confirm(_))));
}

#[test]
fn image_in_test_mode_without_record_is_confirmed_and_reported() {
    // The record was lost (or is corrupt) but MCUboot runs a new image in test mode: it is
    // confirmed (else it would revert at the next reset) and reported like any app result.
    for stored in [None, Some(vec![0u8; RECORD_LEN])] {
        let mut h = Harness::ok();
        h.stored = None;
        h.boot(stored, boot_report(SwapType::Revert, None)).unwrap();
        assert!(h
            .last_trace
            .iter()
            .any(|e| matches!(e, Ev::Log(LogEvent::RevertWithoutRecord))));
        assert!(h
            .last_trace
            .iter()
            .any(|e| matches!(e, Ev::Confirm(Ok(())))));
        assert!(
            h.uart.ends_with(b"Ready\r\n\r\n#XFOTA: 5,0\r\n"),
            "{:?}",
            h.uart
        );
        assert_eq!(h.stored, None);
    }
}
