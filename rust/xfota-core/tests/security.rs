//! Security rules of the core, one test (or more) each. See docs/robustness.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{
    mcuboot, rec, record, report, BootGen, Ev, Faults, Harness, ImageGen, ModemGen, Mutation,
    PrimaryGen, Res, StoredGen, SwapGen, CANNED,
};
use xfota_core::at::{self, Command, Parsed, Reject};
use xfota_core::record::RECORD_LEN;
use xfota_core::{
    BootReport, DownloadEvent, ImageType, LineResult, Log, StateView, SwapType, MODEM_DFU_OK,
};

fn boot_report(swap: SwapType, modem: Option<i32>) -> BootReport {
    report(swap, modem, 0)
}

fn booted() -> Harness {
    Harness::booted().unwrap()
}

fn start_of(h: &Harness) -> Option<(Option<u32>, Option<Vec<u8>>)> {
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
        Some((Some(2_147_483_647), Some(b"a.b".to_vec())))
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
    h.power_cycle(&StoredGen::Keep, &BootGen::Model(ModemGen::Ok, Res::Ok))
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
    // A log line is a `Log` code and one i32 (Port::log): it cannot carry URL or APN text.
    // This pins that at compile time (a borrowed string would make it non-'static or non-Copy).
    fn assert_plain<T: Copy + 'static>() {}
    assert_plain::<Log>();
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
                assert_eq!(s.apn, Some(&line[26..29]));
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
                assert!(!s.url.https);
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
            matches!(
                at::parse(line.as_bytes()),
                Parsed::Invalid(Reject::UrlUserinfo)
            ),
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
    h.boot(Some(bytes.to_vec()), boot_report(swap, modem))
        .unwrap();
    let t = h.last_trace.clone();
    assert_eq!(
        t.first(),
        Some(&Ev::Out(b"Ready\r\n".to_vec())),
        "{bytes:?}"
    );
    assert!(
        matches!(t.get(1), Some(Ev::Log(Log::CorruptRecord, _))),
        "{bytes:?} {t:?}"
    );
    assert!(
        matches!(t.get(2), Some(Ev::Clear(Ok(())))),
        "{bytes:?} {t:?}"
    );
    let mut none = Harness::ok();
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

/// `bytes` with the CRC of a version-2 record recomputed (valid CRC, bad fields).
fn resealed(mut b: Vec<u8>) -> Vec<u8> {
    let crc = rec::crc16(&b[..26]).to_le_bytes();
    b[26..].copy_from_slice(&crc);
    b
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
            let mut c = good.clone();
            c[bit / 8] ^= 1 << (bit % 8);
            for (swap, m) in reports {
                corrupt_boot(&c, swap, m);
            }
        }
        for len in [0, 1, 8, 11, 12, 13, 16, 27, 29] {
            let mut v = good.clone();
            v.resize(len, 0);
            corrupt_boot(&v, SwapType::Revert, Some(MODEM_DFU_OK));
        }
    }
    // Valid CRC but a wrong version / image / stage / status / info / identity combination.
    let bad: &[&[(usize, u8)]] = &[
        &[(2, 1)],         // version 1 in 28 bytes
        &[(2, 3)],         // version 3
        &[(3, 0)],         // image 0
        &[(3, 3)],         // image 3
        &[(4, 0)],         // stage 0
        &[(4, 6)],         // stage 6
        &[(5, 1)],         // stage 4 with status 1
        &[(6, 1)],         // stage 4 with info
        &[(4, 5), (5, 2)], // stage 5, status 2 (cancelled is no result)
        &[(4, 5), (6, 7)], // stage 5 OK with info
        &[(4, 5)],         // a result with an identity
        &[(3, 2)],         // a modem record with an identity
    ];
    for changes in bad {
        let mut r = record(false);
        for &(i, v) in *changes {
            r[i] = v;
        }
        corrupt_boot(&resealed(r), SwapType::Revert, Some(MODEM_DFU_OK));
    }
    // A version-1 record of 12 bytes with a bad field.
    let mut v1 = rec::raw_v1(1, 4, 0, 0);
    v1[4] = 6;
    let crc = rec::crc16(&v1[..10]).to_le_bytes();
    v1[10..].copy_from_slice(&crc);
    corrupt_boot(&v1, SwapType::Revert, None);
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
        .any(|e| matches!(e, Ev::Log(Log::ClearFailed, -6))));
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

fn ends(h: &Harness) -> usize {
    h.last_trace.iter().filter(|e| **e == Ev::End).count()
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
            assert_eq!(ends(&h), 1, "the link of the session is released once");
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
    assert_eq!(ends(&h), 1);

    let mut h = booted();
    h.line(CANNED[1]).unwrap();
    h.event(1, DownloadEvent::Cancelled).unwrap();
    assert_eq!(resets(&h), [ImageType::Modem]);

    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.faults.save = Res::Err(27);
    h.event(1, DownloadEvent::Finished).unwrap();
    assert_eq!(resets(&h), [ImageType::App]);
    assert_eq!(h.world.stored, None);
    assert_eq!(h.fota.state(), StateView::Idle);

    // Even when the reset itself fails, the session ends (and the failure is logged).
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.faults.reset = Res::Err(4);
    h.event(1, DownloadEvent::Error(1)).unwrap();
    assert!(h
        .last_trace
        .iter()
        .any(|e| matches!(e, Ev::Log(Log::ResetFailed, -5))));
    assert_eq!(ends(&h), 1);
    assert_eq!(h.fota.state(), StateView::Idle);
}

#[test]
fn stale_session_events_are_ignored() {
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.line(b"AT#XFOTA=0").unwrap();
    h.line(CANNED[0]).unwrap();
    // The first terminal event of session 1 is its cancel's echo, swallowed; every other event
    // of session 1, or of sessions that never ran, must not touch session 2.
    h.event(1, DownloadEvent::Error(2)).unwrap();
    assert_eq!(h.last_trace, [Ev::Log(Log::CancelEcho, 1)]);
    for ev in [
        DownloadEvent::Finished,
        DownloadEvent::Error(3),
        DownloadEvent::Cancelled,
        DownloadEvent::Progress(100),
    ] {
        for s in [0, 1, 3, u16::MAX] {
            h.event(s, ev).unwrap();
            assert_eq!(h.last_trace, [Ev::Log(Log::StaleEvent, i32::from(s))]);
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
    let r = h.boot(Some(record(true)), boot_report(SwapType::None, None));
    assert!(r.is_ok(), "{}", r.unwrap_err());
}

#[test]
fn late_boot_report_does_not_report_unactivated_image() {
    let mut h = Harness::ok();
    h.line(CANNED[0]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    let rec = h.world.stored.clone();
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
        h.boot(stored, boot_report(SwapType::Revert, None)).unwrap();
        assert!(h
            .last_trace
            .iter()
            .any(|e| matches!(e, Ev::Log(Log::RevertWithoutRecord, 0))));
        assert!(h
            .last_trace
            .iter()
            .any(|e| matches!(e, Ev::Confirm(Ok(())))));
        assert!(
            h.uart.ends_with(b"Ready\r\n\r\n#XFOTA: 5,0\r\n"),
            "{:?}",
            h.uart
        );
        assert_eq!(h.world.stored, None);
    }
}

// --- Rule 6 (issue 13): an application image is verified before 4,0 and identified at boot ---

fn finish_app_with(img: &ImageGen, faults: Faults) -> Harness {
    finish_app_with_bytes(img.bytes(), faults)
}

fn finish_app_with_bytes(bytes: Vec<u8>, faults: Faults) -> Harness {
    let mut h = booted();
    h.world.served = bytes;
    h.line(CANNED[0]).unwrap();
    h.faults = faults;
    h.event(1, DownloadEvent::Finished).unwrap();
    h
}

fn image(mutation: Mutation) -> ImageGen {
    ImageGen {
        seed: 9,
        body: 30,
        hdr_pad: 1,
        protected: 1,
        before: 1,
        after: 1,
        mutation,
    }
}

/// Nothing of a refused image survives: no record, nothing scheduled, the slot reset, the link
/// released, `1,1,2`.
fn assert_rejected(h: &Harness) {
    let t = &h.last_trace;
    assert!(
        t.iter()
            .any(|e| matches!(e, Ev::Log(Log::ImageRejected, _))),
        "{t:?}"
    );
    assert!(!t
        .iter()
        .any(|e| matches!(e, Ev::Save(..) | Ev::Schedule { .. })));
    assert_eq!(resets(h), [ImageType::App]);
    assert_eq!(ends(h), 1);
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 1,1,2\r\n"));
    assert_eq!(h.world.stored, None);
    assert!(!h.world.swap_requested);
    assert_eq!(h.fota.state(), StateView::Idle);
}

#[test]
fn a_good_image_is_verified_recorded_with_its_identity_and_scheduled() {
    let h = finish_app_with(&image(Mutation::None), Faults::default());
    let bytes = image(Mutation::None).bytes();
    let v = mcuboot::validate(&mcuboot::slot_with(&bytes));
    let hash = v.accepted.unwrap();
    assert!(h
        .last_trace
        .iter()
        .any(|e| *e == Ev::Hash(v.hashed_len.unwrap(), hash, Ok(true))));
    let r = rec::decode(h.world.stored.as_deref().unwrap()).unwrap();
    assert_eq!(r.id, Some(hash[..16].try_into().unwrap()));
    assert!(h.world.swap_requested);
    assert!(h
        .uart
        .ends_with(b"\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 4,0\r\n"));
}

#[test]
fn any_verify_failure_discards_the_image() {
    let broken = [
        Mutation::Flip(40, 1),   // body
        Mutation::Flip(4, 0x80), // header (load address)
        Mutation::Flip(9, 1),    // header size
        Mutation::Truncate(60),
        Mutation::WrongSha(0),
        Mutation::NoSha,
        Mutation::ShortSha(31),
        Mutation::ProtTot(4),
        Mutation::ProtTot(0),
        Mutation::Erased,
        Mutation::Raw(b"not an image".to_vec()),
    ];
    for m in broken {
        let h = finish_app_with(&image(m.clone()), Faults::default());
        assert_rejected(&h);
    }
    // Faults while verifying: the image may be fine, the check could not be done.
    for faults in [
        Faults {
            hash: Res::Err(4),
            ..Faults::default()
        },
        Faults {
            read: common::ReadFault::Nth(0, 4),
            ..Faults::default()
        },
        Faults {
            read: common::ReadFault::Nth(3, 11),
            ..Faults::default()
        },
    ] {
        let h = finish_app_with(&image(Mutation::None), faults);
        assert_rejected(&h);
    }
}

#[test]
fn nothing_is_scheduled_without_a_saved_record() {
    // Save fails: no schedule at all.
    let h = finish_app_with(
        &image(Mutation::None),
        Faults {
            save: Res::Err(27),
            ..Faults::default()
        },
    );
    assert!(!h
        .last_trace
        .iter()
        .any(|e| matches!(e, Ev::Schedule { .. })));
    assert!(!h.world.swap_requested);
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 1,1,1\r\n"));
    // Schedule fails after the save: the record goes again, the image is discarded.
    for modem in [false, true] {
        let mut h = booted();
        h.line(CANNED[usize::from(modem)]).unwrap();
        h.faults.schedule = Res::Err(12);
        h.event(1, DownloadEvent::Finished).unwrap();
        assert!(h.last_trace.iter().any(|e| matches!(
            e,
            Ev::Schedule {
                recorded: true,
                result: Err(-13),
                ..
            }
        )));
        assert_eq!(h.world.stored, None);
        assert!(!h.world.swap_requested && !h.world.modem_scheduled);
        assert!(h.uart.ends_with(b"\r\n#XFOTA: 1,1,1\r\n"));
        // A boot after that reports nothing.
        h.power_cycle(&StoredGen::Keep, &BootGen::Model(ModemGen::Ok, Res::Ok))
            .unwrap();
        assert!(h.uart.ends_with(b"Ready\r\n"));
    }
}

/// The identity decides the boot result: confirm only the recorded image, and only when MCUboot
/// runs it in test mode; never a foreign image.
#[test]
fn never_confirm_a_foreign_image() {
    let swaps = [-5, 1, 2, 3, 4, 5];
    for primary in [
        PrimaryGen::Served,
        PrimaryGen::Factory,
        PrimaryGen::Unreadable,
        PrimaryGen::Erased,
    ] {
        for swap in swaps {
            let mut h = booted();
            h.line(CANNED[0]).unwrap();
            h.event(1, DownloadEvent::Finished).unwrap();
            let k = u8::try_from(swap + 5).unwrap();
            h.power_cycle(
                &StoredGen::Keep,
                &BootGen::Forced(SwapGen::Known(k), ModemGen::None, primary, Res::Ok),
            )
            .unwrap();
            let confirmed = h.last_trace.iter().any(|e| matches!(e, Ev::Confirm(_)));
            let ours = matches!(primary, PrimaryGen::Served);
            let unknown = matches!(primary, PrimaryGen::Unreadable | PrimaryGen::Erased);
            assert_eq!(
                confirmed,
                swap == 4 && (ours || unknown),
                "{primary:?} swap {swap}"
            );
            let urc: &[u8] = match (ours, unknown, swap) {
                // The recorded image runs: it worked, whatever the swap type says.
                (true, _, _) => b"5,0",
                (false, _, 1 | 4) => b"5,3",
                (_, _, 2) => b"5,1,2",
                (_, _, 3) => b"5,1,3",
                (_, _, 5) => b"5,1,5",
                (_, _, -5) => b"5,1,-5",
                _ => unreachable!(),
            };
            let urc = if unknown && swap == 4 {
                &b"5,0"[..]
            } else {
                urc
            };
            let mut want = b"\r\n#XFOTA: ".to_vec();
            want.extend_from_slice(urc);
            want.extend_from_slice(b"\r\n");
            assert!(
                h.uart.ends_with(&want),
                "{primary:?} swap {swap}: {:?}",
                h.uart.escape_ascii().to_string()
            );
        }
    }
}

/// Through the MCUboot model: the image is swapped in, confirmed once, reported once; later
/// boots neither confirm nor report; a second boot without confirmation reverts and reports
/// nothing new.
#[test]
fn an_image_is_activated_and_reported_once() {
    let model = BootGen::Model(ModemGen::None, Res::Ok);
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    h.power_cycle(&StoredGen::Keep, &model).unwrap();
    assert!(h.last_trace.contains(&Ev::Confirm(Ok(()))));
    assert!(h.uart.ends_with(b"Ready\r\n\r\n#XFOTA: 5,0\r\n"));
    for _ in 0..3 {
        h.power_cycle(&StoredGen::Keep, &model).unwrap();
        assert_eq!(h.last_trace, [Ev::Out(b"Ready\r\n".to_vec())]);
    }
    // Confirm fails: 5,1,<errno>; MCUboot reverts at the next boot; nothing more is reported.
    let mut h = booted();
    h.line(CANNED[0]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    h.faults.confirm = Res::Err(4);
    h.power_cycle(&StoredGen::Keep, &model).unwrap();
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 5,1,-5\r\n"));
    h.power_cycle(&StoredGen::Keep, &model).unwrap();
    assert_eq!(h.last_trace, [Ev::Out(b"Ready\r\n".to_vec())]);
    assert_eq!(
        common::identity(&h.world.primary),
        common::identity(&common::factory_image())
    );
}

#[test]
fn a_modem_record_without_a_result_is_reported_and_cleared() {
    let mut h = booted();
    h.line(CANNED[1]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    // The modem library is down at this boot: keep waiting.
    h.power_cycle(&StoredGen::Keep, &BootGen::Model(ModemGen::Ok, Res::Err(4)))
        .unwrap();
    assert!(h.uart.ends_with(b"Ready\r\n\r\n#XMODEM: INIT,-5\r\n"));
    assert_eq!(
        h.fota.state(),
        StateView::Downloaded {
            image: ImageType::Modem
        }
    );
    // A working modem and no result (lost): 5,1,-2, cleared, idle; a new start works.
    h.power_cycle(
        &StoredGen::Keep,
        &BootGen::Forced(SwapGen::Known(6), ModemGen::None, PrimaryGen::Keep, Res::Ok),
    )
    .unwrap();
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 5,1,-2\r\n"));
    assert_eq!(h.world.stored, None);
    assert_eq!(h.line(CANNED[1]).unwrap(), LineResult::Ok);
}

#[test]
fn modem_down_refuses_ops_1_2_9() {
    let mut h = Harness::ok();
    h.boot(None, report(SwapType::None, None, -11)).unwrap();
    for line in [CANNED[0], CANNED[1], CANNED[3], b"AT#XFOTA=9"] {
        assert_eq!(h.line(line).unwrap(), LineResult::Error);
        assert_eq!(
            h.last_trace,
            [
                Ev::Log(Log::ModemDown, 0),
                Ev::Out(b"\r\nERROR\r\n".to_vec())
            ]
        );
    }
    assert_eq!(h.line(b"AT#XFOTA=8").unwrap(), LineResult::Ok);
    h.modem_reinit(0, 0).unwrap();
    assert_eq!(h.line(CANNED[0]).unwrap(), LineResult::Ok);
    h.modem_fault(0x2, 0x1234).unwrap();
    assert_eq!(h.line(b"AT#XFOTA=9").unwrap(), LineResult::Error);
    // The running download is not dropped by the fault; it ends with its own event.
    h.event(1, DownloadEvent::Error(2)).unwrap();
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 1,1,1\r\n"));
}

// --- MCUboot's finer rules (found by this suite; the core applies them since) -------------------
//
// DESIGN §2.7: verify the secondary slot "as MCUboot will". These images once passed the core's
// walk (4,0 was reported and the update scheduled) while MCUboot, as NCS builds it, refuses them
// at the next boot (the old image stays: 5,3). The core now refuses each of them at download time.

fn assert_mcuboot_agrees(img: &ImageGen) {
    assert_mcuboot_agrees_bytes(img.bytes());
}

fn assert_mcuboot_agrees_bytes(bytes: Vec<u8>) {
    let v = mcuboot::validate(&mcuboot::slot_with(&bytes));
    assert!(v.accepted.is_none() && v.divergence.is_some(), "{v:?}");
    let h = finish_app_with_bytes(bytes, Faults::default());
    assert_rejected(&h);
}

/// A well-formed image whose unprotected TLV area claims to reach past the slot.
fn tlv_area_past_the_slot() -> Vec<u8> {
    let spec = mcuboot::ImageSpec::simple(32, mcuboot::filler(16, 5), 3);
    let mut b = spec.build();
    let info = 32 + 16;
    b[info + 2..info + 4].copy_from_slice(&0xfff0u16.to_le_bytes());
    b
}

#[test]
fn core_refuses_an_image_flagged_encrypted_or_compressed() {
    assert_mcuboot_agrees(&image(Mutation::Flags(0x04)));
    assert_mcuboot_agrees(&image(Mutation::Flags(0x400)));
}

#[test]
fn core_refuses_an_image_with_a_second_wrong_sha256_tlv() {
    assert_mcuboot_agrees(&image(Mutation::SecondSha(false)));
}

#[test]
fn core_refuses_an_unprotected_tlv_outside_the_allow_list() {
    let mut img = image(Mutation::None);
    img.before = 0x80;
    assert_mcuboot_agrees(&img);
}

#[test]
fn core_refuses_a_tlv_area_past_the_slot() {
    assert_mcuboot_agrees_bytes(tlv_area_past_the_slot());
}

#[test]
fn the_divergent_images_are_otherwise_well_formed() {
    // Each divergence is exactly one rule: without it, the same image is taken by both.
    for img in [image(Mutation::None), image(Mutation::SecondSha(true))] {
        let v = mcuboot::validate(&mcuboot::slot_with(&img.bytes()));
        assert!(v.accepted.is_some() && v.divergence.is_none(), "{v:?}");
    }
}

// --- Power cuts at every point of the activation (issue 13, "under every fault") -------------

fn count(uart: &[u8], urc: &[u8]) -> usize {
    uart.windows(urc.len()).filter(|w| *w == urc).count()
}

/// A cut at any point of the boot that activates a downloaded app image (before, between and
/// after the confirm, the result's save, its URC and the clear). Cut before the confirm, the
/// image was never confirmed: MCUboot reverts it and the next boot says 5,3. Cut after it, the
/// image stays and the result is 5,0 — reported at least once, at most twice — never 5,3 (the
/// v1 window "confirmed, cut before the result is stored" is closed by the identity).
#[test]
fn a_cut_anywhere_in_the_activating_boot_reports_what_runs() {
    let model = BootGen::Model(ModemGen::None, Res::Ok);
    let mut outcomes = [0; 2];
    for at in 0..24 {
        let mut h = booted();
        h.line(CANNED[0]).unwrap();
        h.event(1, DownloadEvent::Finished).unwrap();
        let before = h.uart.len();
        h.power_cut(&common::CutStep::Boot(model), at, &model)
            .unwrap_or_else(|e| panic!("cut at {at}: {e}"));
        h.power_cycle(&StoredGen::Keep, &model).unwrap();
        let tail = &h.uart[before..];
        let ok = count(tail, b"\r\n#XFOTA: 5,0\r\n");
        let reverted = count(tail, b"\r\n#XFOTA: 5,3\r\n");
        let runs = common::identity(&h.world.primary) == common::identity(&common::new_image());
        if runs {
            assert!(
                (1..=2).contains(&ok) && reverted == 0,
                "cut at {at}: {ok} / {reverted}"
            );
        } else {
            assert!(ok == 0 && reverted == 1, "cut at {at}: {ok} / {reverted}");
        }
        assert_eq!(h.world.stored, None, "cut at {at}");
        outcomes[usize::from(runs)] += 1;
    }
    // Both sides of the confirm were cut.
    assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
}

/// A cut at any point of FINISHED: before the record is saved nothing is reported later; after
/// it, the boot reports on it (5,0 if the swap was requested, else 5,3: the image never ran);
/// never more than one result, never a confirm of an image that was not swapped in.
#[test]
fn a_cut_anywhere_in_finished_is_reported_at_most_once() {
    let model = BootGen::Model(ModemGen::Ok, Res::Ok);
    for modem in [false, true] {
        let mut outcomes = [0; 2];
        for at in 0..24 {
            let mut h = booted();
            h.line(CANNED[usize::from(modem)]).unwrap();
            let before = h.uart.len();
            h.power_cut(
                &common::CutStep::Event(common::SessionSel::Current, common::EventGen::Finished),
                at,
                &model,
            )
            .unwrap_or_else(|e| panic!("cut at {at}: {e}"));
            h.power_cycle(&StoredGen::Keep, &model).unwrap();
            let results = count(&h.uart[before..], b"#XFOTA: 5,");
            assert!(results <= 1, "modem {modem} cut at {at}: {results} results");
            assert_eq!(h.world.stored, None, "modem {modem} cut at {at}");
            outcomes[results] += 1;
        }
        // Cuts before the save (nothing to report) and after it (reported once) both happened.
        assert!(outcomes[0] > 0 && outcomes[1] > 0, "{outcomes:?}");
    }
}

// --- Session numbers wrap (u16) -----------------------------------------------------------------

/// Every effect succeeds; only the UART is kept (65536 sessions through the full harness would
/// take minutes in a debug build).
struct Quiet(Vec<u8>);

impl xfota_core::Port for Quiet {
    fn start_download(&mut self, _: &xfota_core::DownloadRequest<'_>) -> Result<(), i32> {
        Ok(())
    }
    fn cancel_download(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn end_download(&mut self) {}
    fn reset_dfu_target(&mut self, _: ImageType) -> Result<(), i32> {
        Ok(())
    }
    fn schedule_update(&mut self, _: ImageType) -> Result<(), i32> {
        Ok(())
    }
    fn erase_app_slot(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn modem_erase_start(&mut self) -> Result<xfota_core::ErasePoll, i32> {
        Ok(xfota_core::ErasePoll::Done)
    }
    fn modem_erase_poll(&mut self) -> Result<xfota_core::ErasePoll, i32> {
        Ok(xfota_core::ErasePoll::Done)
    }
    fn sleep_ms(&mut self, _: u32) {}
    fn save_record(&mut self, _: &[u8; RECORD_LEN]) -> Result<(), i32> {
        Ok(())
    }
    fn clear_record(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn confirm_image(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn read_image(&mut self, _: xfota_core::Slot, _: u32, _: &mut [u8]) -> Result<(), i32> {
        Err(-5)
    }
    fn image_hash_matches(&mut self, _: u32, _: &[u8; 32]) -> Result<bool, i32> {
        Err(-5)
    }
    fn log(&mut self, _: Log, _: i32) {}
}

impl xfota_core::Out for Quiet {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
}

/// Session 1 is cancelled and its echo is lost (fota_download never reports the stop); 65535
/// sessions later the number 1 comes round again. That new session's own ERROR must be reported
/// (DESIGN §2.8) — not taken for session 1's long-lost echo, which would leave the core
/// "downloading" forever while nothing downloads (every start refused until a reboot).
#[test]
fn a_lost_echo_never_swallows_a_reused_session_number() {
    let mut f = xfota_core::Fota::new(xfota_core::DEFAULT_CONFIG).unwrap();
    let mut port = Quiet(Vec::new());
    let mut out = Quiet(Vec::new());
    f.on_boot(None, &report(SwapType::None, None, 0), &mut port, &mut out);
    assert_eq!(
        f.handle_line(CANNED[0], &mut port, &mut out),
        LineResult::Ok
    );
    assert_eq!(
        f.handle_line(b"AT#XFOTA=0", &mut port, &mut out),
        LineResult::Ok
    );
    // Sessions 2..=65535, each ended by its own error.
    for s in 2..=u16::MAX {
        assert_eq!(
            f.handle_line(CANNED[0], &mut port, &mut out),
            LineResult::Ok,
            "{s}"
        );
        f.on_download_event(s, DownloadEvent::Error(1), &mut port, &mut out);
        assert_eq!(f.state(), StateView::Idle, "{s}");
    }
    // The number wraps; whatever it is, the running session's error ends it with a URC.
    assert_eq!(
        f.handle_line(CANNED[0], &mut port, &mut out),
        LineResult::Ok
    );
    let StateView::Downloading { session, .. } = f.state() else {
        panic!("{:?}", f.state());
    };
    out.0.clear();
    f.on_download_event(session, DownloadEvent::Error(1), &mut port, &mut out);
    assert_eq!(out.0, b"\r\n#XFOTA: 1,1,1\r\n", "session {session}");
    assert_eq!(f.state(), StateView::Idle);
}
