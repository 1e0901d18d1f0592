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
    BootReport, Config, DownloadEvent, DownloadRequest, ErasePoll, Fota, ImageType, Log, Out, Port,
    Slot, StateView, SwapType,
};

pub use cases::CASES;

/// Length of the test images built by [`mcuboot_image`].
pub const IMAGE_LEN: usize = 88;
/// Bytes of a test image covered by its hash (header and body).
pub const IMAGE_HASHED: u32 = 48;

/// A minimal MCUboot image: a 32-byte header (`ih_img_size` 16, no protected TLVs), 16 body
/// bytes, a TLV area with one SHA-256 TLV holding `hash`. The fake port's hash check is
/// scripted, so `hash` is any 32 bytes (it is the image's identity). Const evaluation: an
/// index out of range fails the build.
#[allow(clippy::indexing_slicing)]
pub const fn mcuboot_image(hash: [u8; 32]) -> [u8; IMAGE_LEN] {
    let mut b = [0u8; IMAGE_LEN];
    let head: [u8; 16] = [
        0x3d, 0xb8, 0xf3, 0x96, // ih_magic
        0, 0, 0, 0, // ih_load_addr
        32, 0, // ih_hdr_size
        0, 0, // ih_protect_tlv_size
        16, 0, 0, 0, // ih_img_size
    ];
    let mut i = 0;
    while i < 16 {
        b[i] = head[i];
        b[32 + i] = 0xb0 + i as u8; // body
        i += 1;
    }
    let tlv: [u8; 8] = [0x07, 0x69, 40, 0, 0x10, 0, 32, 0];
    i = 0;
    while i < 8 {
        b[48 + i] = tlv[i];
        i += 1;
    }
    i = 0;
    while i < 32 {
        b[56 + i] = hash[i];
        i += 1;
    }
    b
}

/// Identity (SHA-256 TLV) of the image every case downloads.
pub const NEW_HASH: [u8; 32] = [0xa5; 32];
/// Identity of the image that ran before.
pub const OLD_HASH: [u8; 32] = [0x5a; 32];
/// The downloaded image.
pub static NEW_IMAGE: [u8; IMAGE_LEN] = mcuboot_image(NEW_HASH);
/// The image that ran before.
pub static OLD_IMAGE: [u8; IMAGE_LEN] = mcuboot_image(OLD_HASH);
/// The record identity of [`NEW_IMAGE`].
pub const NEW_ID: [u8; 16] = [0xa5; 16];

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
        host: &'a [u8],
        /// File as the downloader gets it.
        file: &'a [u8],
        /// Security tag.
        sec_tag: Option<u32>,
        /// APN.
        apn: Option<&'a [u8]>,
        /// Session number.
        session: u16,
    },
    /// `cancel_download`.
    Cancel,
    /// `reset_dfu_target`.
    Reset(ImageType),
    /// `schedule_update`.
    Schedule(ImageType),
    /// `end_download`.
    End,
    /// `image_hash_matches` over the first `len` bytes of the secondary slot.
    HashCheck(u32),
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
    Log(Log, i32),
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
    /// `schedule_update`.
    pub schedule: i32,
    /// `image_hash_matches`: 1 match, 0 mismatch, negative errno.
    pub hash: i32,
    /// The secondary slot's content (reads past its end fail with -EINVAL).
    pub secondary: &'static [u8],
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
    schedule: 0,
    hash: 1,
    secondary: &NEW_IMAGE,
};

/// What MCUboot's primary slot holds at a boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Running {
    /// The image the case downloaded ([`NEW_IMAGE`]).
    New,
    /// The image that ran before ([`OLD_IMAGE`]).
    Old,
    /// Unreadable (reads fail with -EIO).
    Unreadable,
}

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
        /// The primary slot.
        running: Running,
        /// `nrf_modem_lib_init()`'s result.
        modem_init: i32,
    },
    /// The boot report delivered a second time without a power cycle (must do nothing).
    BootAgain,
    /// A modem fault (reason, program counter).
    ModemFault(u32, u32),
    /// The modem library was shut down and initialised again (the two results).
    ModemReinit(i32, i32),
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
    primary: Running,
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
                b"<no NUL>"
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
    fn schedule_update(&mut self, image: ImageType) -> Result<(), i32> {
        self.ev(Ev::Schedule(image));
        result(self.script.schedule)
    }
    fn end_download(&mut self) {
        self.ev(Ev::End);
    }
    fn read_image(&mut self, slot: Slot, offset: u32, buf: &mut [u8]) -> Result<(), i32> {
        let img: &[u8] = match (slot, self.primary) {
            (Slot::Secondary, _) => self.script.secondary,
            (Slot::Primary, Running::New) => &NEW_IMAGE,
            (Slot::Primary, Running::Old) => &OLD_IMAGE,
            (Slot::Primary, Running::Unreadable) => return Err(-5),
        };
        let start = offset as usize;
        let src = img.get(start..start + buf.len()).ok_or(-22)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn image_hash_matches(&mut self, len: u32, _sha256: &[u8; 32]) -> Result<bool, i32> {
        self.ev(Ev::HashCheck(len));
        match self.script.hash {
            1 => Ok(true),
            0 => Ok(false),
            e => Err(e),
        }
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
    fn log(&mut self, event: Log, value: i32) {
        self.ev(Ev::Log(event, value));
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
    let mut primary = Running::Old;
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
            primary,
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
                running,
                modem_init,
            } => {
                fota = Fota::new(case.config).ok_or(fail(step_no, MismatchKind::Config))?;
                port.primary = running;
                let bytes: Option<&[u8]> = match what {
                    Stored::Keep => stored.as_ref().map(|b| &b[..]),
                    Stored::Bytes(b) => Some(b),
                };
                let report = BootReport {
                    app_swap: SwapType::from_raw(swap),
                    modem_result: modem,
                    modem_init,
                };
                fota.on_boot(bytes, &report, &mut port, &mut out);
            }
            Step::ModemFault(reason, pc) => fota.on_modem_fault(reason, pc, &mut out),
            Step::ModemReinit(shutdown, init) => fota.on_modem_reinit(shutdown, init, &mut out),
            Step::BootAgain => {
                let report = BootReport {
                    app_swap: SwapType::from_raw(4),
                    modem_result: None,
                    modem_init: 0,
                };
                let bytes = stored.as_ref().map(|b| &b[..]);
                fota.on_boot(bytes, &report, &mut port, &mut out);
            }
        }
        stored = port.stored;
        last_session = port.last_session;
        primary = port.primary;
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
