//! Conformance vectors for `xfota-core` and the `no_std` runner that checks them.
//!
//! One table ([`CASES`]) pins DESIGN.md §2 items 1–12: for every step (an AT line, a download
//! event, a boot) the exact *trace* — every byte written to the UART and every effect asked of
//! the port, in order — plus the state and the persisted record afterwards. The host tests
//! (`cargo test`) and the Cortex-M33 image under QEMU run this same table through [`run_case`].
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cases;

use core::cell::RefCell;
use xfota_core::record::{Record, RECORD_LEN};
use xfota_core::{
    BootReport, Config, DownloadEvent, DownloadRequest, ErasePoll, Fota, ImageType, LogEvent, Out,
    Port, StateView, SwapType,
};

pub use cases::CASES;

/// One entry of a trace: a write to the UART, or an effect asked of the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev<'a> {
    /// Bytes written to the UART (one whole line per write).
    Out(&'a [u8]),
    /// `start_download`.
    Start {
        /// Image type.
        image: ImageType,
        /// Host as the downloader gets it.
        host: &'a str,
        /// File as the downloader gets it.
        file: &'a str,
        /// Security tag.
        sec_tag: Option<u32>,
        /// APN.
        apn: Option<&'a str>,
        /// Session number.
        session: u16,
    },
    /// `cancel_download`.
    Cancel,
    /// `reset_dfu_target`.
    Reset(ImageType),
    /// `erase_app_slot`.
    EraseApp,
    /// `modem_erase_start`.
    ModemEraseStart,
    /// `modem_erase_poll`.
    ModemErasePoll,
    /// `sleep_ms`.
    Sleep(u32),
    /// `save_record` with a record that decodes to this.
    Save(Record),
    /// `save_record` with bytes that do not decode (always a failure).
    SaveCorrupt,
    /// `clear_record`.
    Clear,
    /// `confirm_image`.
    Confirm,
    /// `log`.
    Log(LogEvent),
}

/// How the fake port answers. 0 means success, a negative value is the errno returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Script {
    /// `start_download`.
    pub start: i32,
    /// `cancel_download`.
    pub cancel: i32,
    /// `erase_app_slot`.
    pub erase_app: i32,
    /// `modem_erase_start`: 0 pending, 1 done, negative error.
    pub modem_erase_start: i32,
    /// Number of polls answering pending before one answers done; `u32::MAX` never finishes.
    pub modem_erase_pending_polls: u32,
    /// If non-zero, the first poll fails with this errno.
    pub modem_erase_poll_err: i32,
    /// `save_record`.
    pub save: i32,
    /// `clear_record`.
    pub clear: i32,
    /// `confirm_image`.
    pub confirm: i32,
    /// `reset_dfu_target`.
    pub reset: i32,
}

/// Every call succeeds; a modem erase takes two polls.
pub const OK_SCRIPT: Script = Script {
    start: 0,
    cancel: 0,
    erase_app: 0,
    modem_erase_start: 0,
    modem_erase_pending_polls: 2,
    modem_erase_poll_err: 0,
    save: 0,
    clear: 0,
    confirm: 0,
    reset: 0,
};

/// What is in storage when a [`Step::Boot`] happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    /// Whatever the previous steps left (a power cycle).
    Keep,
    /// These bytes (corrupt records, foreign data).
    Bytes(&'static [u8]),
}

/// One input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// An AT line (without terminator).
    Line(&'static [u8]),
    /// A download event for the most recently started session.
    Event(DownloadEvent),
    /// A download event tagged with an explicit session number.
    EventFor(u16, DownloadEvent),
    /// Power cycle: a fresh state machine, then the boot report.
    Boot {
        /// Storage content.
        stored: Stored,
        /// `mcuboot_swap_type()`.
        swap: i32,
        /// The modem DFU result, if one was delivered.
        modem: Option<i32>,
    },
    /// The boot report delivered a second time without a power cycle (must do nothing).
    BootAgain,
}

/// What must happen for one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The whole trace of the step, in order.
    pub trace: &'static [Ev<'static>],
    /// The state afterwards.
    pub state: StateView,
    /// The record in storage afterwards (`None`: no record).
    pub stored: Option<Record>,
}

/// A conformance case.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// Name (and the DESIGN.md §2 item it pins).
    pub name: &'static str,
    /// Core configuration.
    pub config: Config,
    /// Port behaviour.
    pub script: Script,
    /// Steps and their expectations.
    pub steps: &'static [(Step, Expect)],
}

/// Where a case failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Case name.
    pub case: &'static str,
    /// Step index.
    pub step: usize,
    /// What differed.
    pub kind: MismatchKind,
}

/// What differed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MismatchKind {
    /// Trace entry `index` differs from (or is beyond) the expected trace.
    Trace {
        /// Index in the step's trace.
        index: usize,
    },
    /// The trace ended early: `got` entries of `want`.
    TraceShort {
        /// Entries seen.
        got: usize,
        /// Entries expected.
        want: usize,
    },
    /// State differs.
    State,
    /// Stored record differs.
    Stored,
    /// The case's configuration is refused by the core.
    Config,
}

struct Checker<'o> {
    want: &'static [Ev<'static>],
    index: usize,
    bad: Option<usize>,
    observer: &'o mut dyn FnMut(&Ev<'_>),
}

impl Checker<'_> {
    fn ev(&mut self, ev: Ev<'_>) {
        (self.observer)(&ev);
        if self.bad.is_none() && self.want.get(self.index) != Some(&ev) {
            self.bad = Some(self.index);
        }
        self.index += 1;
    }
}

struct FakePort<'c, 'o> {
    checker: &'c RefCell<Checker<'o>>,
    script: Script,
    stored: Option<[u8; RECORD_LEN]>,
    polls: u32,
    last_session: u16,
}

fn result(code: i32) -> Result<(), i32> {
    if code == 0 {
        Ok(())
    } else {
        Err(code)
    }
}

impl FakePort<'_, '_> {
    fn ev(&self, ev: Ev<'_>) {
        self.checker.borrow_mut().ev(ev);
    }
}

impl Port for FakePort<'_, '_> {
    fn start_download(&mut self, req: &DownloadRequest<'_>) -> Result<(), i32> {
        // The C shell reads these NUL-terminated; pin that here too.
        let nul_ok = req.target.host_with_nul().last() == Some(&0)
            && req.target.file_with_nul().last() == Some(&0);
        self.ev(Ev::Start {
            image: req.image,
            host: if nul_ok {
                req.target.host()
            } else {
                "<no NUL>"
            },
            file: req.target.file(),
            sec_tag: req.sec_tag,
            apn: req.apn,
            session: req.session,
        });
        self.last_session = req.session;
        result(self.script.start)
    }
    fn cancel_download(&mut self) -> Result<(), i32> {
        self.ev(Ev::Cancel);
        result(self.script.cancel)
    }
    fn reset_dfu_target(&mut self, image: ImageType) -> Result<(), i32> {
        self.ev(Ev::Reset(image));
        result(self.script.reset)
    }
    fn erase_app_slot(&mut self) -> Result<(), i32> {
        self.ev(Ev::EraseApp);
        result(self.script.erase_app)
    }
    fn modem_erase_start(&mut self) -> Result<ErasePoll, i32> {
        self.ev(Ev::ModemEraseStart);
        self.polls = 0;
        match self.script.modem_erase_start {
            0 => Ok(ErasePoll::Pending),
            1 => Ok(ErasePoll::Done),
            e => Err(e),
        }
    }
    fn modem_erase_poll(&mut self) -> Result<ErasePoll, i32> {
        self.ev(Ev::ModemErasePoll);
        if self.script.modem_erase_poll_err != 0 {
            return Err(self.script.modem_erase_poll_err);
        }
        if self.polls >= self.script.modem_erase_pending_polls {
            Ok(ErasePoll::Done)
        } else {
            self.polls += 1;
            Ok(ErasePoll::Pending)
        }
    }
    fn sleep_ms(&mut self, ms: u32) {
        self.ev(Ev::Sleep(ms));
    }
    fn save_record(&mut self, record: &[u8; RECORD_LEN]) -> Result<(), i32> {
        match Record::decode(record) {
            Ok(r) => self.ev(Ev::Save(r)),
            Err(_) => self.ev(Ev::SaveCorrupt),
        }
        result(self.script.save)?;
        self.stored = Some(*record);
        Ok(())
    }
    fn clear_record(&mut self) -> Result<(), i32> {
        self.ev(Ev::Clear);
        result(self.script.clear)?;
        self.stored = None;
        Ok(())
    }
    fn confirm_image(&mut self) -> Result<(), i32> {
        self.ev(Ev::Confirm);
        result(self.script.confirm)
    }
    fn log(&mut self, event: LogEvent) {
        self.ev(Ev::Log(event));
    }
}

struct FakeOut<'c, 'o> {
    checker: &'c RefCell<Checker<'o>>,
}

impl Out for FakeOut<'_, '_> {
    fn write(&mut self, bytes: &[u8]) {
        self.checker.borrow_mut().ev(Ev::Out(bytes));
    }
}

/// Runs one case; `observer` sees every actual trace entry (for diagnostics).
pub fn run_case(case: &Case, observer: &mut dyn FnMut(usize, &Ev<'_>)) -> Result<(), Mismatch> {
    let fail = |step, kind| Mismatch {
        case: case.name,
        step,
        kind,
    };
    let mut fota = Fota::new(case.config).ok_or(fail(0, MismatchKind::Config))?;
    let mut stored: Option<[u8; RECORD_LEN]> = None;
    let mut last_session: u16 = 0;
    for (step_no, (step, expect)) in case.steps.iter().enumerate() {
        let mut obs = |ev: &Ev<'_>| observer(step_no, ev);
        let checker = RefCell::new(Checker {
            want: expect.trace,
            index: 0,
            bad: None,
            observer: &mut obs,
        });
        let mut port = FakePort {
            checker: &checker,
            script: case.script,
            stored,
            polls: 0,
            last_session,
        };
        let mut out = FakeOut { checker: &checker };
        match *step {
            Step::Line(line) => {
                fota.handle_line(line, &mut port, &mut out);
            }
            Step::Event(ev) => fota.on_download_event(last_session, ev, &mut port, &mut out),
            Step::EventFor(s, ev) => fota.on_download_event(s, ev, &mut port, &mut out),
            Step::Boot {
                stored: what,
                swap,
                modem,
            } => {
                fota = Fota::new(case.config).ok_or(fail(step_no, MismatchKind::Config))?;
                let bytes: Option<&[u8]> = match what {
                    Stored::Keep => stored.as_ref().map(|b| &b[..]),
                    Stored::Bytes(b) => Some(b),
                };
                let report = BootReport {
                    app_swap: SwapType::from_raw(swap),
                    modem_result: modem,
                };
                fota.on_boot(bytes, &report, &mut port, &mut out);
            }
            Step::BootAgain => {
                let report = BootReport {
                    app_swap: SwapType::from_raw(4),
                    modem_result: None,
                };
                let bytes = stored.as_ref().map(|b| &b[..]);
                fota.on_boot(bytes, &report, &mut port, &mut out);
            }
        }
        stored = port.stored;
        last_session = port.last_session;
        let c = checker.into_inner();
        if let Some(index) = c.bad {
            return Err(fail(step_no, MismatchKind::Trace { index }));
        }
        if c.index != expect.trace.len() {
            return Err(fail(
                step_no,
                MismatchKind::TraceShort {
                    got: c.index,
                    want: expect.trace.len(),
                },
            ));
        }
        if fota.state() != expect.state {
            return Err(fail(step_no, MismatchKind::State));
        }
        let now = stored.and_then(|b| Record::decode(&b).ok());
        if now != expect.stored {
            return Err(fail(step_no, MismatchKind::Stored));
        }
    }
    Ok(())
}

/// Runs every case; returns the number of failures and reports each to `on_fail`.
pub fn run_all(on_fail: &mut dyn FnMut(&Mismatch)) -> usize {
    let mut failures = 0;
    for case in CASES {
        if let Err(m) = run_case(case, &mut |_, _| {}) {
            on_fail(&m);
            failures += 1;
        }
    }
    failures
}
