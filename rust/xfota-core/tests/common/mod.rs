//! Shared robustness harness: a fake [`Port`] whose answers are chosen by the test (or the fuzzer),
//! a model of what the downloader and the storage see, and a checker of DESIGN.md §2 invariants
//! that runs after every step.
//!
//! Used by the property tests (`tests/properties.rs`, `tests/security.rs`, `tests/bad_input.rs`)
//! and, through `#[path]`, by the cargo-fuzz targets in `rust/fuzz/`, so `cargo test` and the
//! fuzzer check exactly the same invariants. The input types derive `arbitrary::Arbitrary` when
//! compiled for the fuzzer (not under `cfg(test)`).
#![allow(dead_code)]

use std::cell::RefCell;
use std::format;
use std::string::String;
use std::vec::Vec;

use xfota_core::at::{self, Command, Parsed};
use xfota_core::record::{Outcome, Record, RECORD_LEN};
use xfota_core::url::Scheme;
use xfota_core::{
    BootReport, Config, DownloadEvent, DownloadRequest, ErasePoll, Fota, ImageType, LineResult,
    LogEvent, Out, Port, Stage, StateView, SwapType, DEFAULT_CONFIG,
};

/// Modem DFU result codes (mirrors of the core's private-to-the-module constants).
pub const MODEM_DFU_OK: i32 = 0x550_0001;
/// Voltage low: retried at the next boot.
pub const MODEM_DFU_VOLTAGE_LOW: i32 = 0x440_0005;

/// Canned lines: valid commands (and a few near misses) so that sequences reach every state.
pub const CANNED: &[&[u8]] = &[
    b"AT#XFOTA=1,\"http://example.com/fw/app.bin\"",
    b"AT#XFOTA=2,\"http://example.com/fw/mfw-delta.bin\"",
    b"AT#XFOTA=1,\"https://secure.example.com:8443/a/b.bin?x=1\",42",
    b"AT#XFOTA=2,\"HTTPS://[2001:db8::1]/m.bin\",7,\"internet.apn-1\"",
    b"AT#XFOTA=1,\"http://10.0.0.1:80/f\",,\"ims\"",
    b"AT#XFOTA=0",
    b"AT#XFOTA=8",
    b"AT#XFOTA=9",
    b"AT#XFOTA=?",
    b"at#xfota=1,\"http://h/f\"",
    b"AT#XFOTA?",
    b"AT#XFOTA",
    b"AT+CFUN=1",
    b"AT#XFOTA=1,\"https://h/f\"",
    b"AT#XFOTA=1,\"http://u:p@h/f\"",
    b"AT#XFOTA=2,\"http://h/f\",1,\"bad\\\"apn\"",
];

/// A port answer: success or an errno (made negative by the harness).
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Res {
    /// Success.
    #[default]
    Ok,
    /// Failure with this errno; a non-negative value `e` becomes `-e - 1`.
    Err(i32),
}

impl Res {
    fn get(self) -> Result<(), i32> {
        match self {
            Res::Ok => Ok(()),
            Res::Err(e) => Err(negative(e)),
        }
    }
}

/// Maps any i32 onto a negative errno (bijectively: `e >= 0` becomes `-e - 1`).
pub fn negative(e: i32) -> i32 {
    if e < 0 {
        e
    } else {
        -e - 1
    }
}

/// How the modem scratch erase behaves.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ModemErase {
    /// Nothing to erase: `modem_erase_start` answers done.
    #[default]
    Done,
    /// Pending for this many polls, then done.
    Pending(u8),
    /// `modem_erase_start` fails.
    StartErr(i32),
    /// Pending for this many polls, then a poll fails.
    PollErr(u8, i32),
}

/// How the fake port answers each effect.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Faults {
    /// `start_download`.
    pub start: Res,
    /// `cancel_download`.
    pub cancel: Res,
    /// `reset_dfu_target`.
    pub reset: Res,
    /// `erase_app_slot`.
    pub erase_app: Res,
    /// Modem scratch erase.
    pub modem_erase: ModemErase,
    /// `save_record`.
    pub save: Res,
    /// `clear_record`.
    pub clear: Res,
    /// `confirm_image`.
    pub confirm: Res,
}

/// One entry of a step's trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    /// Bytes written to the UART.
    Out(Vec<u8>),
    /// `start_download` and its answer.
    Start {
        /// Image type.
        image: ImageType,
        /// Session number.
        session: u16,
        /// Host with its NUL.
        host: Vec<u8>,
        /// File with its NUL.
        file: Vec<u8>,
        /// Security tag.
        sec_tag: Option<u32>,
        /// APN.
        apn: Option<String>,
        /// The answer.
        result: Result<(), i32>,
    },
    /// `cancel_download`.
    Cancel(Result<(), i32>),
    /// `reset_dfu_target`.
    Reset(ImageType, Result<(), i32>),
    /// `erase_app_slot`.
    EraseApp(Result<(), i32>),
    /// `modem_erase_start`.
    ModemEraseStart,
    /// `modem_erase_poll`.
    ModemErasePoll,
    /// `sleep_ms`.
    Sleep(u32),
    /// `save_record` with these bytes.
    Save([u8; RECORD_LEN], Result<(), i32>),
    /// `clear_record`.
    Clear(Result<(), i32>),
    /// `confirm_image`.
    Confirm(Result<(), i32>),
    /// `log`.
    Log(LogEvent),
}

/// The fake port: answers from [`Faults`], records every call in the shared trace, keeps the
/// persisted record like flash would.
pub struct FakePort<'t> {
    trace: &'t RefCell<Vec<Ev>>,
    faults: Faults,
    stored: Option<[u8; RECORD_LEN]>,
    polls: u32,
}

impl FakePort<'_> {
    fn push(&self, ev: Ev) {
        self.trace.borrow_mut().push(ev);
    }
}

impl Port for FakePort<'_> {
    fn start_download(&mut self, req: &DownloadRequest<'_>) -> Result<(), i32> {
        let result = self.faults.start.get();
        self.push(Ev::Start {
            image: req.image,
            session: req.session,
            host: req.target.host_with_nul().to_vec(),
            file: req.target.file_with_nul().to_vec(),
            sec_tag: req.sec_tag,
            apn: req.apn.map(String::from),
            result,
        });
        result
    }
    fn cancel_download(&mut self) -> Result<(), i32> {
        let r = self.faults.cancel.get();
        self.push(Ev::Cancel(r));
        r
    }
    fn reset_dfu_target(&mut self, image: ImageType) -> Result<(), i32> {
        let r = self.faults.reset.get();
        self.push(Ev::Reset(image, r));
        r
    }
    fn erase_app_slot(&mut self) -> Result<(), i32> {
        let r = self.faults.erase_app.get();
        self.push(Ev::EraseApp(r));
        r
    }
    fn modem_erase_start(&mut self) -> Result<ErasePoll, i32> {
        self.push(Ev::ModemEraseStart);
        self.polls = 0;
        match self.faults.modem_erase {
            ModemErase::Done => Ok(ErasePoll::Done),
            ModemErase::StartErr(e) => Err(negative(e)),
            ModemErase::Pending(_) | ModemErase::PollErr(..) => Ok(ErasePoll::Pending),
        }
    }
    fn modem_erase_poll(&mut self) -> Result<ErasePoll, i32> {
        self.push(Ev::ModemErasePoll);
        self.polls = self.polls.saturating_add(1);
        match self.faults.modem_erase {
            ModemErase::Pending(n) if self.polls > u32::from(n) => Ok(ErasePoll::Done),
            ModemErase::PollErr(n, e) if self.polls > u32::from(n) => Err(negative(e)),
            _ => Ok(ErasePoll::Pending),
        }
    }
    fn sleep_ms(&mut self, ms: u32) {
        self.push(Ev::Sleep(ms));
    }
    fn save_record(&mut self, record: &[u8; RECORD_LEN]) -> Result<(), i32> {
        let r = self.faults.save.get();
        self.push(Ev::Save(*record, r));
        if r.is_ok() {
            self.stored = Some(*record);
        }
        r
    }
    fn clear_record(&mut self) -> Result<(), i32> {
        let r = self.faults.clear.get();
        self.push(Ev::Clear(r));
        if r.is_ok() {
            self.stored = None;
        }
        r
    }
    fn confirm_image(&mut self) -> Result<(), i32> {
        let r = self.faults.confirm.get();
        self.push(Ev::Confirm(r));
        r
    }
    fn log(&mut self, event: LogEvent) {
        self.push(Ev::Log(event));
    }
}

/// The fake UART.
pub struct FakeOut<'t> {
    trace: &'t RefCell<Vec<Ev>>,
}

impl Out for FakeOut<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.trace.borrow_mut().push(Ev::Out(bytes.to_vec()));
    }
}

/// A classified UART write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// `\r\nOK\r\n`.
    Ok,
    /// `\r\nERROR\r\n`.
    Error,
    /// `Ready\r\n`.
    Ready,
    /// The test command's response.
    Test,
    /// `\r\n#XFOTA: <stage>,<status>[,<info>]\r\n` with an allowed combination.
    Urc(u8, u8, Option<i32>),
}

/// A signed decimal exactly as the core must print it: no `+`, no leading zeros, no `-0`.
fn decimal(s: &[u8]) -> Option<i32> {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits.first() != Some(&b'0'))
        && !(s.first() == Some(&b'-') && digits == b"0");
    if !canonical {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Classifies one UART write per DESIGN.md §2 (and the `<fota_info>` rule, item 12); `None` if
/// it is not exactly one allowed line.
pub fn classify(w: &[u8]) -> Option<Wire> {
    match w {
        b"\r\nOK\r\n" => return Some(Wire::Ok),
        b"\r\nERROR\r\n" => return Some(Wire::Error),
        b"Ready\r\n" => return Some(Wire::Ready),
        b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n" => return Some(Wire::Test),
        _ => {}
    }
    let body = w.strip_prefix(b"\r\n#XFOTA: ")?.strip_suffix(b"\r\n")?;
    let mut parts = body.split(|&b| b == b',');
    let stage = match parts.next()? {
        [d @ b'0'..=b'9'] => d - b'0',
        _ => return None,
    };
    let status = match parts.next()? {
        [d @ b'0'..=b'9'] => d - b'0',
        _ => return None,
    };
    let info = match parts.next() {
        None => None,
        Some(i) => Some(decimal(i)?),
    };
    if parts.next().is_some() {
        return None;
    }
    let allowed = match (stage, status, info) {
        (1, 0, Some(p)) => (0..=100).contains(&p),
        (1, 2, Some(0)) => true,
        (1..=5, 1, Some(_)) => true,
        (2..=5, 0, None) => true,
        (5, 3, None) => true,
        _ => false,
    };
    allowed.then_some(Wire::Urc(stage, status, info))
}

/// What stored bytes a power cycle finds.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredGen {
    /// Whatever the previous steps left.
    Keep,
    /// Nothing.
    Empty,
    /// A valid record (modem if true).
    Valid(bool),
    /// A valid record with one bit flipped.
    Flipped(bool, u8),
    /// A stored boot result (modem if true; 0 ok, 1 error with the code, else reverted).
    Result(bool, u8, i32),
    /// Any bytes.
    Raw(Vec<u8>),
}

/// The boot's MCUboot swap type.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapGen {
    /// One of -5..=5 (the interesting ones), by index.
    Known(u8),
    /// Any value.
    Raw(i32),
}

impl SwapGen {
    /// MCUboot's integer.
    pub fn raw(self) -> i32 {
        match self {
            SwapGen::Known(k) => i32::from(k % 11) - 5,
            SwapGen::Raw(r) => r,
        }
    }
}

/// The boot's modem DFU result.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModemGen {
    /// No result delivered.
    None,
    /// `NRF_MODEM_DFU_RESULT_OK`.
    Ok,
    /// Voltage low.
    VoltageLow,
    /// 0x4400001..0x4400004 by index.
    Known(u8),
    /// Any value.
    Raw(i32),
}

impl ModemGen {
    /// The modem result.
    pub fn get(self) -> Option<i32> {
        match self {
            ModemGen::None => None,
            ModemGen::Ok => Some(MODEM_DFU_OK),
            ModemGen::VoltageLow => Some(MODEM_DFU_VOLTAGE_LOW),
            ModemGen::Known(k) => Some(0x440_0001 + i32::from(k % 4)),
            ModemGen::Raw(r) => Some(r),
        }
    }
}

/// Which session a download event is tagged with.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionSel {
    /// The most recently started one.
    Current,
    /// The one before it (a stale event).
    Previous,
    /// Any number.
    Raw(u16),
}

/// A download event.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventGen {
    /// Progress with any value.
    Progress(i32),
    /// Progress 0..=100 (`% 101`).
    Percent(u8),
    /// Erase pending.
    ErasePending,
    /// Erased.
    Erased,
    /// Finished.
    Finished,
    /// Error with any cause.
    Error(i32),
    /// Error with cause 0..=4 (`% 5`).
    ErrorKnown(u8),
    /// Cancelled.
    Cancelled,
}

impl EventGen {
    /// The core's event.
    pub fn get(self) -> DownloadEvent {
        match self {
            EventGen::Progress(p) => DownloadEvent::Progress(p),
            EventGen::Percent(p) => DownloadEvent::Progress(i32::from(p % 101)),
            EventGen::ErasePending => DownloadEvent::ErasePending,
            EventGen::Erased => DownloadEvent::Erased,
            EventGen::Finished => DownloadEvent::Finished,
            EventGen::Error(c) => DownloadEvent::Error(c),
            EventGen::ErrorKnown(c) => DownloadEvent::Error(i32::from(c % 5)),
            EventGen::Cancelled => DownloadEvent::Cancelled,
        }
    }
}

/// An AT line.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineGen {
    /// One of [`CANNED`] by index.
    Canned(u8),
    /// A canned line with one byte replaced.
    Mutated(u8, u16, u8),
    /// A start line around a fuzzed URL, sec_tag and APN.
    Start {
        /// Op 2 if true.
        modem: bool,
        /// URL bytes (between the quotes).
        url: Vec<u8>,
        /// `<sec_tag>` field text, if any.
        sec_tag: Option<Vec<u8>>,
        /// `<apn>` bytes (between the quotes), if any.
        apn: Option<Vec<u8>>,
    },
    /// Any bytes after `AT#XFOTA=`.
    Params(Vec<u8>),
    /// Any bytes.
    Raw(Vec<u8>),
}

impl LineGen {
    /// The line's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let canned = |i: u8| {
            let n = CANNED.len();
            CANNED
                .get(usize::from(i) % n)
                .copied()
                .unwrap_or(b"")
                .to_vec()
        };
        match self {
            LineGen::Canned(i) => canned(*i),
            LineGen::Mutated(i, pos, b) => {
                let mut l = canned(*i);
                let n = l.len();
                if let Some(slot) = l.get_mut(usize::from(*pos) % n.max(1)) {
                    *slot = *b;
                }
                l
            }
            LineGen::Start {
                modem,
                url,
                sec_tag,
                apn,
            } => {
                let mut l = Vec::from(if *modem {
                    &b"AT#XFOTA=2,\""[..]
                } else {
                    &b"AT#XFOTA=1,\""[..]
                });
                l.extend_from_slice(url);
                l.push(b'"');
                if sec_tag.is_some() || apn.is_some() {
                    l.push(b',');
                    l.extend_from_slice(sec_tag.as_deref().unwrap_or(b""));
                }
                if let Some(apn) = apn {
                    l.extend_from_slice(b",\"");
                    l.extend_from_slice(apn);
                    l.push(b'"');
                }
                l
            }
            LineGen::Params(p) => {
                let mut l = b"AT#XFOTA=".to_vec();
                l.extend_from_slice(p);
                l
            }
            LineGen::Raw(r) => r.clone(),
        }
    }
}

/// One input of a sequence.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// An AT line.
    Line(LineGen),
    /// A download event.
    Event(SessionSel, EventGen),
    /// Power cycle: a fresh core, then the boot report.
    PowerCycle(StoredGen, SwapGen, ModemGen),
    /// The boot report again on the same core (must do nothing).
    BootAgain(SwapGen, ModemGen),
    /// New port behaviour from now on.
    Faults(Faults),
}

/// A core configuration that stays cheap to run (at most 64 erase polls).
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigGen {
    /// Timeout in ms.
    pub timeout: u16,
    /// Poll interval in ms.
    pub poll: u16,
}

impl ConfigGen {
    /// The configuration; `None` for the default.
    pub fn get(self) -> Config {
        let poll = u32::from(self.poll).max(1);
        let timeout = u32::from(self.timeout).min(poll.saturating_mul(64));
        Config {
            modem_erase_timeout_ms: timeout,
            modem_erase_poll_ms: poll,
        }
    }
}

/// A whole fuzz/property scenario.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// `None`: [`DEFAULT_CONFIG`].
    pub config: Option<ConfigGen>,
    /// Initial port behaviour.
    pub faults: Faults,
    /// Boot first (as the shell does) or start unbooted (as the conformance runner does).
    pub boot_first: bool,
    /// The inputs.
    pub actions: Vec<Action>,
}

/// The model's view of a running download (what the downloader believes).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Running {
    session: u16,
    image: ImageType,
    host: Vec<u8>,
    file: Vec<u8>,
    last_percent: Option<i32>,
}

/// The harness: the core under test, the fake port's persistent parts and the model.
pub struct Harness {
    /// The core.
    pub fota: Fota,
    config: Config,
    /// Current port behaviour.
    pub faults: Faults,
    /// The persisted record.
    pub stored: Option<[u8; RECORD_LEN]>,
    running: Option<Running>,
    /// An op-0 cancel succeeded and the downloader's `Cancelled` echo has not come yet.
    echo_pending: bool,
    last_started: u16,
    prev_started: u16,
    /// Every UART byte of the run (for leak checks).
    pub uart: Vec<u8>,
    /// The trace of the last step.
    pub last_trace: Vec<Ev>,
    /// Steps executed.
    pub steps: usize,
}

type Check = Result<(), String>;

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

fn writes(trace: &[Ev]) -> Vec<&[u8]> {
    trace
        .iter()
        .filter_map(|e| match e {
            Ev::Out(b) => Some(b.as_slice()),
            _ => None,
        })
        .collect()
}

fn wire(trace: &[Ev]) -> Result<Vec<Wire>, String> {
    writes(trace)
        .into_iter()
        .map(|w| {
            classify(w).ok_or_else(|| format!("malformed write {:?}", w.escape_ascii().to_string()))
        })
        .collect()
}

impl Harness {
    /// A fresh, unbooted core with this configuration and port behaviour.
    pub fn new(config: Config, faults: Faults) -> Option<Self> {
        Some(Self {
            fota: Fota::new(config)?,
            config,
            faults,
            stored: None,
            running: None,
            echo_pending: false,
            last_started: 0,
            prev_started: 0,
            uart: Vec::new(),
            last_trace: Vec::new(),
            steps: 0,
        })
    }

    /// Default configuration, every effect succeeds.
    pub fn ok() -> Self {
        match Self::new(DEFAULT_CONFIG, Faults::default()) {
            Some(h) => h,
            None => unreachable!("the default configuration is valid"),
        }
    }

    /// The most recently started session (0 if none).
    pub fn last_started(&self) -> u16 {
        self.last_started
    }

    fn run<R>(&mut self, f: impl FnOnce(&mut Fota, &mut FakePort<'_>, &mut FakeOut<'_>) -> R) -> R {
        let trace = RefCell::new(Vec::new());
        let mut port = FakePort {
            trace: &trace,
            faults: self.faults,
            stored: self.stored,
            polls: 0,
        };
        let mut out = FakeOut { trace: &trace };
        let r = f(&mut self.fota, &mut port, &mut out);
        self.stored = port.stored;
        self.last_trace = trace.into_inner();
        self.steps += 1;
        for w in writes(&self.last_trace) {
            self.uart.extend_from_slice(w);
        }
        r
    }

    /// Checks that hold after every step, whatever it was.
    fn check_common(&mut self) -> Check {
        let trace = self.last_trace.clone();
        for ev in &trace {
            match ev {
                Ev::Out(w) => {
                    ensure(classify(w).is_some(), || {
                        format!("malformed write {:?}", w.escape_ascii().to_string())
                    })?;
                    // No URL or APN text can be in an allowed write, but say it plainly.
                    ensure(
                        !w.contains(&b'"') && !w.windows(3).any(|x| x == b"://"),
                        || "URL/APN text in output".into(),
                    )?;
                }
                Ev::Save(rec, _) => {
                    ensure(Record::decode(rec).is_ok(), || {
                        format!("saved record {rec:?} does not decode")
                    })?;
                }
                _ => {}
            }
        }
        // The state machine and the downloader agree on whether (and which) session runs, and
        // the host/file the downloader holds still live, unchanged, in the core's state.
        match (self.fota.state(), &self.running) {
            (StateView::Idle | StateView::Downloaded { .. }, None) => {}
            (
                StateView::Downloading {
                    image,
                    stage,
                    percent,
                    session,
                },
                Some(r),
            ) => {
                ensure(session == r.session && image == r.image, || {
                    format!("core session {session} {image:?}, downloader has {r:?}")
                })?;
                ensure(
                    matches!(stage, Stage::Download | Stage::ErasePending | Stage::Erased),
                    || format!("downloading at stage {stage:?}"),
                )?;
                ensure(percent.map(i32::from) == r.last_percent, || {
                    format!("core percent {percent:?}, reported {:?}", r.last_percent)
                })?;
                let target = self.fota.target();
                ensure(
                    target.map(|t| t.host_with_nul()) == Some(r.host.as_slice())
                        && target.map(|t| t.file_with_nul()) == Some(r.file.as_slice()),
                    || "download target changed or dropped during the session".into(),
                )?;
            }
            (s, r) => return Err(format!("core state {s:?} but downloader {r:?}")),
        }
        // A waiting image always has its record in storage.
        if let StateView::Downloaded { image } = self.fota.state() {
            let rec = self.stored.and_then(|b| Record::decode(&b).ok());
            ensure(rec == Some(Record::waiting(image)), || {
                format!("stage 4 {image:?} but stored record {:?}", self.stored)
            })?;
        }
        Ok(())
    }

    /// Model bookkeeping for `start_download` calls in the last trace.
    fn note_starts(&mut self) -> Check {
        let trace = self.last_trace.clone();
        for ev in &trace {
            if let Ev::Start {
                image,
                session,
                host,
                file,
                result,
                ..
            } = ev
            {
                ensure(self.running.is_none(), || {
                    format!("start_download while session {:?} runs", self.running)
                })?;
                ensure(host.last() == Some(&0) && file.last() == Some(&0), || {
                    "host/file not NUL-terminated".into()
                })?;
                ensure(*session != 0 && *session != self.last_started, || {
                    format!("session number {session} reused")
                })?;
                if result.is_ok() {
                    self.prev_started = self.last_started;
                    self.last_started = *session;
                    self.running = Some(Running {
                        session: *session,
                        image: *image,
                        host: host.clone(),
                        file: file.clone(),
                        last_percent: None,
                    });
                }
            }
        }
        Ok(())
    }

    /// Feeds one AT line and checks the response.
    pub fn line(&mut self, line: &[u8]) -> Result<LineResult, String> {
        let before = self.fota.clone();
        let was_running = self.running.clone();
        let result = self.run(|f, p, o| f.handle_line(line, p, o));
        let trace = self.last_trace.clone();
        let ctx = |m: String| {
            format!(
                "line {:?}: {m}\ntrace {trace:?}",
                line.escape_ascii().to_string()
            )
        };
        self.note_starts().map_err(ctx)?;
        let w = wire(&trace).map_err(ctx)?;
        let parsed = at::parse(line);
        match parsed {
            Parsed::NotMine => {
                ensure(result == LineResult::NotMine && trace.is_empty(), || {
                    "a foreign line had an effect".into()
                })
                .map_err(ctx)?;
            }
            Parsed::Invalid(reason) => {
                ensure(
                    result == LineResult::Error
                        && trace
                            == [
                                Ev::Log(LogEvent::Rejected(reason)),
                                Ev::Out(b"\r\nERROR\r\n".to_vec()),
                            ]
                        && self.fota == before,
                    || "an invalid line did more than log + ERROR".into(),
                )
                .map_err(ctx)?;
            }
            Parsed::Command(_) => {
                let (last, rest) = w.split_last().ok_or_else(|| ctx("no response".into()))?;
                let want = if result == LineResult::Ok {
                    Wire::Ok
                } else {
                    Wire::Error
                };
                ensure(*last == want && result != LineResult::NotMine, || {
                    format!("last write {last:?}, result {result:?}")
                })
                .map_err(ctx)?;
                for x in rest {
                    let ok = match x {
                        Wire::Test => matches!(parsed, Parsed::Command(Command::Test)),
                        Wire::Urc(1, 2, Some(0)) => {
                            matches!(parsed, Parsed::Command(Command::Cancel))
                                && result == LineResult::Ok
                        }
                        Wire::Urc(1, 1, Some(e)) => {
                            result == LineResult::Error
                                && trace.iter().any(
                                    |t| matches!(t, Ev::Start { result: Err(x), .. } if x == e),
                                )
                        }
                        _ => false,
                    };
                    ensure(ok, || format!("unexpected {x:?} in a response")).map_err(ctx)?;
                }
            }
        }
        match parsed {
            Parsed::Command(Command::Start(s)) => {
                let started: Vec<&Ev> = trace
                    .iter()
                    .filter(|e| matches!(e, Ev::Start { .. }))
                    .collect();
                if was_running.is_some() || !matches!(before.state(), StateView::Idle) {
                    ensure(
                        started.is_empty() && result == LineResult::Error && self.fota == before,
                        || "start accepted while not idle".into(),
                    )
                    .map_err(ctx)?;
                } else if let [Ev::Start {
                    image,
                    host,
                    file,
                    sec_tag,
                    apn,
                    result: r,
                    ..
                }] = started.as_slice()
                {
                    // What reaches the downloader is exactly the validated URL, split.
                    let mut want_host = Vec::from(match s.url.scheme {
                        Scheme::Http => &b"http://"[..],
                        Scheme::Https => &b"https://"[..],
                    });
                    want_host.extend_from_slice(s.url.authority.as_bytes());
                    want_host.push(0);
                    let mut want_file = s.url.path.as_bytes().to_vec();
                    want_file.push(0);
                    ensure(
                        *image == s.image
                            && *host == want_host
                            && *file == want_file
                            && *sec_tag == s.sec_tag
                            && apn.as_deref() == s.apn,
                        || "download request differs from the command".into(),
                    )
                    .map_err(ctx)?;
                    ensure((result == LineResult::Ok) == r.is_ok(), || {
                        "start result".into()
                    })
                    .map_err(ctx)?;
                    if r.is_ok() {
                        ensure(
                            matches!(
                                self.fota.state(),
                                StateView::Downloading {
                                    stage: Stage::Download,
                                    percent: None,
                                    ..
                                }
                            ),
                            || "started but not at stage 1".into(),
                        )
                        .map_err(ctx)?;
                    } else {
                        ensure(self.fota.state() == StateView::Idle, || {
                            "failed start not idle".into()
                        })
                        .map_err(ctx)?;
                    }
                } else {
                    return Err(ctx(
                        "idle start did not call start_download exactly once".into()
                    ));
                }
            }
            Parsed::Command(Command::Cancel) => {
                let cancelled = trace.iter().any(|e| matches!(e, Ev::Cancel(Ok(()))));
                if cancelled {
                    let img = was_running.as_ref().map(|r| r.image);
                    ensure(
                        result == LineResult::Ok
                            && img.is_some()
                            && trace
                                .iter()
                                .any(|e| matches!(e, Ev::Reset(i, _) if Some(*i) == img))
                            && self.fota.state() == StateView::Idle,
                        || "cancel did not end the session cleanly".into(),
                    )
                    .map_err(ctx)?;
                    self.running = None;
                    self.echo_pending = true;
                } else {
                    ensure(
                        result == LineResult::Error && self.fota.state() == before.state(),
                        || "cancel without a cancelled download".into(),
                    )
                    .map_err(ctx)?;
                }
            }
            Parsed::Command(Command::EraseApp | Command::EraseModem) if was_running.is_some() => {
                ensure(result == LineResult::Error && self.fota == before, || {
                    "erase during a download".into()
                })
                .map_err(ctx)?;
            }
            _ => {}
        }
        for ev in &trace {
            let ok = matches!(
                ev,
                Ev::Out(_)
                    | Ev::Log(_)
                    | Ev::Start { .. }
                    | Ev::Cancel(_)
                    | Ev::Reset(..)
                    | Ev::EraseApp(_)
                    | Ev::ModemEraseStart
                    | Ev::ModemErasePoll
                    | Ev::Sleep(_)
                    | Ev::Clear(_)
            );
            ensure(ok, || format!("{ev:?} during an AT line")).map_err(ctx)?;
        }
        self.check_common().map_err(ctx)?;
        Ok(result)
    }

    /// Delivers a download event tagged with `session`.
    pub fn event(&mut self, session: u16, event: DownloadEvent) -> Check {
        let before = self.fota.clone();
        let stage_before = match before.state() {
            StateView::Downloading { stage, .. } => Some(stage),
            _ => None,
        };
        self.run(|f, p, o| f.on_download_event(session, event, p, o));
        let trace = self.last_trace.clone();
        let ctx =
            |m: String| format!("event {event:?} for session {session}: {m}\ntrace {trace:?}");
        let w = wire(&trace).map_err(ctx)?;
        if event == DownloadEvent::Cancelled && self.echo_pending {
            // The downloader's echo of an op-0 cancel (whatever session it is tagged with).
            self.echo_pending = false;
            ensure(
                trace == [Ev::Log(LogEvent::StaleEvent)] && self.fota.state() == before.state(),
                || "the cancel echo had an effect".into(),
            )
            .map_err(ctx)?;
            return self.check_common().map_err(ctx);
        }
        let mine = self.running.as_ref().is_some_and(|r| r.session == session);
        if !mine {
            ensure(
                trace == [Ev::Log(LogEvent::StaleEvent)] && self.fota == before,
                || "a stale event had an effect".into(),
            )
            .map_err(ctx)?;
            return self.check_common().map_err(ctx);
        }
        let mut saved_ok = false;
        let mut urcs = 0;
        for ev in &trace {
            match ev {
                Ev::Save(_, r) => saved_ok |= r.is_ok(),
                Ev::Out(b) => {
                    urcs += 1;
                    match classify(b) {
                        Some(Wire::Urc(1, 0, Some(p))) => {
                            let r = self
                                .running
                                .as_mut()
                                .ok_or_else(|| ctx("progress without session".into()))?;
                            let ok = match r.last_percent {
                                None => p == 0,
                                Some(last) => p > last,
                            };
                            ensure(ok, || format!("progress {p} after {:?}", r.last_percent))
                                .map_err(ctx)?;
                            r.last_percent = Some(p);
                        }
                        Some(Wire::Urc(4, 0, None)) => {
                            ensure(saved_ok && event == DownloadEvent::Finished, || {
                                "4,0 without a saved record".into()
                            })
                            .map_err(ctx)?;
                        }
                        Some(Wire::Urc(2, 0, None)) => {
                            ensure(event == DownloadEvent::ErasePending, || "2,0".into())
                                .map_err(ctx)?
                        }
                        Some(Wire::Urc(3, 0, None)) => {
                            ensure(event == DownloadEvent::Erased, || "3,0".into()).map_err(ctx)?
                        }
                        Some(Wire::Urc(stage, 1, Some(code))) => {
                            let ok = match event {
                                DownloadEvent::Error(cause) => {
                                    // NCS causes: INVALID_UPDATE (3) is "rejected" (2),
                                    // TYPE_MISMATCH (4) is "mismatch" (3), the rest "failed" (1).
                                    let want = match cause {
                                        3 => 2,
                                        4 => 3,
                                        _ => 1,
                                    };
                                    Some(stage) == stage_before.map(|s| s as u8) && code == want
                                }
                                DownloadEvent::Finished => stage == 1 && code == 1 && !saved_ok,
                                _ => false,
                            };
                            ensure(ok, || format!("error URC {stage},1,{code}")).map_err(ctx)?;
                        }
                        Some(Wire::Urc(1, 2, Some(0))) => {
                            ensure(event == DownloadEvent::Cancelled, || "1,2,0".into())
                                .map_err(ctx)?
                        }
                        other => return Err(ctx(format!("{other:?} from a download event"))),
                    }
                }
                Ev::Reset(..) | Ev::Log(_) => {}
                other => return Err(ctx(format!("{other:?} from a download event"))),
            }
        }
        let _ = (w, urcs);
        let ended = matches!(
            event,
            DownloadEvent::Finished | DownloadEvent::Error(_) | DownloadEvent::Cancelled
        );
        if ended {
            let image = self.running.as_ref().map(|r| r.image);
            let waiting = matches!(self.fota.state(), StateView::Downloaded { .. });
            // Every end except a successful finish resets the DFU target (no resume at a bad
            // offset); a successful finish must not (the image waits in the slot).
            let reset = trace
                .iter()
                .any(|e| matches!(e, Ev::Reset(i, _) if Some(*i) == image));
            ensure(reset != waiting, || {
                format!("reset {reset}, waiting {waiting}")
            })
            .map_err(ctx)?;
            ensure(
                waiting == (event == DownloadEvent::Finished && saved_ok),
                || "stage 4 without a saved record, or a saved record without stage 4".into(),
            )
            .map_err(ctx)?;
            self.running = None;
        }
        self.check_common().map_err(ctx)
    }

    /// Power cycle: the download (if any) dies, a fresh core boots with `stored` in flash.
    pub fn power_cycle(&mut self, stored: &StoredGen, report: BootReport) -> Check {
        match stored {
            StoredGen::Keep => {}
            StoredGen::Empty => self.stored = None,
            StoredGen::Valid(modem) => self.stored = Some(record(*modem)),
            StoredGen::Result(modem, status, code) => {
                let image = if *modem {
                    ImageType::Modem
                } else {
                    ImageType::App
                };
                let result = Some(match status % 3 {
                    0 => Outcome::Ok,
                    1 => Outcome::Error(*code),
                    _ => Outcome::Reverted, // invalid for a modem image: must be dropped
                });
                self.stored = Some(Record { image, result }.encode());
            }
            StoredGen::Flipped(modem, bit) => {
                let mut r = record(*modem);
                if let Some(b) = r.get_mut(usize::from(bit / 8) % RECORD_LEN) {
                    *b ^= 1 << (bit % 8);
                }
                self.stored = Some(r);
            }
            StoredGen::Raw(_) => {}
        }
        let raw = match stored {
            StoredGen::Raw(b) => Some(b.clone()),
            _ => self.stored.map(|b| b.to_vec()),
        };
        self.fota = Fota::new(self.config).ok_or("config")?;
        self.running = None;
        self.echo_pending = false;
        self.last_started = 0;
        self.prev_started = 0;
        self.boot(raw, report)
    }

    /// The first boot report of a core that may already have handled lines.
    pub fn boot(&mut self, raw: Option<Vec<u8>>, report: BootReport) -> Check {
        let first = !self.fota.booted();
        let before = self.fota.clone();
        self.run(|f, p, o| f.on_boot(raw.as_deref(), &report, p, o));
        let trace = self.last_trace.clone();
        let ctx = |m: String| format!("boot {raw:?} {report:?}: {m}\ntrace {trace:?}");
        let w = wire(&trace).map_err(ctx)?;
        if !first {
            ensure(trace.is_empty() && self.fota == before, || {
                "second boot report acted".into()
            })
            .map_err(ctx)?;
            return self.check_common().map_err(ctx);
        }
        ensure(w.first() == Some(&Wire::Ready), || "no Ready first".into()).map_err(ctx)?;
        if before.state() != StateView::Idle {
            // A boot report after work started is not acted on: the record may describe an
            // image that never ran, and a running session must not be dropped.
            ensure(
                matches!(trace.as_slice(), [Ev::Out(_), Ev::Log(LogEvent::LateBoot)])
                    && self.fota.state() == before.state(),
                || "late boot report acted".into(),
            )
            .map_err(ctx)?;
            return self.check_common().map_err(ctx);
        }
        let urcs: Vec<(usize, Wire)> = trace
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Ev::Out(b) => classify(b).map(|c| (i, c)),
                _ => None,
            })
            .skip(1)
            .collect();
        // At most one notification: the stage-5 result, or (modem voltage low, the update is
        // retried at the next boot) `4,1,<code>`.
        let voltage_low = matches!(
            urcs.as_slice(),
            [(_, Wire::Urc(4, 1, Some(MODEM_DFU_VOLTAGE_LOW)))]
        );
        ensure(
            urcs.len() <= 1
                && (voltage_low || urcs.iter().all(|(_, u)| matches!(u, Wire::Urc(5, ..)))),
            || "more than one result URC, or not stage 5".into(),
        )
        .map_err(ctx)?;
        let decoded = raw.as_deref().map(Record::decode);
        let confirm = trace.iter().position(|e| matches!(e, Ev::Confirm(_)));
        let clear = trace.iter().position(|e| matches!(e, Ev::Clear(_)));
        // A corrupt record is dropped (logged and cleared first) and then counts as none. With
        // no valid record, only an image MCUboot runs in test mode (REVERT) is acted on: it is
        // confirmed and reported exactly as a waiting application image would be.
        let corrupt = matches!(decoded, Some(Err(_)));
        if corrupt {
            ensure(
                matches!(trace.get(1), Some(Ev::Log(LogEvent::CorruptRecord(_))))
                    && matches!(trace.get(2), Some(Ev::Clear(_))),
                || "a corrupt record was not dropped first".into(),
            )
            .map_err(ctx)?;
        }
        let effective = match decoded {
            Some(Ok(rec)) => Some(rec),
            _ if report.app_swap == SwapType::Revert => Some(Record::waiting(ImageType::App)),
            _ => None,
        };
        let clear = if corrupt {
            trace
                .iter()
                .skip(3)
                .position(|e| matches!(e, Ev::Clear(_)))
                .map(|p| p + 3)
        } else {
            clear
        };
        match effective {
            None => ensure(
                (trace.len() == if corrupt { 3 } else { 1 }
                    || corrupt
                        && matches!(
                            trace.as_slice(),
                            [_, _, _, Ev::Log(LogEvent::ClearFailed(_))]
                        ))
                    && self.fota.state() == StateView::Idle,
                || "boot without a (valid) record acted".into(),
            ),
            Some(rec) => {
                if voltage_low {
                    ensure(
                        rec.image == ImageType::Modem
                            && report.modem_result == Some(MODEM_DFU_VOLTAGE_LOW)
                            && clear.is_none()
                            && self.fota.state() == StateView::Downloaded { image: rec.image },
                        || "voltage low must keep the modem image waiting".into(),
                    )
                } else if let Some((at, u)) = urcs.first() {
                    ensure(clear.is_some_and(|c| c > *at), || {
                        "URC not followed by clear".into()
                    })
                    .map_err(ctx)?;
                    // The result is stored before its notification (at-least-once).
                    let outcome = match u {
                        Wire::Urc(5, 0, None) => Some(Outcome::Ok),
                        Wire::Urc(5, 1, Some(code)) => Some(Outcome::Error(*code)),
                        Wire::Urc(5, 3, None) => Some(Outcome::Reverted),
                        _ => None,
                    };
                    let want = Record {
                        image: rec.image,
                        result: outcome,
                    };
                    if let Some(stored) = rec.result {
                        // A stored result is reported as it is, nothing else is done.
                        return ensure(rec.result == outcome && confirm.is_none(), || {
                            format!("stored result {stored:?} reported as {u:?}")
                        })
                        .map_err(ctx)
                        .and_then(|()| self.check_common().map_err(ctx));
                    }
                    ensure(
                        trace
                            .iter()
                            .take(*at)
                            .any(|e| matches!(e, Ev::Save(b, _) if Record::decode(b) == Ok(want))),
                        || format!("result {want:?} not stored before its URC"),
                    )
                    .map_err(ctx)?;
                    match (rec.image, u) {
                        (ImageType::App, Wire::Urc(5, 0, None)) => ensure(
                            report.app_swap == SwapType::Revert
                                && trace.iter().any(|e| matches!(e, Ev::Confirm(Ok(())))),
                            || "5,0 without a confirmed image".into(),
                        ),
                        (ImageType::App, _) => ensure(
                            !trace.iter().any(|e| matches!(e, Ev::Confirm(Ok(())))),
                            || "confirmed, but not 5,0".into(),
                        ),
                        (ImageType::Modem, Wire::Urc(5, 0, None)) => ensure(
                            report.modem_result == Some(MODEM_DFU_OK) && confirm.is_none(),
                            || "modem 5,0 without DFU OK".into(),
                        ),
                        (ImageType::Modem, _) => {
                            ensure(confirm.is_none(), || "modem confirm".into())
                        }
                    }
                } else {
                    ensure(
                        rec.result.is_none()
                            && self.fota.state() == StateView::Downloaded { image: rec.image }
                            && clear.is_none(),
                        || "no result but the image does not wait".into(),
                    )
                }
            }
        }
        .map_err(ctx)?;
        if confirm.is_some() {
            ensure(
                effective.is_some_and(|r| r.image == ImageType::App && r.result.is_none()),
                || "confirm without an app image in test mode".into(),
            )
            .map_err(ctx)?;
        }
        self.check_common().map_err(ctx)
    }

    /// Runs one action.
    pub fn apply(&mut self, action: &Action) -> Check {
        match action {
            Action::Line(l) => self.line(&l.bytes()).map(|_| ()),
            Action::Event(sel, ev) => {
                let session = match sel {
                    SessionSel::Current => self.last_started,
                    SessionSel::Previous => self.prev_started,
                    SessionSel::Raw(s) => *s,
                };
                self.event(session, ev.get())
            }
            Action::PowerCycle(stored, swap, modem) => self.power_cycle(
                stored,
                BootReport {
                    app_swap: SwapType::from_raw(swap.raw()),
                    modem_result: modem.get(),
                },
            ),
            Action::BootAgain(swap, modem) => {
                let raw = self.stored.map(|b| b.to_vec());
                self.boot(
                    raw,
                    BootReport {
                        app_swap: SwapType::from_raw(swap.raw()),
                        modem_result: modem.get(),
                    },
                )
            }
            Action::Faults(f) => {
                self.faults = *f;
                Ok(())
            }
        }
    }

    /// Runs a whole scenario, stopping at the first violation.
    pub fn scenario(s: &Scenario) -> Check {
        let config = s.config.map_or(DEFAULT_CONFIG, ConfigGen::get);
        let mut h = Harness::new(config, s.faults).ok_or("config")?;
        if s.boot_first {
            h.boot(
                None,
                BootReport {
                    app_swap: SwapType::None,
                    modem_result: None,
                },
            )?;
        }
        for a in &s.actions {
            h.apply(a)?;
        }
        Ok(())
    }
}

/// A valid encoded record.
pub fn record(modem: bool) -> [u8; RECORD_LEN] {
    Record::waiting(if modem {
        ImageType::Modem
    } else {
        ImageType::App
    })
    .encode()
}
