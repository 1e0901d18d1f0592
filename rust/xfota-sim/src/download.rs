//! `fota_download` and `dfu_target` of sdk-nrf v3.2.1, modelled over the [`crate::downloader`]
//! model, with the state directory as flash.
//!
//! [`FotaDownload`] is `fota_download.c`'s `downloader_callback()` and `stopped()`: image type
//! detection on the first fragment (`dfu_target_img_type()`), `dfu_target` init/write/done,
//! progress as `offset * 100 / file_size` for every fragment, the socket retry budget
//! (`CONFIG_FOTA_SOCKET_RETRIES` = 2), the errno -> `fota_download_error_cause` table, and the
//! final event (`FINISHED`, `ERROR` or `CANCELLED`). It drives any [`DfuTarget`]: the
//! simulator's flash ([`Job`]) or `--check-server`'s null target.

use crate::downloader::{Client, Downloader, End, Env, Event, Observer, Sizes};
use crate::image::{self, ImageKind};
use crate::net::{Errno, Proto, ResponseHead};
use crate::power;
use crate::progress::log;
use crate::state::{McubootState, ModemState, StateDir, MODEM_SCRATCH};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use xfota_core::cause;
use xfota_core::{DownloadEvent, ImageType};

/// `FOTA_DOWNLOAD_ERROR_CAUSE_INVALID_UPDATE`: what an image of unknown type gets
/// (`fota_download.c:174-176`).
pub const ERR_UNKNOWN_IMAGE: i32 = cause::INVALID_UPDATE;
/// `CONFIG_FOTA_SOCKET_RETRIES` (default 2).
pub const SOCKET_RETRIES: u32 = 2;

/// `downloader_callback()`'s errno -> cause table (`fota_download.c:314-340`).
pub fn cause_of(e: Errno) -> i32 {
    match e {
        Errno::ECONNABORTED | Errno::ECONNREFUSED | Errno::EHOSTUNREACH | Errno::ENETDOWN => {
            cause::CONNECT_FAILED
        }
        Errno::ECONNRESET
        | Errno::ETIMEDOUT
        | Errno::EHOSTDOWN
        | Errno::EBADMSG
        | Errno::ERANGE
        | Errno::E2BIG => cause::DOWNLOAD_FAILED,
        Errno::EPROTONOSUPPORT => cause::PROTO_NOT_SUPPORTED,
        Errno::EINVAL | Errno::EAFNOSUPPORT => cause::INVALID_CONFIGURATION,
        _ => cause::INTERNAL,
    }
}

/// Name of a cause, for logs.
pub fn cause_name(c: i32) -> &'static str {
    match c {
        cause::CONNECT_FAILED => "CONNECT_FAILED",
        cause::DOWNLOAD_FAILED => "DOWNLOAD_FAILED",
        cause::INVALID_UPDATE => "INVALID_UPDATE",
        cause::TYPE_MISMATCH => "TYPE_MISMATCH",
        cause::INTERNAL => "INTERNAL",
        cause::DFU => "DFU",
        cause::PROTO_NOT_SUPPORTED => "PROTO_NOT_SUPPORTED",
        cause::INVALID_CONFIGURATION => "INVALID_CONFIGURATION",
        _ => "?",
    }
}

/// A `dfu_target` implementation. Errors are negative errno values as `dfu_target` returns
/// them (`-EFBIG`, `-EINVAL`, ...).
pub trait DfuTarget {
    /// `dfu_target_init()` for `kind` (a dirty modem scratch is erased here, with the erase
    /// events).
    fn init(
        &mut self,
        kind: ImageKind,
        file_size: u64,
        events: &mut dyn FnMut(DownloadEvent),
    ) -> Result<(), i32>;
    /// `dfu_target_write()`.
    fn write(&mut self, data: &[u8]) -> Result<(), i32>;
    /// `dfu_target_done()`. Scheduling is not the downloader's business here: the firmware
    /// sets `CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE=n` and the core asks for
    /// `dfu_target_schedule_update(0)` once its record is saved (`SimPort::schedule_update`).
    fn done(&mut self, successful: bool) -> Result<(), i32>;
}

/// `fota_download.c`: the downloader's client.
pub struct FotaDownload<'a, T: DfuTarget> {
    target: T,
    expected: Option<ImageKind>,
    first_fragment: bool,
    initialized: bool,
    socket_retries_left: u32,
    error_state: i32,
    cancel: Arc<AtomicBool>,
    sink: &'a mut dyn FnMut(DownloadEvent),
    /// The image type of the first fragment.
    pub image: Option<ImageKind>,
    /// The last downloader error event.
    pub last_errno: Option<Errno>,
    /// The final event sent (`FINISHED`, `ERROR`, `CANCELLED`).
    pub outcome: Option<DownloadEvent>,
}

impl<'a, T: DfuTarget> FotaDownload<'a, T> {
    /// A client for one `fota_download_start_with_image_type()`; `expected` `None` is
    /// `DFU_TARGET_IMAGE_TYPE_ANY`.
    pub fn new(
        target: T,
        expected: Option<ImageKind>,
        cancel: Arc<AtomicBool>,
        sink: &'a mut dyn FnMut(DownloadEvent),
    ) -> Self {
        Self {
            target,
            expected,
            first_fragment: true,
            initialized: false,
            socket_retries_left: SOCKET_RETRIES,
            error_state: cause::NO_ERROR,
            cancel,
            sink,
            image: None,
            last_errno: None,
            outcome: None,
        }
    }

    fn send(&mut self, e: DownloadEvent) {
        if matches!(
            e,
            DownloadEvent::Finished | DownloadEvent::Error(_) | DownloadEvent::Cancelled
        ) {
            self.outcome = Some(e);
        }
        (self.sink)(e);
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// `error_and_close`.
    fn fail(&mut self, cause: i32) -> i32 {
        self.error_state = cause;
        if self.initialized {
            let _ = self.target.done(false);
        }
        -1
    }

    /// `stopped()` (`fota_download.c:104`): an error set before the stop wins over a cancel.
    fn stopped(&mut self) {
        if self.error_state != cause::NO_ERROR {
            let c = self.error_state;
            self.send(DownloadEvent::Error(c));
        } else if self.cancelled() {
            self.send(DownloadEvent::Cancelled);
        } else {
            self.send(DownloadEvent::Finished);
        }
    }

    /// Starts and runs the whole download (the download thread), then returns how it ended.
    pub fn run(
        &mut self,
        host: &str,
        file: &str,
        sec_tag: Option<u32>,
        env: &Env<'_>,
        obs: &mut dyn Observer,
    ) -> (End, Option<Downloader>) {
        match Downloader::start(host, file, sec_tag) {
            Err(e) => {
                // fota_download() returns the error synchronously; the core's URL grammar
                // keeps this from happening through AT#XFOTA.
                log(format_args!("xfota-sim: download not started: {e}"));
                self.last_errno = Some(e);
                self.error_state = cause_of(e);
                self.stopped();
                (End::Stopped, None)
            }
            Ok(mut dl) => {
                let end = dl.run(env, self, obs);
                (end, Some(dl))
            }
        }
    }
}

impl<T: DfuTarget> Client for FotaDownload<'_, T> {
    fn event(&mut self, sizes: Sizes, event: Event<'_>) -> i32 {
        match event {
            Event::Fragment(data) => {
                if self.cancelled() {
                    // The fragment in flight when the cancel came: the host side resets the
                    // target right after, so it is not written.
                    return 0;
                }
                if self.first_fragment {
                    self.first_fragment = false;
                    let kind = image::img_type(data);
                    self.image = Some(kind);
                    if kind == ImageKind::Unknown {
                        return self.fail(ERR_UNKNOWN_IMAGE);
                    }
                    if self.expected.is_some_and(|e| e != kind) {
                        return self.fail(cause::TYPE_MISMATCH);
                    }
                    let sink = &mut self.sink;
                    let r = self.target.init(kind, sizes.file_size, &mut |e| sink(e));
                    match r {
                        Ok(()) => self.initialized = true,
                        Err(e) if e == -libc::EFBIG => return self.fail(cause::INVALID_UPDATE),
                        Err(_) => return self.fail(cause::DFU),
                    }
                    // dfu_target_offset_get(): 0 after init (see docs: no resume from flash).
                }
                match self.target.write(data) {
                    Ok(()) => {}
                    Err(e) if e == -libc::EINVAL => return self.fail(cause::INVALID_UPDATE),
                    Err(_) => return self.fail(cause::DFU),
                }
                if sizes.file_size == 0 {
                    return self.fail(cause::INTERNAL);
                }
                let pct = sizes.progress * 100 / sizes.file_size;
                self.send(DownloadEvent::Progress(
                    i32::try_from(pct).unwrap_or(i32::MAX),
                ));
                0
            }
            Event::Done => {
                if self.cancelled() {
                    // The host already dropped this download: nothing is scheduled.
                    self.stopped();
                    return 0;
                }
                if let Err(e) = self.target.done(true) {
                    // fota_download.c:280-284 sets the error and returns -1, but the
                    // downloader ignores DONE's return value (downloader.c:320-324) and has
                    // already suspended: no event follows, as on the device.
                    log(format_args!(
                        "xfota-sim: dfu_target_done failed ({e}): no event"
                    ));
                    return self.fail(cause::DFU);
                }
                self.send(DownloadEvent::Finished);
                0
            }
            Event::Error(e) => {
                self.last_errno = Some(e);
                if self.socket_retries_left > 0 && matches!(e, Errno::ECONNRESET | Errno::EAGAIN) {
                    self.socket_retries_left -= 1;
                    log(format_args!(
                        "xfota-sim: download socket error {e}, {} retries left",
                        self.socket_retries_left
                    ));
                    return 0;
                }
                self.fail(cause_of(e))
            }
            Event::Stopped => {
                self.stopped();
                0
            }
        }
    }
}

// ---------------------------------------------------------------- the simulator's flash

/// The flash: the state directory plus the in-memory copies of its state files. Everything
/// that writes it holds the lock; a download checks its cancel flag under the lock before each
/// write, so once a canceller has set the flag and taken the lock, the download writes nothing
/// more.
#[derive(Debug)]
pub struct Flash {
    /// The directory.
    pub dir: StateDir,
}

impl Flash {
    /// MCUboot state.
    pub fn mcuboot(&self) -> io::Result<McubootState> {
        self.dir.mcuboot()
    }
    /// Modem state.
    pub fn modem(&self) -> io::Result<ModemState> {
        self.dir.modem()
    }
}

/// Locks the flash, tolerating a poisoned lock (the data is on disk anyway).
pub fn lock(flash: &Mutex<Flash>) -> MutexGuard<'_, Flash> {
    flash.lock().unwrap_or_else(|e| e.into_inner())
}

/// Erases the modem scratch: removes the file and clears dirty/pending (one atomic state write).
pub fn erase_scratch(dir: &StateDir, m: &mut ModemState) -> io::Result<()> {
    dir.remove(MODEM_SCRATCH)?;
    m.dirty = false;
    m.pending = false;
    dir.save_modem(m)
}

/// An I/O error as the negative errno a port or `dfu_target` returns (`-EIO` when it has none).
pub(crate) fn errno(e: &io::Error) -> i32 {
    -e.raw_os_error().unwrap_or(libc::EIO)
}

/// `dfu_target_mcuboot` / `dfu_target_modem_delta` over the state directory.
struct FlashTarget {
    flash: Arc<Mutex<Flash>>,
    cancel: Arc<AtomicBool>,
    erase_ms: u64,
    file: Option<std::fs::File>,
}

impl FlashTarget {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

impl DfuTarget for FlashTarget {
    fn init(
        &mut self,
        kind: ImageKind,
        _file_size: u64,
        events: &mut dyn FnMut(DownloadEvent),
    ) -> Result<(), i32> {
        match kind {
            ImageKind::App => {
                let f = lock(&self.flash);
                if self.cancelled() {
                    return Ok(());
                }
                let mut m = f.mcuboot().map_err(|e| errno(&e))?;
                if m.pending {
                    m.pending = false;
                    f.dir.save_mcuboot(&m).map_err(|e| errno(&e))?;
                }
                self.file = Some(
                    f.dir
                        .create_flash(m.secondary_file())
                        .map_err(|e| errno(&e))?,
                );
                Ok(())
            }
            ImageKind::Modem => {
                // dfu_target_modem_delta_init(): a dirty scratch is erased first, with
                // ERASE_PENDING and ERASE_DONE (dfu_target_modem_delta.c:107-118).
                let dirty = lock(&self.flash).modem().map_err(|e| errno(&e))?.dirty;
                if dirty {
                    events(DownloadEvent::ErasePending);
                    let until = Instant::now() + Duration::from_millis(self.erase_ms);
                    while Instant::now() < until {
                        if self.cancelled() {
                            // Cancelled during the erase: the scratch stays dirty.
                            return Ok(());
                        }
                        std::thread::sleep(
                            Duration::from_millis(20)
                                .min(until.saturating_duration_since(Instant::now())),
                        );
                    }
                }
                let f = lock(&self.flash);
                if self.cancelled() {
                    return Ok(());
                }
                let mut m = f.modem().map_err(|e| errno(&e))?;
                if dirty {
                    erase_scratch(&f.dir, &mut m).map_err(|e| errno(&e))?;
                    events(DownloadEvent::Erased);
                }
                m.dirty = true;
                m.pending = false;
                f.dir.save_modem(&m).map_err(|e| errno(&e))?;
                self.file = Some(f.dir.create_flash(MODEM_SCRATCH).map_err(|e| errno(&e))?);
                Ok(())
            }
            ImageKind::Unknown => Err(-libc::EINVAL),
        }
    }

    fn write(&mut self, data: &[u8]) -> Result<(), i32> {
        let _guard = lock(&self.flash);
        if self.cancelled() {
            return Ok(());
        }
        let Some(file) = self.file.as_mut() else {
            return Err(-libc::EACCES); // no target
        };
        power::point("flash");
        file.write_all(data).map_err(|e| errno(&e))
    }

    fn done(&mut self, successful: bool) -> Result<(), i32> {
        if successful {
            if let Some(f) = &self.file {
                f.sync_all().map_err(|e| errno(&e))?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- the simulator's download

/// Messages for the main loop.
#[derive(Debug)]
pub enum Msg {
    /// An AT line (without terminator).
    Line(Vec<u8>),
    /// A download event of boot `epoch`, session `session`.
    Download {
        /// Boot number (events of an earlier boot are dropped).
        epoch: u64,
        /// Core session id.
        session: u16,
        /// The event.
        event: DownloadEvent,
    },
    /// Input closed.
    Eof,
}

/// What one download needs.
#[derive(Debug)]
pub struct Job {
    /// Expected image type.
    pub image: ImageType,
    /// Core session.
    pub session: u16,
    /// Boot epoch.
    pub epoch: u64,
    /// `scheme://host[:port]`.
    pub host: String,
    /// Path (without leading `/`).
    pub file: String,
    /// Security tag (https).
    pub sec_tag: Option<u32>,
    /// Credentials directory.
    pub sec_tag_dir: Option<PathBuf>,
    /// Simulated modem scratch erase time.
    pub erase_ms: u64,
    /// Socket receive timeout.
    pub recv_timeout: Duration,
    /// Set to cancel.
    pub cancel: Arc<AtomicBool>,
    /// The flash.
    pub flash: Arc<Mutex<Flash>>,
    /// Where events go.
    pub tx: Sender<Msg>,
}

/// The simulator's log of the wire: connections, redirects, errors (not every range request).
struct LogObserver {
    session: u16,
}

impl Observer for LogObserver {
    fn connected(&mut self, hostname: &str, addr: SocketAddr, proto: Proto) {
        log(format_args!(
            "xfota-sim: download {}: connected to {hostname} ({addr}, {})",
            self.session,
            if proto == Proto::Tls {
                "TLS 1.2"
            } else {
                "TCP"
            }
        ));
    }
    fn connect_failed(&mut self, err: &crate::net::ConnectError) {
        log(format_args!(
            "xfota-sim: download {}: connect failed ({}): {}",
            self.session, err.errno, err.detail
        ));
    }
    fn response(&mut self, head: &ResponseHead) {
        if head.status != Some(200) && head.status != Some(206) || head.too_big_for_modem {
            log(format_args!(
                "xfota-sim: download {}: {:?}{}",
                self.session,
                head.status_line,
                if head.too_big_for_modem {
                    " (too big for the modem's TLS buffer)"
                } else {
                    ""
                }
            ));
        }
    }
    fn redirect(&mut self, location: &str) {
        log(format_args!(
            "xfota-sim: download {}: redirected to {location:?}",
            self.session
        ));
    }
    fn range_shrunk(&mut self, range: u32) {
        log(format_args!(
            "xfota-sim: download {}: EMSGSIZE, ranges of {range} bytes from now on",
            self.session
        ));
    }
    fn error(&mut self, errno: Errno) {
        log(format_args!(
            "xfota-sim: download {}: error {errno}",
            self.session
        ));
    }
}

impl Job {
    fn send(&self, event: DownloadEvent) {
        let _ = self.tx.send(Msg::Download {
            epoch: self.epoch,
            session: self.session,
            event,
        });
    }

    /// Runs the download to its end (the downloader's thread); the last event is `Finished`,
    /// `Error(cause)` or `Cancelled`, as `fota_download` sends them.
    pub fn run(self) {
        let target = FlashTarget {
            flash: self.flash.clone(),
            cancel: self.cancel.clone(),
            erase_ms: self.erase_ms,
            file: None,
        };
        let expected = match self.image {
            ImageType::App => ImageKind::App,
            ImageType::Modem => ImageKind::Modem,
        };
        let env = Env {
            sec_tag_dir: self.sec_tag_dir.as_deref(),
            recv_timeout: self.recv_timeout,
            cancel: &self.cancel,
            idle_reconnect_limit: None,
        };
        let mut sink = |e: DownloadEvent| self.send(e);
        let mut fota = FotaDownload::new(target, Some(expected), self.cancel.clone(), &mut sink);
        let mut obs = LogObserver {
            session: self.session,
        };
        let (_, dl) = fota.run(&self.host, &self.file, self.sec_tag, &env, &mut obs);
        let stats = dl
            .as_ref()
            .map(|d| (d.stats, d.sizes()))
            .unwrap_or_default();
        let outcome = match fota.outcome {
            Some(DownloadEvent::Finished) => "finished".to_owned(),
            Some(DownloadEvent::Cancelled) => "cancelled".to_owned(),
            Some(DownloadEvent::Error(c)) => format!(
                "failed, cause {c} ({}){}",
                cause_name(c),
                fota.last_errno
                    .map(|e| format!(", last error {e}"))
                    .unwrap_or_default()
            ),
            _ => "ended".to_owned(),
        };
        log(format_args!(
            "xfota-sim: download {} {outcome}: {} of {} bytes, {} requests, {} connections, {} redirects",
            self.session,
            stats.1.progress,
            stats.1.file_size,
            stats.0.requests,
            stats.0.connections,
            stats.0.redirects
        ));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Null;
    impl DfuTarget for Null {
        fn init(
            &mut self,
            _: ImageKind,
            _: u64,
            _: &mut dyn FnMut(DownloadEvent),
        ) -> Result<(), i32> {
            Ok(())
        }
        fn write(&mut self, _: &[u8]) -> Result<(), i32> {
            Ok(())
        }
        fn done(&mut self, _: bool) -> Result<(), i32> {
            Ok(())
        }
    }

    fn run_events(events: &[Event<'_>], cancel_before_stop: bool) -> Vec<DownloadEvent> {
        let cancel = Arc::new(AtomicBool::new(false));
        let mut got = Vec::new();
        let mut sink = |e| got.push(e);
        let mut f = FotaDownload::new(Null, Some(ImageKind::App), cancel.clone(), &mut sink);
        let sizes = Sizes {
            file_size: 100,
            progress: 50,
        };
        for e in events {
            f.event(sizes, *e);
        }
        if cancel_before_stop {
            cancel.store(true, Ordering::SeqCst);
        }
        f.event(sizes, Event::Stopped);
        got
    }

    #[test]
    fn stopped_reports_an_earlier_error_even_after_a_cancel() {
        // fota_download.c:104-114
        assert_eq!(
            run_events(&[Event::Error(Errno::EBADMSG)], true),
            vec![DownloadEvent::Error(cause::DOWNLOAD_FAILED)]
        );
        assert_eq!(run_events(&[], true), vec![DownloadEvent::Cancelled]);
    }

    #[test]
    fn socket_errors_are_retried_twice_then_reported() {
        // Two -EAGAIN retries, the third is INTERNAL (not in the table); -ECONNRESET likewise.
        assert_eq!(
            run_events(&[Event::Error(Errno::EAGAIN); 3], false),
            vec![DownloadEvent::Error(cause::INTERNAL)]
        );
        assert_eq!(
            run_events(&[Event::Error(Errno::EAGAIN); 2], false),
            vec![DownloadEvent::Finished]
        );
    }

    #[test]
    fn first_fragment_decides_the_type_and_progress_is_per_fragment() {
        let mut app = crate::image::AppImage::new(100, 1).build();
        app.truncate(40);
        assert_eq!(
            run_events(&[Event::Fragment(&app)], false),
            vec![DownloadEvent::Progress(50), DownloadEvent::Finished]
        );
        assert_eq!(
            run_events(&[Event::Fragment(&app[..31])], false),
            vec![DownloadEvent::Error(cause::INVALID_UPDATE)]
        );
        assert_eq!(cause_of(Errno::EMLINK), cause::INTERNAL);
        assert_eq!(cause_of(Errno::ECONNREFUSED), cause::CONNECT_FAILED);
        assert_eq!(cause_of(Errno::EBADMSG), cause::DOWNLOAD_FAILED);
    }
}
