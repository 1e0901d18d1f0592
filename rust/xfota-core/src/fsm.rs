//! The FOTA state machine.

use crate::at::{self, Command, DownloadRequest, DownloadTarget, Parsed, Start};
use crate::image::{self, Slot};
use crate::record::{self, Outcome, Record, RECORD_LEN};
use crate::urc::{self, XmodemLine};
use crate::{ImageType, Stage, Status, ERR_DOWNLOAD_FAILED, ERR_IMAGE_REJECTED};

/// Progress of a modem scratch erase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErasePoll {
    /// Erase finished (or there was nothing to erase).
    Done,
    /// Still erasing: wait and poll again.
    Pending,
}

/// Something worth a log line in the shell, as a code (the shell holds the texts) with one
/// value. Never user data: no URL, no APN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Log {
    /// An `AT#XFOTA` line was refused; value: the [`at::Reject`] code.
    Rejected = 1,
    /// The persisted record was corrupt and has been dropped; value: the
    /// [`crate::record::RecordError`] code.
    CorruptRecord = 2,
    /// Saving the record failed (errno); the downloaded image was discarded.
    SaveFailed = 3,
    /// Deleting the record failed (errno).
    ClearFailed = 4,
    /// Resetting the DFU target failed (errno).
    ResetFailed = 5,
    /// An erase failed (errno).
    EraseFailed = 6,
    /// The modem scratch erase did not finish within the configured time.
    EraseTimeout = 7,
    /// Cancelling the download failed (errno).
    CancelFailed = 8,
    /// A download event arrived for no running session (stale or late) and was ignored; value:
    /// its session.
    StaleEvent = 9,
    /// A progress value outside 0..=100 was ignored.
    BadProgress = 10,
    /// The modem reported "voltage low": the update is retried at the next boot.
    ModemVoltageLow = 11,
    /// The boot report came after the core had started work; the record was left alone.
    LateBoot = 12,
    /// MCUboot runs a new image in test mode but no valid record was found: it is confirmed.
    RevertWithoutRecord = 13,
    /// The downloaded application image failed verification; value: an
    /// [`image::reason`] code or the port's errno.
    ImageRejected = 14,
    /// Scheduling the update failed (errno); the image was discarded.
    ScheduleFailed = 15,
    /// A command that needs the modem was refused: the modem library is not initialised.
    ModemDown = 16,
    /// A waiting modem update brought no DFU result at this boot.
    NoModemResult = 17,
    /// The running image's identity could not be read (value: reason or errno); the result
    /// is decided from MCUboot's swap type alone.
    IdentityUnknown = 18,
    /// The echo of a cancel arrived and was swallowed; value: its session.
    CancelEcho = 19,
}

/// Effects the core asks for. Implemented by the C shell (over NCS), the simulator and the
/// tests. Errors are negative errno values. No method may call back into the core.
pub trait Port {
    /// Starts a download (`fota_download_start_with_image_type`, after bringing up a PDN for an
    /// APN). The request's target stays valid until the session ends. On failure the port has
    /// released whatever it set up.
    fn start_download(&mut self, req: &DownloadRequest<'_>) -> Result<(), i32>;
    /// Cancels the running download. Must not deliver events into the core synchronously.
    fn cancel_download(&mut self) -> Result<(), i32>;
    /// The session ended (error, cancel, finished or discarded): release what `start_download`
    /// brought up for it (the PDN of an APN). Called exactly once per started session.
    fn end_download(&mut self);
    /// Resets the DFU target so the next download starts from offset 0 (discards the image).
    fn reset_dfu_target(&mut self, image: ImageType) -> Result<(), i32>;
    /// Schedules the downloaded image for activation at the next boot
    /// (`dfu_target_schedule_update(0)`); called only after the record is saved.
    fn schedule_update(&mut self, image: ImageType) -> Result<(), i32>;
    /// Erases MCUboot's secondary slot.
    fn erase_app_slot(&mut self) -> Result<(), i32>;
    /// Starts erasing the modem scratch area.
    fn modem_erase_start(&mut self) -> Result<ErasePoll, i32>;
    /// Polls the modem scratch erase.
    fn modem_erase_poll(&mut self) -> Result<ErasePoll, i32>;
    /// Sleeps between erase polls.
    fn sleep_ms(&mut self, ms: u32);
    /// Persists the record (must be durable when it returns `Ok`).
    fn save_record(&mut self, record: &[u8; RECORD_LEN]) -> Result<(), i32>;
    /// Deletes the record.
    fn clear_record(&mut self) -> Result<(), i32>;
    /// Confirms the running application image (MCUboot).
    fn confirm_image(&mut self) -> Result<(), i32>;
    /// Reads `buf.len()` bytes at `offset` of an MCUboot slot; an error past the slot's end.
    fn read_image(&mut self, slot: Slot, offset: u32, buf: &mut [u8]) -> Result<(), i32>;
    /// Whether the SHA-256 of the secondary slot's first `len` bytes equals `sha256`.
    fn image_hash_matches(&mut self, len: u32, sha256: &[u8; 32]) -> Result<bool, i32>;
    /// A log line.
    fn log(&mut self, event: Log, value: i32);
}

/// Receives the exact bytes for the UART: whole responses and notifications, one per call.
pub trait Out {
    /// Writes bytes.
    fn write(&mut self, bytes: &[u8]);
}

/// A download event, as delivered by the downloader. The discriminants are the C ABI's
/// `XFOTA_EVT_*` codes (1..=6): with them the ABI's mapping from its integers compiles to a
/// range check (38 B less flash, measured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum DownloadEvent {
    /// Progress in percent (values outside 0..=100 are ignored).
    Progress(i32) = 1,
    /// The modem is erasing its scratch area before taking the image.
    ErasePending,
    /// The modem scratch area is erased.
    Erased,
    /// The image is completely downloaded.
    Finished,
    /// The download failed, with NCS's `enum fota_download_error_cause` value (see
    /// [`crate::cause`]): `INVALID_UPDATE` reports `<fota_info>` 2, `TYPE_MISMATCH` 3,
    /// anything else 1.
    Error(i32),
    /// The downloader cancelled.
    Cancelled,
}

/// MCUboot swap type as reported by `mcuboot_swap_type()` at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapType {
    /// `BOOT_SWAP_TYPE_NONE` (1): no swap pending.
    None,
    /// `BOOT_SWAP_TYPE_TEST` (2).
    Test,
    /// `BOOT_SWAP_TYPE_PERM` (3).
    Perm,
    /// `BOOT_SWAP_TYPE_REVERT` (4): the image runs in test mode and needs a confirm.
    Revert,
    /// `BOOT_SWAP_TYPE_FAIL` (5).
    Fail,
    /// A negative errno from reading the swap state, or an unknown value.
    Other(i32),
}

impl SwapType {
    /// From MCUboot's integer.
    pub fn from_raw(raw: i32) -> Self {
        match raw {
            1 => Self::None,
            2 => Self::Test,
            3 => Self::Perm,
            4 => Self::Revert,
            5 => Self::Fail,
            other => Self::Other(other),
        }
    }
}

/// Modem DFU result: update applied (`NRF_MODEM_DFU_RESULT_OK`).
pub const MODEM_DFU_OK: i32 = 0x550_0001;
/// Modem DFU result: not applied because the supply voltage was too low; retried next boot.
pub const MODEM_DFU_VOLTAGE_LOW: i32 = 0x440_0005;
/// `<fota_info>` of `#XFOTA: 5,1,<info>` when a waiting modem update brought no DFU result at
/// the first boot with a working modem (`-ENOENT`: no result). The update was not applied at
/// that boot (never scheduled, e.g. a power cut right after `4,0` was saved) or its result was
/// lost to a power cut while it was being reported; `AT+CGMR` tells which firmware runs.
pub const NO_MODEM_RESULT: i32 = -2;

/// What the shell learned at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootReport {
    /// MCUboot's swap type.
    pub app_swap: SwapType,
    /// The modem's DFU result (`NRF_MODEM_LIB_ON_DFU_RES`), if one was delivered.
    pub modem_result: Option<i32>,
    /// `nrf_modem_lib_init()`'s result: 0, or a negative errno (the modem is unusable).
    pub modem_init: i32,
}

/// Tunables (Kconfig in the shell).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Give up erasing the modem scratch area after this long.
    pub modem_erase_timeout_ms: u32,
    /// Poll interval while erasing (at least 1).
    pub modem_erase_poll_ms: u32,
}

/// Defaults, as Nordic's Serial Modem: up to 60 s (`CONFIG_DFU_TARGET_MODEM_TIMEOUT`),
/// polling every 2 s.
pub const DEFAULT_CONFIG: Config = Config {
    modem_erase_timeout_ms: 60_000,
    modem_erase_poll_ms: 2_000,
};

/// What [`Fota::handle_line`] did with a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineResult {
    /// Not an `AT#XFOTA` line: nothing was written, the shell handles it.
    NotMine,
    /// Answered `OK`.
    Ok,
    /// Answered `ERROR`.
    Error,
}

/// The externally visible state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateView {
    /// No session (stage 0 / after a completed report).
    Idle,
    /// A download runs; stage is 1, 2 or 3.
    Downloading {
        /// Image type.
        image: ImageType,
        /// Current stage.
        stage: Stage,
        /// Last reported percentage.
        percent: Option<u8>,
        /// Session number.
        session: u16,
    },
    /// An image waits for activation (stage 4).
    Downloaded {
        /// Image type.
        image: ImageType,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Downloading,
    Downloaded,
}

/// The `AT#XFOTA` state machine. One thread calls it; it owns the download's host/file
/// strings for the whole session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fota {
    /// The running session's host/file, written in place, never moved: the downloader keeps
    /// pointers into it.
    target: DownloadTarget,
    config: Config,
    phase: Phase,
    image: ImageType,
    stage: Stage,
    /// Last reported percent (`None` before the first).
    percent: Option<u8>,
    session: u16,
    next_session: u16,
    /// The session whose cancel echo is still due (0: none).
    cancel_echo: u16,
    booted: bool,
    modem_ok: bool,
}

fn logged(r: Result<(), i32>, port: &mut impl Port, event: Log) -> bool {
    if let Err(e) = r {
        port.log(event, e);
    }
    r.is_ok()
}

impl Fota {
    /// A fresh state machine (idle, not yet booted, modem assumed usable until the boot report
    /// says otherwise). `None` if `config` is unusable (a poll interval of 0).
    pub fn new(config: Config) -> Option<Self> {
        (config.modem_erase_poll_ms != 0).then_some(Self {
            target: DownloadTarget::default(),
            config,
            phase: Phase::Idle,
            image: ImageType::App,
            stage: Stage::Init,
            percent: None,
            session: 0,
            next_session: 1,
            cancel_echo: 0,
            booted: false,
            modem_ok: true,
        })
    }

    /// The externally visible state.
    pub fn state(&self) -> StateView {
        match self.phase {
            Phase::Idle => StateView::Idle,
            Phase::Downloading => StateView::Downloading {
                image: self.image,
                stage: self.stage,
                percent: self.percent,
                session: self.session,
            },
            Phase::Downloaded => StateView::Downloaded { image: self.image },
        }
    }

    /// Whether [`Fota::on_boot`] ran.
    pub fn booted(&self) -> bool {
        self.booted
    }

    /// Whether the modem library is usable (ops 1, 2 and 9 need it).
    pub fn modem_ok(&self) -> bool {
        self.modem_ok
    }

    /// The running session's download target (host/file stay valid until it ends).
    pub fn target(&self) -> Option<&DownloadTarget> {
        (self.phase == Phase::Downloading).then_some(&self.target)
    }

    /// Handles one AT line (without terminator). Writes the response (and any notification
    /// that belongs before it) to `out`.
    pub fn handle_line(
        &mut self,
        line: &[u8],
        port: &mut impl Port,
        out: &mut impl Out,
    ) -> LineResult {
        let ok = match at::parse(line) {
            Parsed::NotMine => return LineResult::NotMine,
            Parsed::Invalid(reason) => {
                port.log(Log::Rejected, reason as i32);
                false
            }
            Parsed::Command(Command::Test) => {
                out.write(urc::TEST_RESPONSE);
                true
            }
            Parsed::Command(Command::Start(start)) => self.start(&start, port, out),
            Parsed::Command(Command::Cancel) => self.cancel(port, out),
            Parsed::Command(Command::EraseApp) => self.erase(ImageType::App, port),
            Parsed::Command(Command::EraseModem) => self.erase(ImageType::Modem, port),
        };
        out.write(if ok { urc::OK } else { urc::ERROR });
        if ok {
            LineResult::Ok
        } else {
            LineResult::Error
        }
    }

    // Inlined into both callers: 16 B less flash than LLVM's own choice (measured).
    #[inline(always)]
    fn modem_needed(&self, port: &mut impl Port) -> bool {
        if !self.modem_ok {
            port.log(Log::ModemDown, 0);
        }
        self.modem_ok
    }

    fn start(&mut self, start: &Start<'_>, port: &mut impl Port, out: &mut impl Out) -> bool {
        if self.phase != Phase::Idle || !self.modem_needed(port) {
            return false;
        }
        self.target.set(&start.url);
        let id = self.next_session;
        self.next_session = id.checked_add(1).unwrap_or(1);
        if id == self.cancel_echo {
            // 65535 sessions later the number comes round again: an echo still awaited for it
            // never came, and must not swallow this session's own end.
            self.cancel_echo = 0;
        }
        let started = port.start_download(&DownloadRequest {
            image: start.image,
            session: id,
            target: &self.target,
            sec_tag: start.sec_tag,
            apn: start.apn,
        });
        if let Err(errno) = started {
            urc::xfota(out, Stage::Download, Status::Error, Some(errno));
            return false;
        }
        self.phase = Phase::Downloading;
        self.image = start.image;
        self.stage = Stage::Download;
        self.percent = None;
        self.session = id;
        true
    }

    fn cancel(&mut self, port: &mut impl Port, out: &mut impl Out) -> bool {
        if self.phase != Phase::Downloading
            || !logged(port.cancel_download(), port, Log::CancelFailed)
        {
            return false;
        }
        // fota_download reports the stop later, from its own thread: that first terminal
        // event of this session is the echo of this cancel.
        self.cancel_echo = self.session;
        self.discard(port);
        urc::xfota(out, Stage::Download, Status::Cancelled, Some(0));
        true
    }

    /// Ends the session without an image: DFU target reset, link released, idle.
    fn discard(&mut self, port: &mut impl Port) {
        self.phase = Phase::Idle;
        logged(port.reset_dfu_target(self.image), port, Log::ResetFailed);
        port.end_download();
    }

    // Inlined into the line handler: 12 B less flash than LLVM's own choice (measured).
    #[inline(always)]
    fn erase(&mut self, which: ImageType, port: &mut impl Port) -> bool {
        if self.phase == Phase::Downloading
            || (which == ImageType::Modem && !self.modem_needed(port))
        {
            return false;
        }
        let done = match which {
            ImageType::App => port.erase_app_slot(),
            ImageType::Modem => self.erase_modem(port),
        };
        if !logged(done, port, Log::EraseFailed) {
            return false;
        }
        if self.phase == Phase::Downloaded && self.image == which {
            // The waiting image is gone: so is the reason to report at boot. Until the record
            // is gone too, the image still counts as waiting (the boot would report on it).
            if !logged(port.clear_record(), port, Log::ClearFailed) {
                return false;
            }
            self.phase = Phase::Idle;
        }
        true
    }

    fn erase_modem(&self, port: &mut impl Port) -> Result<(), i32> {
        let mut waited: u32 = 0;
        let mut state = port.modem_erase_start()?;
        while state == ErasePoll::Pending {
            if waited >= self.config.modem_erase_timeout_ms {
                port.log(Log::EraseTimeout, 0);
                return Err(-116); // ETIMEDOUT (Zephyr/newlib/picolibc numbering)
            }
            port.sleep_ms(self.config.modem_erase_poll_ms);
            waited = waited.saturating_add(self.config.modem_erase_poll_ms);
            state = port.modem_erase_poll()?;
        }
        Ok(())
    }

    /// Handles a download event tagged with the session it belongs to. Events for another
    /// session, or when none runs, are ignored (logged). After a cancel, the first terminal
    /// event (finished, error or cancelled) of the cancelled session is its echo and is
    /// swallowed: fota_download reports a stop as ERROR when an error was pending, and a
    /// download can finish while the cancel is on its way.
    pub fn on_download_event(
        &mut self,
        session: u16,
        event: DownloadEvent,
        port: &mut impl Port,
        out: &mut impl Out,
    ) {
        let terminal = !matches!(
            event,
            DownloadEvent::Progress(_) | DownloadEvent::ErasePending | DownloadEvent::Erased
        );
        if terminal && session != 0 && session == self.cancel_echo {
            self.cancel_echo = 0;
            port.log(Log::CancelEcho, i32::from(session));
            return;
        }
        if self.phase != Phase::Downloading || session != self.session {
            port.log(Log::StaleEvent, i32::from(session));
            return;
        }
        match event {
            DownloadEvent::Progress(p) => match u8::try_from(p) {
                Ok(p @ 0..=100) => {
                    self.stage = Stage::Download;
                    self.progress_to(p, out);
                }
                _ => port.log(Log::BadProgress, p),
            },
            DownloadEvent::ErasePending | DownloadEvent::Erased => {
                let stage = if event == DownloadEvent::Erased {
                    Stage::Erased
                } else {
                    Stage::ErasePending
                };
                if self.image != ImageType::Modem {
                    port.log(Log::StaleEvent, i32::from(session));
                } else if stage != self.stage {
                    // Reported on change only (NCS repeats "erase pending" on its timeout).
                    self.stage = stage;
                    urc::xfota(out, stage, Status::Ok, None);
                }
            }
            DownloadEvent::Finished => self.finished(port, out),
            DownloadEvent::Error(cause) => {
                let stage = self.stage;
                self.discard(port);
                urc::xfota(
                    out,
                    stage,
                    Status::Error,
                    Some(crate::cause::fota_info(cause)),
                );
            }
            DownloadEvent::Cancelled => {
                self.discard(port);
                urc::xfota(out, Stage::Download, Status::Cancelled, Some(0));
            }
        }
    }

    /// Reports progress up to `p`: only increases are reported, and 0 always comes first.
    fn progress_to(&mut self, p: u8, out: &mut impl Out) {
        let last = self.percent.unwrap_or_else(|| {
            urc::xfota(out, Stage::Download, Status::Ok, Some(0));
            0
        });
        if p > last {
            urc::xfota(out, Stage::Download, Status::Ok, Some(i32::from(p)));
        }
        self.percent = Some(last.max(p));
    }

    /// The image is downloaded: verify it (application), persist the record, schedule it, and
    /// only then say `4,0`. Any failure discards the image and says why.
    fn finished(&mut self, port: &mut impl Port, out: &mut impl Out) {
        self.progress_to(100, out);
        let image = self.image;
        let mut id = None;
        if image == ImageType::App {
            match image::walk(port, Slot::Secondary, true) {
                Ok(hash) => id = Some(record::identity(&hash)),
                Err(e) => {
                    port.log(Log::ImageRejected, e);
                    self.discard(port);
                    urc::xfota(
                        out,
                        Stage::Download,
                        Status::Error,
                        Some(ERR_IMAGE_REJECTED),
                    );
                    return;
                }
            }
        }
        let saved = logged(
            port.save_record(&Record::waiting(image, id).encode()),
            port,
            Log::SaveFailed,
        );
        // Scheduled only once the record exists: an update never runs without its report.
        if !saved || !logged(port.schedule_update(image), port, Log::ScheduleFailed) {
            if saved {
                self.clear(port);
            }
            self.discard(port);
            urc::xfota(
                out,
                Stage::Download,
                Status::Error,
                Some(ERR_DOWNLOAD_FAILED),
            );
            return;
        }
        port.end_download();
        self.phase = Phase::Downloaded;
        urc::xfota(out, Stage::Downloaded, Status::Ok, None);
    }

    /// The boot report: writes `Ready` (and `#XMODEM: INIT,<err>` if the modem library failed
    /// to initialise), then at most one result notification for the record found in storage,
    /// then clears the record. Runs once; later calls do nothing. The shell must deliver it
    /// before any AT line: a report arriving after a session was started is not acted on (the
    /// record may describe an image that never ran).
    pub fn on_boot(
        &mut self,
        stored: Option<&[u8]>,
        report: &BootReport,
        port: &mut impl Port,
        out: &mut impl Out,
    ) {
        if self.booted {
            return;
        }
        self.booted = true;
        out.write(urc::READY);
        self.modem_ok = report.modem_init == 0;
        if !self.modem_ok {
            // The AT host works without the modem; say why FOTA mostly does not.
            urc::xmodem(out, XmodemLine::Init, report.modem_init);
        }
        if self.phase != Phase::Idle {
            port.log(Log::LateBoot, 0);
            return;
        }
        let record = match stored.map(Record::decode) {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                port.log(Log::CorruptRecord, e as i32);
                self.clear(port);
                Self::lost_record(report, port)
            }
            None => Self::lost_record(report, port),
        };
        let Some(record) = record else {
            return;
        };
        self.image = record.image;
        let outcome = match record.result {
            // A result whose notification a power cut may have interrupted: say it again.
            Some(outcome) => outcome,
            None => match self.activation_result(&record, report, port, out) {
                Some(outcome) => {
                    // Stored before the notification, cleared after it: at-least-once.
                    logged(
                        port.save_record(&Record::done(record.image, outcome).encode()),
                        port,
                        Log::SaveFailed,
                    );
                    outcome
                }
                None => {
                    // Still waiting (modem: voltage low, or the modem is down): keep it.
                    self.phase = Phase::Downloaded;
                    return;
                }
            },
        };
        let (status, info) = outcome.status_info();
        let info = (status == Status::Error).then_some(info);
        urc::xfota(out, Stage::Complete, status, info);
        self.clear(port);
    }

    /// No (valid) record: only if MCUboot runs a new image in test mode is there something to
    /// report. Only this command downloads images here, so it is confirmed and reported, as
    /// Nordic's Serial Modem does on REVERT; otherwise it would silently revert at the next
    /// reset.
    fn lost_record(report: &BootReport, port: &mut impl Port) -> Option<Record> {
        (report.app_swap == SwapType::Revert).then(|| {
            port.log(Log::RevertWithoutRecord, 0);
            Record::waiting(ImageType::App, None)
        })
    }

    /// What this boot says about a waiting image; `None` if it still waits.
    fn activation_result(
        &mut self,
        record: &Record,
        report: &BootReport,
        port: &mut impl Port,
        out: &mut impl Out,
    ) -> Option<Outcome> {
        if record.image == ImageType::Modem {
            if !self.modem_ok {
                return None;
            }
            return match report.modem_result {
                Some(MODEM_DFU_OK) => Some(Outcome::Ok),
                Some(MODEM_DFU_VOLTAGE_LOW) => {
                    // Not applied; the modem retries at the next boot. Say so (as Nordic's
                    // Serial Modem does) and keep the record for the final result.
                    port.log(Log::ModemVoltageLow, 0);
                    urc::xfota(
                        out,
                        Stage::Downloaded,
                        Status::Error,
                        Some(MODEM_DFU_VOLTAGE_LOW),
                    );
                    None
                }
                Some(code) => Some(Outcome::Error(code)),
                None => {
                    port.log(Log::NoModemResult, 0);
                    Some(Outcome::Error(NO_MODEM_RESULT))
                }
            };
        }
        // Application: the running image is the verified one, or it is not. Without an
        // identity (older record, unreadable slot) the swap type decides, as Nordic does.
        let same = record
            .id
            .and_then(|want| match image::walk(port, Slot::Primary, false) {
                Ok(have) => Some(record::identity(&have) == want),
                Err(e) => {
                    port.log(Log::IdentityUnknown, e);
                    None
                }
            });
        Some(match (same, report.app_swap) {
            (Some(true) | None, SwapType::Revert) => match port.confirm_image() {
                Ok(()) => Outcome::Ok,
                Err(errno) => Outcome::Error(errno),
            },
            (Some(true), _) => Outcome::Ok,
            (_, SwapType::None | SwapType::Revert) => Outcome::Reverted,
            // As Nordic's Serial Modem: the swap type (or the errno reading it) is the info.
            (_, SwapType::Test) => Outcome::Error(2),
            (_, SwapType::Perm) => Outcome::Error(3),
            (_, SwapType::Fail) => Outcome::Error(5),
            (_, SwapType::Other(code)) => Outcome::Error(code),
        })
    }

    fn clear(&mut self, port: &mut impl Port) {
        logged(port.clear_record(), port, Log::ClearFailed);
    }

    /// A modem fault (`nrf_modem_fault_handler`): writes `#XMODEM: FAULT,0x<reason>,0x<pc>` as
    /// Nordic's Serial Modem does; ops that need the modem answer `ERROR` until a
    /// re-initialisation succeeds ([`Fota::on_modem_reinit`]).
    pub fn on_modem_fault(&mut self, reason: u32, pc: u32, out: &mut impl Out) {
        self.modem_ok = false;
        urc::fault(out, reason, pc);
    }

    /// The shell shut the modem library down and initialised it again after a fault: writes
    /// `#XMODEM: SHUTDOWN,<ret>` and `#XMODEM: INIT,<ret>` (Serial Modem's lines); the modem
    /// is usable again iff `init` is 0.
    pub fn on_modem_reinit(&mut self, shutdown: i32, init: i32, out: &mut impl Out) {
        urc::xmodem(out, XmodemLine::Shutdown, shutdown);
        urc::xmodem(out, XmodemLine::Init, init);
        self.modem_ok = init == 0;
    }
}
