//! Test support shared by the workspace's end-to-end tests (`xfota-sim`, `xfota-host`): an
//! HTTP/1.1 and HTTPS server on 127.0.0.1 that speaks as the servers a device meets do
//! (persistent connections, `Range` answered with 206 and `Content-Range`) and misbehaves on
//! purpose where a route says so, a test PKI, and temporary directories. Not part of any
//! product; `publish = false`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- server

/// What the test server does for a path. It speaks HTTP/1.1 like the servers the device meets:
/// persistent connections, and `Range: bytes=a-b` / `bytes=a-` answered with 206 and
/// `Content-Range` (except where a route says otherwise).
#[derive(Clone)]
pub enum Route {
    /// 200 (206 for a range) with the body, written `chunk` bytes at a time with `delay_ms`
    /// between writes.
    Ok {
        body: Arc<Vec<u8>>,
        chunk: usize,
        delay_ms: u64,
    },
    /// 404.
    NotFound,
    /// A server that ignores Range: 200 announcing the whole body, then the connection is cut
    /// after `after` bytes, on every request.
    Cut { body: Arc<Vec<u8>>, after: usize },
    /// The first response is cut after `after` body bytes (connection closed); later requests
    /// are served normally (Range honoured).
    DropOnce {
        body: Arc<Vec<u8>>,
        after: usize,
        dropped: Arc<std::sync::atomic::AtomicBool>,
    },
    /// Every response stops after `after` body bytes and the connection then stays open and
    /// silent (until the client closes it).
    Stall { body: Arc<Vec<u8>>, after: usize },
    /// The request is read and the connection closed without a response.
    CloseSilently,
}

impl Route {
    pub fn fast(body: &[u8]) -> Self {
        Route::Ok {
            body: Arc::new(body.to_vec()),
            chunk: 1024,
            delay_ms: 0,
        }
    }
    pub fn slow(body: &[u8], chunk: usize, delay_ms: u64) -> Self {
        Route::Ok {
            body: Arc::new(body.to_vec()),
            chunk,
            delay_ms,
        }
    }
    pub fn drop_once(body: &[u8], after: usize) -> Self {
        Route::DropOnce {
            body: Arc::new(body.to_vec()),
            after,
            dropped: Arc::default(),
        }
    }
}

type Routes = Arc<Mutex<HashMap<String, Route>>>;
type Requests = Arc<Mutex<Vec<String>>>;

pub struct Server {
    pub port: u16,
    scheme: &'static str,
    routes: Routes,
    requests: Requests,
}

impl Server {
    pub fn http() -> Self {
        Self::start(None)
    }

    pub fn https(tls: Arc<rustls::ServerConfig>) -> Self {
        Self::start(Some(tls))
    }

    fn start(tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Routes = Arc::default();
        let requests: Requests = Arc::default();
        let r = routes.clone();
        let q = requests.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let r = r.clone();
                let q = q.clone();
                let tls = tls.clone();
                std::thread::spawn(move || {
                    conn.set_read_timeout(Some(Duration::from_secs(10))).ok();
                    match tls {
                        None => serve(conn, &r, &q),
                        Some(cfg) => {
                            let Ok(c) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            serve(rustls::StreamOwned::new(c, conn), &r, &q);
                        }
                    }
                });
            }
        });
        Self {
            port,
            scheme,
            routes,
            requests,
        }
    }

    pub fn add(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_owned(), route);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}/{path}", self.scheme, self.port)
    }

    /// The request heads received so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits (bounded) until `path` was requested at least once.
    pub fn wait_hit(&self, path: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let line = format!(" /{path} ");
        while !self.requests().iter().any(|h| h.contains(&line)) {
            assert!(Instant::now() < deadline, "{path} was never requested");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// `Range: bytes=a-b` or `bytes=a-` of a request head.
fn range_of(head: &str) -> Option<(usize, Option<usize>)> {
    let line = head
        .split("\r\n")
        .find(|l| l.to_ascii_lowercase().starts_with("range:"))?;
    let spec = line.split_once('=')?.1.trim();
    let (a, b) = spec.split_once('-')?;
    Some((a.parse().ok()?, b.parse().ok()))
}

/// Writes the head for `body` (honouring `range`), returns the slice to send.
fn head_for<'b>(
    s: &mut impl Write,
    body: &'b [u8],
    range: Option<(usize, Option<usize>)>,
    extra: &str,
) -> std::io::Result<Option<&'b [u8]>> {
    let total = body.len();
    match range {
        Some((a, b)) => {
            let end = b
                .unwrap_or(total.saturating_sub(1))
                .min(total.saturating_sub(1));
            if a >= total || a > end {
                s.write_all(
                    format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\n\r\n")
                        .as_bytes(),
                )?;
                return Ok(None);
            }
            s.write_all(
                format!(
                    "HTTP/1.1 206 Partial Content\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes {a}-{end}/{total}\r\nContent-Length: {}\r\n{extra}\r\n",
                    end + 1 - a
                )
                .as_bytes(),
            )?;
            Ok(Some(&body[a..=end]))
        }
        None => {
            s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {total}\r\n{extra}\r\n"
                )
                .as_bytes(),
            )?;
            Ok(Some(body))
        }
    }
}

fn serve(mut s: impl Read + Write, routes: &Routes, requests: &Requests) {
    let mut pending = Vec::new();
    let mut b = [0u8; 2048];
    loop {
        let end = loop {
            if let Some(p) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            match s.read(&mut b) {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&b[..n]),
            }
        };
        let head: Vec<u8> = pending.drain(..end).collect();
        let text = String::from_utf8_lossy(&head).to_string();
        requests.lock().unwrap().push(text.clone());
        let path = text
            .split(' ')
            .nth(1)
            .unwrap_or("/")
            .trim_start_matches('/')
            .to_owned();
        let range = range_of(&text);
        let close = text
            .split("\r\n")
            .any(|l| l.eq_ignore_ascii_case("connection: close"));
        let route = routes.lock().unwrap().get(&path).cloned();
        let keep_going = match route {
            None | Some(Route::NotFound) => {
                let _ = s.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
                );
                false
            }
            Some(Route::CloseSilently) => false,
            Some(Route::Ok {
                body,
                chunk,
                delay_ms,
            }) => (|| {
                let Some(part) = head_for(&mut s, &body, range, "")? else {
                    return Ok::<bool, std::io::Error>(true);
                };
                for c in part.chunks(chunk.max(1)) {
                    s.write_all(c)?;
                    s.flush()?;
                    if delay_ms > 0 {
                        std::thread::sleep(Duration::from_millis(delay_ms));
                    }
                }
                Ok(true)
            })()
            .unwrap_or(false),
            Some(Route::Cut { body, after }) => {
                let _ = (|| {
                    head_for(&mut s, &body, None, "Connection: close\r\n")?;
                    s.write_all(&body[..after.min(body.len())])?;
                    s.flush()
                })();
                false
            }
            Some(Route::DropOnce {
                body,
                after,
                dropped,
            }) => {
                let first = !dropped.swap(true, std::sync::atomic::Ordering::SeqCst);
                (|| {
                    let Some(part) = head_for(&mut s, &body, range, "")? else {
                        return Ok::<bool, std::io::Error>(true);
                    };
                    if first {
                        s.write_all(&part[..after.min(part.len())])?;
                        s.flush()?;
                        return Ok(false);
                    }
                    s.write_all(part)?;
                    s.flush()?;
                    Ok(true)
                })()
                .unwrap_or(false)
            }
            Some(Route::Stall { body, after }) => {
                let _ = (|| {
                    if let Some(part) = head_for(&mut s, &body, range, "")? {
                        s.write_all(&part[..after.min(part.len())])?;
                    }
                    s.flush()
                })();
                // Silent until the client gives up and closes.
                while matches!(s.read(&mut b), Ok(n) if n > 0) {}
                false
            }
        };
        let _ = s.flush();
        if !keep_going || close {
            return;
        }
    }
}

/// A CA, a server certificate for 127.0.0.1 signed by it, and the server config.
pub struct Pki {
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
    /// Server certificate then CA, PEM (for nginx's `ssl_certificate`).
    pub chain_pem: String,
    /// Server key, PKCS#8 PEM.
    pub key_pem: String,
}

pub fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "xfota test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
        chain_pem: format!("{}{}", cert.pem(), ca.pem()),
        key_pem: key.serialize_pem(),
    }
}

/// Writes `<dir>/<tag>/ca-cert.pem`.
pub fn install_ca(dir: &Path, tag: u32, pem: &str) {
    let d = dir.join(tag.to_string());
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("ca-cert.pem"), pem).unwrap();
}

// ---------------------------------------------------------------- temp dirs

pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("xfota-test-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
