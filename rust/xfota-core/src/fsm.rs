//! The FOTA state machine.

use crate::at::{self, Command, Parsed, Reject, Start};
use crate::record::{Outcome, Record, RecordError, RECORD_LEN};
use crate::urc::{self, Urc};
use crate::url::{DownloadRequest, DownloadTarget};
use crate::{ImageType, Stage, ERR_DOWNLOAD_FAILED, ERR_IMAGE_MISMATCH, ERR_IMAGE_REJECTED};

/// Progress of a modem scratch erase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErasePoll {
    /// Erase finished (or there was nothing to erase).
    Done,
    /// Still erasing: wait and poll again.
    Pending,
}

/// Something worth a log line in the shell. Never user data: no URL, no APN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogEvent {
    /// An `AT#XFOTA` line was refused.
    Rejected(Reject),
    /// The persisted record was corrupt and has been dropped.
    CorruptRecord(RecordError),
    /// Saving the record failed (errno); the downloaded image was discarded.
    SaveFailed(i32),
    /// Deleting the record failed (errno).
    ClearFailed(i32),
    /// Resetting the DFU target failed (errno).
    ResetFailed(i32),
    /// An erase failed (errno).
    EraseFailed(i32),
    /// The modem scratch erase did not finish within the configured time.
    EraseTimeout,
    /// Cancelling the download failed (errno).
    CancelFailed(i32),
    /// A download event arrived for no running session (stale or late) and was ignored.
    StaleEvent,
    /// A progress value outside 0..=100 was ignored.
    BadProgress(i32),
    /// The modem reported "voltage low": the update is retried at the next boot.
    ModemVoltageLow,
    /// The boot report came after the core had started work; the record was left alone.
    LateBoot,
    /// MCUboot runs a new image in test mode but no valid record was found: it is confirmed.
    RevertWithoutRecord,
}

/// Effects the core asks for. Implemented by the C shell (over NCS), the simulator and the
/// tests. Errors are negative errno values. No method may call back into the core.
pub trait Port {
    /// Starts a download (`fota_download_start_with_image_type`, after configuring the PDN for
    /// an APN). The request's target stays valid until the session ends.
    fn start_download(&mut self, req: &DownloadRequest<'_>) -> Result<(), i32>;
    /// Cancels the running download. Must not deliver events into the core synchronously.
    fn cancel_download(&mut self) -> Result<(), i32>;
    /// Resets the DFU target so the next download starts from offset 0.
    fn reset_dfu_target(&mut self, image: ImageType) -> Result<(), i32>;
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
    /// A log line.
    fn log(&mut self, event: LogEvent);
}

/// Receives the exact bytes for the UART: whole responses and notifications.
pub trait Out {
    /// Writes bytes.
    fn write(&mut self, bytes: &[u8]);
}

/// A download event, as delivered by the downloader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadEvent {
    /// Progress in percent (values outside 0..=100 are ignored).
    Progress(i32),
    /// The modem is erasing its scratch area before taking the image.
    ErasePending,
    /// The modem scratch area is erased.
    Erased,
    /// The image is completely downloaded and ready for activation.
    Finished,
    /// The download failed, with NCS's `enum fota_download_error_cause` value (see
    /// [`crate::cause`]): `INVALID_UPDATE` reports `<fota_info>` 2, `TYPE_MISMATCH` 3,
    /// anything else 1.
    Error(i32),
    /// The downloader cancelled. `fota_download_cancel()` delivers this later, from the
    /// downloader's thread; the core already reported the cancel and swallows that echo.
    Cancelled,
}

/// MCUboot swap type as reported by `mcuboot_swap_type()` at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapType {
    /// `BOOT_SWAP_TYPE_NONE` (1): no swap pending, the old image runs.
    None,
    /// `BOOT_SWAP_TYPE_TEST` (2).
    Test,
    /// `BOOT_SWAP_TYPE_PERM` (3).
    Perm,
    /// `BOOT_SWAP_TYPE_REVERT` (4): the new image runs in test mode and needs a confirm.
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

/// What the shell learned at boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootReport {
    /// MCUboot's swap type.
    pub app_swap: SwapType,
    /// The modem's DFU result (`NRF_MODEM_LIB_ON_DFU_RES`), if one was delivered.
    pub modem_result: Option<i32>,
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

#[derive(Clone, Debug, PartialEq, Eq)]
struct Session {
    image: ImageType,
    stage: Stage,
    percent: Option<u8>,
    id: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Downloading(Session),
    Downloaded(ImageType),
}

/// The `AT#XFOTA` state machine. One thread calls it; it owns the download's host/file
/// strings for the whole session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fota {
    phase: Phase,
    /// The running session's host/file. Outside the phase enum so it is written in place,
    /// never moved: the downloader keeps pointers into it.
    target: DownloadTarget,
    config: Config,
    next_session: u16,
    booted: bool,
    /// A cancel was requested and its `Cancelled` echo has not arrived yet.
    cancel_echo: bool,
}

fn write_urc(out: &mut impl Out, urc: Urc) {
    out.write(urc.encode().as_bytes());
}

fn error_code(cause: i32) -> i32 {
    match cause {
        crate::cause::INVALID_UPDATE => ERR_IMAGE_REJECTED,
        crate::cause::TYPE_MISMATCH => ERR_IMAGE_MISMATCH,
        _ => ERR_DOWNLOAD_FAILED,
    }
}

impl Fota {
    /// A fresh state machine (idle, not yet booted). `None` if `config` is unusable (a poll
    /// interval of 0).
    pub fn new(config: Config) -> Option<Self> {
        if config.modem_erase_poll_ms == 0 {
            return None;
        }
        Some(Self {
            phase: Phase::Idle,
            target: DownloadTarget::default(),
            config,
            next_session: 1,
            booted: false,
            cancel_echo: false,
        })
    }

    /// The externally visible state.
    pub fn state(&self) -> StateView {
        match &self.phase {
            Phase::Idle => StateView::Idle,
            Phase::Downloading(s) => StateView::Downloading {
                image: s.image,
                stage: s.stage,
                percent: s.percent,
                session: s.id,
            },
            Phase::Downloaded(image) => StateView::Downloaded { image: *image },
        }
    }

    /// Whether [`Fota::on_boot`] ran.
    pub fn booted(&self) -> bool {
        self.booted
    }

    /// The running session's download target (host/file stay valid until it ends).
    pub fn target(&self) -> Option<&DownloadTarget> {
        match &self.phase {
            Phase::Downloading(_) => Some(&self.target),
            _ => None,
        }
    }

    /// Handles one AT line (without terminator). Writes the response (and any notification
    /// that belongs before it) to `out`.
    pub fn handle_line(
        &mut self,
        line: &[u8],
        port: &mut impl Port,
        out: &mut impl Out,
    ) -> LineResult {
        let result = match at::parse(line) {
            Parsed::NotMine => return LineResult::NotMine,
            Parsed::Invalid(reason) => {
                port.log(LogEvent::Rejected(reason));
                Err(())
            }
            Parsed::Command(cmd) => self.execute(cmd, port, out),
        };
        match result {
            Ok(()) => {
                out.write(urc::OK);
                LineResult::Ok
            }
            Err(()) => {
                out.write(urc::ERROR);
                LineResult::Error
            }
        }
    }

    fn execute(
        &mut self,
        cmd: Command<'_>,
        port: &mut impl Port,
        out: &mut impl Out,
    ) -> Result<(), ()> {
        match cmd {
            Command::Test => {
                out.write(urc::TEST_RESPONSE);
                Ok(())
            }
            Command::Start(start) => self.start(&start, port, out),
            Command::Cancel => self.cancel(port, out),
            Command::EraseApp => self.erase(ImageType::App, port),
            Command::EraseModem => self.erase(ImageType::Modem, port),
        }
    }

    fn start(
        &mut self,
        start: &Start<'_>,
        port: &mut impl Port,
        out: &mut impl Out,
    ) -> Result<(), ()> {
        if self.phase != Phase::Idle || !self.target.set(&start.url) {
            return Err(());
        }
        let id = self.next_session;
        self.next_session = id.wrapping_add(1).max(1);
        let started = port.start_download(&DownloadRequest {
            image: start.image,
            session: id,
            target: &self.target,
            sec_tag: start.sec_tag,
            apn: start.apn,
        });
        match started {
            Ok(()) => {
                self.phase = Phase::Downloading(Session {
                    image: start.image,
                    stage: Stage::Download,
                    percent: None,
                    id,
                });
                Ok(())
            }
            Err(errno) => {
                write_urc(out, Urc::error(Stage::Download, errno));
                Err(())
            }
        }
    }

    fn cancel(&mut self, port: &mut impl Port, out: &mut impl Out) -> Result<(), ()> {
        let image = match &self.phase {
            Phase::Downloading(s) => s.image,
            _ => return Err(()),
        };
        if let Err(errno) = port.cancel_download() {
            port.log(LogEvent::CancelFailed(errno));
            return Err(());
        }
        self.cancel_echo = true;
        self.end_session(image, port);
        write_urc(out, Urc::cancelled());
        Ok(())
    }

    fn end_session(&mut self, image: ImageType, port: &mut impl Port) {
        self.phase = Phase::Idle;
        if let Err(errno) = port.reset_dfu_target(image) {
            port.log(LogEvent::ResetFailed(errno));
        }
    }

    fn erase(&mut self, which: ImageType, port: &mut impl Port) -> Result<(), ()> {
        if matches!(self.phase, Phase::Downloading(_)) {
            return Err(());
        }
        let done = match which {
            ImageType::App => port.erase_app_slot(),
            ImageType::Modem => self.erase_modem(port),
        };
        if let Err(errno) = done {
            port.log(LogEvent::EraseFailed(errno));
            return Err(());
        }
        if self.phase == Phase::Downloaded(which) {
            // The waiting image is gone: so is the reason to report at boot. Until the record
            // is gone too, the image still counts as waiting (the boot would report on it).
            if let Err(errno) = port.clear_record() {
                port.log(LogEvent::ClearFailed(errno));
                return Err(());
            }
            self.phase = Phase::Idle;
        }
        Ok(())
    }

    fn erase_modem(&self, port: &mut impl Port) -> Result<(), i32> {
        if port.modem_erase_start()? == ErasePoll::Done {
            return Ok(());
        }
        let step = self.config.modem_erase_poll_ms;
        let mut waited: u32 = 0;
        while waited < self.config.modem_erase_timeout_ms {
            port.sleep_ms(step);
            waited = waited.saturating_add(step);
            if port.modem_erase_poll()? == ErasePoll::Done {
                return Ok(());
            }
        }
        port.log(LogEvent::EraseTimeout);
        Err(-116) // ETIMEDOUT (Zephyr/newlib numbering)
    }

    /// Handles a download event tagged with the session it belongs to. Events for another
    /// session, or when none runs, are ignored (logged).
    pub fn on_download_event(
        &mut self,
        session: u16,
        event: DownloadEvent,
        port: &mut impl Port,
        out: &mut impl Out,
    ) {
        if event == DownloadEvent::Cancelled && self.cancel_echo {
            // The echo of our own cancel: it may carry the id of a session started since.
            self.cancel_echo = false;
            port.log(LogEvent::StaleEvent);
            return;
        }
        let s = match &mut self.phase {
            Phase::Downloading(s) if s.id == session => s,
            _ => {
                port.log(LogEvent::StaleEvent);
                return;
            }
        };
        match event {
            DownloadEvent::Progress(p) => {
                let Ok(p @ 0..=100) = u8::try_from(p) else {
                    port.log(LogEvent::BadProgress(p));
                    return;
                };
                s.stage = Stage::Download;
                Self::progress_to(s, p, out);
            }
            DownloadEvent::ErasePending | DownloadEvent::Erased => {
                if s.image != ImageType::Modem {
                    port.log(LogEvent::StaleEvent);
                    return;
                }
                let (stage, urc) = if event == DownloadEvent::Erased {
                    (Stage::Erased, Urc::erased())
                } else {
                    (Stage::ErasePending, Urc::erase_pending())
                };
                // Reported on change only (NCS repeats "erase pending" on its erase timeout).
                if stage != s.stage {
                    s.stage = stage;
                    write_urc(out, urc);
                }
            }
            DownloadEvent::Finished => {
                let image = s.image;
                Self::progress_to(s, 100, out);
                match port.save_record(&Record::waiting(image).encode()) {
                    Ok(()) => {
                        self.phase = Phase::Downloaded(image);
                        write_urc(out, Urc::downloaded());
                    }
                    Err(errno) => {
                        // Without the record the boot could not report (nor confirm) the
                        // image: discard it and say the download failed.
                        port.log(LogEvent::SaveFailed(errno));
                        self.end_session(image, port);
                        write_urc(out, Urc::error(Stage::Download, ERR_DOWNLOAD_FAILED));
                    }
                }
            }
            DownloadEvent::Error(cause) => {
                let (image, stage) = (s.image, s.stage);
                self.end_session(image, port);
                write_urc(out, Urc::error(stage, error_code(cause)));
            }
            DownloadEvent::Cancelled => {
                let image = s.image;
                self.end_session(image, port);
                write_urc(out, Urc::cancelled());
            }
        }
    }

    /// Reports progress up to `p`: only increases are reported, and 0 always comes first.
    fn progress_to(s: &mut Session, p: u8, out: &mut impl Out) {
        if s.percent.is_none() && p > 0 {
            write_urc(out, Urc::progress(0));
            s.percent = Some(0);
        }
        if s.percent.is_none_or(|last| p > last) {
            write_urc(out, Urc::progress(p));
            s.percent = Some(p);
        }
    }

    /// The boot report: writes `Ready`, then at most one result notification for the record
    /// found in storage, then clears the record. Runs once; later calls do nothing. The shell
    /// must deliver it before any AT line: a report arriving after a session was started is
    /// not acted on (the record may describe an image that never ran).
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
        if self.phase != Phase::Idle {
            port.log(LogEvent::LateBoot);
            return;
        }
        let record = match stored.map(Record::decode) {
            Some(Ok(r)) => Some(r),
            Some(Err(e)) => {
                port.log(LogEvent::CorruptRecord(e));
                self.clear(port);
                None
            }
            None => None,
        };
        let record = match record {
            Some(r) => r,
            // A new application image runs in test mode although no (valid) record says one
            // was waiting (the record was lost): only this command downloads images here, so
            // confirm it and report, as Nordic's Serial Modem does on REVERT. Without this
            // it would silently revert at the next reset.
            None if report.app_swap == SwapType::Revert => {
                port.log(LogEvent::RevertWithoutRecord);
                Record::waiting(ImageType::App)
            }
            None => return,
        };
        let outcome = match record.result {
            // A result whose notification a power cut may have interrupted: say it again.
            Some(outcome) => Some(outcome),
            None => Self::activation_result(record.image, report, port, out),
        };
        let Some(outcome) = outcome else {
            // The image still waits (modem: voltage low, or no result yet): keep the record.
            self.phase = Phase::Downloaded(record.image);
            return;
        };
        if record.result.is_none() {
            // Stored before the notification, cleared after it: at-least-once.
            let result = Record {
                image: record.image,
                result: Some(outcome),
            };
            if let Err(errno) = port.save_record(&result.encode()) {
                port.log(LogEvent::SaveFailed(errno));
            }
        }
        write_urc(out, Urc::complete(outcome));
        self.clear(port);
    }

    /// What this boot says about a waiting image; `None` if it still waits.
    fn activation_result(
        image: ImageType,
        report: &BootReport,
        port: &mut impl Port,
        out: &mut impl Out,
    ) -> Option<Outcome> {
        match image {
            ImageType::App => Some(match report.app_swap {
                SwapType::Revert => match port.confirm_image() {
                    Ok(()) => Outcome::Ok,
                    Err(errno) => Outcome::Error(errno),
                },
                SwapType::None => Outcome::Reverted,
                // As Nordic's Serial Modem: the swap type (or the errno reading it) is the info.
                SwapType::Test => Outcome::Error(2),
                SwapType::Perm => Outcome::Error(3),
                SwapType::Fail => Outcome::Error(5),
                SwapType::Other(code) => Outcome::Error(code),
            }),
            ImageType::Modem => match report.modem_result {
                Some(MODEM_DFU_OK) => Some(Outcome::Ok),
                Some(MODEM_DFU_VOLTAGE_LOW) => {
                    // Not applied; the modem retries at the next boot. Say so (as Nordic's
                    // Serial Modem does) and keep the record for the final result.
                    port.log(LogEvent::ModemVoltageLow);
                    write_urc(out, Urc::error(Stage::Downloaded, MODEM_DFU_VOLTAGE_LOW));
                    None
                }
                Some(code) => Some(Outcome::Error(code)),
                None => None,
            },
        }
    }

    fn clear(&mut self, port: &mut impl Port) {
        if let Err(errno) = port.clear_record() {
            port.log(LogEvent::ClearFailed(errno));
        }
    }
}
