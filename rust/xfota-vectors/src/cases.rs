//! The conformance table. Each case names the DESIGN.md §2 item(s) it pins.

use crate::{Case, Ev, Expect, Script, Step, Stored, OK_SCRIPT};
use xfota_core::at::Reject;
use xfota_core::record::{Outcome, Record, RecordError};
use xfota_core::url::UrlError;
use xfota_core::{
    Config, DownloadEvent as D, ImageType, LogEvent as L, Stage, StateView, DEFAULT_CONFIG,
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
/// A waiting record of `stored` is in storage afterwards.
const fn exs(trace: &'static [Ev<'static>], state: StateView, stored: ImageType) -> Expect {
    Expect {
        trace,
        state,
        stored: Some(Record::waiting(stored)),
    }
}
const fn done(image: ImageType, outcome: Outcome) -> Record {
    Record {
        image,
        result: Some(outcome),
    }
}
const fn rejected(r: Reject) -> [Ev<'static>; 2] {
    [Ev::Log(L::Rejected(r)), ERROR]
}
const fn boot(swap: i32, modem: Option<i32>) -> Step {
    Step::Boot {
        stored: Stored::Keep,
        swap,
        modem,
    }
}

const START_APP: &[u8] = b"AT#XFOTA=1,\"http://example.com/fw/app.bin\"";
const START_MODEM: &[u8] = b"AT#XFOTA=2,\"http://example.com/fw/mfw-delta.bin\"";
const EV_START_APP: Ev<'static> = Ev::Start {
    image: APP,
    host: "http://example.com",
    file: "fw/app.bin",
    sec_tag: None,
    apn: None,
    session: 1,
};
const EV_START_MODEM: Ev<'static> = Ev::Start {
    image: MODEM,
    host: "http://example.com",
    file: "fw/mfw-delta.bin",
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

/// The app image downloaded completely and waits (stage 4).
const FINISHED_APP: (Step, Expect) = (
    Step::Event(D::Finished),
    exs(
        &[U_0, U_100, Ev::Save(Record::waiting(APP)), U_DOWNLOADED],
        waiting(APP),
        APP,
    ),
);
const FINISHED_MODEM: (Step, Expect) = (
    Step::Event(D::Finished),
    exs(
        &[U_0, U_100, Ev::Save(Record::waiting(MODEM)), U_DOWNLOADED],
        waiting(MODEM),
        MODEM,
    ),
);

const MODEM_UUID_ERROR: i32 = 0x440_0004;

/// The modem session goes on after the late boot report and finishes normally.
const MODEM_LATE_FINISHED: (Step, Expect) = (
    Step::Event(D::Finished),
    exs(
        &[U_0, U_100, Ev::Save(Record::waiting(MODEM)), U_DOWNLOADED],
        waiting(MODEM),
        MODEM,
    ),
);

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
            (Step::Line(b"AT#XFOTA=-1"), ex(&rejected(Reject::Field), IDLE)),
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
                ex(&rejected(Reject::Url(UrlError::Scheme)), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1,\"http://h:0/f\""),
                ex(&rejected(Reject::Url(UrlError::Port)), IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=1,\"http://h/f\",1,\"a b\""),
                ex(&rejected(Reject::Apn), IDLE),
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
                Step::Line(b"AT#XFOTA=1,\"HTTPS://fw.example.com:8443/a/b.bin\",42,\"iot.apn\""),
                ex(
                    &[
                        Ev::Start {
                            image: APP,
                            host: "https://fw.example.com:8443",
                            file: "a/b.bin",
                            sec_tag: Some(42),
                            apn: Some("iot.apn"),
                            session: 1,
                        },
                        OK,
                    ],
                    app1(None),
                ),
            ),
            (Step::Line(b"AT#XFOTA=0"), ex(&[Ev::Cancel, Ev::Reset(APP), U_CANCELLED, OK], IDLE)),
            (
                Step::Line(b"AT#XFOTA=2,\"http://h/m.bin\",7"),
                ex(
                    &[
                        Ev::Start {
                            image: MODEM,
                            host: "http://h",
                            file: "m.bin",
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
        name: "4+5+7+11: app flow: start, progress on change only, finished, boot REVERT -> 5,0",
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
            (
                Step::Event(D::Finished),
                exs(&[Ev::Save(Record::waiting(APP)), U_DOWNLOADED], waiting(APP), APP),
            ),
            (Step::Line(START_APP), ex(&[ERROR], waiting(APP)).with(Record::waiting(APP))),
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], waiting(APP)).with(Record::waiting(APP))),
            (
                boot(4, None),
                ex(&[READY, Ev::Confirm, Ev::Save(done(APP, Outcome::Ok)), U_COMPLETE, Ev::Clear], IDLE),
            ),
            (Step::BootAgain, ex(&[], IDLE)),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP, OK], app1(None)),
            ),
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
                ex(&[Ev::Log(L::BadProgress(101))], app1(Some(42))),
            ),
            (
                Step::Event(D::Progress(-1)),
                ex(&[Ev::Log(L::BadProgress(-1))], app1(Some(42))),
            ),
            (
                Step::Event(D::Finished),
                exs(&[U_100, Ev::Save(Record::waiting(APP)), U_DOWNLOADED], waiting(APP), APP),
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
            (Step::Event(D::Progress(10)), ex(&[Ev::Log(L::StaleEvent)], IDLE)),
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
                exs(&[U_100, Ev::Save(Record::waiting(MODEM)), U_DOWNLOADED], waiting(MODEM), MODEM),
            ),
            (
                boot(1, Some(0x550_0001)),
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
                    &[Ev::Reset(MODEM), Ev::Out(b"\r\n#XFOTA: 3,1,1\r\n")],
                    IDLE,
                ),
            ),
            (
                Step::Line(START_APP),
                ex(
                    &[
                        EV_START_APP_S2,
                        OK,
                    ],
                    dl(APP, Stage::Download, None, 2),
                ),
            ),
            (
                Step::Event(D::ErasePending),
                ex(&[Ev::Log(L::StaleEvent)], dl(APP, Stage::Download, None, 2)),
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
                ex(&[Ev::Reset(APP), Ev::Out(b"\r\n#XFOTA: 1,1,3\r\n")], IDLE),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
            (
                Step::Event(D::Error(3)),
                ex(&[Ev::Reset(APP), Ev::Out(b"\r\n#XFOTA: 1,1,2\r\n")], IDLE),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S3, OK], dl(APP, Stage::Download, None, 3)),
            ),
            (
                Step::Event(D::Error(-5)),
                ex(&[Ev::Reset(APP), Ev::Out(b"\r\n#XFOTA: 1,1,1\r\n")], IDLE),
            ),
            (Step::Event(D::Finished), ex(&[Ev::Log(L::StaleEvent)], IDLE)),
        ],
    },
    Case {
        name: "9: cancel: 1,2,0 before OK; the late CANCELLED event is ignored; idle cancel is ERROR",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], IDLE)),
            STARTED_APP,
            (Step::Event(D::Progress(30)), ex(&[U_0, Ev::Out(b"\r\n#XFOTA: 1,0,30\r\n")], app1(Some(30)))),
            (
                Step::Line(b"AT#XFOTA=0"),
                ex(&[Ev::Cancel, Ev::Reset(APP), U_CANCELLED, OK], IDLE),
            ),
            (Step::Event(D::Cancelled), ex(&[Ev::Log(L::StaleEvent)], IDLE)),
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], IDLE)),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
            // A stale event of session 1 must not touch session 2.
            (
                Step::EventFor(1, D::Cancelled),
                ex(&[Ev::Log(L::StaleEvent)], dl(APP, Stage::Download, None, 2)),
            ),
            (
                Step::Event(D::Cancelled),
                ex(&[Ev::Reset(APP), U_CANCELLED], IDLE),
            ),
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
                ex(&[Ev::Cancel, Ev::Log(L::CancelFailed(-11)), ERROR], app1(None)),
            ),
        ],
    },
    Case {
        name: "9: cancel at stage 4 is ERROR",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (Step::Line(b"AT#XFOTA=0"), ex(&[ERROR], waiting(APP)).with(Record::waiting(APP))),
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
                .with(Record::waiting(APP)),
            ),
            (Step::Line(b"AT#XFOTA=8"), ex(&[Ev::EraseApp, Ev::Clear, OK], IDLE)),
            (boot(1, None), ex(&[READY], IDLE)),
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
            (Step::Line(b"AT#XFOTA=8"), ex(&[Ev::EraseApp, OK], waiting(MODEM)).with(Record::waiting(MODEM))),
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
                    Ev::Log(L::EraseTimeout),
                    Ev::Log(L::EraseFailed(-116)),
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
                ex(&[Ev::EraseApp, Ev::Log(L::EraseFailed(-5)), ERROR], IDLE),
            ),
            (
                Step::Line(b"AT#XFOTA=9"),
                ex(
                    &[
                        Ev::ModemEraseStart,
                        Ev::Sleep(2000),
                        Ev::ModemErasePoll,
                        Ev::Log(L::EraseFailed(-5)),
                        ERROR,
                    ],
                    IDLE,
                ),
            ),
        ],
    },
    Case {
        name: "7: a failed save discards the image: 1,1,1, DFU target reset, nothing persisted",
        config: DEFAULT_CONFIG,
        script: Script {
            save: -28,
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
                        Ev::Save(Record::waiting(APP)),
                        Ev::Log(L::SaveFailed(-28)),
                        Ev::Reset(APP),
                        Ev::Out(b"\r\n#XFOTA: 1,1,1\r\n"),
                    ],
                    IDLE,
                ),
            ),
            // The DFU target reset erased the image: MCUboot has nothing to swap.
            (boot(1, None), ex(&[READY], IDLE)),
        ],
    },
    Case {
        name: "11: app boot NONE -> 5,3; record cleared after the URC",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            FINISHED_APP,
            (boot(1, None), ex(&[READY, Ev::Save(done(APP, Outcome::Reverted)), U_REVERTED, Ev::Clear], IDLE)),
            (boot(1, None), ex(&[READY], IDLE)),
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
                boot(5, None),
                ex(&[READY, Ev::Save(done(APP, Outcome::Error(5))), Ev::Out(b"\r\n#XFOTA: 5,1,5\r\n"), Ev::Clear], IDLE),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP, OK], app1(None)),
            ),
            FINISHED_APP,
            (
                boot(4, None),
                ex(
                    &[READY, Ev::Confirm, Ev::Save(done(APP, Outcome::Error(-5))), Ev::Out(b"\r\n#XFOTA: 5,1,-5\r\n"), Ev::Clear],
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
                boot(1, Some(0x440_0005)),
                exs(
                    &[
                        READY,
                        Ev::Log(L::ModemVoltageLow),
                        Ev::Out(b"\r\n#XFOTA: 4,1,71303173\r\n"),
                    ],
                    waiting(MODEM),
                    MODEM,
                ),
            ),
            (boot(1, None), exs(&[READY], waiting(MODEM), MODEM)),
            (
                boot(1, Some(MODEM_UUID_ERROR)),
                ex(&[READY, Ev::Save(done(MODEM, Outcome::Error(MODEM_UUID_ERROR))), Ev::Out(b"\r\n#XFOTA: 5,1,71303172\r\n"), Ev::Clear], IDLE),
            ),
        ],
    },
    Case {
        name: "11: a corrupt record is dropped with a log line, never acted on",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                Step::Boot {
                    stored: Stored::Bytes(b"XF\x01\x01\x04\x00\x00\x00\x00\x00\x00\x00"),
                    swap: 1,
                    modem: None,
                },
                ex(
                    &[READY, Ev::Log(L::CorruptRecord(RecordError::Checksum)), Ev::Clear],
                    IDLE,
                ),
            ),
            (
                Step::Boot {
                    stored: Stored::Bytes(b"XF\x01"),
                    swap: 1,
                    modem: None,
                },
                ex(
                    &[READY, Ev::Log(L::CorruptRecord(RecordError::Length)), Ev::Clear],
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
            (Step::Event(D::Progress(50)), ex(&[U_0, Ev::Out(b"\r\n#XFOTA: 1,0,50\r\n")], app1(Some(50)))),
            (boot(1, None), ex(&[READY], IDLE)),
            (Step::Event(D::Progress(60)), ex(&[Ev::Log(L::StaleEvent)], IDLE)),
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
                boot(4, None),
                ex(
                    &[
                        READY,
                        Ev::Confirm,
                        Ev::Save(done(APP, Outcome::Ok)),
                        U_COMPLETE,
                        Ev::Clear,
                        Ev::Log(L::ClearFailed(-5)),
                    ],
                    IDLE,
                )
                .with(done(APP, Outcome::Ok)),
            ),
            // The next boot says it again (the cut between notification and clear).
            (
                boot(1, None),
                ex(&[READY, U_COMPLETE, Ev::Clear, Ev::Log(L::ClearFailed(-5))], IDLE)
                    .with(done(APP, Outcome::Ok)),
            ),
        ],
    },
    Case {
        name: "9: the cancel echo arriving after a new start (tagged with its id) is swallowed",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            STARTED_APP,
            (
                Step::Line(b"AT#XFOTA=0"),
                ex(&[Ev::Cancel, Ev::Reset(APP), U_CANCELLED, OK], IDLE),
            ),
            (
                Step::Line(START_APP),
                ex(&[EV_START_APP_S2, OK], dl(APP, Stage::Download, None, 2)),
            ),
            (
                Step::EventFor(2, D::Cancelled),
                ex(&[Ev::Log(L::StaleEvent)], dl(APP, Stage::Download, None, 2)),
            ),
            (
                Step::EventFor(2, D::Progress(0)),
                ex(&[U_0], dl(APP, Stage::Download, Some(0), 2)),
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
                boot(2, None),
                ex(&[READY, Ev::Save(done(APP, Outcome::Error(2))), Ev::Out(b"\r\n#XFOTA: 5,1,2\r\n"), Ev::Clear], IDLE),
            ),
            STARTED_APP,
            FINISHED_APP,
            (
                boot(-5, None),
                ex(&[READY, Ev::Save(done(APP, Outcome::Error(-5))), Ev::Out(b"\r\n#XFOTA: 5,1,-5\r\n"), Ev::Clear], IDLE),
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
                ex(
                    &[READY, Ev::Log(L::LateBoot)],
                    modem1(Stage::Download, None),
                ),
            ),
            MODEM_LATE_FINISHED,
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
                    &[Ev::EraseApp, Ev::Clear, Ev::Log(L::ClearFailed(-5)), ERROR],
                    waiting(APP),
                )
                .with(Record::waiting(APP)),
            ),
        ],
    },
    Case {
        name: "11: an image in test mode (REVERT) with no valid record is confirmed and reported",
        config: DEFAULT_CONFIG,
        script: OK_SCRIPT,
        steps: &[
            (
                Step::Boot {
                    stored: Stored::Bytes(b"XF\x01"),
                    swap: 4,
                    modem: None,
                },
                ex(
                    &[
                        READY,
                        Ev::Log(L::CorruptRecord(RecordError::Length)),
                        Ev::Clear,
                        Ev::Log(L::RevertWithoutRecord),
                        Ev::Confirm,
                        Ev::Save(done(APP, Outcome::Ok)),
                        U_COMPLETE,
                        Ev::Clear,
                    ],
                    IDLE,
                ),
            ),
            (
                boot(4, None),
                ex(
                    &[
                        READY,
                        Ev::Log(L::RevertWithoutRecord),
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

const EV_START_APP_S2: Ev<'static> = Ev::Start {
    image: APP,
    host: "http://example.com",
    file: "fw/app.bin",
    sec_tag: None,
    apn: None,
    session: 2,
};
const EV_START_APP_S3: Ev<'static> = Ev::Start {
    image: APP,
    host: "http://example.com",
    file: "fw/app.bin",
    sec_tag: None,
    apn: None,
    session: 3,
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
