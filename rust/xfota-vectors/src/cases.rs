//! The conformance table. Each case names the DESIGN.md §2 item(s) it pins.

use crate::{Case, Ev, Expect, Running, Script, Step, Stored, IMAGE_HASHED, NEW_ID, OK_SCRIPT};
use xfota_core::at::Reject;
use xfota_core::record::{Outcome, Record, RecordError};
use xfota_core::{
    image, Config, DownloadEvent as D, ImageType, Log, Stage, StateView, DEFAULT_CONFIG,
    NO_MODEM_RESULT,
};

const OK: Ev<'static> = Ev::Out(b"\r\nOK\r\n");
const ERROR: Ev<'static> = Ev::Out(b"\r\nERROR\r\n");
const READY: Ev<'static> = Ev::Out(b"Ready\r\n");
const IDLE: StateView = StateView::Idle;
const APP: ImageType = ImageType::App;
const MODEM: ImageType = ImageType::Modem;

const fn dl(image: ImageType, stage: Stage, percent: Option<u8>, session: u16) -> StateView {
    StateView::Downloading {
        image,
        stage,
        percent,
        session,
    }
}
const fn app1(percent: Option<u8>) -> StateView {
    dl(APP, Stage::Download, percent, 1)
}
const fn modem1(stage: Stage, percent: Option<u8>) -> StateView {
    dl(MODEM, stage, percent, 1)
}
const fn waiting(image: ImageType) -> StateView {
    StateView::Downloaded { image }
}
const fn ex(trace: &'static [Ev<'static>], state: StateView) -> Expect {
    Expect {
        trace,
        state,
        stored: None,
    }
}
/// The waiting record of the downloaded app image.
const APP_REC: Record = Record::waiting(APP, Some(NEW_ID));
/// The waiting record of a modem image.
const MODEM_REC: Record = Record::waiting(MODEM, None);
/// The waiting record of `image` is in storage afterwards.
const fn exs(trace: &'static [Ev<'static>], state: StateView, image: ImageType) -> Expect {
    Expect {
        trace,
        state,
        stored: Some(match image {
            ImageType::App => APP_REC,
            ImageType::Modem => MODEM_REC,
        }),
    }
}
const fn done(image: ImageType, outcome: Outcome) -> Record {
    Record::done(image, outcome)
}
const fn log(event: Log, value: i32) -> Ev<'static> {
    Ev::Log(event, value)
}
const fn rejected(r: Reject) -> [Ev<'static>; 2] {
    [Ev::Log(Log::Rejected, r as i32), ERROR]
}
const fn stale(session: u16) -> Ev<'static> {
    Ev::Log(Log::StaleEvent, session as i32)
}
/// A power cycle with the record left in storage; MCUboot runs `running` and reports `swap`.
const fn boot_with(swap: i32, modem: Option<i32>, running: Running, modem_init: i32) -> Step {
    Step::Boot {
        stored: Stored::Keep,
        swap,
        modem,
        running,
        modem_init,
    }
}
/// MCUboot swapped the downloaded image in.
const fn boot_new(swap: i32) -> Step {
    boot_with(swap, None, Running::New, 0)
}
/// The image that ran before runs.
const fn boot_old(swap: i32, modem: Option<i32>) -> Step {
    boot_with(swap, modem, Running::Old, 0)
}
const fn boot_bytes(bytes: &'static [u8], swap: i32) -> Step {
    Step::Boot {
        stored: Stored::Bytes(bytes),
        swap,
        modem: None,
        running: Running::Old,
        modem_init: 0,
    }
}

const START_APP: &[u8] = b"AT#XFOTA=1,\"http://example.com/fw/app.bin\"";
const START_MODEM: &[u8] = b"AT#XFOTA=2,\"http://example.com/fw/mfw-delta.bin\"";
const fn start_app(session: u16) -> Ev<'static> {
    Ev::Start {
        image: APP,
        host: b"http://example.com",
        file: b"fw/app.bin",
        sec_tag: None,
        apn: None,
        session,
    }
}
const EV_START_APP: Ev<'static> = start_app(1);
const EV_START_APP_S2: Ev<'static> = start_app(2);
const EV_START_APP_S3: Ev<'static> = start_app(3);
const EV_START_MODEM: Ev<'static> = Ev::Start {
    image: MODEM,
    host: b"http://example.com",
    file: b"fw/mfw-delta.bin",
    sec_tag: None,
    apn: None,
    session: 1,
};
const STARTED_APP: (Step, Expect) = (Step::Line(START_APP), ex(&[EV_START_APP, OK], app1(None)));
const STARTED_MODEM: (Step, Expect) = (
    Step::Line(START_MODEM),
    ex(&[EV_START_MODEM, OK], modem1(Stage::Download, None)),
);

const U_0: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 1,0,0\r\n");
const U_100: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 1,0,100\r\n");
const U_DOWNLOADED: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 4,0\r\n");
const U_CANCELLED: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 1,2,0\r\n");
const U_COMPLETE: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 5,0\r\n");
const U_REVERTED: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 5,3\r\n");
const U_REJECTED: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 1,1,2\r\n");
const U_FAILED: Ev<'static> = Ev::Out(b"\r\n#XFOTA: 1,1,1\r\n");

/// Verified, recorded, scheduled, link released, then `4,0`.
const APP_DONE: [Ev<'static>; 5] = [
    Ev::HashCheck(IMAGE_HASHED),
    Ev::Save(APP_REC),
    Ev::Schedule(APP),
    Ev::End,
    U_DOWNLOADED,
];
const CANCEL_APP: [Ev<'static>; 5] = [Ev::Cancel, Ev::Reset(APP), Ev::End, U_CANCELLED, OK];

/// The app image downloaded completely and waits (stage 4).
const FINISHED_APP: (Step, Expect) = (
    Step::Event(D::Finished),
    exs(
        &[
            U_0,
            U_100,
            Ev::HashCheck(IMAGE_HASHED),
            Ev::Save(APP_REC),
            Ev::Schedule(APP),
            Ev::End,
            U_DOWNLOADED,
        ],
        waiting(APP),
        APP,
    ),
);
const FINISHED_MODEM: (Step, Expect) = (
    Step::Event(D::Finished),
    exs(
        &[
            U_0,
            U_100,
            Ev::Save(MODEM_REC),
            Ev::Schedule(MODEM),
            Ev::End,
            U_DOWNLOADED,
        ],
        waiting(MODEM),
        MODEM,
    ),
);

const MODEM_UUID_ERROR: i32 = 0x440_0004;
const MODEM_OK: i32 = 0x550_0001;

/// A case whose finished app download fails verification for a structural reason (before
/// any hashing): `1,1,2` with `reason`, discarded, no record.
macro_rules! structurally_rejected {
    ($name:expr, $secondary:expr, $reason:expr) => {
        Case {
            name: $name,
            config: DEFAULT_CONFIG,
            script: Script {
                secondary: $secondary,
                ..OK_SCRIPT
            },
            steps: &[
                STARTED_APP,
                (
                    Step::Event(D::Finished),
                    ex(
                        &[
                            U_0,
                            U_100,
                            log(Log::ImageRejected, $reason),
                            Ev::Reset(APP),
                            Ev::End,
                            U_REJECTED,
                        ],
                        IDLE,
                    ),
                ),
            ],
        }
    };
}

/// Variants of [`crate::NEW_IMAGE`] for the verification cases (const evaluation: an index
/// out of range fails the build).
#[allow(clippy::indexing_slicing)]
const fn patched(at: usize, value: u8) -> [u8; crate::IMAGE_LEN] {
    let mut b = crate::mcuboot_image(crate::NEW_HASH);
    b[at] = value;
    b
}
static BAD_MAGIC: [u8; crate::IMAGE_LEN] = patched(0, 0x3c);
/// `ih_img_size` 17 instead of 16: the TLV info is looked for one byte late.
static SIZE_LIE: [u8; crate::IMAGE_LEN] = patched(12, 17);
/// `ih_hdr_size` 16 (below the 32-byte header).
static SMALL_HEADER: [u8; crate::IMAGE_LEN] = patched(8, 16);
/// TLV info magic broken.
static BAD_TLV_INFO: [u8; crate::IMAGE_LEN] = patched(48, 0x08);
/// `ih_flags` says encrypted (IMAGE_F_ENCRYPTED_AES128): MCUboot as NCS builds it refuses it.
static ENCRYPTED: [u8; crate::IMAGE_LEN] = patched(16, 0x04);
/// The SHA-256 TLV has another type.
static NO_SHA: [u8; crate::IMAGE_LEN] = patched(52, 0x11);
/// The image without its last TLV byte (a truncated download).
#[allow(clippy::indexing_slicing)]
static TRUNCATED: [u8; crate::IMAGE_LEN - 1] = {
    let full = crate::mcuboot_image(crate::NEW_HASH);
    let mut b = [0u8; crate::IMAGE_LEN - 1];
    let mut i = 0;
    while i < b.len() {
        b[i] = full[i];
        i += 1;
    }
    b
};

/// The table.
pub static CASES: &[Case] = &[
    Case {
        name: "1: test command, case-insensitive; read and bare forms refused",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                Step::Line(b"AT#XFOTA=?"),
                ex(
                    &[
                        Ev::Out(b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n"),
                        OK,
                    ],
                    IDLE,
                ),
            ),
            (
                Step::Line(b"at#xfota=?"),
                ex(
                    &[
                        Ev::Out(b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n"),
                        OK,
                    ],
                    IDLE,
                ),
            ),
            (Step::Line(b"AT#XFOTA?"), ex(&rejected(Reject::Read), IDLE)),
            (Step::Line(b"AT#XFOTA"), ex(&rejected(Reject::Execute), IDLE)),
            (Step::Line(b"AT#XFOTA=? "), ex(&rejected(Reject::Field), IDLE)),
            (Step::Line(b"AT+CGMR"), ex(&[], IDLE)),
        ],
    },
    Case {
        name: "2: unknown ops and extra parameters answer ERROR, no URC, state unchanged",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (Step::Line(b"AT#XFOTA=3"), ex(&rejected(Reject::Op), IDLE)),
            (Step::Line(b"AT#XFOTA=7"), ex(&rejected(Reject::Op), IDLE)),
            (Step::Line(b"AT#XFOTA=10"), ex(&rejected(Reject::Op), IDLE)),
            (Step::Line(b"AT#XFOTA=-1"), ex(&rejected(Reject::Op), IDLE)),
            (Step::Line(b"AT#XFOTA=0,1"), ex(&rejected(Reject::TooMany), IDLE)),
            (
                Step::Line(b"AT#XFOTA=8,\"x\""),
                ex(&rejected(Reject::TooMany), IDLE),
            ),
            (Step::Line(b"AT#XFOTA=1"), ex(&rejected(Reject::MissingUrl), IDLE)),
            (
                Step::Line(b"AT#XFOTA=1,http://h/f"),
                ex(&rejected(Reject::Field), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1,\"ftp://h/f\""),
                ex(&rejected(Reject::UrlScheme), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1,\"http://h:0/f\""),
                ex(&rejected(Reject::UrlPort), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1,\"http://h/f\",1,\"a b\""),
                ex(&rejected(Reject::Apn), IDLE),
            ),
        ],
    },
    Case {
        name: "2: lexing as Nordic's at_parser: one space before a parameter, +N, no leading zeros",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (Step::Line(b"AT#XFOTA= +8"), ex(&[Ev::EraseApp, OK], IDLE)),
            (Step::Line(b"AT#XFOTA=08"), ex(&rejected(Reject::Field), IDLE)),
            (Step::Line(b"AT#XFOTA=-0"), ex(&rejected(Reject::Field), IDLE)),
            (Step::Line(b"AT#XFOTA=  8"), ex(&rejected(Reject::Field), IDLE)),
            (Step::Line(b"AT#XFOTA=8 "), ex(&rejected(Reject::Field), IDLE)),
            (
                Step::Line(b"AT#XFOTA=1 ,\"http://example.com/fw/app.bin\""),
                ex(&rejected(Reject::Field), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1, \"http://example.com/fw/app.bin\", , ,"),
                ex(&rejected(Reject::TooMany), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1, \"http://example.com/fw/app.bin\", , \"apn\""),
                ex(
                    &[
                        Ev::Start {
                            image: APP,
                            host: b"http://example.com",
                            file: b"fw/app.bin",
                            sec_tag: None,
                            apn: Some(b"apn"),
                            session: 1,
                        },
                        OK,
                    ],
                    app1(None),
                ),
            ),
        ],
    },
    Case {
        name: "2+3: parameters reach the downloader; https needs sec_tag, http ignores it",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                Step::Line(b"AT#XFOTA=1,\"HTTPS://fw.example.com:8443/a/b.bin\""),
                ex(&rejected(Reject::HttpsNeedsSecTag), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1,\"HTTPS://fw.example.com:8443/a/b.bin\",+42,\"iot.apn\""),
                ex(
                    &[
                        Ev::Start {
                            image: APP,
                            host: b"https://fw.example.com:8443",
                            file: b"a/b.bin",
                            sec_tag: Some(42),
                            apn: Some(b"iot.apn"),
                            session: 1,
                        },
                        OK,
                    ],
                    app1(None),
                ),
            ),
            (Step::Line(b"AT#XFOTA=0"), ex(&CANCEL_APP, IDLE)),
            (
                Step::Line(b"AT#XFOTA=2,\"http://h/m.bin\",7"),
                ex(
                    &[
                        Ev::Start {
                            image: MODEM,
                            host: b"http://h",
                            file: b"m.bin",
                            sec_tag: None,
                            apn: None,
                            session: 2,
                        },
                        OK,
                    ],
                    dl(MODEM, Stage::Download, None, 2),
                ),
            ),
        ],
    },
    Case {
        name: "4+5+7+11: app flow: start, progress on change only, verified, saved, scheduled, boot -> 5,0",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (Step::Line(START_APP), ex(&[ERROR], app1(None))),
            (Step::Line(b"AT#XFOTA=8"), ex(&[ERROR], app1(None))),
            (Step::Line(b"AT#XFOTA=9"), ex(&[ERROR], app1(None))),
            (Step::Event(D::Progress(0)), ex(&[U_0], app1(Some(0)))),
            (Step::Event(D::Progress(0)), ex(&[], app1(Some(0)))),
            (
                Step::Event(D::Progress(5)),
                ex(&[Ev::Out(b"\r\n#XFOTA: 1,0,5\r\n")], app1(Some(5))),
            ),
            (Step::Event(D::Progress(5)), ex(&[], app1(Some(5)))),
            (Step::Event(D::Progress(3)), ex(&[], app1(Some(5)))),
            (Step::Event(D::Progress(100)), ex(&[U_100], app1(Some(100)))),
            (Step::Event(D::Finished), exs(&APP_DONE, waiting(APP), APP)),
            (Step::Line(START_APP), ex(&[ERROR], waiting(APP)).with(APP_REC)),
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], waiting(APP)).with(APP_REC)),
            (
                boot_new(4),
                ex(
                    &[READY, Ev::Confirm, Ev::Save(done(APP, Outcome::Ok)), U_COMPLETE, Ev::Clear],
                    IDLE,
                ),
            ),
            (Step::BootAgain, ex(&[], IDLE)),
            (Step::Line(START_APP), ex(&[EV_START_APP, OK], app1(None))),
        ],
    },
    Case {
        name: "5: first progress above 0 reports 0 first; finished reports 100; bad values ignored",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (
                Step::Event(D::Progress(42)),
                ex(&[U_0, Ev::Out(b"\r\n#XFOTA: 1,0,42\r\n")], app1(Some(42))),
            ),
            (
                Step::Event(D::Progress(101)),
                ex(&[log(Log::BadProgress, 101)], app1(Some(42))),
            ),
            (
                Step::Event(D::Progress(-1)),
                ex(&[log(Log::BadProgress, -1)], app1(Some(42))),
            ),
            (
                Step::Event(D::Finished),
                exs(
                    &[
                        U_100,
                        Ev::HashCheck(IMAGE_HASHED),
                        Ev::Save(APP_REC),
                        Ev::Schedule(APP),
                        Ev::End,
                        U_DOWNLOADED,
                    ],
                    waiting(APP),
                    APP,
                ),
            ),
        ],
    },
    Case {
        name: "4: downloader refuses to start -> 1,1,<errno> then ERROR; a later start works",
        config: DEFAULT_CONFIG,
        script: Script {
            start: -12,
            ..OK_SCRIPT
        },
        steps: &[
            (
                Step::Line(START_APP),
                ex(
                    &[EV_START_APP, Ev::Out(b"\r\n#XFOTA: 1,1,-12\r\n"), ERROR],
                    IDLE,
                ),
            ),
            (Step::Event(D::Progress(10)), ex(&[stale(1)], IDLE)),
        ],
    },
    Case {
        name: "6+7+11: modem flow with erase pending/erased, boot OK -> 5,0",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_MODEM,
            (
                Step::Event(D::ErasePending),
                ex(
                    &[Ev::Out(b"\r\n#XFOTA: 2,0\r\n")],
                    modem1(Stage::ErasePending, None),
                ),
            ),
            (Step::Line(START_MODEM), ex(&[ERROR], modem1(Stage::ErasePending, None))),
            (
                Step::Event(D::Erased),
                ex(&[Ev::Out(b"\r\n#XFOTA: 3,0\r\n")], modem1(Stage::Erased, None)),
            ),
            (
                Step::Event(D::Progress(10)),
                ex(
                    &[U_0, Ev::Out(b"\r\n#XFOTA: 1,0,10\r\n")],
                    modem1(Stage::Download, Some(10)),
                ),
            ),
            (
                Step::Event(D::Finished),
                exs(
                    &[U_100, Ev::Save(MODEM_REC), Ev::Schedule(MODEM), Ev::End, U_DOWNLOADED],
                    waiting(MODEM),
                    MODEM,
                ),
            ),
            (
                boot_old(1, Some(MODEM_OK)),
                ex(&[READY, Ev::Save(done(MODEM, Outcome::Ok)), U_COMPLETE, Ev::Clear], IDLE),
            ),
        ],
    },
    Case {
        name: "6: erased may come without erase pending; app sessions ignore erase events",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_MODEM,
            (
                Step::Event(D::Erased),
                ex(&[Ev::Out(b"\r\n#XFOTA: 3,0\r\n")], modem1(Stage::Erased, None)),
            ),
            (
                Step::Event(D::Error(5)),
                ex(
                    &[Ev::Reset(MODEM), Ev::End, Ev::Out(b"\r\n#XFOTA: 3,1,1\r\n")],
                    IDLE,
                ),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
            (
                Step::Event(D::ErasePending),
                ex(&[stale(2)], dl(APP, Stage::Download, None, 2)),
            ),
        ],
    },
    Case {
        name: "8: download errors: NCS causes INVALID_UPDATE->2, TYPE_MISMATCH->3, others->1; DFU target reset",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (
                Step::Event(D::Error(4)),
                ex(&[Ev::Reset(APP), Ev::End, Ev::Out(b"\r\n#XFOTA: 1,1,3\r\n")], IDLE),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
            (
                Step::Event(D::Error(3)),
                ex(&[Ev::Reset(APP), Ev::End, U_REJECTED], IDLE),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S3, OK], dl(APP, Stage::Download, None, 3)),
            ),
            (
                Step::Event(D::Error(-5)),
                ex(&[Ev::Reset(APP), Ev::End, U_FAILED], IDLE),
            ),
            (Step::Event(D::Finished), ex(&[stale(3)], IDLE)),
        ],
    },
    Case {
        name: "9: cancel: 1,2,0 before OK; its echo is swallowed once; idle cancel is ERROR",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], IDLE)),
            STARTED_APP,
            (
                Step::Event(D::Progress(30)),
                ex(&[U_0, Ev::Out(b"\r\n#XFOTA: 1,0,30\r\n")], app1(Some(30))),
            ),
            (Step::Line(b"AT#XFOTA=0"), ex(&CANCEL_APP, IDLE)),
            (Step::Event(D::Cancelled), ex(&[log(Log::CancelEcho, 1)], IDLE)),
            // Only the first terminal event is the echo.
            (Step::Event(D::Cancelled), ex(&[stale(1)], IDLE)),
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], IDLE)),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
            // A stale event of session 1 must not touch session 2.
            (
                Step::EventFor(1, D::Cancelled),
                ex(&[stale(1)], dl(APP, Stage::Download, None, 2)),
            ),
            // A cancel the core did not ask for is reported.
            (
                Step::Event(D::Cancelled),
                ex(&[Ev::Reset(APP), Ev::End, U_CANCELLED], IDLE),
            ),
        ],
    },
    Case {
        name: "9: fota_download reports a cancel as ERROR when an error was pending: that echo is swallowed",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (Step::Line(b"AT#XFOTA=0"), ex(&CANCEL_APP, IDLE)),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
            // The echo of session 1's cancel, late: an ERROR.
            (
                Step::EventFor(1, D::Error(2)),
                ex(&[log(Log::CancelEcho, 1)], dl(APP, Stage::Download, None, 2)),
            ),
            // Session 2's own events are never swallowed.
            (
                Step::EventFor(2, D::Error(2)),
                ex(&[Ev::Reset(APP), Ev::End, U_FAILED], IDLE),
            ),
        ],
    },
    Case {
        name: "9: a download that finished while its cancel was on the way: the FINISHED echo is swallowed",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (Step::Line(b"AT#XFOTA=0"), ex(&CANCEL_APP, IDLE)),
            (Step::Event(D::Finished), ex(&[log(Log::CancelEcho, 1)], IDLE)),
            (boot_old(1, None), ex(&[READY], IDLE)),
        ],
    },
    Case {
        name: "9: cancel refused by the downloader answers ERROR and keeps the session",
        config: DEFAULT_CONFIG,
        script: Script {
            cancel: -11,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_APP,
            (
                Step::Line(b"AT#XFOTA=0"),
                ex(&[Ev::Cancel, log(Log::CancelFailed, -11), ERROR], app1(None)),
            ),
            // The session goes on; its events are not taken for an echo.
            (Step::Event(D::Finished), exs(&[U_0, U_100, Ev::HashCheck(IMAGE_HASHED), Ev::Save(APP_REC), Ev::Schedule(APP), Ev::End, U_DOWNLOADED], waiting(APP), APP)),
        ],
    },
    Case {
        name: "9: cancel at stage 4 is ERROR",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], waiting(APP)).with(APP_REC)),
        ],
    },
    Case {
        name: "10: op 8 erases the app slot when idle; at app stage 4 it discards the image",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (Step::Line(b"AT#XFOTA=8"), ex(&[Ev::EraseApp, OK], IDLE)),
            STARTED_APP,
            FINISHED_APP,
            (
                Step::Line(b"AT#XFOTA=9"),
                ex(
                    &[
                        Ev::ModemEraseStart,
                        Ev::Sleep(2000),
                        Ev::ModemErasePoll,
                        Ev::Sleep(2000),
                        Ev::ModemErasePoll,
                        Ev::Sleep(2000),
                        Ev::ModemErasePoll,
                        OK,
                    ],
                    waiting(APP),
                )
                .with(APP_REC),
            ),
            (Step::Line(b"AT#XFOTA=8"), ex(&[Ev::EraseApp, Ev::Clear, OK], IDLE)),
            (boot_old(1, None), ex(&[READY], IDLE)),
        ],
    },
    Case {
        name: "10: op 9 polls until done; at modem stage 4 it discards the image",
        config: DEFAULT_CONFIG,
        script: Script {
            modem_erase_pending_polls: 1,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_MODEM,
            FINISHED_MODEM,
            (
                Step::Line(b"AT#XFOTA=8"),
                ex(&[Ev::EraseApp, OK], waiting(MODEM)).with(MODEM_REC),
            ),
            (
                Step::Line(b"AT#XFOTA=9"),
                ex(
                    &[
                        Ev::ModemEraseStart,
                        Ev::Sleep(2000),
                        Ev::ModemErasePoll,
                        Ev::Sleep(2000),
                        Ev::ModemErasePoll,
                        Ev::Clear,
                        OK,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "10: op 9 with nothing to erase answers OK at once",
        config: DEFAULT_CONFIG,
        script: Script {
            modem_erase_start: 1,
            ..OK_SCRIPT
        },
        steps: &[(Step::Line(b"AT#XFOTA=9"), ex(&[Ev::ModemEraseStart, OK], IDLE))],
    },
    Case {
        name: "10: op 9 erase timeout -> ERROR after the configured time (pending = keep waiting)",
        config: Config {
            modem_erase_timeout_ms: 2500,
            modem_erase_poll_ms: 1000,
        },
        script: Script {
            modem_erase_pending_polls: u32::MAX,
            ..OK_SCRIPT
        },
        steps: &[(
            Step::Line(b"AT#XFOTA=9"),
            ex(
                &[
                    Ev::ModemEraseStart,
                    Ev::Sleep(1000),
                    Ev::ModemErasePoll,
                    Ev::Sleep(1000),
                    Ev::ModemErasePoll,
                    Ev::Sleep(1000),
                    Ev::ModemErasePoll,
                    log(Log::EraseTimeout, 0),
                    log(Log::EraseFailed, -116),
                    ERROR,
                ],
                IDLE,
            ),
        )],
    },
    Case {
        name: "10: erase failures answer ERROR",
        config: DEFAULT_CONFIG,
        script: Script {
            erase_app: -5,
            modem_erase_poll_err: -5,
            ..OK_SCRIPT
        },
        steps: &[
            (
                Step::Line(b"AT#XFOTA=8"),
                ex(&[Ev::EraseApp, log(Log::EraseFailed, -5), ERROR], IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=9"),
                ex(
                    &[
                        Ev::ModemEraseStart,
                        Ev::Sleep(2000),
                        Ev::ModemErasePoll,
                        log(Log::EraseFailed, -5),
                        ERROR,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "7: a failed save discards the image: 1,1,1, nothing scheduled, nothing persisted",
        config: DEFAULT_CONFIG,
        script: Script {
            save: -28,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_MODEM,
            (
                Step::Event(D::Finished),
                ex(
                    &[
                        U_0,
                        U_100,
                        Ev::Save(MODEM_REC),
                        log(Log::SaveFailed, -28),
                        Ev::Reset(MODEM),
                        Ev::End,
                        U_FAILED,
                    ],
                    IDLE,
                ),
            ),
            // Nothing was scheduled: the modem reports nothing, nobody waits.
            (boot_old(1, None), ex(&[READY], IDLE)),
        ],
    },
    Case {
        name: "7: scheduling fails after the save: the record is cleared, the image discarded, 1,1,1",
        config: DEFAULT_CONFIG,
        script: Script {
            schedule: -13,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_APP,
            (
                Step::Event(D::Finished),
                ex(
                    &[
                        U_0,
                        U_100,
                        Ev::HashCheck(IMAGE_HASHED),
                        Ev::Save(APP_REC),
                        Ev::Schedule(APP),
                        log(Log::ScheduleFailed, -13),
                        Ev::Clear,
                        Ev::Reset(APP),
                        Ev::End,
                        U_FAILED,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "7 (verify): the image hash does not match its SHA-256 TLV: 1,1,2, no record; a new start works",
        config: DEFAULT_CONFIG,
        script: Script {
            hash: 0,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_APP,
            (
                Step::Event(D::Finished),
                ex(
                    &[
                        U_0,
                        U_100,
                        Ev::HashCheck(IMAGE_HASHED),
                        log(Log::ImageRejected, image::reason::HASH_MISMATCH),
                        Ev::Reset(APP),
                        Ev::End,
                        U_REJECTED,
                    ],
                    IDLE,
                ),
            ),
            (boot_old(1, None), ex(&[READY], IDLE)),
            (Step::Line(START_APP), ex(&[EV_START_APP, OK], app1(None))),
        ],
    },
    Case {
        name: "7 (verify): the hash cannot be computed (port error): 1,1,2",
        config: DEFAULT_CONFIG,
        script: Script {
            hash: -12,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_APP,
            (
                Step::Event(D::Finished),
                ex(
                    &[
                        U_0,
                        U_100,
                        Ev::HashCheck(IMAGE_HASHED),
                        log(Log::ImageRejected, -12),
                        Ev::Reset(APP),
                        Ev::End,
                        U_REJECTED,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    structurally_rejected!(
        "7 (verify): bad header magic -> 1,1,2",
        &BAD_MAGIC,
        image::reason::MAGIC
    ),
    structurally_rejected!(
        "7 (verify): a header size below 32 -> 1,1,2",
        &SMALL_HEADER,
        image::reason::HEADER
    ),
    structurally_rejected!(
        "7 (verify): the header lies about the image size -> 1,1,2",
        &SIZE_LIE,
        image::reason::TLV_INFO
    ),
    structurally_rejected!(
        "7 (verify): bad TLV info magic -> 1,1,2",
        &BAD_TLV_INFO,
        image::reason::TLV_INFO
    ),
    structurally_rejected!(
        "7 (verify): an encrypted image (ih_flags), which this MCUboot refuses -> 1,1,2",
        &ENCRYPTED,
        image::reason::FLAGS
    ),
    structurally_rejected!(
        "7 (verify): no SHA-256 TLV (SHA-384 instead) -> 1,1,2",
        &NO_SHA,
        image::reason::NO_HASH
    ),
    structurally_rejected!(
        "7 (verify): a truncated image (read past the end) -> 1,1,2",
        &TRUNCATED,
        -22
    ),
    structurally_rejected!(
        "7 (verify): an empty slot -> 1,1,2",
        &[],
        -22
    ),
    Case {
        name: "11: app boot, the old image runs (NONE) -> 5,3; record cleared after the URC",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                boot_old(1, None),
                ex(
                    &[READY, Ev::Save(done(APP, Outcome::Reverted)), U_REVERTED, Ev::Clear],
                    IDLE,
                ),
            ),
            (boot_old(1, None), ex(&[READY], IDLE)),
        ],
    },
    Case {
        name: "11 (identity): a cut after the confirm: the verified image runs confirmed (NONE) -> 5,0, no second confirm",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                boot_new(1),
                ex(&[READY, Ev::Save(done(APP, Outcome::Ok)), U_COMPLETE, Ev::Clear], IDLE),
            ),
        ],
    },
    Case {
        name: "11 (identity): another image in test mode (REVERT) is not ours: 5,3, not confirmed",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                boot_old(4, None),
                ex(
                    &[READY, Ev::Save(done(APP, Outcome::Reverted)), U_REVERTED, Ev::Clear],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "11 (identity): the running image cannot be read: MCUboot's swap type decides",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                boot_with(4, None, Running::Unreadable, 0),
                ex(
                    &[
                        READY,
                        log(Log::IdentityUnknown, -5),
                        Ev::Confirm,
                        Ev::Save(done(APP, Outcome::Ok)),
                        U_COMPLETE,
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "11: app boot FAIL -> 5,1,5 (swap type, as Nordic); confirm failure -> 5,1,<errno>",
        config: DEFAULT_CONFIG,
        script: Script {
            confirm: -5,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                boot_old(5, None),
                ex(
                    &[
                        READY,
                        Ev::Save(done(APP, Outcome::Error(5))),
                        Ev::Out(b"\r\n#XFOTA: 5,1,5\r\n"),
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
            (Step::Line(START_APP), ex(&[EV_START_APP, OK], app1(None))),
            FINISHED_APP,
            (
                boot_new(4),
                ex(
                    &[
                        READY,
                        Ev::Confirm,
                        Ev::Save(done(APP, Outcome::Error(-5))),
                        Ev::Out(b"\r\n#XFOTA: 5,1,-5\r\n"),
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "11: a record of the previous version (no identity) is decided by the swap type, as then",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                Step::Boot {
                    stored: Stored::Bytes(&V1_APP_WAITING),
                    swap: 4,
                    modem: None,
                    running: Running::Old,
                    modem_init: 0,
                },
                ex(
                    &[READY, Ev::Confirm, Ev::Save(done(APP, Outcome::Ok)), U_COMPLETE, Ev::Clear],
                    IDLE,
                ),
            ),
            (
                Step::Boot {
                    stored: Stored::Bytes(&V1_APP_WAITING),
                    swap: 1,
                    modem: None,
                    running: Running::New,
                    modem_init: 0,
                },
                ex(
                    &[READY, Ev::Save(done(APP, Outcome::Reverted)), U_REVERTED, Ev::Clear],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "11: modem boot UUID error -> 5,1,71303172; voltage low keeps stage 4",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_MODEM,
            FINISHED_MODEM,
            (
                boot_old(1, Some(0x440_0005)),
                exs(
                    &[
                        READY,
                        log(Log::ModemVoltageLow, 0),
                        Ev::Out(b"\r\n#XFOTA: 4,1,71303173\r\n"),
                    ],
                    waiting(MODEM),
                    MODEM,
                ),
            ),
            (
                boot_old(1, Some(MODEM_UUID_ERROR)),
                ex(
                    &[
                        READY,
                        Ev::Save(done(MODEM, Outcome::Error(MODEM_UUID_ERROR))),
                        Ev::Out(b"\r\n#XFOTA: 5,1,71303172\r\n"),
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "11: a waiting modem image whose boot brings no DFU result: 5,1,-2 and cleared (never a permanent block)",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_MODEM,
            FINISHED_MODEM,
            // The modem library is down at this boot: nothing can be concluded, keep waiting.
            (
                boot_with(1, None, Running::Old, -5),
                exs(
                    &[READY, Ev::Out(b"\r\n#XMODEM: INIT,-5\r\n")],
                    waiting(MODEM),
                    MODEM,
                ),
            ),
            (
                boot_old(1, None),
                ex(
                    &[
                        READY,
                        log(Log::NoModemResult, 0),
                        Ev::Save(done(MODEM, Outcome::Error(NO_MODEM_RESULT))),
                        Ev::Out(b"\r\n#XFOTA: 5,1,-2\r\n"),
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
            STARTED_MODEM,
        ],
    },
    Case {
        name: "3 (modem down): after a failed nrf_modem_lib_init, ops 1, 2 and 9 answer ERROR, op 8 works",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                boot_with(1, None, Running::Old, -11),
                ex(&[READY, Ev::Out(b"\r\n#XMODEM: INIT,-11\r\n")], IDLE),
            ),
            (Step::Line(START_APP), ex(&[log(Log::ModemDown, 0), ERROR], IDLE)),
            (Step::Line(START_MODEM), ex(&[log(Log::ModemDown, 0), ERROR], IDLE)),
            (Step::Line(b"AT#XFOTA=9"), ex(&[log(Log::ModemDown, 0), ERROR], IDLE)),
            (Step::Line(b"AT#XFOTA=8"), ex(&[Ev::EraseApp, OK], IDLE)),
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], IDLE)),
            (
                Step::ModemReinit(0, 0),
                ex(
                    &[
                        Ev::Out(b"\r\n#XMODEM: SHUTDOWN,0\r\n"),
                        Ev::Out(b"\r\n#XMODEM: INIT,0\r\n"),
                    ],
                    IDLE,
                ),
            ),
            STARTED_APP,
        ],
    },
    Case {
        name: "3 (modem fault): the fault line, ops that need the modem refused until the re-init succeeds",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (
                Step::ModemFault(0x2, 0x1a2b3c),
                ex(&[Ev::Out(b"\r\n#XMODEM: FAULT,0x2,0x1a2b3c\r\n")], app1(None)),
            ),
            // The download dies with the modem; the failure is reported as usual.
            (
                Step::Event(D::Error(1)),
                ex(&[Ev::Reset(APP), Ev::End, U_FAILED], IDLE),
            ),
            (
                Step::Line(START_APP),
                ex(&[log(Log::ModemDown, 0), ERROR], IDLE),
            ),
            (
                Step::ModemReinit(0, -5),
                ex(
                    &[
                        Ev::Out(b"\r\n#XMODEM: SHUTDOWN,0\r\n"),
                        Ev::Out(b"\r\n#XMODEM: INIT,-5\r\n"),
                    ],
                    IDLE,
                ),
            ),
            (Step::Line(START_APP), ex(&[log(Log::ModemDown, 0), ERROR], IDLE)),
            (
                Step::ModemReinit(0, 0),
                ex(
                    &[
                        Ev::Out(b"\r\n#XMODEM: SHUTDOWN,0\r\n"),
                        Ev::Out(b"\r\n#XMODEM: INIT,0\r\n"),
                    ],
                    IDLE,
                ),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
        ],
    },
    Case {
        name: "11: a corrupt record is dropped with a log line, never acted on",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                boot_bytes(b"XF\x01\x01\x04\x00\x00\x00\x00\x00\x00\x00", 1),
                ex(
                    &[
                        READY,
                        log(Log::CorruptRecord, RecordError::Checksum as i32),
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
            (
                boot_bytes(b"XF\x01", 1),
                ex(
                    &[READY, log(Log::CorruptRecord, RecordError::Length as i32), Ev::Clear],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "11: a power cut during a download leaves the device idle; a new start works",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (
                Step::Event(D::Progress(50)),
                ex(&[U_0, Ev::Out(b"\r\n#XFOTA: 1,0,50\r\n")], app1(Some(50))),
            ),
            (boot_old(1, None), ex(&[READY], IDLE)),
            (Step::Event(D::Progress(60)), ex(&[stale(1)], IDLE)),
            STARTED_APP,
        ],
    },
    Case {
        name: "11: a power cut between the result URC and the clear repeats the URC once",
        config: DEFAULT_CONFIG,
        script: Script {
            clear: -5,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                boot_new(4),
                ex(
                    &[
                        READY,
                        Ev::Confirm,
                        Ev::Save(done(APP, Outcome::Ok)),
                        U_COMPLETE,
                        Ev::Clear,
                        log(Log::ClearFailed, -5),
                    ],
                    IDLE,
                )
                .with(done(APP, Outcome::Ok)),
            ),
            // The next boot says it again (the cut between notification and clear).
            (
                boot_new(1),
                ex(&[READY, U_COMPLETE, Ev::Clear, log(Log::ClearFailed, -5)], IDLE)
                    .with(done(APP, Outcome::Ok)),
            ),
        ],
    },
    Case {
        name: "6: erase pending repeated (NCS erase timeout) is reported once",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_MODEM,
            (
                Step::Event(D::ErasePending),
                ex(
                    &[Ev::Out(b"\r\n#XFOTA: 2,0\r\n")],
                    modem1(Stage::ErasePending, None),
                ),
            ),
            (Step::Event(D::ErasePending), ex(&[], modem1(Stage::ErasePending, None))),
        ],
    },
    Case {
        name: "11: app boot TEST/PERM -> 5,1,<swap type>; a swap read error -> 5,1,<errno>",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                boot_old(2, None),
                ex(
                    &[
                        READY,
                        Ev::Save(done(APP, Outcome::Error(2))),
                        Ev::Out(b"\r\n#XFOTA: 5,1,2\r\n"),
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
            STARTED_APP,
            FINISHED_APP,
            (
                boot_old(-5, None),
                ex(
                    &[
                        READY,
                        Ev::Save(done(APP, Outcome::Error(-5))),
                        Ev::Out(b"\r\n#XFOTA: 5,1,-5\r\n"),
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "11: a boot report after a session started is not acted on (LateBoot)",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_MODEM,
            (
                Step::BootAgain,
                ex(&[READY, log(Log::LateBoot, 0)], modem1(Stage::Download, None)),
            ),
            FINISHED_MODEM,
        ],
    },
    Case {
        name: "10: op 8 at stage 4 whose record cannot be cleared: ERROR, the image still waits",
        config: DEFAULT_CONFIG,
        script: Script {
            clear: -5,
            ..OK_SCRIPT
        },
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (
                Step::Line(b"AT#XFOTA=8"),
                ex(
                    &[Ev::EraseApp, Ev::Clear, log(Log::ClearFailed, -5), ERROR],
                    waiting(APP),
                )
                .with(APP_REC),
            ),
        ],
    },
    Case {
        name: "11: an image in test mode (REVERT) with no valid record is confirmed and reported",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                boot_bytes(b"XF\x01", 4),
                ex(
                    &[
                        READY,
                        log(Log::CorruptRecord, RecordError::Length as i32),
                        Ev::Clear,
                        log(Log::RevertWithoutRecord, 0),
                        Ev::Confirm,
                        Ev::Save(done(APP, Outcome::Ok)),
                        U_COMPLETE,
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
            (
                boot_new(4),
                ex(
                    &[
                        READY,
                        log(Log::RevertWithoutRecord, 0),
                        Ev::Confirm,
                        Ev::Save(done(APP, Outcome::Ok)),
                        U_COMPLETE,
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
];

/// A stage-4 application record as the previous build (record version 1) wrote it.
static V1_APP_WAITING: [u8; 12] = {
    let mut b = *b"XF\x01\x01\x04\x00\x00\x00\x00\x00\x00\x00";
    let crc = xfota_core::record::crc16(&[b'X', b'F', 1, 1, 4, 0, 0, 0, 0, 0]);
    b[10] = crc as u8;
    b[11] = (crc >> 8) as u8;
    b
};

impl Expect {
    /// The same expectation with `record` in storage.
    const fn with(self, record: Record) -> Self {
        Expect {
            stored: Some(record),
            ..self
        }
    }
}
