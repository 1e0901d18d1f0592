//! The nRF91 modem's sockets as sdk-nrf's downloader uses them (`dl_socket.c`), on the PC's
//! network stack.
//!
//! Hand-written on purpose: this is a model of the device, not a general HTTP client. What it
//! reproduces (sources in `docs/simulator.md`, sdk-nrf v3.2.1):
//!
//! - name lookup IPv6 first, then IPv4; a failed IPv6 connect falls back to an IPv4 lookup
//!   (`dl_socket.c:272-304`); a failed lookup is `EHOSTUNREACH` (`dl_socket.c:155`);
//! - TLS is the modem's: TLS 1.2 only, the modem's AES-GCM ECDHE suites, the sec_tag's CA as the
//!   only trust anchor, the host name checked only when it is not an IP address
//!   (`dl_socket.c:210`); a failed handshake is `ECONNREFUSED`, as the modem reports it;
//! - the modem's TLS receive limit: an HTTP response (headers and body) of more than
//!   [`TLS_PACKAGE_MAX`] bytes fails `recv()` with `EMSGSIZE`;
//! - `recv()` blocks until data, end of stream or the receive timeout (`EAGAIN`).
//!
//! It also records the head of every response it sees (status, size headers), for the log and
//! `--check-server`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The modem's TLS receive limit for one HTTP response, headers and body together (sdk-nrf
/// known issue for the nRF91 Series; see `docs/simulator.md`).
pub const TLS_PACKAGE_MAX: usize = 2303;
/// TCP connect (and TLS handshake) timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a blocked receive looks at the cancel flag.
const POLL: Duration = Duration::from_millis(50);

/// The errno values the downloader and `fota_download` tell apart (Zephyr names).
#[allow(clippy::upper_case_acronyms, missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    ECONNRESET,
    EAGAIN,
    ETIMEDOUT,
    ECONNREFUSED,
    ECONNABORTED,
    EHOSTUNREACH,
    ENETUNREACH,
    ENETDOWN,
    EHOSTDOWN,
    EBADMSG,
    ERANGE,
    E2BIG,
    EPROTONOSUPPORT,
    EINVAL,
    EAFNOSUPPORT,
    EMSGSIZE,
    EMLINK,
    EPIPE,
    ENOTCONN,
    ENOMEM,
    EIO,
}

impl Errno {
    /// What a PC socket error is on the modem.
    pub fn from_io(e: &io::Error) -> Self {
        use io::ErrorKind as K;
        match e.kind() {
            K::ConnectionRefused => Errno::ECONNREFUSED,
            K::ConnectionReset => Errno::ECONNRESET,
            K::ConnectionAborted => Errno::ECONNABORTED,
            K::TimedOut | K::WouldBlock => Errno::EAGAIN,
            K::HostUnreachable => Errno::EHOSTUNREACH,
            K::NetworkUnreachable => Errno::ENETUNREACH,
            K::NetworkDown => Errno::ENETDOWN,
            K::BrokenPipe => Errno::EPIPE,
            K::NotConnected => Errno::ENOTCONN,
            _ => Errno::EIO,
        }
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "-{self:?}")
    }
}

/// Transport protocol of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// `IPPROTO_TCP`.
    Tcp,
    /// `IPPROTO_TLS_1_2`, offloaded to the modem.
    Tls,
}

/// The head of one HTTP response as it came from the server (an observer's view, not the
/// downloader's: the downloader parses its own way).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status line as sent.
    pub status_line: String,
    /// The status code, if the status line has one.
    pub status: Option<u32>,
    /// Bytes of the head, blank line included.
    pub head_len: usize,
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// `Content-Range`.
    pub content_range: Option<String>,
    /// `Location`.
    pub location: Option<String>,
    /// `Connection`.
    pub connection: Option<String>,
    /// `Transfer-Encoding`.
    pub transfer_encoding: Option<String>,
    /// Over TLS: the response did not fit the modem's receive limit (`EMSGSIZE`).
    pub too_big_for_modem: bool,
}

impl ResponseHead {
    fn parse(head: &[u8], tls: bool) -> Self {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split("\r\n");
        let status_line = lines.next().unwrap_or("").to_owned();
        let status = status_line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse::<u32>().ok());
        let mut r = ResponseHead {
            status_line,
            status,
            head_len: head.len(),
            ..Self::default()
        };
        for line in lines {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let v = v.trim().to_owned();
            match k.trim().to_ascii_lowercase().as_str() {
                "content-length" => r.content_length = v.parse().ok(),
                "content-range" => r.content_range = Some(v),
                "location" => r.location = Some(v),
                "connection" => r.connection = Some(v),
                "transfer-encoding" => r.transfer_encoding = Some(v),
                _ => {}
            }
        }
        if tls {
            let body = r.content_length.unwrap_or(0);
            r.too_big_for_modem = r.head_len as u64 + body > TLS_PACKAGE_MAX as u64;
        }
        r
    }

    /// The HTTP version of the status line (`HTTP/1.1`, `HTTP/1.0`, ...).
    pub fn version(&self) -> &str {
        self.status_line.split(' ').next().unwrap_or("")
    }
}

/// Tracks HTTP response boundaries in the received byte stream.
#[derive(Debug)]
enum Tap {
    /// Collecting a head (bytes so far).
    Head(Vec<u8>),
    /// In a body: bytes left (`None`: until the connection closes), bytes of head + body so far.
    Body { left: Option<u64>, package: usize },
}

enum Stream {
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(s) => match s.read(buf) {
                // A server that closes without close_notify: the modem sees the TCP FIN.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                r => r,
            },
        }
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.write_all(data).and_then(|()| s.flush()),
            Stream::Tls(s) => s.write_all(data).and_then(|()| s.flush()),
        }
    }
}

/// Result of one `recv()`.
#[derive(Debug, PartialEq, Eq)]
pub enum Recv {
    /// Bytes received.
    Data(usize),
    /// The peer closed the connection (`recv()` returns 0).
    Closed,
    /// The simulator's own cancel flag was set while waiting (the device would go on waiting;
    /// the downloader looks at its state next, as it does after every receive).
    Interrupted,
}

/// A connected modem socket.
pub struct Socket {
    stream: Stream,
    proto: Proto,
    /// Received bytes not yet handed to the downloader.
    inbox: Vec<u8>,
    /// How many bytes at the front of `inbox` may be handed out (over TLS a response's head
    /// is held until it is complete, to apply the modem's limit).
    ready: usize,
    tap: Tap,
    closed: bool,
    too_big: bool,
    heads: Vec<ResponseHead>,
    /// Peer address.
    pub peer: SocketAddr,
}

/// Where TLS credentials live and what the socket should use.
#[derive(Clone, Debug)]
pub struct Target<'a> {
    /// Host name (as the downloader parsed it: no port, brackets kept).
    pub hostname: &'a str,
    /// Port.
    pub port: u16,
    /// TCP or TLS.
    pub proto: Proto,
    /// The security tag (TLS).
    pub sec_tag: Option<u32>,
    /// `DIR/<sec_tag>/ca-cert.pem`.
    pub sec_tag_dir: Option<&'a Path>,
}

/// A failed connect: the errno the device sees and a description for people.
#[derive(Debug)]
pub struct ConnectError {
    /// errno.
    pub errno: Errno,
    /// What happened.
    pub detail: String,
}

fn cerr(errno: Errno, detail: impl Into<String>) -> ConnectError {
    ConnectError {
        errno,
        detail: detail.into(),
    }
}

/// `dl_socket_host_lookup()`: the first address of the family, or `EHOSTUNREACH`.
fn lookup(hostname: &str, v6: bool) -> Result<SocketAddr, ConnectError> {
    let addrs = (hostname, 0u16)
        .to_socket_addrs()
        .map_err(|e| cerr(Errno::EHOSTUNREACH, format!("resolve {hostname}: {e}")))?;
    let mut addrs = addrs.filter(|a| a.is_ipv6() == v6);
    addrs.next().ok_or_else(|| {
        cerr(
            Errno::EHOSTUNREACH,
            format!(
                "resolve {hostname}: no {} address",
                if v6 { "IPv6" } else { "IPv4" }
            ),
        )
    })
}

/// `dl_socket_configure_and_connect()`: uses the cached `remote` address if there is one
/// (the downloader keeps it across reconnects and redirects), else looks the host name up,
/// IPv6 first.
pub fn connect(
    remote: &mut Option<SocketAddr>,
    target: &Target<'_>,
    cancel: &AtomicBool,
) -> Result<Socket, ConnectError> {
    if remote.is_none() {
        *remote = Some(match lookup(target.hostname, true) {
            Ok(a) => a,
            Err(_) => lookup(target.hostname, false)?,
        });
    }
    loop {
        let Some(mut addr) = *remote else {
            return Err(cerr(Errno::EHOSTUNREACH, "no address"));
        };
        addr.set_port(target.port);
        match create_and_connect(addr, target, cancel) {
            Ok(s) => return Ok(s),
            Err(e) if addr.is_ipv6() => {
                crate::progress::log(format_args!(
                    "xfota-sim: http: IPv6 connect to {addr} failed ({}), trying IPv4",
                    e.detail
                ));
                *remote = Some(lookup(target.hostname, false)?);
            }
            Err(e) => return Err(e),
        }
    }
}

fn create_and_connect(
    addr: SocketAddr,
    target: &Target<'_>,
    cancel: &AtomicBool,
) -> Result<Socket, ConnectError> {
    if cancel.load(Ordering::SeqCst) {
        return Err(cerr(Errno::ECONNABORTED, "cancelled"));
    }
    let tls = match target.proto {
        Proto::Tls => Some(tls_config(target)?),
        Proto::Tcp => None,
    };
    let tcp = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|e| {
        let errno = match Errno::from_io(&e) {
            // A connect that never completes.
            Errno::EAGAIN => Errno::ETIMEDOUT,
            // dl_socket.c:245-250: ECONNRESET is never returned from connect.
            Errno::ECONNRESET => Errno::ECONNREFUSED,
            x => x,
        };
        cerr(errno, format!("connect {addr}: {e}"))
    })?;
    let _ = tcp.set_nodelay(true);
    tcp.set_read_timeout(Some(POLL))
        .and_then(|()| tcp.set_write_timeout(Some(CONNECT_TIMEOUT)))
        .map_err(|e| cerr(Errno::from_io(&e), format!("socket options: {e}")))?;
    let stream = match tls {
        None => Stream::Tcp(tcp),
        Some(cfg) => Stream::Tls(Box::new(handshake(cfg, tcp, target, cancel)?)),
    };
    Ok(Socket {
        stream,
        proto: target.proto,
        inbox: Vec::new(),
        ready: 0,
        tap: Tap::Head(Vec::new()),
        closed: false,
        too_big: false,
        heads: Vec::new(),
        peer: addr,
    })
}

/// The modem's TLS: version 1.2, its AES-GCM ECDHE suites, the sec_tag's CA.
fn tls_config(target: &Target<'_>) -> Result<Arc<rustls::ClientConfig>, ConnectError> {
    use rustls::crypto::ring::cipher_suite as cs;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    // Without credentials the modem's handshake cannot verify the server: it fails.
    let refused = |d: String| cerr(Errno::ECONNREFUSED, d);
    let tag = target
        .sec_tag
        .ok_or_else(|| refused("TLS without a sec_tag".into()))?;
    let dir = target
        .sec_tag_dir
        .ok_or_else(|| refused(format!("sec_tag {tag}: no credentials (--sec-tag-dir)")))?;
    let path = dir.join(tag.to_string()).join("ca-cert.pem");
    let pem = std::fs::read(&path)
        .map_err(|e| refused(format!("sec_tag {tag}: {}: {e}", path.display())))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| refused(format!("{}: {e}", path.display())))?;
        roots
            .add(cert)
            .map_err(|e| refused(format!("{}: {e}", path.display())))?;
    }
    if roots.is_empty() {
        return Err(refused(format!("{}: no certificate", path.display())));
    }
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];
    let provider = Arc::new(provider);
    let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| refused(format!("trust anchors: {e}")))?;
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| refused(format!("tls: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ModemVerifier { inner }))
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// Chain verification as the modem does it: against the sec_tag's CA, and the host name only
/// when the downloader set one (`TLS_HOSTNAME` is not set for IP addresses, `dl_socket.c:210`).
#[derive(Debug)]
struct ModemVerifier {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
}

impl rustls::client::danger::ServerCertVerifier for ModemVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use rustls::{CertificateError as C, Error as E};
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }))
                if matches!(server_name, rustls::pki_types::ServerName::IpAddress(_)) =>
            {
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The modem completes the handshake inside `connect()`.
fn handshake(
    cfg: Arc<rustls::ClientConfig>,
    mut tcp: TcpStream,
    target: &Target<'_>,
    cancel: &AtomicBool,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, ConnectError> {
    let refused = |d: String| cerr(Errno::ECONNREFUSED, d);
    let name = rustls::pki_types::ServerName::try_from(target.hostname.to_owned())
        .map_err(|e| refused(format!("TLS host name {:?}: {e}", target.hostname)))?;
    let mut conn = rustls::ClientConnection::new(cfg, name)
        .map_err(|e| refused(format!("TLS handshake: {e}")))?;
    let start = Instant::now();
    while conn.is_handshaking() {
        if cancel.load(Ordering::SeqCst) {
            return Err(cerr(Errno::ECONNABORTED, "cancelled"));
        }
        match conn.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e) if matches!(Errno::from_io(&e), Errno::EAGAIN) => {
                if start.elapsed() > CONNECT_TIMEOUT {
                    return Err(cerr(Errno::ETIMEDOUT, "TLS handshake: timeout"));
                }
            }
            Err(e) => return Err(refused(format!("TLS handshake failed: {e}"))),
        }
    }
    Ok(rustls::StreamOwned::new(conn, tcp))
}

impl Socket {
    /// `send()`: all of `data`, or the error.
    pub fn send(&mut self, data: &[u8]) -> Result<(), Errno> {
        self.stream.write_all(data).map_err(|e| Errno::from_io(&e))
    }

    /// Response heads seen since the last call.
    pub fn take_heads(&mut self) -> Vec<ResponseHead> {
        std::mem::take(&mut self.heads)
    }

    /// `recv()` into `buf`: waits up to `timeout` for data (`EAGAIN` after it).
    pub fn recv(
        &mut self,
        buf: &mut [u8],
        timeout: Duration,
        cancel: &AtomicBool,
    ) -> Result<Recv, Errno> {
        let start = Instant::now();
        let mut chunk = [0u8; 4096];
        loop {
            if self.ready > 0 && !buf.is_empty() {
                let n = self.ready.min(buf.len());
                let (head, _) = self.inbox.split_at(n);
                if let Some(dst) = buf.get_mut(..n) {
                    dst.copy_from_slice(head);
                }
                self.inbox.drain(..n);
                self.ready -= n;
                return Ok(Recv::Data(n));
            }
            if self.too_big {
                return Err(Errno::EMSGSIZE);
            }
            if self.closed {
                if !self.inbox.is_empty() {
                    // A head cut short: the modem hands out what it decrypted.
                    self.ready = self.inbox.len();
                    continue;
                }
                return Ok(Recv::Closed);
            }
            if cancel.load(Ordering::SeqCst) {
                return Ok(Recv::Interrupted);
            }
            if start.elapsed() >= timeout {
                return Err(Errno::EAGAIN);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => self.closed = true,
                Ok(n) => self.arrived(chunk.get(..n).unwrap_or(&[])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => match Errno::from_io(&e) {
                    // The poll interval, not the receive timeout.
                    Errno::EAGAIN => {}
                    errno => return Err(errno),
                },
            }
        }
    }

    /// Feeds received bytes through the response tracker.
    fn arrived(&mut self, bytes: &[u8]) {
        let tls = self.proto == Proto::Tls;
        self.inbox.extend_from_slice(bytes);
        let mut rest = bytes;
        while !rest.is_empty() {
            match &mut self.tap {
                Tap::Head(h) => {
                    let before = h.len();
                    h.extend_from_slice(rest);
                    let Some(end) = h.windows(4).position(|w| w == b"\r\n\r\n") else {
                        if tls && h.len() > TLS_PACKAGE_MAX {
                            self.too_big = true;
                        }
                        break;
                    };
                    let head_len = end + 4;
                    let used = head_len - before;
                    rest = rest.get(used..).unwrap_or(&[]);
                    let head = ResponseHead::parse(h.get(..head_len).unwrap_or(&[]), tls);
                    if head.too_big_for_modem {
                        self.too_big = true;
                    }
                    self.ready += head_len;
                    let left = head.content_length;
                    self.heads.push(head);
                    self.tap = if left == Some(0) {
                        Tap::Head(Vec::new())
                    } else {
                        Tap::Body {
                            left,
                            package: head_len,
                        }
                    };
                }
                Tap::Body { left, package } => {
                    let take = match left {
                        Some(l) => usize::try_from(*l).unwrap_or(usize::MAX).min(rest.len()),
                        None => rest.len(),
                    };
                    self.ready += take;
                    *package += take;
                    if tls && left.is_none() && *package > TLS_PACKAGE_MAX {
                        self.too_big = true;
                    }
                    rest = rest.get(take..).unwrap_or(&[]);
                    if let Some(l) = left {
                        *l -= take as u64;
                        if *l == 0 {
                            self.tap = Tap::Head(Vec::new());
                        }
                    }
                }
            }
        }
        if !tls {
            // Plain TCP hands out everything at once; the tracker only watches.
            self.ready = self.inbox.len();
        }
        if self.too_big {
            // Nothing of the response that does not fit is handed out.
            self.ready = 0;
            self.inbox.clear();
        }
    }
}
