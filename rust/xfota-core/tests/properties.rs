//! Property tests: the model and invariants of `tests/common` (the same ones the fuzz targets
//! check) over arbitrary lines and arbitrary sequences of lines, download events, served images,
//! boots, modem faults and port faults; plus codec and grammar properties.
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
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};
use xfota_core::at::{self, Command, Parsed};
use xfota_core::record::{Record, RECORD_LEN};
use xfota_core::{DownloadEvent, ImageType, StateView};

/// Cases per property (`PROPTEST_CASES` overrides it, as usual).
const CASES: u32 = 1024;

fn res() -> BoxedStrategy<Res> {
    prop_oneof![6 => Just(Res::Ok), 1 => any::<i32>().prop_map(Res::Err)].boxed()
}

fn faults() -> BoxedStrategy<Faults> {
    let erase = prop_oneof![
        Just(ModemErase::Done),
        (0u8..5).prop_map(ModemErase::Pending),
        any::<i32>().prop_map(ModemErase::StartErr),
        (0u8..5, any::<i32>()).prop_map(|(n, e)| ModemErase::PollErr(n, e)),
    ];
    let read = prop_oneof![
        6 => Just(ReadFault::Never),
        1 => (any::<u8>(), any::<i32>()).prop_map(|(n, e)| ReadFault::Nth(n, e)),
    ];
    (
        (res(), res(), res(), res(), erase, res()),
        (res(), res(), res(), res(), read),
    )
        .prop_map(
            |(
                (start, cancel, reset, erase_app, modem_erase, save),
                (clear, confirm, schedule, hash, read),
            )| Faults {
                start,
                cancel,
                reset,
                erase_app,
                modem_erase,
                save,
                clear,
                confirm,
                schedule,
                hash,
                read,
            },
        )
        .boxed()
}

/// URLs: mostly near-valid, some arbitrary bytes.
fn url_bytes() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => "(?i:https?|ftp)://(([a-z0-9_.-]{0,12})|\\[[0-9a-f:]{0,8}\\]|u@h)(:[0-9]{0,6})?(/[!-~]{0,20})?"
            .prop_map(String::into_bytes),
        1 => vec(any::<u8>(), 0..300),
    ]
    .boxed()
}

/// Parameter text: the tokens of Nordic's lexer (and near misses) glued together.
fn params_text() -> BoxedStrategy<Vec<u8>> {
    let token = prop_oneof![
        Just(&b","[..]),
        Just(&b" "[..]),
        Just(&b"\""[..]),
        Just(&b"0"[..]),
        Just(&b"1"[..]),
        Just(&b"2"[..]),
        Just(&b"8"[..]),
        Just(&b"9"[..]),
        Just(&b"+"[..]),
        Just(&b"-"[..]),
        Just(&b"42"[..]),
        Just(&b"(1)"[..]),
        Just(&b"ims"[..]),
        Just(&b"\"http://h/f\""[..]),
        Just(&b"\"https://h/f\""[..]),
        Just(&b"\"apn\""[..]),
    ];
    vec(token, 0..12).prop_map(|ts| ts.concat()).boxed()
}

fn line_gen() -> BoxedStrategy<LineGen> {
    prop_oneof![
        8 => any::<u8>().prop_map(LineGen::Canned),
        2 => (any::<u8>(), any::<u16>(), any::<u8>()).prop_map(|(i, p, b)| LineGen::Mutated(i, p, b)),
        2 => (any::<u8>(), any::<u16>()).prop_map(|(i, m)| LineGen::Spaced(i, m)),
        3 => (
            any::<bool>(),
            url_bytes(),
            proptest::option::of("[0-9]{0,12}|-1|\"1\"|x| 1|\\+5| 0".prop_map(String::into_bytes)),
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
        2 => params_text().prop_map(LineGen::Params),
        1 => vec(any::<u8>(), 0..40).prop_map(LineGen::Params),
        1 => vec(any::<u8>(), 0..40).prop_map(LineGen::Raw),
    ]
    .boxed()
}

fn event_gen() -> BoxedStrategy<EventGen> {
    prop_oneof![
        1 => any::<i32>().prop_map(EventGen::Progress),
        4 => any::<u8>().prop_map(EventGen::Percent),
        1 => Just(EventGen::ErasePending),
        1 => Just(EventGen::Erased),
        3 => Just(EventGen::Finished),
        1 => any::<i32>().prop_map(EventGen::Error),
        2 => any::<u8>().prop_map(EventGen::ErrorKnown),
        2 => Just(EventGen::Cancelled),
    ]
    .boxed()
}

fn swap_gen() -> BoxedStrategy<SwapGen> {
    prop_oneof![3 => any::<u8>().prop_map(SwapGen::Known), 1 => any::<i32>().prop_map(SwapGen::Raw)]
        .boxed()
}

fn modem_gen() -> BoxedStrategy<ModemGen> {
    prop_oneof![
        Just(ModemGen::None),
        Just(ModemGen::Ok),
        Just(ModemGen::VoltageLow),
        any::<u8>().prop_map(ModemGen::Known),
        any::<i32>().prop_map(ModemGen::Raw),
    ]
    .boxed()
}

fn id_gen() -> BoxedStrategy<IdGen> {
    prop_oneof![
        1 => Just(IdGen::None),
        2 => Just(IdGen::Served),
        1 => Just(IdGen::Primary),
        1 => any::<[u8; 16]>().prop_map(IdGen::Raw),
    ]
    .boxed()
}

fn stored_gen() -> BoxedStrategy<StoredGen> {
    prop_oneof![
        6 => Just(StoredGen::Keep),
        1 => Just(StoredGen::Empty),
        2 => (any::<bool>(), id_gen()).prop_map(|(m, i)| StoredGen::Waiting(m, i)),
        1 => any::<bool>().prop_map(StoredGen::V1),
        1 => (any::<bool>(), any::<u8>(), any::<i32>()).prop_map(|(m, s, c)| StoredGen::Result(m, s, c)),
        1 => (any::<bool>(), any::<u8>()).prop_map(|(m, b)| StoredGen::Flipped(m, b)),
        1 => vec(any::<u8>(), 0..30).prop_map(StoredGen::Raw),
    ]
    .boxed()
}

fn init_gen() -> BoxedStrategy<Res> {
    prop_oneof![5 => Just(Res::Ok), 1 => (0i32..200).prop_map(Res::Err)].boxed()
}

fn boot_gen() -> BoxedStrategy<BootGen> {
    let primary = prop_oneof![
        Just(PrimaryGen::Keep),
        Just(PrimaryGen::Served),
        Just(PrimaryGen::Factory),
        Just(PrimaryGen::Unreadable),
        Just(PrimaryGen::Erased),
    ];
    prop_oneof![
        2 => (modem_gen(), init_gen()).prop_map(|(m, i)| BootGen::Model(m, i)),
        1 => (swap_gen(), modem_gen(), primary, init_gen())
            .prop_map(|(s, m, p, i)| BootGen::Forced(s, m, p, i)),
    ]
    .boxed()
}

fn mutation() -> BoxedStrategy<Mutation> {
    prop_oneof![
        6 => Just(Mutation::None),
        2 => (any::<u16>(), 1u8..).prop_map(|(p, x)| Mutation::Flip(p, x)),
        1 => any::<u16>().prop_map(Mutation::Truncate),
        1 => any::<u8>().prop_map(Mutation::WrongSha),
        1 => Just(Mutation::NoSha),
        1 => any::<bool>().prop_map(Mutation::SecondSha),
        1 => any::<u8>().prop_map(Mutation::ShortSha),
        1 => prop_oneof![Just(0x4u32), Just(0x400), any::<u32>()].prop_map(Mutation::Flags),
        1 => any::<u16>().prop_map(Mutation::ProtTot),
        1 => Just(Mutation::Erased),
        1 => vec(any::<u8>(), 0..80).prop_map(Mutation::Raw),
    ]
    .boxed()
}

fn image_gen() -> BoxedStrategy<ImageGen> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        prop_oneof![4 => 0u8..3, 1 => any::<u8>()],
        any::<u8>(),
        mutation(),
    )
        .prop_map(
            |(seed, body, hdr_pad, protected, before, after, mutation)| ImageGen {
                seed,
                body,
                hdr_pad,
                protected,
                before,
                after,
                mutation,
            },
        )
        .boxed()
}

fn terminal_gen() -> BoxedStrategy<TerminalGen> {
    prop_oneof![
        Just(TerminalGen::None),
        Just(TerminalGen::Cancelled),
        any::<u8>().prop_map(TerminalGen::Error),
        Just(TerminalGen::Finished),
    ]
    .boxed()
}

fn cancel_race() -> BoxedStrategy<CancelRace> {
    (
        any::<bool>(),
        terminal_gen(),
        any::<bool>(),
        any::<u8>(),
        terminal_gen(),
        terminal_gen(),
    )
        .prop_map(|(modem, echo, restart, order, newer, second)| CancelRace {
            modem,
            echo,
            restart,
            order,
            newer,
            second,
        })
        .boxed()
}

fn session_sel() -> BoxedStrategy<SessionSel> {
    prop_oneof![
        6 => Just(SessionSel::Current),
        1 => Just(SessionSel::Previous),
        3 => Just(SessionSel::Cancelled),
        1 => any::<u16>().prop_map(SessionSel::Raw),
    ]
    .boxed()
}

fn cut_step() -> BoxedStrategy<CutStep> {
    prop_oneof![
        1 => line_gen().prop_map(CutStep::Line),
        2 => (session_sel(), event_gen()).prop_map(|(s, e)| CutStep::Event(s, e)),
        2 => boot_gen().prop_map(CutStep::Boot),
    ]
    .boxed()
}

fn action() -> BoxedStrategy<Action> {
    let session = prop_oneof![
        6 => Just(SessionSel::Current),
        1 => Just(SessionSel::Previous),
        3 => Just(SessionSel::Cancelled),
        1 => any::<u16>().prop_map(SessionSel::Raw),
    ];
    prop_oneof![
        6 => line_gen().prop_map(Action::Line),
        8 => (session, event_gen()).prop_map(|(s, e)| Action::Event(s, e)),
        2 => cancel_race().prop_map(Action::CancelRace),
        1 => image_gen().prop_map(Action::Serve),
        2 => (stored_gen(), boot_gen()).prop_map(|(s, b)| Action::PowerCycle(s, b)),
        1 => (cut_step(), any::<u8>(), boot_gen()).prop_map(|(c, n, b)| Action::PowerCut(c, n, b)),
        1 => (swap_gen(), modem_gen()).prop_map(|(w, m)| Action::BootAgain(w, m)),
        1 => (any::<u32>(), any::<u32>()).prop_map(|(r, pc)| Action::ModemFault(r, pc)),
        1 => (init_gen(), init_gen()).prop_map(|(s, i)| Action::ModemReinit(s, i)),
        1 => faults().prop_map(Action::Faults),
    ]
    .boxed()
}

fn scenario() -> BoxedStrategy<Scenario> {
    let config = proptest::option::of(
        (any::<u16>(), any::<u16>()).prop_map(|(timeout, poll)| ConfigGen { timeout, poll }),
    );
    // The shell boots the core before any AT line; a core that handles lines before its boot
    // report must still keep every invariant (it ignores such a late report), so both are
    // generated.
    (config, faults(), any::<bool>(), vec(action(), 0..48))
        .prop_map(|(config, faults, boot_first, actions)| Scenario {
            config,
            faults,
            boot_first,
            actions,
        })
        .boxed()
}

fn mid_download() -> Harness {
    let mut h = Harness::booted().unwrap();
    h.line(CANNED[1]).unwrap();
    h.event(1, DownloadEvent::Erased).unwrap();
    h.event(1, DownloadEvent::Progress(37)).unwrap();
    h
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any line, into a fresh core and into one mid-download: the core's parse agrees with the
    /// grammar model, the effects with the session model.
    #[test]
    fn any_line(line in prop_oneof![vec(any::<u8>(), 0..300), line_gen().prop_map(|l| l.bytes())]) {
        let mut h = Harness::booted().map_err(TestCaseError::fail)?;
        h.line(&line).map_err(TestCaseError::fail)?;
        let mut h = mid_download();
        let before = h.fota.clone();
        let r = h.line(&line).map_err(TestCaseError::fail)?;
        // Mid-download, only a cancel (op 0) may change anything.
        if !matches!(at::parse(&line), Parsed::Command(Command::Cancel)) {
            prop_assert_eq!(&h.fota, &before, "{:?} {:?}", line, r);
        }
    }

    /// Arbitrary sequences of lines, events, served images, boots, modem faults and port faults.
    #[test]
    fn any_sequence(s in scenario()) {
        Harness::scenario(&s).map_err(TestCaseError::fail)?;
    }

    /// Every accepted URL is printable ASCII without spaces or quotes, 1..=255 bytes, http or
    /// https, has a host without userinfo and a non-empty path.
    #[test]
    fn accepted_urls_are_clean(raw in url_bytes()) {
        let mut line = b"AT#XFOTA=1,\"".to_vec();
        line.extend_from_slice(&raw);
        line.extend_from_slice(b"\",1");
        if let Parsed::Command(Command::Start(s)) = at::parse(&line) {
            let u = s.url;
            prop_assert!(!raw.is_empty() && raw.len() <= 255);
            prop_assert!(raw.iter().all(|&b| (0x21..=0x7e).contains(&b) && b != b'"'));
            let lower = raw.to_ascii_lowercase();
            prop_assert!(lower.starts_with(b"http://") || lower.starts_with(b"https://"));
            prop_assert_eq!(u.https, lower.starts_with(b"https://"));
            let scheme = if u.https { 8 } else { 7 };
            let authority = &raw[scheme..u.path_at];
            prop_assert!(!authority.is_empty() && !authority.contains(&b'@'));
            prop_assert!(!authority.starts_with(b":"));
            prop_assert!(raw.len() > u.path_at + 1 && raw[u.path_at] == b'/');
            let text = std::str::from_utf8(authority).unwrap();
            if let Some((_, port)) = text.rsplit_once(':').filter(|_| !text.ends_with(']')) {
                let p: u32 = port.parse().unwrap();
                prop_assert!((1..=65535).contains(&p), "{}", text);
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
    /// `[A-Za-z0-9.-]` labels and at most 63 bytes.
    #[test]
    fn accepted_starts_are_safe(line in line_gen().prop_map(|l| l.bytes())) {
        if let Parsed::Command(Command::Start(s)) = at::parse(&line) {
            prop_assert_eq!(s.url.https, s.sec_tag.is_some());
            prop_assert!(s.sec_tag.is_none_or(|t| t <= i32::MAX as u32));
            if let Some(apn) = s.apn {
                prop_assert!(!apn.is_empty() && apn.len() <= 63);
                prop_assert!(apn.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'));
                prop_assert!(apn.split(|&b| b == b'.').all(|l| !l.is_empty()));
            }
        }
    }

    /// The core's record codec is the format's: what the core writes the model reads the same,
    /// and any bytes decode in the core iff they decode in the model, to the same record.
    #[test]
    fn record_codec(modem in any::<bool>(), id in proptest::option::of(any::<[u8; 16]>()),
                    bytes in prop_oneof![vec(any::<u8>(), 0..40), Just(record(false)), Just(record(true))],
                    pos in 0usize..RECORD_LEN, flip in 1u8..=255) {
        let image = if modem { ImageType::Modem } else { ImageType::App };
        let id = id.filter(|i| *i != [0; 16] && !modem);
        let enc = Record::waiting(image, id).encode();
        prop_assert_eq!(rec::decode(&enc), Some(rec::MRec { image, result: None, id }));
        prop_assert_eq!(enc.to_vec(), rec::encode(&rec::MRec { image, result: None, id }));
        prop_assert_eq!(Record::decode(&enc), Ok(Record::waiting(image, id)));
        // Any corruption of any byte is caught.
        let mut bad = enc;
        bad[pos] ^= flip;
        prop_assert!(Record::decode(&bad).is_err());
        // Arbitrary bytes: the core and the model agree.
        let core = Record::decode(&bytes).ok().map(|r| rec::MRec { image: r.image, result: r.result, id: r.id });
        prop_assert_eq!(core, rec::decode(&bytes), "{:?}", bytes);
    }

    /// The MCUboot model and the served-image generator: an image without a mutation validates.
    #[test]
    fn generated_images(img in image_gen()) {
        let bytes = img.bytes();
        let v = mcuboot::validate(&mcuboot::slot_with(&bytes));
        if img.mutation == Mutation::None && img.before & 0x80 == 0 {
            prop_assert!(v.accepted.is_some() && v.plain, "{:?}", v);
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
                    let mut c = enc.clone();
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
    let mut h = Harness::booted().unwrap();
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
    h.power_cycle(&StoredGen::Keep, &BootGen::Model(ModemGen::Ok, Res::Ok))
        .unwrap();
    assert_eq!(h.fota.state(), StateView::Idle);
    assert_eq!(h.world.stored, None);
    assert!(h.uart.ends_with(b"Ready\r\n\r\n#XFOTA: 5,0\r\n"));
    // The application flow through the MCUboot model: swapped in test mode, confirmed, 5,0;
    // the next boot reports nothing and MCUboot keeps the image.
    h.line(CANNED[0]).unwrap();
    let s = h.last_started();
    h.event(s, DownloadEvent::Finished).unwrap();
    h.power_cycle(&StoredGen::Keep, &BootGen::Model(ModemGen::None, Res::Ok))
        .unwrap();
    assert!(
        h.uart.ends_with(b"Ready\r\n\r\n#XFOTA: 5,0\r\n"),
        "{:?}",
        h.uart.escape_ascii().to_string()
    );
    assert_eq!(h.seen.boot_confirmed, 1);
    h.power_cycle(&StoredGen::Keep, &BootGen::Model(ModemGen::None, Res::Ok))
        .unwrap();
    assert!(h.uart.ends_with(b"#XFOTA: 5,0\r\nReady\r\n"));
    assert_eq!(identity(&h.world.primary), identity(&new_image()));
}

/// The generators reach every situation the rules are about (echo orderings, verify
/// failures, identity decisions, modem down, ...): guards them against silently testing nothing.
#[test]
fn generators_reach_every_situation() {
    let mut runner = TestRunner::new_with_rng(
        RunnerConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = scenario();
    let mut seen = Coverage::default();
    for n in 0..3000 {
        let s = strategy.new_tree(&mut runner).unwrap().current();
        let h = Harness::run_scenario(&s).unwrap_or_else(|e| panic!("{e}\nscenario {s:#?}"));
        seen.add(&h.seen);
        if seen.missing().is_empty() {
            eprintln!("every situation reached after {} scenarios", n + 1);
            break;
        }
    }
    assert!(
        seen.missing().is_empty(),
        "never reached: {:?}\n{seen:?}",
        seen.missing()
    );
}
