//! Property tests: the robustness invariants of `tests/common` (the same ones the fuzz targets
//! check) over arbitrary lines and arbitrary sequences of lines, download events, boots and
//! port faults; plus codec and grammar properties.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::*;
use proptest::collection::vec;
use proptest::prelude::*;
use xfota_core::at::{self, Command, Parsed};
use xfota_core::record::{Record, RecordError, RECORD_LEN};
use xfota_core::url::{Scheme, Url, URL_MAX_LEN};
use xfota_core::{DownloadEvent, ImageType, StateView};

fn res() -> impl Strategy<Value = Res> {
    prop_oneof![4 => Just(Res::Ok), 1 => any::<i32>().prop_map(Res::Err)]
}

fn faults() -> impl Strategy<Value = Faults> {
    let erase = prop_oneof![
        Just(ModemErase::Done),
        (0u8..5).prop_map(ModemErase::Pending),
        any::<i32>().prop_map(ModemErase::StartErr),
        (0u8..5, any::<i32>()).prop_map(|(n, e)| ModemErase::PollErr(n, e)),
    ];
    (res(), res(), res(), res(), erase, res(), res(), res()).prop_map(
        |(start, cancel, reset, erase_app, modem_erase, save, clear, confirm)| Faults {
            start,
            cancel,
            reset,
            erase_app,
            modem_erase,
            save,
            clear,
            confirm,
        },
    )
}

/// URLs: mostly near-valid, some arbitrary bytes.
fn url_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "(?i:https?|ftp)://(([a-z0-9_.-]{0,12})|\\[[0-9a-f:]{0,8}\\]|u@h)(:[0-9]{0,6})?(/[!-~]{0,20})?"
            .prop_map(String::into_bytes),
        1 => vec(any::<u8>(), 0..300),
    ]
}

fn line_gen() -> impl Strategy<Value = LineGen> {
    prop_oneof![
        4 => any::<u8>().prop_map(LineGen::Canned),
        2 => (any::<u8>(), any::<u16>(), any::<u8>()).prop_map(|(i, p, b)| LineGen::Mutated(i, p, b)),
        3 => (
            any::<bool>(),
            url_bytes(),
            proptest::option::of("[0-9]{0,12}|-1|\"1\"|x".prop_map(String::into_bytes)),
            proptest::option::of(prop_oneof![
                "[A-Za-z0-9.-]{0,20}".prop_map(String::into_bytes),
                vec(any::<u8>(), 0..110),
            ]),
        )
            .prop_map(|(modem, url, sec_tag, apn)| LineGen::Start {
                modem,
                url,
                sec_tag,
                apn
            }),
        1 => vec(any::<u8>(), 0..40).prop_map(LineGen::Params),
        1 => vec(any::<u8>(), 0..40).prop_map(LineGen::Raw),
    ]
}

fn event_gen() -> impl Strategy<Value = EventGen> {
    prop_oneof![
        1 => any::<i32>().prop_map(EventGen::Progress),
        4 => any::<u8>().prop_map(EventGen::Percent),
        1 => Just(EventGen::ErasePending),
        1 => Just(EventGen::Erased),
        2 => Just(EventGen::Finished),
        1 => any::<i32>().prop_map(EventGen::Error),
        1 => any::<u8>().prop_map(EventGen::ErrorKnown),
        1 => Just(EventGen::Cancelled),
    ]
}

fn swap_gen() -> impl Strategy<Value = SwapGen> {
    prop_oneof![3 => any::<u8>().prop_map(SwapGen::Known), 1 => any::<i32>().prop_map(SwapGen::Raw)]
}

fn modem_gen() -> impl Strategy<Value = ModemGen> {
    prop_oneof![
        Just(ModemGen::None),
        Just(ModemGen::Ok),
        Just(ModemGen::VoltageLow),
        any::<u8>().prop_map(ModemGen::Known),
        any::<i32>().prop_map(ModemGen::Raw),
    ]
}

fn stored_gen() -> impl Strategy<Value = StoredGen> {
    prop_oneof![
        3 => Just(StoredGen::Keep),
        1 => Just(StoredGen::Empty),
        1 => any::<bool>().prop_map(StoredGen::Valid),
        1 => (any::<bool>(), any::<u8>(), any::<i32>()).prop_map(|(m, s, c)| StoredGen::Result(m, s, c)),
        1 => (any::<bool>(), any::<u8>()).prop_map(|(m, b)| StoredGen::Flipped(m, b)),
        1 => vec(any::<u8>(), 0..12).prop_map(StoredGen::Raw),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    let session = prop_oneof![
        6 => Just(SessionSel::Current),
        1 => Just(SessionSel::Previous),
        1 => any::<u16>().prop_map(SessionSel::Raw),
    ];
    prop_oneof![
        6 => line_gen().prop_map(Action::Line),
        8 => (session, event_gen()).prop_map(|(s, e)| Action::Event(s, e)),
        1 => (stored_gen(), swap_gen(), modem_gen()).prop_map(|(s, w, m)| Action::PowerCycle(s, w, m)),
        1 => (swap_gen(), modem_gen()).prop_map(|(w, m)| Action::BootAgain(w, m)),
        1 => faults().prop_map(Action::Faults),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let config = proptest::option::of(
        (any::<u16>(), any::<u16>()).prop_map(|(timeout, poll)| ConfigGen { timeout, poll }),
    );
    // The shell boots the core before any AT line; a core that handles lines before its boot
    // report must still keep every invariant (it ignores such a late report), so both are
    // generated.
    (config, faults(), any::<bool>(), vec(action(), 0..48)).prop_map(
        |(config, faults, boot_first, actions)| Scenario {
            config,
            faults,
            boot_first,
            actions,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any line, into a fresh core and into one mid-download.
    #[test]
    fn any_line(line in prop_oneof![vec(any::<u8>(), 0..300), line_gen().prop_map(|l| l.bytes())]) {
        let mut h = Harness::ok();
        h.line(&line).map_err(TestCaseError::fail)?;
        let mut h = Harness::ok();
        h.line(CANNED[1]).map_err(TestCaseError::fail)?;
        h.event(1, DownloadEvent::Erased).map_err(TestCaseError::fail)?;
        h.event(1, DownloadEvent::Progress(37)).map_err(TestCaseError::fail)?;
        let before = h.fota.clone();
        let r = h.line(&line).map_err(TestCaseError::fail)?;
        // Mid-download, only a cancel (op 0) may change anything.
        if !matches!(at::parse(&line), Parsed::Command(Command::Cancel)) {
            prop_assert_eq!(&h.fota, &before, "{:?} {:?}", line, r);
        }
    }

    /// Arbitrary sequences of lines, events, boots and port faults.
    #[test]
    fn any_sequence(s in scenario()) {
        Harness::scenario(&s).map_err(TestCaseError::fail)?;
    }

    /// Every accepted URL is printable ASCII without spaces or quotes, 1..=255 bytes, http or
    /// https, has a host without userinfo and a non-empty path.
    #[test]
    fn accepted_urls_are_clean(raw in url_bytes()) {
        if let Ok(u) = Url::parse(&raw) {
            prop_assert!(!raw.is_empty() && raw.len() <= URL_MAX_LEN);
            prop_assert!(raw.iter().all(|&b| (0x21..=0x7e).contains(&b) && b != b'"'));
            let lower = raw.to_ascii_lowercase();
            prop_assert!(lower.starts_with(b"http://") || lower.starts_with(b"https://"));
            prop_assert_eq!(u.scheme == Scheme::Https, lower.starts_with(b"https://"));
            prop_assert!(!u.authority.is_empty() && !u.authority.contains('@'));
            prop_assert!(!u.authority.starts_with(':'));
            prop_assert!(!u.path.is_empty());
            if let Some((_, port)) = u.authority.rsplit_once(':').filter(|_| !u.authority.ends_with(']')) {
                let p: u32 = port.parse().unwrap();
                prop_assert!((1..=65535).contains(&p), "{}", u.authority);
            }
        }
    }

    /// Any byte outside printable ASCII anywhere in a line makes it ERROR (or not ours).
    #[test]
    fn non_printable_never_accepted(mut line in line_gen().prop_map(|l| l.bytes()), pos in any::<usize>(),
                                    b in prop_oneof![0u8..0x20, 0x7fu8..=0xff]) {
        if !line.is_empty() {
            let n = line.len();
            line[pos % n] = b;
        } else {
            line.push(b);
        }
        prop_assert!(!matches!(at::parse(&line), Parsed::Command(_)), "{:?}", line);
    }

    /// Accepted start commands: https has a sec_tag, sec_tag fits an int, the APN is made of
    /// `[A-Za-z0-9.-]` labels and at most 100 bytes.
    #[test]
    fn accepted_starts_are_safe(line in line_gen().prop_map(|l| l.bytes())) {
        if let Parsed::Command(Command::Start(s)) = at::parse(&line) {
            if s.url.scheme == Scheme::Https {
                prop_assert!(s.sec_tag.is_some());
            } else {
                prop_assert!(s.sec_tag.is_none());
            }
            prop_assert!(s.sec_tag.is_none_or(|t| t <= i32::MAX as u32));
            if let Some(apn) = s.apn {
                prop_assert!(!apn.is_empty() && apn.len() <= 100);
                prop_assert!(apn.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
                prop_assert!(apn.split('.').all(|l| !l.is_empty() && l.len() <= 63));
            }
        }
    }

    /// The record codec: round trip, and everything that is not an exact encoding is refused.
    #[test]
    fn record_codec(modem in any::<bool>(), bytes in vec(any::<u8>(), 0..16),
                    pos in 0usize..RECORD_LEN, flip in 1u8..=255) {
        let image = if modem { ImageType::Modem } else { ImageType::App };
        let enc = Record::waiting(image).encode();
        prop_assert_eq!(Record::decode(&enc), Ok(Record::waiting(image)));
        // Any corruption of any byte is caught.
        let mut bad = enc;
        bad[pos] ^= flip;
        prop_assert!(Record::decode(&bad).is_err());
        // Arbitrary bytes decode only if they are exactly one of the two encodings.
        let valid = [record(false).to_vec(), record(true).to_vec()];
        prop_assert_eq!(Record::decode(&bytes).is_ok(), valid.contains(&bytes));
        if bytes.len() != RECORD_LEN {
            prop_assert_eq!(Record::decode(&bytes), Err(RecordError::Length));
        }
    }
}

#[test]
fn every_two_byte_corruption_of_a_record_is_refused() {
    for modem in [false, true] {
        let enc = record(modem);
        for i in 0..RECORD_LEN {
            for j in i..RECORD_LEN {
                for (a, b) in [(0x01, 0x80), (0xff, 0xff), (0x10, 0x01)] {
                    let mut c = enc;
                    c[i] ^= a;
                    if j != i {
                        c[j] ^= b;
                    }
                    assert!(Record::decode(&c).is_err(), "{i} {j} {c:?}");
                }
            }
        }
    }
}

#[test]
fn the_harness_reaches_every_state() {
    // Guards the generators above against silently testing nothing.
    let mut h = Harness::ok();
    h.boot(
        None,
        xfota_core::BootReport {
            app_swap: xfota_core::SwapType::None,
            modem_result: None,
        },
    )
    .unwrap();
    h.line(CANNED[1]).unwrap();
    assert!(matches!(h.fota.state(), StateView::Downloading { .. }));
    h.event(1, DownloadEvent::ErasePending).unwrap();
    h.event(1, DownloadEvent::Progress(50)).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    assert_eq!(
        h.fota.state(),
        StateView::Downloaded {
            image: ImageType::Modem
        }
    );
    h.power_cycle(
        &StoredGen::Keep,
        xfota_core::BootReport {
            app_swap: xfota_core::SwapType::None,
            modem_result: Some(MODEM_DFU_OK),
        },
    )
    .unwrap();
    assert_eq!(h.fota.state(), StateView::Idle);
    assert_eq!(h.stored, None);
    assert!(h.uart.ends_with(b"Ready\r\n\r\n#XFOTA: 5,0\r\n"));
}
