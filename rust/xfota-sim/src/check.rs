//! `xfota-sim --check-server <url>`: runs the device's download (the same [`crate::downloader`]
//! and [`crate::download::FotaDownload`] models the simulator uses) against a server, prints
//! every request and the status and size headers of every response, and ends with a verdict.

use crate::download::{self, DfuTarget, FotaDownload};
use crate::downloader::{End, Env, Observer, MAX_REDIRECTS, TLS_RANGE_MAX};
use crate::image::ImageKind;
use crate::net::{ConnectError, Errno, Proto, ResponseHead, TLS_PACKAGE_MAX};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;
use xfota_core::at::{DownloadTarget, Url};
use xfota_core::{cause, DownloadEvent};

/// What to check.
#[derive(Clone, Debug)]
pub struct Options {
    /// The `<file_url>`.
    pub url: String,
    /// `DIR/<sec_tag>/ca-cert.pem`.
    pub sec_tag_dir: Option<PathBuf>,
    /// The `<sec_tag>`.
    pub sec_tag: Option<u32>,
    /// The image type expected (`None`: any type `dfu_target` knows).
    pub image: Option<ImageKind>,
    /// Socket receive timeout.
    pub recv_timeout: Duration,
}

/// A `dfu_target` that keeps nothing.
struct NullTarget;

impl DfuTarget for NullTarget {
    fn init(
        &mut self,
        _kind: ImageKind,
        _file_size: u64,
        _events: &mut dyn FnMut(DownloadEvent),
    ) -> Result<(), i32> {
        Ok(())
    }
    fn write(&mut self, _data: &[u8]) -> Result<(), i32> {
        Ok(())
    }
    fn done(&mut self, _successful: bool) -> Result<(), i32> {
        Ok(())
    }
}

#[derive(Debug)]
enum Item {
    Request { ranged: bool, tls: bool },
    Response(ResponseHead),
    Redirect(String),
    Shrunk,
    Connected(String),
    ConnectFailed(String),
}

struct Trace<'w> {
    out: &'w mut dyn Write,
    items: Vec<Item>,
    tls: bool,
}

impl Trace<'_> {
    fn line(&mut self, s: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.out, "{s}");
    }
}

impl Observer for Trace<'_> {
    fn connected(&mut self, hostname: &str, addr: SocketAddr, proto: Proto) {
        self.tls = proto == Proto::Tls;
        self.line(format_args!(
            "connect {hostname} -> {addr} ({})",
            if self.tls { "TLS 1.2" } else { "TCP" }
        ));
        self.items.push(Item::Connected(hostname.to_owned()));
    }
    fn connect_failed(&mut self, err: &ConnectError) {
        self.line(format_args!(
            "connect failed: {} ({})",
            err.detail, err.errno
        ));
        self.items.push(Item::ConnectFailed(err.detail.clone()));
    }
    fn request(&mut self, text: &str) {
        let shown: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
        self.line(format_args!("> {}", shown.join(" | ")));
        self.items.push(Item::Request {
            ranged: text.contains("\r\nRange: "),
            tls: self.tls,
        });
    }
    fn response(&mut self, head: &ResponseHead) {
        let mut parts = vec![
            head.status_line.clone(),
            format!("headers {} bytes", head.head_len),
        ];
        if let Some(l) = head.content_length {
            parts.push(format!("Content-Length: {l}"));
        }
        if let Some(r) = &head.content_range {
            parts.push(format!("Content-Range: {r}"));
        }
        if let Some(l) = &head.location {
            parts.push(format!("Location: {l}"));
        }
        if let Some(c) = &head.connection {
            parts.push(format!("Connection: {c}"));
        }
        if let Some(t) = &head.transfer_encoding {
            parts.push(format!("Transfer-Encoding: {t}"));
        }
        if head.too_big_for_modem {
            parts.push(format!(
                "more than the modem's {TLS_PACKAGE_MAX}-byte TLS buffer: EMSGSIZE"
            ));
        }
        self.line(format_args!("< {}", parts.join(" | ")));
        self.items.push(Item::Response(head.clone()));
    }
    fn redirect(&mut self, location: &str) {
        self.line(format_args!(
            "  redirect, the device parses the Location as {location:?}"
        ));
        self.items.push(Item::Redirect(location.to_owned()));
    }
    fn range_shrunk(&mut self, range: u32) {
        self.line(format_args!(
            "  the device retries with ranges of {range} bytes"
        ));
        self.items.push(Item::Shrunk);
    }
    fn error(&mut self, errno: Errno) {
        self.line(format_args!("  downloader error {errno}"));
    }
}

fn urc_for(c: i32) -> String {
    format!("#XFOTA: 1,1,{}", cause::fota_info(c))
}

fn kind_name(k: ImageKind) -> &'static str {
    match k {
        ImageKind::App => "an MCUboot application image",
        ImageKind::Modem => "a modem delta image",
        ImageKind::Unknown => "neither an MCUboot nor a modem delta image",
    }
}

/// Runs the check, printing to `out`; `true` when a device would download the file.
pub fn run(opts: &Options, out: &mut dyn Write) -> bool {
    let url = match Url::parse(opts.url.as_bytes()) {
        Ok(u) => u,
        Err(e) => {
            let _ = writeln!(
                out,
                "verdict: AT#XFOTA refuses this <file_url> ({e:?}): http:// or https://, a host, a path, at most 255 printable characters"
            );
            return false;
        }
    };
    if url.https && opts.sec_tag.is_none() {
        let _ = writeln!(
            out,
            "verdict: https needs --sec-tag N (and --sec-tag-dir DIR with DIR/N/ca-cert.pem): AT#XFOTA refuses https without <sec_tag>"
        );
        return false;
    }
    let target = DownloadTarget::new(&url);
    let sec_tag = if url.https { opts.sec_tag } else { None };
    let _ = writeln!(
        out,
        "checking {} as an nRF9161 downloads it (sdk-nrf v3.2 fota_download + downloader, modelled; docs/simulator.md)",
        opts.url
    );
    let cancel = Arc::new(AtomicBool::new(false));
    let env = Env {
        sec_tag_dir: opts.sec_tag_dir.as_deref(),
        recv_timeout: opts.recv_timeout,
        cancel: &cancel,
        idle_reconnect_limit: Some(100),
    };
    let mut events = Vec::new();
    let mut sink = |e: DownloadEvent| events.push(e);
    let mut fota = FotaDownload::new(NullTarget, opts.image, cancel.clone(), &mut sink);
    let mut trace = Trace {
        out,
        items: Vec::new(),
        tls: false,
    };
    let host = String::from_utf8_lossy(target.host());
    let file = String::from_utf8_lossy(target.file());
    let (end, dl) = fota.run(&host, &file, sec_tag, &env, &mut trace);
    let items = std::mem::take(&mut trace.items);
    let out = trace.out;
    if let Some(k) = fota.image {
        let _ = writeln!(out, "image: {} (dfu_target_img_type)", kind_name(k));
    }
    let (stats, sizes, range) = match &dl {
        Some(d) => (d.stats, d.sizes(), d.range()),
        None => Default::default(),
    };
    let verdict = verdict(
        end,
        fota.outcome,
        fota.last_errno,
        fota.image,
        opts,
        &items,
        stats.requests,
        sizes.file_size,
    );
    let ok = matches!(
        (end, fota.outcome),
        (End::Done, Some(DownloadEvent::Finished))
    );
    let _ = writeln!(out, "verdict: {verdict}");
    if ok {
        for n in notes(&items, range, stats.connections) {
            let _ = writeln!(out, "note: {n}");
        }
    }
    ok
}

fn last_response(items: &[Item]) -> Option<&ResponseHead> {
    items.iter().rev().find_map(|i| match i {
        Item::Response(h) => Some(h),
        _ => None,
    })
}

/// A ranged request answered with 200.
fn ignored_range(items: &[Item]) -> Option<bool> {
    let mut last_req = None;
    for i in items {
        match i {
            Item::Request { ranged, tls } => last_req = Some((*ranged, *tls)),
            Item::Response(h) if h.status == Some(200) => {
                if let Some((true, tls)) = last_req {
                    return Some(tls);
                }
            }
            _ => {}
        }
    }
    None
}

#[allow(clippy::too_many_arguments)]
fn verdict(
    end: End,
    outcome: Option<DownloadEvent>,
    errno: Option<Errno>,
    image: Option<ImageKind>,
    opts: &Options,
    items: &[Item],
    requests: u32,
    file_size: u64,
) -> String {
    if end == End::GaveUp {
        let answered = items
            .iter()
            .rev()
            .take(20)
            .any(|i| matches!(i, Item::Response(_)));
        return if answered {
            "the server never lets the download progress: a device reconnects forever (every -ECONNRESET reconnects, http.c:661, downloader.c:291) and never reports an error".into()
        } else {
            "the server closes every connection without answering: a device reconnects forever (every -ECONNRESET reconnects, http.c:425, downloader.c:291) and never reports an error".into()
        };
    }
    let c = match outcome {
        Some(DownloadEvent::Finished) => {
            return format!("OK: a device would download {file_size} bytes in {requests} requests")
        }
        Some(DownloadEvent::Error(c)) => c,
        _ => return "the download ended without a result".into(),
    };
    let urc = urc_for(c);
    if c == cause::INVALID_UPDATE || c == cause::TYPE_MISMATCH {
        let found = image.map_or("not identified", kind_name);
        let want = match opts.image {
            Some(k) => format!(", {} was expected", kind_name(k)),
            None => String::new(),
        };
        return format!("the file is {found}{want}: the device refuses it -> {urc}");
    }
    let last = last_response(items);
    let why = match errno {
        Some(Errno::EBADMSG) => {
            if let Some(h) = last.filter(|h| h.version() != "HTTP/1.1") {
                format!(
                    "answers {}: an nRF91 refuses it (the downloader reads the status code only after \"HTTP/1.1 \", http.c:258-267)",
                    if h.version().is_empty() { "without a status line" } else { h.version() }
                )
            } else if let Some(tls) = ignored_range(items) {
                if tls {
                    "ignores Range over HTTPS (200 to a ranged GET): the nRF91 downloads over TLS only in ranges of at most 2048 bytes and needs 206 with Content-Range (http.c:159-184, 377-382)".into()
                } else {
                    "ignores Range when the device resumes (200 to \"Range: bytes=N-\"): the device needs 206 to go on after a lost connection (http.c:185-188, 377-382)".into()
                }
            } else if let Some(loc) = items.iter().rev().find_map(|i| match i {
                Item::Redirect(l) => Some(l),
                _ => None,
            }).filter(|_| last.is_some_and(|h| matches!(h.status, Some(301 | 302 | 303 | 307 | 308))))
            {
                format!("redirects to {loc:?}, which the device cannot use (it needs an absolute http:// URL, or https:// with a sec_tag; http.c:275-303)")
            } else if let Some(h) = last.filter(|h| !matches!(h.status, Some(200 | 206))) {
                format!("answered {:?}: the device needs 200 (206 for a range)", h.status_line)
            } else {
                "no file size in the response: the device needs Content-Length (plain HTTP) or Content-Range with the size (ranges), http.c:317-359, 384-387".into()
            }
        }
        Some(Errno::EMSGSIZE) => match ignored_range(items) {
            Some(true) => "ignores Range over HTTPS (200 with the whole file to a ranged GET): the nRF91 downloads over TLS only in ranges of at most 2048 bytes, and the whole file does not fit the modem's TLS buffer (http.c:159-184, 630-642)".into(),
            _ => {
                let head = last.map_or(0, |h| h.head_len);
                format!(
                    "response headers of {head} bytes exceed the modem's TLS buffer: headers and data of one response must fit in {TLS_PACKAGE_MAX} bytes and even an 8-byte range does not (http.c:630-642)"
                )
            }
        },
        Some(Errno::EMLINK) => format!(
            "more than {MAX_REDIRECTS} redirects (a loop?): the device gives up (http.c:305-310)"
        ),
        Some(Errno::EAGAIN) => format!(
            "the server stopped sending for {} s, {} times: the device gives up after CONFIG_FOTA_SOCKET_RETRIES={} retries",
            opts.recv_timeout.as_secs_f32(),
            download::SOCKET_RETRIES + 1,
            download::SOCKET_RETRIES
        ),
        Some(Errno::E2BIG) => "a response header line does not fit the downloader's 2048-byte buffer (http.c:445-450)".into(),
        Some(e) if c == cause::CONNECT_FAILED || matches!(e, Errno::ETIMEDOUT | Errno::ENETUNREACH) => {
            let detail = items.iter().rev().find_map(|i| match i {
                Item::ConnectFailed(d) => Some(d.as_str()),
                _ => None,
            });
            format!("cannot connect: {} ({e})", detail.unwrap_or("?"))
        }
        Some(e) => format!("the device's download fails with {e}"),
        None => "the device's download fails".into(),
    };
    format!("{why} -> {urc}")
}

fn notes(items: &[Item], range: u32, connections: u32) -> Vec<String> {
    let mut n = Vec::new();
    if range != 0 && range < TLS_RANGE_MAX {
        let head = items
            .iter()
            .find_map(|i| match i {
                Item::Response(h) if h.too_big_for_modem => Some(h.head_len),
                _ => None,
            })
            .unwrap_or(0);
        n.push(format!(
            "responses with 2048 bytes of data and {head} bytes of headers do not fit the modem's {TLS_PACKAGE_MAX}-byte TLS buffer: the device fell back to {range}-byte ranges (smaller headers save requests)"
        ));
    }
    let hosts: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Connected(h) => Some(h.as_str()),
            _ => None,
        })
        .collect();
    if let (Some(first), Some(other)) = (
        hosts.first(),
        hosts.iter().find(|h| *h != hosts.first().unwrap_or(&"")),
    ) {
        n.push(format!(
            "redirected from {first} to {other}: the device keeps the address it resolved for {first} (http.c:591-598); it worked here because both names lead to the same server"
        ));
    }
    let closes = items
        .iter()
        .filter(|i| matches!(i, Item::Response(h) if h.connection.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("close"))))
        .count();
    if closes > 1 {
        n.push(format!(
            "the server closes the connection after responses ({closes} times): the device reconnected {connections} times"
        ));
    }
    n
}
