//! The device: the core driven by one thread, with a [`Port`] over the state directory and the
//! downloader, and an [`Out`] over the UART (stdout or a pty).

use crate::download::{self, errno, lock, Flash, Job, Msg};
use crate::power;
use crate::state::{self, StateDir};
use sha2::{Digest, Sha256};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use xfota_core::record::RECORD_LEN;
use xfota_core::{
    Config, DownloadRequest, ErasePoll, Fota, ImageType, LineResult, Log, Out, Port, Slot,
};

/// Simulator options.
#[derive(Clone, Debug)]
pub struct Options {
    /// State directory.
    pub state_dir: PathBuf,
    /// Credentials directory (`<dir>/<sec_tag>/ca-cert.pem`).
    pub sec_tag_dir: Option<PathBuf>,
    /// Modem scratch erase time.
    pub erase_ms: u64,
    /// Socket receive timeout of every download (`downloader_transport_http_set_config()`'s
    /// `sock_recv_timeo_ms`; `fota_download` leaves it at 30 s; tests shorten it with
    /// `--recv-timeout-ms`).
    pub recv_timeout: Duration,
    /// Progress bar on stderr.
    pub progress: bool,
}

/// The UART: every write is flushed at once.
pub struct Uart {
    w: Box<dyn Write + Send>,
}

impl Uart {
    /// Wraps a writer.
    pub fn new(w: Box<dyn Write + Send>) -> Self {
        Self { w }
    }
}

impl Out for Uart {
    fn write(&mut self, bytes: &[u8]) {
        power::point("uart");
        // A closed output (host gone) is not the device's problem.
        let _ = self.w.write_all(bytes).and_then(|()| self.w.flush());
    }
}

struct Running {
    cancel: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// The effects, over the state directory.
pub struct SimPort {
    flash: Arc<Mutex<Flash>>,
    tx: Sender<Msg>,
    epoch: u64,
    opts: Options,
    download: Option<Running>,
    erase_started: Option<Instant>,
}

impl SimPort {
    /// Stops the running download (if any) so it writes nothing more: sets its flag, then takes
    /// the flash lock (the download checks the flag under the lock before each write).
    fn stop_download(&mut self) {
        if let Some(r) = self.download.take() {
            r.cancel.store(true, Ordering::SeqCst);
            drop(lock(&self.flash));
            if r.thread.is_finished() {
                let _ = r.thread.join();
            }
            // Otherwise the thread notices the flag within one socket poll and exits on its
            // own; its late events carry an old session (or epoch) and are ignored.
        }
    }
}

impl Port for SimPort {
    fn start_download(&mut self, req: &DownloadRequest<'_>) -> Result<(), i32> {
        self.stop_download();
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            image: req.image,
            session: req.session,
            epoch: self.epoch,
            host: String::from_utf8_lossy(req.target.host()).into_owned(),
            file: String::from_utf8_lossy(req.target.file()).into_owned(),
            sec_tag: req.sec_tag,
            sec_tag_dir: self.opts.sec_tag_dir.clone(),
            erase_ms: self.opts.erase_ms,
            recv_timeout: self.opts.recv_timeout,
            cancel: cancel.clone(),
            flash: self.flash.clone(),
            tx: self.tx.clone(),
        };
        eprintln!(
            "xfota-sim: download {} ({:?}) {}/{}",
            req.session, req.image, job.host, job.file
        );
        let thread = std::thread::Builder::new()
            .name(format!("download-{}", req.session))
            .spawn(move || job.run())
            .map_err(|e| errno(&e))?;
        self.download = Some(Running { cancel, thread });
        Ok(())
    }

    fn cancel_download(&mut self) -> Result<(), i32> {
        // Only a flag: the core reports the cancel itself, the thread ends silently.
        if let Some(r) = &self.download {
            r.cancel.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    fn end_download(&mut self) {
        // No PDN to release here: the simulator's downloads use the host's network.
    }

    fn schedule_update(&mut self, image: ImageType) -> Result<(), i32> {
        // dfu_target_schedule_update(0): MCUboot boot_request_upgrade(TEST) / modem
        // nrf_modem_delta_dfu_update(); applied at the next boot.
        let f = lock(&self.flash);
        power::point("schedule");
        match image {
            ImageType::App => {
                let mut m = f.mcuboot().map_err(|e| errno(&e))?;
                m.pending = true;
                f.dir.save_mcuboot(&m).map_err(|e| errno(&e))
            }
            ImageType::Modem => {
                let mut m = f.modem().map_err(|e| errno(&e))?;
                m.pending = true;
                f.dir.save_modem(&m).map_err(|e| errno(&e))
            }
        }
    }

    fn read_image(&mut self, slot: Slot, offset: u32, buf: &mut [u8]) -> Result<(), i32> {
        let f = lock(&self.flash);
        let m = f.mcuboot().map_err(|e| errno(&e))?;
        let name = match slot {
            Slot::Primary => m.primary_file(),
            Slot::Secondary => m.secondary_file(),
        };
        let data = f.dir.read(name).map_err(|e| errno(&e))?.unwrap_or_default();
        let start = usize::try_from(offset).map_err(|_| -libc::EINVAL)?;
        let src = data
            .get(start..start.saturating_add(buf.len()))
            .ok_or(-libc::EINVAL)?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn image_hash_matches(&mut self, len: u32, sha256: &[u8; 32]) -> Result<bool, i32> {
        let f = lock(&self.flash);
        let m = f.mcuboot().map_err(|e| errno(&e))?;
        let data = f
            .dir
            .read(m.secondary_file())
            .map_err(|e| errno(&e))?
            .unwrap_or_default();
        let len = usize::try_from(len).map_err(|_| -libc::EINVAL)?;
        let hashed = data.get(..len).ok_or(-libc::EINVAL)?;
        Ok(Sha256::digest(hashed).as_slice() == sha256)
    }

    fn reset_dfu_target(&mut self, image: ImageType) -> Result<(), i32> {
        self.stop_download();
        let f = lock(&self.flash);
        match image {
            ImageType::App => {
                // dfu_target_mcuboot_reset: erase the secondary slot, drop the upgrade request.
                let mut m = f.mcuboot().map_err(|e| errno(&e))?;
                if m.pending {
                    m.pending = false;
                    f.dir.save_mcuboot(&m).map_err(|e| errno(&e))?;
                }
                f.dir.remove(m.secondary_file()).map_err(|e| errno(&e))
            }
            // dfu_target_modem_delta_reset: drop a scheduled update; the scratch stays dirty,
            // so the next modem download erases it first.
            ImageType::Modem => {
                let mut m = f.modem().map_err(|e| errno(&e))?;
                if m.pending {
                    m.pending = false;
                    f.dir.save_modem(&m).map_err(|e| errno(&e))?;
                }
                Ok(())
            }
        }
    }

    fn erase_app_slot(&mut self) -> Result<(), i32> {
        let f = lock(&self.flash);
        let mut m = f.mcuboot().map_err(|e| errno(&e))?;
        if m.pending {
            m.pending = false;
            f.dir.save_mcuboot(&m).map_err(|e| errno(&e))?;
        }
        f.dir.remove(m.secondary_file()).map_err(|e| errno(&e))
    }

    fn modem_erase_start(&mut self) -> Result<ErasePoll, i32> {
        self.erase_started = Some(Instant::now());
        self.modem_erase_poll()
    }

    fn modem_erase_poll(&mut self) -> Result<ErasePoll, i32> {
        let Some(started) = self.erase_started else {
            return Ok(ErasePoll::Done);
        };
        if started.elapsed() < Duration::from_millis(self.opts.erase_ms) {
            return Ok(ErasePoll::Pending);
        }
        self.erase_started = None;
        let f = lock(&self.flash);
        let mut m = f.modem().map_err(|e| errno(&e))?;
        download::erase_scratch(&f.dir, &mut m).map_err(|e| errno(&e))?;
        Ok(ErasePoll::Done)
    }

    fn sleep_ms(&mut self, ms: u32) {
        std::thread::sleep(Duration::from_millis(u64::from(ms)));
    }

    fn save_record(&mut self, record: &[u8; RECORD_LEN]) -> Result<(), i32> {
        let f = lock(&self.flash);
        f.dir
            .write_atomic(state::RECORD, record)
            .map_err(|e| errno(&e))
    }

    fn clear_record(&mut self) -> Result<(), i32> {
        let f = lock(&self.flash);
        f.dir.remove(state::RECORD).map_err(|e| errno(&e))?;
        Ok(())
    }

    fn confirm_image(&mut self) -> Result<(), i32> {
        let f = lock(&self.flash);
        let mut m = f.mcuboot().map_err(|e| errno(&e))?;
        power::point("confirm");
        if m.test {
            m.test = false;
            f.dir.save_mcuboot(&m).map_err(|e| errno(&e))?;
        }
        eprintln!("xfota-sim: mcuboot: image {} confirmed", m.primary_id);
        Ok(())
    }

    fn log(&mut self, event: Log, value: i32) {
        eprintln!("xfota-sim: core: {event:?} {value}");
    }
}

/// Core tunables for the simulator: poll the modem erase every 10 ms, give up after 30 s.
pub const SIM_CONFIG: Config = Config {
    modem_erase_timeout_ms: 30_000,
    modem_erase_poll_ms: 10,
};

/// Verifies the secondary slot of the state directory at `opts.state_dir` exactly as a finished
/// application download does on this device: the core's MCUboot walk over this port's slot reads
/// and SHA-256 ([`xfota_core::image::walk`]). Returns the image's SHA-256 TLV, or the walk's
/// reason/errno. Used by the verification-cost benchmark (`examples/verify_cost.rs`).
pub fn verify_secondary(opts: &Options) -> io::Result<Result<[u8; 32], i32>> {
    let dir = StateDir::open(&opts.state_dir)?;
    let (tx, _rx) = std::sync::mpsc::channel();
    let mut port = SimPort {
        flash: Arc::new(Mutex::new(Flash { dir })),
        tx,
        epoch: 0,
        opts: opts.clone(),
        download: None,
        erase_started: None,
    };
    Ok(xfota_core::image::walk(&mut port, Slot::Secondary, true))
}

/// One boot of the device: new core, boot report from the state directory.
struct Device {
    fota: Fota,
    port: SimPort,
}

fn boot(
    opts: &Options,
    flash: &Arc<Mutex<Flash>>,
    tx: &Sender<Msg>,
    epoch: u64,
    uart: &mut Uart,
) -> io::Result<Device> {
    let (record, report) = {
        let f = lock(flash);
        state::boot(&f.dir)?
    };
    let fota = Fota::new(SIM_CONFIG).ok_or_else(|| io::Error::other("bad core config"))?;
    let mut dev = Device {
        fota,
        port: SimPort {
            flash: flash.clone(),
            tx: tx.clone(),
            epoch,
            opts: opts.clone(),
            download: None,
            erase_started: None,
        },
    };
    eprintln!("xfota-sim: boot {epoch}: {report:?}, record {record:?}");
    dev.fota
        .on_boot(record.as_deref(), &report, &mut dev.port, uart);
    Ok(dev)
}

/// Runs the device until `Eof`: one thread (this one) calls the core.
pub fn run(opts: &Options, rx: &Receiver<Msg>, tx: &Sender<Msg>, mut uart: Uart) -> io::Result<()> {
    let dir = StateDir::open(&opts.state_dir)?;
    let flash = Arc::new(Mutex::new(Flash { dir }));
    let mut epoch: u64 = 1;
    let mut dev = boot(opts, &flash, tx, epoch, &mut uart)?;
    let mut bar = crate::progress::Bar::new(opts.progress);
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Eof => break,
            Msg::Download {
                epoch: e,
                session,
                event,
            } => {
                if e != epoch {
                    continue;
                }
                bar.event(session, &event);
                dev.fota
                    .on_download_event(session, event, &mut dev.port, &mut uart);
            }
            Msg::Line(line) => match dev.fota.handle_line(&line, &mut dev.port, &mut uart) {
                LineResult::Ok | LineResult::Error => {}
                LineResult::NotMine => {
                    if line.eq_ignore_ascii_case(b"AT") {
                        uart.write(xfota_core::urc::OK);
                    } else if line.eq_ignore_ascii_case(b"AT#XRESET") {
                        uart.write(xfota_core::urc::OK);
                        eprintln!("xfota-sim: reset");
                        dev.port.stop_download();
                        bar.clear();
                        epoch += 1;
                        dev = boot(opts, &flash, tx, epoch, &mut uart)?;
                    } else {
                        // The shell forwards the line to the modem and writes "\r\n" and the
                        // modem's answer (src/at_host.c); this modem knows the identification
                        // commands and answers ERROR to the rest.
                        match crate::modem::answer(&line, || lock(&flash).modem())? {
                            Some(a) => uart.write(format!("\r\n{a}").as_bytes()),
                            None => uart.write(xfota_core::urc::ERROR),
                        }
                    }
                }
            },
        }
    }
    // Abandon a running download cleanly: it writes nothing more once we hold the lock.
    dev.port.stop_download();
    power::report();
    Ok(())
}

/// Splits input bytes into lines: `\r`, `\n` and `\r\n` terminate a line, empty lines are
/// dropped. Feed bytes with [`LineSplitter::push`].
#[derive(Default, Debug)]
pub struct LineSplitter {
    cur: Vec<u8>,
}

/// Longest line kept; longer lines are cut (the core rejects them anyway).
pub const MAX_LINE: usize = 4096;

impl LineSplitter {
    /// Feeds bytes; calls `f` for each complete non-empty line.
    pub fn push(&mut self, bytes: &[u8], mut f: impl FnMut(Vec<u8>)) {
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if !self.cur.is_empty() {
                    f(std::mem::take(&mut self.cur));
                }
            } else if self.cur.len() < MAX_LINE {
                self.cur.push(b);
            }
        }
    }
}

/// Reads AT input from `r` into the channel until EOF.
pub fn reader(mut r: impl io::Read, tx: &Sender<Msg>) {
    let mut split = LineSplitter::default();
    let mut buf = [0u8; 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => split.push(buf.get(..n).unwrap_or(&[]), |l| {
                let _ = tx.send(Msg::Line(l));
            }),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("xfota-sim: input: {e}");
                break;
            }
        }
    }
    let _ = tx.send(Msg::Eof);
}
