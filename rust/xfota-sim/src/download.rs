//! The downloader: HTTP/1.1 GET over a `TcpStream`, HTTPS with rustls (ring provider), the body
//! streamed into the "flash" file as it arrives, like NCS `fota_download` + `dfu_target`.

use crate::image::{self, ImageKind};
use crate::power;
use crate::state::{McubootState, ModemState, StateDir, MODEM_SCRATCH};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use xfota_core::cause;
use xfota_core::{DownloadEvent, ImageType};

/// Error cause for an image of unknown type (neither MCUboot nor modem delta):
/// `FOTA_DOWNLOAD_ERROR_CAUSE_INVALID_UPDATE` (`#XFOTA: 1,1,2`, "image rejected"), as
/// `fota_download` does when `dfu_target_img_type()` finds no known type.
pub const ERR_UNKNOWN_IMAGE: i32 = cause::INVALID_UPDATE;

/// How long the server may stay silent before the download fails.
const IDLE_TIMEOUT: Duration = Duration::from_secs(20);
/// Socket read timeout: how often the thread looks at its cancel flag.
const POLL: Duration = Duration::from_millis(50);

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
    /// Set to cancel.
    pub cancel: Arc<AtomicBool>,
    /// The flash.
    pub flash: Arc<Mutex<Flash>>,
    /// Where events go.
    pub tx: Sender<Msg>,
}

enum Fail {
    /// Cancelled: end silently (the core already reported).
    Cancelled,
    /// Error cause for the core.
    Cause(i32, String),
}

/// `FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED`: HTTP status, short body, TLS, timeouts.
fn failed(msg: impl Into<String>) -> Fail {
    Fail::Cause(cause::DOWNLOAD_FAILED, msg.into())
}

/// `FOTA_DOWNLOAD_ERROR_CAUSE_CONNECT_FAILED`: no credentials, resolve or connect failed.
fn connect_failed(msg: impl Into<String>) -> Fail {
    Fail::Cause(cause::CONNECT_FAILED, msg.into())
}

/// Local flash (file) errors: `FOTA_DOWNLOAD_ERROR_CAUSE_INTERNAL`.
impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Fail::Cause(cause::INTERNAL, format!("flash i/o: {e}"))
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

    fn send_cancelled(&self) {
        eprintln!("xfota-sim: download {} cancelled", self.session);
        self.send(DownloadEvent::Cancelled);
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Runs the download to its end; sends Finished or Error (nothing when cancelled).
    pub fn run(self) {
        match self.download() {
            Ok(()) => self.send(DownloadEvent::Finished),
            // Like fota_download_cancel(): CANCELLED comes later, from the download thread;
            // the core has already reported the cancel and swallows this echo.
            Err(Fail::Cancelled) => self.send_cancelled(),
            Err(Fail::Cause(cause, msg)) => {
                if self.cancelled() {
                    self.send_cancelled();
                } else {
                    eprintln!("xfota-sim: download failed (cause {cause}): {msg}");
                    self.send(DownloadEvent::Error(cause));
                }
            }
        }
    }

    fn download(&self) -> Result<(), Fail> {
        let (https, authority) = if let Some(a) = self.host.strip_prefix("https://") {
            (true, a)
        } else if let Some(a) = self.host.strip_prefix("http://") {
            (false, a)
        } else {
            return Err(connect_failed("bad scheme"));
        };
        let (name, port) = split_authority(authority, if https { 443 } else { 80 })
            .ok_or_else(|| connect_failed("bad authority"))?;
        let tls = if https {
            Some(self.tls_config()?)
        } else {
            None
        };
        let tcp = connect(&name, port, &self.cancel)?;
        tcp.set_read_timeout(Some(POLL))?;
        tcp.set_write_timeout(Some(Duration::from_secs(10)))?;
        let mut stream: Box<dyn ReadWrite> = match tls {
            Some(cfg) => {
                let server = rustls::pki_types::ServerName::try_from(name.clone())
                    .map_err(|e| failed(format!("server name: {e}")))?;
                let conn = rustls::ClientConnection::new(cfg, server)
                    .map_err(|e| failed(format!("tls: {e}")))?;
                Box::new(rustls::StreamOwned::new(conn, tcp))
            }
            None => Box::new(tcp),
        };
        let request = format!(
            "GET /{} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: xfota-sim\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            self.file
        );
        write_all(&mut *stream, request.as_bytes(), &self.cancel)?;
        let (total, mut pending) = self.read_head(&mut *stream)?;

        // Collect the first bytes to learn the image type, as dfu_target_img_type() does.
        let need = total.min(8);
        let mut buf = vec![0u8; 4096];
        while (pending.len() as u64) < need {
            let n = self.read_some(&mut *stream, &mut buf)?;
            pending.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        }
        let kind = image::detect(&pending);
        let expected = match self.image {
            ImageType::App => ImageKind::App,
            ImageType::Modem => ImageKind::Modem,
        };
        if kind == ImageKind::Unknown {
            return Err(Fail::Cause(ERR_UNKNOWN_IMAGE, "unknown image type".into()));
        }
        if kind != expected {
            return Err(Fail::Cause(
                cause::TYPE_MISMATCH,
                format!("image is {kind:?}, expected {expected:?}"),
            ));
        }
        let mut file = self.open_target()?;

        let mut received: u64 = 0;
        let mut last_pct: Option<u64> = None;
        loop {
            if !pending.is_empty() {
                let take = pending
                    .len()
                    .min(usize::try_from(total - received).unwrap_or(0));
                let chunk = pending.get(..take).unwrap_or(&[]);
                {
                    let _guard = lock(&self.flash);
                    if self.cancelled() {
                        return Err(Fail::Cancelled);
                    }
                    power::point("flash");
                    file.write_all(chunk)?;
                }
                received += take as u64;
                let pct = received * 100 / total;
                if last_pct != Some(pct) {
                    last_pct = Some(pct);
                    self.send(DownloadEvent::Progress(i32::try_from(pct).unwrap_or(100)));
                }
                pending.clear();
            }
            if received >= total {
                break;
            }
            let n = self.read_some(&mut *stream, &mut buf)?;
            pending.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        }
        self.finish(&file)
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, Fail> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let tag = self
            .sec_tag
            .ok_or_else(|| connect_failed("https without sec_tag"))?;
        let dir = self
            .sec_tag_dir
            .as_ref()
            .ok_or_else(|| connect_failed("https needs --sec-tag-dir"))?;
        let path = dir.join(tag.to_string()).join("ca-cert.pem");
        let pem = std::fs::read(&path)
            .map_err(|e| connect_failed(format!("sec_tag {tag}: {}: {e}", path.display())))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| failed(format!("{}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| failed(format!("{}: {e}", path.display())))?;
        }
        if roots.is_empty() {
            return Err(failed(format!("{}: no certificate", path.display())));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| failed(format!("tls: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(cfg))
    }

    /// Reads until the end of the response head; returns Content-Length and the body bytes
    /// that came with the head.
    fn read_head(&self, stream: &mut dyn ReadWrite) -> Result<(u64, Vec<u8>), Fail> {
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        let end = loop {
            if let Some(p) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            if head.len() > 16 * 1024 {
                return Err(failed("response head too long"));
            }
            let n = self.read_some(stream, &mut buf)?;
            head.extend_from_slice(buf.get(..n).unwrap_or(&[]));
        };
        let body = head.split_off(end + 4);
        let text = String::from_utf8_lossy(&head);
        let mut lines = text.split("\r\n");
        let status = lines.next().unwrap_or("");
        let code = status.split(' ').nth(1).unwrap_or("");
        if !status.starts_with("HTTP/1.") || code != "200" {
            return Err(failed(format!("HTTP status {status:?}")));
        }
        let mut length = None;
        for line in lines {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("content-length") {
                length = v.parse::<u64>().ok();
            } else if k.eq_ignore_ascii_case("transfer-encoding")
                && !v.eq_ignore_ascii_case("identity")
            {
                return Err(failed("chunked transfer encoding is not supported"));
            }
        }
        match length {
            Some(0) => Err(failed("empty image")),
            Some(n) => Ok((n, body)),
            None => Err(failed("no Content-Length")),
        }
    }

    /// One read with cancel checks; EOF is an error (the body is shorter than announced).
    fn read_some(&self, stream: &mut dyn ReadWrite, buf: &mut [u8]) -> Result<usize, Fail> {
        let start = Instant::now();
        loop {
            if self.cancelled() {
                return Err(Fail::Cancelled);
            }
            match stream.read(buf) {
                Ok(0) => return Err(failed("connection closed before the end of the image")),
                Ok(n) => return Ok(n),
                Err(e) if retryable(&e) => {
                    if start.elapsed() > IDLE_TIMEOUT {
                        return Err(failed("server silent for too long"));
                    }
                }
                Err(e) => return Err(failed(format!("read: {e}"))),
            }
        }
    }

    /// Prepares the slot: app → truncate the secondary; modem → erase a dirty scratch first
    /// (ErasePending/Erased events), then mark it dirty.
    fn open_target(&self) -> Result<std::fs::File, Fail> {
        match self.image {
            ImageType::App => {
                let f = lock(&self.flash);
                if self.cancelled() {
                    return Err(Fail::Cancelled);
                }
                let mut m = f.mcuboot()?;
                if m.pending {
                    m.pending = false;
                    f.dir.save_mcuboot(&m)?;
                }
                Ok(f.dir.create_flash(m.secondary_file())?)
            }
            ImageType::Modem => {
                let dirty = lock(&self.flash).modem()?.dirty;
                if dirty {
                    self.send(DownloadEvent::ErasePending);
                    let until = Instant::now() + Duration::from_millis(self.erase_ms);
                    while Instant::now() < until {
                        if self.cancelled() {
                            return Err(Fail::Cancelled);
                        }
                        std::thread::sleep(
                            POLL.min(until.saturating_duration_since(Instant::now())),
                        );
                    }
                }
                let f = lock(&self.flash);
                if self.cancelled() {
                    return Err(Fail::Cancelled);
                }
                let mut m = f.modem()?;
                if dirty {
                    erase_scratch(&f.dir, &mut m)?;
                    self.send(DownloadEvent::Erased);
                }
                m.dirty = true;
                m.pending = false;
                f.dir.save_modem(&m)?;
                Ok(f.dir.create_flash(MODEM_SCRATCH)?)
            }
        }
    }

    /// `dfu_target_done(true)`: flush. Scheduling the update is a separate step
    /// (`CONFIG_FOTA_CLIENT_AUTOSCHEDULE_UPDATE=n`): the core asks for it once the record is
    /// saved.
    fn finish(&self, file: &std::fs::File) -> Result<(), Fail> {
        let _f = lock(&self.flash);
        if self.cancelled() {
            return Err(Fail::Cancelled);
        }
        file.sync_all()?;
        Ok(())
    }
}

/// Erases the modem scratch: removes the file and clears dirty/pending (one atomic state write).
pub fn erase_scratch(dir: &StateDir, m: &mut ModemState) -> io::Result<()> {
    dir.remove(MODEM_SCRATCH)?;
    m.dirty = false;
    m.pending = false;
    dir.save_modem(m)
}

trait ReadWrite: Read + Write + Send {}
impl<T: Read + Write + Send> ReadWrite for T {}

fn write_all(stream: &mut dyn ReadWrite, mut data: &[u8], cancel: &AtomicBool) -> Result<(), Fail> {
    while !data.is_empty() {
        if cancel.load(Ordering::SeqCst) {
            return Err(Fail::Cancelled);
        }
        match stream.write(data) {
            Ok(0) => return Err(failed("connection closed while sending the request")),
            Ok(n) => data = data.get(n..).unwrap_or(&[]),
            Err(e) if retryable(&e) => {}
            Err(e) => return Err(failed(format!("write: {e}"))),
        }
    }
    stream.flush().map_err(|e| failed(format!("write: {e}")))
}

/// `host[:port]` or `[v6][:port]` → (host without brackets, port).
pub fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if after.is_empty() => default_port,
            None => return None,
        };
        Some((host.to_owned(), port))
    } else {
        match authority.split_once(':') {
            Some((h, p)) => Some((h.to_owned(), p.parse().ok()?)),
            None => Some((authority.to_owned(), default_port)),
        }
    }
}

fn connect(host: &str, port: u16, cancel: &AtomicBool) -> Result<TcpStream, Fail> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| connect_failed(format!("resolve {host}: {e}")))?;
    let mut last = None;
    for addr in addrs {
        if cancel.load(Ordering::SeqCst) {
            return Err(Fail::Cancelled);
        }
        match TcpStream::connect_timeout(&addr, Duration::from_secs(5)) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(connect_failed(format!("connect {host}:{port}: {last:?}")))
}

/// A socket timeout or interruption: try again (after checking for a cancel).
fn retryable(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}
