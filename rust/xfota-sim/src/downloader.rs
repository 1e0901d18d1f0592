//! sdk-nrf's downloader library with its HTTP transport, modelled: `downloader.c` (the download
//! thread), `transports/http.c` (requests, header parsing, ranges, redirects) and `dl_parse.c`
//! (URL splitting), sdk-nrf tag v3.2.1.
//!
//! This hand-written HTTP client exists only because it is that model: it sends the requests
//! the nRF91 sends, parses responses the way `http.c` parses them (quirks included: the status
//! code is only read after `HTTP/1.1 `, the `Location` value starts one character after the
//! colon, a redirect keeps the address already resolved) and reacts to errors the way the
//! download thread does. Every rule is listed with its source line in `docs/simulator.md`;
//! the comments below name the C function each piece follows. The socket underneath is
//! [`crate::net`] (the modem's sockets).

use crate::net::{self, ConnectError, Errno, Proto, Recv, ResponseHead, Socket};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `CONFIG_FOTA_DOWNLOAD_BUF_SZ` (default 2048): the downloader's receive buffer.
pub const BUF_SIZE: usize = 2048;
/// `TLS_RANGE_MAX` (`http.c:30`): the largest range the nRF91 requests over TLS.
pub const TLS_RANGE_MAX: u32 = 2048;
/// `MIN_SIZE_IDENTIFY_BUF` (`http.c:23`): the smallest fragment handed on (except the end).
const MIN_SIZE_IDENTIFY_BUF: u64 = 32;
/// `CONFIG_DOWNLOADER_MAX_REDIRECTS` (default 10).
pub const MAX_REDIRECTS: u32 = 10;
/// `CONFIG_DOWNLOADER_MAX_HOSTNAME_SIZE` (default 256).
const HOSTNAME_SIZE: usize = 256;
/// `CONFIG_DOWNLOADER_MAX_FILENAME_SIZE` (default 255).
const FILENAME_SIZE: usize = 255;
/// Pause before a reconnect that follows a connection which delivered nothing. The device is
/// paced by its LTE round trips; on a PC a server that closes every connection would otherwise
/// be hit in a tight loop. Timing only: the sequence of requests is the device's.
const IDLE_RECONNECT_PAUSE: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------- dl_parse.c

fn after<'a>(s: &'a str, pat: &str) -> Option<&'a str> {
    s.find(pat).and_then(|i| s.get(i + pat.len()..))
}

/// `dl_parse_url_host()`: what follows `://` up to the first `:` or `/` (brackets of an IPv6
/// literal kept).
pub fn parse_url_host(url: &str) -> Result<String, Errno> {
    let cur = after(url, "://").unwrap_or(url);
    let (host, room) = if cur.starts_with('[') {
        let end = cur.find(']').ok_or(Errno::EINVAL)? + 1;
        (cur.get(..end).unwrap_or(""), end + 1)
    } else {
        // strchr(cur, ':') first, '/' only if there is no ':' at all.
        match cur.find(':').or_else(|| cur.find('/')) {
            Some(end) => (cur.get(..end).unwrap_or(""), end + 1),
            // The C code copies the terminating NUL too.
            None => (cur, cur.len() + 2),
        }
    };
    if room > HOSTNAME_SIZE {
        return Err(Errno::E2BIG);
    }
    Ok(host.to_owned())
}

/// C `atoi()`: optional white space, sign, digits.
fn atoi(s: &[u8]) -> i64 {
    let mut it = s
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .peekable();
    let neg = match it.peek() {
        Some(b'-') => {
            it.next();
            true
        }
        Some(b'+') => {
            it.next();
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    for b in it.take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -v
    } else {
        v
    }
}

/// `dl_parse_url_port()`: the digits after the first `:` that follows the host part; `None`
/// (`-EINVAL`) without a `:`.
pub fn parse_url_port(url: &str) -> Option<u16> {
    let mut cur = after(url, "://").unwrap_or(url);
    if cur.starts_with('[') {
        cur = after(cur, "]").unwrap_or(cur);
    }
    let cur = after(cur, ":")?;
    let len = cur.find('/').unwrap_or(cur.len()).min(7);
    // `*port = atoi(aport)` into a uint16_t.
    Some(atoi(cur.as_bytes().get(..len).unwrap_or(&[])) as u16)
}

/// `dl_parse_url_file()`: everything after the first `/` that follows `://`.
pub fn parse_url_file(url: &str) -> Result<String, Errno> {
    let cur = if url.contains("//") {
        after(url, "://").ok_or(Errno::EINVAL)?
    } else {
        url
    };
    let file = after(cur, "/").ok_or(Errno::EINVAL)?;
    if file.len() + 1 > FILENAME_SIZE {
        return Err(Errno::E2BIG);
    }
    Ok(file.to_owned())
}

/// `parse_protocol()` (`http.c:475`): TLS for `https://` (or no scheme with a sec_tag), the
/// port from the URL or 443/80.
fn parse_protocol(url: &str, sec_tag: Option<u32>) -> Result<(Proto, u16), Errno> {
    let tls = url.starts_with("https://") || (!url.starts_with("http://") && sec_tag.is_some());
    if tls && sec_tag.is_none() {
        return Err(Errno::EINVAL);
    }
    let proto = if tls { Proto::Tls } else { Proto::Tcp };
    let port = parse_url_port(url).unwrap_or(if tls { 443 } else { 80 });
    Ok((proto, port))
}

// ---------------------------------------------------------------- byte search (strnstr)

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `strtoul(p, &q, 10)`: the leading decimal digits.
fn strtoul(s: &[u8]) -> u64 {
    u64::try_from(atoi(s)).unwrap_or(0)
}

// ---------------------------------------------------------------- events

/// What the downloader tells its client (`struct downloader_evt`).
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// `DOWNLOADER_EVT_FRAGMENT`.
    Fragment(&'a [u8]),
    /// `DOWNLOADER_EVT_DONE`.
    Done,
    /// `DOWNLOADER_EVT_ERROR`.
    Error(Errno),
    /// `DOWNLOADER_EVT_STOPPED`.
    Stopped,
}

/// `downloader_file_size_get()` / `downloader_downloaded_size_get()` as seen in a callback.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sizes {
    /// File size (0 while unknown).
    pub file_size: u64,
    /// Bytes downloaded.
    pub progress: u64,
}

/// The downloader's client (`downloader_cfg.callback`): 0 to go on, anything else to stop.
pub trait Client {
    /// One event.
    fn event(&mut self, sizes: Sizes, event: Event<'_>) -> i32;
}

/// Watches the wire (log, `--check-server`); does not change what happens.
#[allow(unused_variables)]
pub trait Observer {
    /// Connected to `addr`.
    fn connected(&mut self, hostname: &str, addr: SocketAddr, proto: Proto) {}
    /// A connect failed.
    fn connect_failed(&mut self, err: &ConnectError) {}
    /// A request was sent (exact bytes).
    fn request(&mut self, text: &str) {}
    /// A response head arrived.
    fn response(&mut self, head: &ResponseHead) {}
    /// A redirect is followed to this `Location` value.
    fn redirect(&mut self, location: &str) {}
    /// `recv()` failed with `EMSGSIZE`; the next ranges are this long.
    fn range_shrunk(&mut self, range: u32) {}
    /// The transport asked for a reconnect (`-ECONNRESET`).
    fn reconnect(&mut self) {}
    /// An error event goes to the client.
    fn error(&mut self, errno: Errno) {}
}

/// An observer that watches nothing.
pub struct NoObserver;
impl Observer for NoObserver {}

/// What the device's surroundings are.
pub struct Env<'a> {
    /// `DIR/<sec_tag>/ca-cert.pem`: the modem's credentials.
    pub sec_tag_dir: Option<&'a Path>,
    /// Socket receive timeout.
    pub recv_timeout: Duration,
    /// `downloader_cancel()` (set by another thread).
    pub cancel: &'a AtomicBool,
    /// `--check-server` only: give up after this many reconnects in a row without a new byte
    /// (the device never gives up in that situation).
    pub idle_reconnect_limit: Option<u32>,
}

impl Env<'_> {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// `DOWNLOADER_EVT_DONE` was sent.
    Done,
    /// `DOWNLOADER_EVT_STOPPED` was sent.
    Stopped,
    /// The idle reconnect limit was reached (`--check-server` only).
    GaveUp,
}

/// Counters for logs and verdicts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// Requests sent.
    pub requests: u32,
    /// Connections made.
    pub connections: u32,
    /// Redirects followed.
    pub redirects: u32,
}

enum Flow {
    Continue,
    /// The client refused a fragment: `restart_and_suspend()` ended the download.
    Suspended,
}

enum State {
    Connecting,
    Downloading,
    Stopping,
}

// ---------------------------------------------------------------- the downloader

/// One download (`struct downloader` + `struct transport_params_http`).
pub struct Downloader {
    hostname: String,
    file: String,
    sec_tag: Option<u32>,
    range_override: u32,
    redirects_max: u32,
    progress: u64,
    file_size: u64,
    complete: bool,
    buf: Vec<u8>,
    buf_offset: usize,
    // transport_params_http
    connection_close: bool,
    ranged: bool,
    ranged_progress: u64,
    status_code: u64,
    has_end: bool,
    proto: Proto,
    port: u16,
    remote: Option<SocketAddr>,
    sock: Option<Socket>,
    new_data_req: bool,
    redirects: u32,
    /// Counters.
    pub stats: Stats,
}

impl Downloader {
    /// `downloader_get_with_host_and_file(host, file, from = 0)` as `fota_download` calls it:
    /// the synchronous part (URL split, transport choice, `parse_protocol`).
    pub fn start(host: &str, file: &str, sec_tag: Option<u32>) -> Result<Self, Errno> {
        // downloader.c:581-587: "host/file" in the download buffer.
        if host.len() + file.len() + 2 > BUF_SIZE {
            return Err(Errno::EINVAL);
        }
        let url = format!("{host}/{file}");
        // downloader.c:441-454
        let hostname = parse_url_host(&url).map_err(|_| Errno::EINVAL)?;
        let file = parse_url_file(&url)?;
        // downloader.c:467-498: the HTTP transport takes http:// and https://; without a
        // scheme it is tried as a fallback.
        if !(url.starts_with("https://") || url.starts_with("http://")) && url.contains("://") {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let (proto, port) = parse_protocol(&url, sec_tag)?;
        Ok(Self {
            hostname,
            file,
            sec_tag,
            // fota_download.c:549: fragment_size 0 (the C shell passes 0).
            range_override: 0,
            // downloader.c:462-464
            redirects_max: MAX_REDIRECTS,
            progress: 0,
            file_size: 0,
            complete: false,
            buf: vec![0; BUF_SIZE],
            buf_offset: 0,
            connection_close: false,
            ranged: false,
            ranged_progress: 0,
            status_code: 0,
            has_end: false,
            proto,
            port,
            remote: None,
            sock: None,
            new_data_req: false,
            redirects: 0,
            stats: Stats::default(),
        })
    }

    /// File size and progress.
    pub fn sizes(&self) -> Sizes {
        Sizes {
            file_size: self.file_size,
            progress: self.progress,
        }
    }

    /// The range size in force (0: no ranges).
    pub fn range(&self) -> u32 {
        self.range_override
    }

    /// `download_thread()` (`downloader.c:249`) for one download: connect, download, reconnect
    /// on `-ECONNRESET`, error events to the client, `STOPPED` or `DONE` at the end.
    pub fn run(&mut self, env: &Env<'_>, client: &mut dyn Client, obs: &mut dyn Observer) -> End {
        let mut state = State::Connecting;
        let mut idle = 0u32;
        loop {
            if env.cancelled() {
                // downloader_cancel(): CONNECTING/DOWNLOADING -> STOPPING.
                state = State::Stopping;
            }
            match state {
                State::Connecting => match self.connect(env, obs) {
                    Ok(()) => state = State::Downloading,
                    Err(e) => {
                        obs.error(e);
                        if client.event(self.sizes(), Event::Error(e)) != 0 {
                            client.event(self.sizes(), Event::Stopped);
                            return End::Stopped;
                        }
                    }
                },
                State::Downloading => {
                    let before = self.progress;
                    match self.transport_download(env, client, obs) {
                        Ok(Flow::Suspended) => return End::Stopped,
                        Ok(Flow::Continue) => {
                            if self.complete {
                                // restart_and_suspend(): complete, so no STOPPED.
                                self.close();
                                client.event(self.sizes(), Event::Done);
                                return End::Done;
                            }
                        }
                        Err(rc) => {
                            if rc != Errno::ECONNRESET {
                                obs.error(rc);
                                if client.event(self.sizes(), Event::Error(rc)) != 0 {
                                    if env.cancelled() {
                                        // restart_and_suspend() does nothing in STOPPING.
                                        continue;
                                    }
                                    self.close();
                                    client.event(self.sizes(), Event::Stopped);
                                    return End::Stopped;
                                }
                            } else {
                                obs.reconnect();
                            }
                            if self.progress == before {
                                idle += 1;
                                if env.idle_reconnect_limit.is_some_and(|l| idle > l) {
                                    self.close();
                                    return End::GaveUp;
                                }
                                std::thread::sleep(IDLE_RECONNECT_PAUSE);
                            } else {
                                idle = 0;
                            }
                            // reconnect: until it works or the client says stop.
                            loop {
                                match self.reconnect(env, obs) {
                                    Ok(()) => break,
                                    Err(e2) => {
                                        obs.error(e2);
                                        let rc2 = client.event(self.sizes(), Event::Error(e2));
                                        if rc2 == 0 && !env.cancelled() {
                                            continue;
                                        }
                                        self.close();
                                        client.event(self.sizes(), Event::Stopped);
                                        return End::Stopped;
                                    }
                                }
                            }
                        }
                    }
                }
                State::Stopping => {
                    self.close();
                    client.event(self.sizes(), Event::Stopped);
                    return End::Stopped;
                }
            }
        }
    }

    /// `dl_http_connect()`.
    fn connect(&mut self, env: &Env<'_>, obs: &mut dyn Observer) -> Result<(), Errno> {
        let target = net::Target {
            hostname: &self.hostname,
            port: self.port,
            proto: self.proto,
            sec_tag: self.sec_tag,
            sec_tag_dir: env.sec_tag_dir,
        };
        match net::connect(&mut self.remote, &target, env.cancel) {
            Ok(s) => {
                obs.connected(&self.hostname, s.peer, self.proto);
                self.stats.connections += 1;
                self.sock = Some(s);
                self.connection_close = false;
                self.new_data_req = true;
                Ok(())
            }
            Err(e) => {
                obs.connect_failed(&e);
                self.sock = None;
                Err(e.errno)
            }
        }
    }

    /// `dl_http_close()`: the cached address is forgotten only when no socket is open
    /// (`http.c:591-598`), so a redirect reconnects to the address already resolved.
    fn close(&mut self) {
        if self.sock.take().is_none() {
            self.remote = None;
        }
    }

    /// `reconnect()` (`downloader.c:142`).
    fn reconnect(&mut self, env: &Env<'_>, obs: &mut dyn Observer) -> Result<(), Errno> {
        self.close();
        self.connect(env, obs)
    }

    /// `http_get_request_send()` (`http.c:147`).
    fn request_send(&mut self, obs: &mut dyn Observer) -> Result<(), Errno> {
        self.has_end = false;
        // nRF91, offloaded TLS: ranges of at most TLS_RANGE_MAX.
        if self.proto == Proto::Tls
            && (self.range_override > TLS_RANGE_MAX || self.range_override == 0)
        {
            self.range_override = TLS_RANGE_MAX;
        }
        let text = if self.range_override != 0 {
            let mut off = self.progress + u64::from(self.range_override) - 1;
            if self.file_size != 0 {
                off = off.min(self.file_size - 1);
            }
            self.ranged = true;
            self.ranged_progress = 0;
            format!(
                "GET /{} HTTP/1.1\r\nHost: {}\r\nRange: bytes={}-{}\r\nConnection: keep-alive\r\n\r\n",
                self.file, self.hostname, self.progress, off
            )
        } else if self.progress != 0 {
            self.ranged = false;
            format!(
                "GET /{} HTTP/1.1\r\nHost: {}\r\nRange: bytes={}-\r\nConnection: keep-alive\r\n\r\n",
                self.file, self.hostname, self.progress
            )
        } else {
            self.ranged = false;
            format!(
                "GET /{} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n\r\n",
                self.file, self.hostname
            )
        };
        if text.len() > BUF_SIZE {
            return Err(Errno::ENOMEM);
        }
        obs.request(&text);
        self.stats.requests += 1;
        match &mut self.sock {
            Some(s) => s.send(text.as_bytes()),
            None => Err(Errno::ENOTCONN),
        }
    }

    /// `http_header_parse()` (`http.c:220`) on `buf[..buf_len]`: bytes parsed, or an error
    /// (`-ECONNRESET` for a redirect to follow).
    fn header_parse(&mut self, buf_len: usize, obs: &mut dyn Observer) -> Result<usize, Errno> {
        let Some(b) = self.buf.get_mut(..buf_len) else {
            return Err(Errno::EIO);
        };
        let parse_len = match find(b, b"\r\n\r\n") {
            Some(p) => {
                self.has_end = true;
                p + 4
            }
            None => buf_len,
        };
        // Header names to lower case, values untouched.
        let mut value = false;
        for c in b.iter_mut().take(parse_len) {
            if *c == b'\r' || *c == b'\n' {
                value = false;
            }
            if value {
                continue;
            }
            if *c == b':' {
                value = true;
                continue;
            }
            c.make_ascii_lowercase();
        }
        let b: &[u8] = b;
        let head = b.get(..parse_len).unwrap_or(&[]);
        // The status code, only after "http/1.1 ".
        if let Some(p) = find(head, b"http/1.1 ") {
            if find(head.get(p..).unwrap_or(&[]), b"\r\n").is_some() {
                self.status_code = strtoul(b.get(p + 9..).unwrap_or(&[]));
            }
        }
        if matches!(self.status_code, 301 | 302 | 303 | 307 | 308) {
            if let Some(p) = find(head, b"\r\nlocation:") {
                if let Some(q) = find(head.get(p + 1..).unwrap_or(&[]), b"\r\n") {
                    let q = p + 1 + q;
                    // p += strlen("\r\nlocation: "): one character after the colon is skipped.
                    let loc = String::from_utf8_lossy(b.get(p + 12..q).unwrap_or(&[])).into_owned();
                    obs.redirect(&loc);
                    let (proto, port) =
                        parse_protocol(&loc, self.sec_tag).map_err(|_| Errno::EBADMSG)?;
                    self.proto = proto;
                    self.port = port;
                    self.hostname = parse_url_host(&loc).map_err(|_| Errno::EBADMSG)?;
                    self.file = parse_url_file(&loc).map_err(|_| Errno::EBADMSG)?;
                    self.redirects += 1;
                    self.stats.redirects += 1;
                    if self.redirects > self.redirects_max {
                        return Err(Errno::EMLINK);
                    }
                    return Err(Errno::ECONNRESET);
                }
            }
        }
        // The file size: Content-Range over ranges, Content-Length otherwise.
        if self.file_size == 0 {
            if self.ranged {
                if let Some(p) = find(head, b"\r\ncontent-range") {
                    if let Some(s) = find(head.get(p..).unwrap_or(&[]), b"/") {
                        let s = p + s;
                        if find(head.get(s..).unwrap_or(&[]), b"\r\n").is_some() {
                            let v = atoi(b.get(s + 1..).unwrap_or(&[]));
                            self.file_size = self.file_size.wrapping_add(v as u64);
                        }
                    }
                }
            } else if let Some(p) = find(head, b"\r\ncontent-length") {
                // strstr(p, ":"), not bounded by the head.
                if let Some(c) = find(b.get(p..).unwrap_or(&[]), b":") {
                    let c = p + c;
                    if find(head.get(c..).unwrap_or(&[]), b"\r\n").is_some() {
                        let v = atoi(b.get(c + 1..).unwrap_or(&[]));
                        self.file_size = self.progress.wrapping_add(v as u64);
                    }
                }
            }
        }
        if find(head, b"\r\nconnection: close").is_some() {
            self.connection_close = true;
        }
        if self.has_end {
            if self.status_code == 0 {
                return Err(Errno::EBADMSG);
            }
            let expected = if self.ranged || self.progress != 0 {
                206
            } else {
                200
            };
            if self.status_code != expected || self.file_size == 0 {
                return Err(Errno::EBADMSG);
            }
            return Ok(parse_len);
        }
        // Not all of the head yet: hand back the complete lines, keep the line ends.
        let mut q = buf_len;
        while q > 0 && !matches!(b.get(q - 1), Some(b'\r' | b'\n')) {
            q -= 1;
        }
        if q == 0 {
            return Ok(0);
        }
        q -= 1;
        while q > 0 && matches!(b.get(q - 1), Some(b'\r' | b'\n')) {
            q -= 1;
        }
        Ok(q)
    }

    /// `http_parse()` (`http.c:416`): body bytes at the start of the buffer.
    fn http_parse(&mut self, len: usize, obs: &mut dyn Observer) -> Result<usize, Errno> {
        let mut len = len;
        if !self.has_end {
            if len == 0 {
                return Err(Errno::ECONNRESET);
            }
            let parsed = self.header_parse(len, obs)?;
            if parsed == len {
                self.buf_offset = 0;
                return Ok(0);
            } else if parsed > 0 {
                len -= parsed;
                self.buf.copy_within(parsed..parsed + len, 0);
                self.buf_offset = len;
            }
            if !self.has_end {
                if self.buf_offset == BUF_SIZE {
                    return Err(Errno::E2BIG);
                }
                return Ok(0);
            }
        } else {
            self.buf_offset = len;
        }
        Ok(len)
    }

    /// `dl_http_download()` (`http.c:601`): one receive and what follows from it.
    fn transport_download(
        &mut self,
        env: &Env<'_>,
        client: &mut dyn Client,
        obs: &mut dyn Observer,
    ) -> Result<Flow, Errno> {
        if self.new_data_req {
            self.buf_offset = 0;
            if self.request_send(obs).is_err() {
                return Err(Errno::ECONNRESET);
            }
            self.new_data_req = false;
        }
        let Some(sock) = self.sock.as_mut() else {
            return Err(Errno::EINVAL);
        };
        let Some(space) = self.buf.get_mut(self.buf_offset..) else {
            return Err(Errno::EIO);
        };
        let r = sock.recv(space, env.recv_timeout, env.cancel);
        for head in sock.take_heads() {
            obs.response(&head);
        }
        let recv_len = match r {
            Ok(Recv::Data(n)) => n,
            Ok(Recv::Closed) => 0,
            Ok(Recv::Interrupted) => return Ok(Flow::Continue),
            Err(Errno::EMSGSIZE) if self.range_override != 0 => {
                // http.c:630-642: shorter ranges until the response fits.
                self.range_override -= if self.range_override > 256 { 128 } else { 8 };
                if self.range_override <= 8 {
                    return Err(Errno::EMSGSIZE);
                }
                obs.range_shrunk(self.range_override);
                return Err(Errno::ECONNRESET);
            }
            Err(_) if self.connection_close => return Err(Errno::ECONNRESET),
            Err(e) => return Err(e),
        };
        let data_len = self.http_parse(recv_len + self.buf_offset, obs)?;
        let expected = MIN_SIZE_IDENTIFY_BUF.min(self.file_size.wrapping_sub(self.progress));
        if (data_len as u64) < expected {
            // Wait for more after the headers (fail if the connection closed).
            return if recv_len > 0 {
                Ok(Flow::Continue)
            } else {
                Err(Errno::ECONNRESET)
            };
        }
        self.progress += data_len as u64;
        if data_len > 0 {
            let sizes = self.sizes();
            let frag = self.buf.get(..data_len).unwrap_or(&[]);
            if client.event(sizes, Event::Fragment(frag)) != 0 {
                // restart_and_suspend(): the client refused the data.
                self.close();
                client.event(self.sizes(), Event::Stopped);
                return Ok(Flow::Suspended);
            }
        }
        if self.ranged {
            self.ranged_progress += data_len as u64;
            if self.ranged_progress >= u64::from(self.range_override) {
                self.new_data_req = true;
            }
        }
        if self.progress == self.file_size {
            self.complete = true;
            self.new_data_req = true;
        }
        self.buf_offset = 0;
        if self.complete || recv_len > 0 {
            Ok(Flow::Continue)
        } else {
            Err(Errno::ECONNRESET)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn url_parts_as_dl_parse_splits_them() {
        assert_eq!(parse_url_host("http://a.b:8080/x").unwrap(), "a.b");
        assert_eq!(parse_url_host("https://[::1]:8443/x").unwrap(), "[::1]");
        assert_eq!(parse_url_host("/relative/x").unwrap(), "");
        assert_eq!(parse_url_port("http://a.b:8080/x"), Some(8080));
        assert_eq!(parse_url_port("http://a.b/x"), None);
        assert_eq!(parse_url_port("https://[::1]:8443/x"), Some(8443));
        assert_eq!(
            parse_url_file("http://a.b:8080/x/y.bin?q=1").unwrap(),
            "x/y.bin?q=1"
        );
        assert_eq!(parse_url_file("/relative/x").unwrap(), "relative/x");
        assert_eq!(parse_url_file("http://a.b"), Err(Errno::EINVAL));
        // A colon in the path ends the host part too.
        assert_eq!(parse_url_host("http://a.b/p:q").unwrap(), "a.b/p");
    }

    #[test]
    fn protocol_and_port() {
        assert_eq!(parse_protocol("http://h/x", None), Ok((Proto::Tcp, 80)));
        assert_eq!(
            parse_protocol("https://h/x", Some(1)),
            Ok((Proto::Tls, 443))
        );
        assert_eq!(parse_protocol("https://h/x", None), Err(Errno::EINVAL));
        assert_eq!(parse_protocol("/x", Some(1)), Ok((Proto::Tls, 443)));
        assert_eq!(parse_protocol("/x", None), Ok((Proto::Tcp, 80)));
    }

    fn parse(dl: &mut Downloader, text: &str) -> Result<usize, Errno> {
        dl.buf[..text.len()].copy_from_slice(text.as_bytes());
        dl.has_end = false;
        dl.header_parse(text.len(), &mut NoObserver)
    }

    #[test]
    fn status_line_must_be_http_1_1() {
        let mut dl = Downloader::start("http://h", "f", None).unwrap();
        let r = parse(&mut dl, "HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\n");
        assert_eq!(r, Err(Errno::EBADMSG));
        let mut dl = Downloader::start("http://h", "f", None).unwrap();
        let r = parse(&mut dl, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        assert_eq!(r, Ok(39));
        assert_eq!(dl.file_size, 10);
    }

    #[test]
    fn ranged_needs_206_and_content_range() {
        let mut dl = Downloader::start("https://h", "f", Some(1)).unwrap();
        dl.ranged = true;
        let r = parse(&mut dl, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        assert_eq!(r, Err(Errno::EBADMSG));
        let mut dl = Downloader::start("https://h", "f", Some(1)).unwrap();
        dl.ranged = true;
        let r = parse(
            &mut dl,
            "HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-9/1234\r\n\r\n",
        );
        assert!(r.is_ok());
        assert_eq!(dl.file_size, 1234);
    }

    #[test]
    fn location_skips_one_character_after_the_colon() {
        let mut dl = Downloader::start("http://h:81", "f", None).unwrap();
        let r = parse(
            &mut dl,
            "HTTP/1.1 302 Found\r\nLocation: http://other:82/g\r\n\r\n",
        );
        assert_eq!(r, Err(Errno::ECONNRESET));
        assert_eq!(
            (dl.hostname.as_str(), dl.port, dl.file.as_str()),
            ("other", 82, "g")
        );
        let mut dl = Downloader::start("http://h:81", "f", None).unwrap();
        let r = parse(&mut dl, "HTTP/1.1 302 Found\r\nLocation:http://o/g\r\n\r\n");
        // "ttp://o/g": no scheme, so TCP port 80, host "ttp", file "o/g".
        assert_eq!(r, Err(Errno::ECONNRESET));
        assert_eq!(
            (dl.hostname.as_str(), dl.port, dl.file.as_str()),
            ("o", 80, "g")
        );
    }

    #[test]
    fn redirect_limit() {
        let mut dl = Downloader::start("http://h", "f", None).unwrap();
        for _ in 0..MAX_REDIRECTS {
            let r = parse(&mut dl, "HTTP/1.1 301 M\r\nLocation: http://h/f\r\n\r\n");
            assert_eq!(r, Err(Errno::ECONNRESET));
        }
        let r = parse(&mut dl, "HTTP/1.1 301 M\r\nLocation: http://h/f\r\n\r\n");
        assert_eq!(r, Err(Errno::EMLINK));
    }
}
