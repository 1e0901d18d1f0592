//! Test harness: the simulator binary as a child, the workspace's test server (xfota-testkit)
//! and the reference servers (nginx, Python's http.server).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    dead_code,
    unused_imports
)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use xfota_sim::image::{AppImage, ModemImage};

pub const TIMEOUT: Duration = Duration::from_secs(15);

// ---------------------------------------------------------------- server, PKI, temp dirs

pub use xfota_testkit::{install_ca, pki, Pki, Route, Server, TempDir};

// ---------------------------------------------------------------- simulator

type Shared = Arc<(Mutex<(Vec<u8>, bool)>, Condvar)>;

pub struct Sim {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Shared,
    err: Arc<Mutex<Vec<u8>>>,
    /// The thread copying the child's stderr into `err`; joined once the child exited, so
    /// `err` then holds all of it.
    err_reader: Option<std::thread::JoinHandle<()>>,
    pos: usize,
}

fn pump(mut r: impl Read + Send + 'static, shared: Shared) {
    std::thread::spawn(move || {
        let mut b = [0u8; 4096];
        loop {
            let n = r.read(&mut b).unwrap_or(0);
            let (lock, cv) = &*shared;
            let mut g = lock.lock().unwrap();
            if n == 0 {
                g.1 = true;
                cv.notify_all();
                return;
            }
            g.0.extend_from_slice(&b[..n]);
            cv.notify_all();
        }
    });
}

impl Sim {
    pub fn start(state: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_xfota-sim"));
        cmd.arg("--state-dir")
            .arg(state)
            .args(args)
            .env_remove("XFOTA_SIM_POWER_CUT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let out: Shared = Arc::default();
        pump(child.stdout.take().unwrap(), out.clone());
        let err = Arc::new(Mutex::new(Vec::new()));
        let e2 = err.clone();
        let mut stderr = child.stderr.take().unwrap();
        let err_reader = std::thread::spawn(move || {
            let mut b = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut b) {
                if n == 0 {
                    break;
                }
                e2.lock().unwrap().extend_from_slice(&b[..n]);
            }
        });
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            out,
            err,
            err_reader: Some(err_reader),
            pos: 0,
        }
    }

    /// The stderr written so far: a line the simulator is writing may be cut; after
    /// [`Sim::wait_exit`] (and [`Sim::close_stderr`]) it is complete.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    pub fn output(&self) -> Vec<u8> {
        self.out.0.lock().unwrap().0.clone()
    }

    pub fn send(&mut self, line: &str) {
        let s = self.stdin.as_mut().unwrap();
        // A dead child (power cut) makes this fail: the reader sees EOF.
        let _ = s.write_all(format!("{line}\r\n").as_bytes());
        let _ = s.flush();
    }

    /// Waits until `f(unread bytes, eof)` returns Some(consumed, value).
    fn wait<T>(&mut self, what: &str, mut f: impl FnMut(&[u8], bool) -> Option<(usize, T)>) -> T {
        let deadline = Instant::now() + TIMEOUT;
        let (lock, cv) = &*self.out;
        let mut g = lock.lock().unwrap();
        loop {
            if let Some((n, v)) = f(&g.0[self.pos..], g.1) {
                self.pos += n;
                return v;
            }
            let now = Instant::now();
            if now >= deadline {
                let unread = String::from_utf8_lossy(&g.0[self.pos..]).into_owned();
                drop(g);
                panic!(
                    "timeout waiting for {what}; unread {unread:?}\n--- stderr ---\n{}",
                    self.stderr()
                );
            }
            g = cv.wait_timeout(g, deadline - now).unwrap().0;
        }
    }

    /// Exactly these bytes next.
    pub fn expect(&mut self, want: &[u8]) {
        let got = self.wait(&format!("{:?}", String::from_utf8_lossy(want)), |b, eof| {
            if b.len() >= want.len() {
                Some((want.len(), b[..want.len()].to_vec()))
            } else if eof {
                Some((b.len(), b.to_vec()))
            } else {
                None
            }
        });
        if got != want {
            panic!(
                "want {:?}\n got {:?}\n--- stderr ---\n{}",
                String::from_utf8_lossy(want),
                String::from_utf8_lossy(&got),
                self.stderr()
            );
        }
    }

    /// The next framed token: `Ready` (from `Ready\r\n`) or the text of `\r\n<text>\r\n`.
    /// `None` at EOF (the process ended). Panics on any other framing.
    pub fn token(&mut self) -> Option<String> {
        let r = self.wait("a token", |b, eof| {
            if b.starts_with(b"Ready\r\n") {
                return Some((7, Ok(Some("Ready".to_owned()))));
            }
            if b.len() >= 2
                && !b.starts_with(b"\r\n")
                && !b"Ready\r\n".starts_with(&b[..b.len().min(7)])
            {
                return Some((0, Err(String::from_utf8_lossy(b).into_owned())));
            }
            if b.len() >= 2 {
                if let Some(end) = b[2..].windows(2).position(|w| w == b"\r\n") {
                    let t = String::from_utf8_lossy(&b[2..2 + end]).into_owned();
                    return Some((end + 4, Ok(Some(t))));
                }
            }
            if eof {
                return Some((
                    b.len(),
                    if b.is_empty() {
                        Ok(None)
                    } else {
                        Err(String::from_utf8_lossy(b).into_owned())
                    },
                ));
            }
            None
        });
        match r {
            Ok(t) => t,
            Err(bad) => panic!("bad framing at {bad:?}\n--- stderr ---\n{}", self.stderr()),
        }
    }

    pub fn token_or_panic(&mut self) -> String {
        match self.token() {
            Some(t) => t,
            None => panic!("unexpected EOF\n--- stderr ---\n{}", self.stderr()),
        }
    }

    /// Sends `AT` and expects exactly `\r\nOK\r\n` next: nothing else was pending.
    pub fn quiet(&mut self) {
        self.send("AT");
        self.expect(b"\r\nOK\r\n");
    }

    /// Reads a whole download: `1,0,0` first, strictly increasing, `1,0,100`, then `4,0`.
    /// `2,0`/`3,0` may come before the first progress (modem scratch erase). Returns the
    /// percentages.
    pub fn download_ok(&mut self) -> Vec<u32> {
        self.download_ok_from(Vec::new())
    }

    /// [`Sim::download_ok`] after the caller already consumed the percentages `pcts`.
    pub fn download_ok_from(&mut self, mut pcts: Vec<u32>) -> Vec<u32> {
        loop {
            let t = self.token_or_panic();
            if t == "#XFOTA: 4,0" {
                break;
            }
            if let Some(p) = t.strip_prefix("#XFOTA: 1,0,") {
                pcts.push(p.parse::<u32>().unwrap());
            } else if (t == "#XFOTA: 2,0" || t == "#XFOTA: 3,0") && pcts.is_empty() {
            } else {
                panic!(
                    "unexpected {t:?} during download; stderr:\n{}",
                    self.stderr()
                );
            }
        }
        check_progress(&pcts);
        pcts
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to end (bounded).
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                // The pipe is closed: the reader ends, and `err` holds everything.
                if let Some(r) = self.err_reader.take() {
                    let _ = r.join();
                }
                return s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("simulator did not exit; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Closes stdin and expects exit status 0.
    pub fn close(self) {
        self.close_stderr();
    }

    /// Waits until the stderr holds `needle` and returns it. The simulator's download thread
    /// logs a download's outcome after the URC that ends it, and exits with the process: a
    /// test reading that line waits for it before closing the simulator.
    pub fn wait_stderr(&self, needle: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let err = self.stderr();
            if err.contains(needle) {
                return err;
            }
            assert!(
                Instant::now() < deadline,
                "stderr never held {needle:?}:\n{err}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// [`Sim::close`], then the whole stderr (what the simulator logs after its last URC, e.g.
    /// a download's outcome, is only certain to be there once it exited).
    pub fn close_stderr(mut self) -> String {
        self.stdin.take();
        let s = self.wait_exit();
        assert!(s.success(), "exit {s:?}; stderr:\n{}", self.stderr());
        self.stderr()
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn check_progress(pcts: &[u32]) {
    assert_eq!(pcts.first(), Some(&0), "progress must start at 0: {pcts:?}");
    assert_eq!(
        pcts.last(),
        Some(&100),
        "progress must end at 100: {pcts:?}"
    );
    assert!(
        pcts.windows(2).all(|w| w[0] < w[1]),
        "progress must strictly increase: {pcts:?}"
    );
    assert!(pcts.len() <= 101);
}

/// Starts the simulator on a state dir and expects exactly `Ready\r\n` (+ `extra`).
pub fn boot(state: &Path, args: &[&str], extra: &[u8]) -> Sim {
    let mut sim = Sim::start(state, args, &[]);
    sim.expect(b"Ready\r\n");
    sim.expect(extra);
    sim.quiet();
    sim
}

/// Reset and expect exactly OK, Ready and `extra`, then nothing else.
pub fn reset(sim: &mut Sim, extra: &[u8]) {
    sim.send("AT#XRESET");
    sim.expect(OK);
    sim.expect(b"Ready\r\n");
    sim.expect(extra);
    sim.quiet();
}

/// `--erase-ms` for the flows: a short modem scratch erase.
pub const ERASE: &str = "20";

/// An MCUboot application image of `size` body bytes from `seed`.
pub fn app_image(size: usize, seed: u64) -> Vec<u8> {
    AppImage::new(size, seed).build()
}

/// A modem delta image of `size` payload bytes from `seed`, to firmware `xfota-sim-mfw-v2`.
pub fn modem_image(size: usize, seed: u64) -> Vec<u8> {
    ModemImage::new(size, seed, *b"xfota-sim-mfw-v2").build()
}

/// `AT#XFOTA=<op>,"<url>"`.
pub fn start(url: &str, op: u8) -> String {
    format!("AT#XFOTA={op},\"{url}\"")
}

pub fn urc(s: &str) -> Vec<u8> {
    format!("\r\n#XFOTA: {s}\r\n").into_bytes()
}

pub const OK: &[u8] = b"\r\nOK\r\n";
pub const ERROR: &[u8] = b"\r\nERROR\r\n";

pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ---------------------------------------------------------------- reference servers

/// A free TCP port on 127.0.0.1 (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16, what: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(st)) = child.try_wait() {
            panic!("{what} exited: {st:?}");
        }
        assert!(Instant::now() < deadline, "{what} not listening on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One line of nginx's access log (format `xf` below).
#[derive(Debug, Clone)]
pub struct Access {
    pub status: u32,
    pub request: String,
    pub range: Option<String>,
    pub body_bytes: u64,
    pub connection: u64,
}

impl Access {
    /// The requested path.
    pub fn path(&self) -> &str {
        self.request.split(' ').nth(1).unwrap_or("")
    }
    /// `bytes=a-b` as (a, b).
    pub fn range_bounds(&self) -> Option<(u64, Option<u64>)> {
        let spec = self.range.as_deref()?.strip_prefix("bytes=")?;
        let (a, b) = spec.split_once('-')?;
        Some((a.parse().ok()?, b.parse().ok()))
    }
}

/// nginx (the Debian package) on 127.0.0.1: HTTP and HTTPS with a generated CA, serving
/// `root()`; `extra` goes into both server blocks (`$scheme_port` in it is replaced by the
/// block's own port, `$scheme_name` by http or https).
pub struct Nginx {
    child: Child,
    dir: TempDir,
    pub http_port: u16,
    pub https_port: u16,
    pub ca_pem: String,
}

impl Nginx {
    pub fn binary() -> PathBuf {
        for p in ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"] {
            if Path::new(p).exists() {
                return PathBuf::from(p);
            }
        }
        panic!("nginx is not installed (Debian package nginx; .ci/run installs it)");
    }

    pub fn start(extra: &str, files: &[(&str, &[u8])]) -> Self {
        let pki = pki();
        let dir = TempDir::new("nginx");
        let d = dir.path();
        std::fs::create_dir_all(d.join("www")).unwrap();
        std::fs::create_dir_all(d.join("tmp")).unwrap();
        std::fs::create_dir_all(d.join("logs")).unwrap();
        for (name, bytes) in files {
            std::fs::write(d.join("www").join(name), bytes).unwrap();
        }
        std::fs::write(d.join("chain.pem"), &pki.chain_pem).unwrap();
        std::fs::write(d.join("key.pem"), &pki.key_pem).unwrap();
        let http_port = free_port();
        let https_port = free_port();
        let p = d.display();
        // SAFETY: geteuid has no preconditions.
        let user = if unsafe { libc::geteuid() } == 0 {
            "user root;"
        } else {
            ""
        };
        let block = |port: u16, scheme: &str| {
            extra
                .replace("$scheme_port", &port.to_string())
                .replace("$scheme_name", scheme)
        };
        let conf = format!(
            "{user}
daemon off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
    log_format xf '$status|$request|$http_range|$body_bytes_sent|$connection';
    access_log {p}/logs/access.log xf;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{http_port};
        root {p}/www;
        {}
    }}
    server {{
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {p}/chain.pem;
        ssl_certificate_key {p}/key.pem;
        root {p}/www;
        {}
    }}
}}
",
            block(http_port, "http"),
            block(https_port, "https"),
        );
        std::fs::write(d.join("nginx.conf"), conf).unwrap();
        let mut child = Command::new(Self::binary())
            .arg("-p")
            .arg(d)
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .arg("-e")
            .arg(d.join("logs/error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_listening(http_port, "nginx", &mut child);
        wait_listening(https_port, "nginx", &mut child);
        Nginx {
            child,
            dir,
            http_port,
            https_port,
            ca_pem: pki.ca_pem,
        }
    }

    /// The document root.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("www")
    }

    pub fn url(&self, https: bool, path: &str) -> String {
        if https {
            format!("https://127.0.0.1:{}/{path}", self.https_port)
        } else {
            format!("http://127.0.0.1:{}/{path}", self.http_port)
        }
    }

    /// The access log so far.
    pub fn access(&self) -> Vec<Access> {
        let text =
            std::fs::read_to_string(self.dir.path().join("logs/access.log")).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                if f.len() != 5 {
                    return None;
                }
                Some(Access {
                    status: f[0].parse().ok()?,
                    request: f[1].to_owned(),
                    range: (f[2] != "-").then(|| f[2].to_owned()),
                    body_bytes: f[3].parse().ok()?,
                    connection: f[4].parse().ok()?,
                })
            })
            .collect()
    }

    /// Access log lines for `path` (e.g. "/app.bin").
    pub fn access_to(&self, path: &str) -> Vec<Access> {
        self.access()
            .into_iter()
            .filter(|a| a.path() == path)
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would leave them running).
        // SAFETY: plain kill on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Python's stock `http.server` (it answers HTTP/1.0) serving `dir`.
pub struct PyServer {
    child: Child,
    pub port: u16,
}

impl PyServer {
    pub fn start(dir: &Path) -> Self {
        let port = free_port();
        let mut child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        wait_listening(port, "python3 -m http.server", &mut child);
        Self { child, port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `xfota-sim --check-server <url> <args>`: (exit success, stdout).
pub fn check_server(url: &str, args: &[&str]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xfota-sim"))
        .arg("--check-server")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let st = child.wait().unwrap();
    (st.success(), out)
}

/// The `verdict:` line of a check.
pub fn verdict(out: &str) -> &str {
    out.lines()
        .find_map(|l| l.strip_prefix("verdict: "))
        .unwrap_or_else(|| panic!("no verdict in {out}"))
}
