//! Test harness: the simulator (`xfota-sim --pty`) as the device, a local HTTP/1.1 server, and
//! xfota-host as a child process. The approach of rust/xfota-sim/tests/common, for a second
//! binary: the simulator is a black box here (`--pty`, `--state-dir`, `--make-image`).
#![allow(dead_code)]

use serialport::{SerialPort, TTYPort};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Upper bound for anything a test waits for.
pub const TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------- HTTP server, temp dirs

/// The workspace's test server (HTTP/1.1 with `Range`, as the nRF91's downloader needs it) and
/// temporary directories.
pub use xfota_testkit::{Route, Server, TempDir};

// ---------------------------------------------------------------- the simulator

/// Newest modification time under `p` (a file or a directory tree).
fn newest(p: &Path) -> std::time::SystemTime {
    let mut t = std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(std::time::UNIX_EPOCH);
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            t = t.max(newest(&e.path()));
        }
    }
    t
}

/// The xfota-sim binary of this workspace, next to xfota-host. `cargo test --workspace` builds
/// it anyway (the simulator's own tests need it); only when it is missing or older than the
/// simulator's or the core's sources (`cargo test -p xfota-host` after editing them) is it
/// built here, with the same cargo. `XFOTA_HOST_TEST_SIM=<path>` runs the tests against another
/// simulator build.
pub fn sim_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("XFOTA_HOST_TEST_SIM") {
            return PathBuf::from(p);
        }
        let host = PathBuf::from(env!("CARGO_BIN_EXE_xfota-host"));
        let dir = host.parent().unwrap().to_path_buf();
        let bin = dir.join("xfota-sim");
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let built = std::fs::metadata(&bin).and_then(|m| m.modified()).ok();
        let sources = ["xfota-sim", "xfota-core", "Cargo.lock"]
            .iter()
            .map(|p| newest(&ws.join(p)))
            .max()
            .unwrap();
        if built.is_some_and(|b| b >= sources) {
            return bin;
        }
        let profile = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args(["build", "--quiet", "-p", "xfota-sim", "--bin", "xfota-sim"])
            .arg("--manifest-path")
            .arg(ws.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(dir.parent().unwrap());
        match profile.as_str() {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        let ok = cmd.status().map(|s| s.success()).unwrap_or(false);
        assert!(ok && bin.exists(), "cannot build xfota-sim ({cmd:?})");
        bin
    })
}

/// Writes a test image with `xfota-sim --make-image <kind> <args>` and returns it.
pub fn make_image(kind: &str, args: &[&str]) -> Vec<u8> {
    let dir = TempDir::new("img");
    let out = dir.path().join("img.bin");
    let st = Command::new(sim_bin())
        .args(["--make-image", kind, "--out"])
        .arg(&out)
        .args(args)
        .status()
        .unwrap();
    assert!(st.success(), "--make-image {kind} {args:?}: {st:?}");
    std::fs::read(&out).unwrap()
}

/// The simulated device on a pseudo-terminal.
pub struct Sim {
    child: Child,
    pub pty: String,
    err: Arc<Mutex<String>>,
    _state: TempDir,
}

impl Sim {
    pub fn start() -> Self {
        let state = TempDir::new("state");
        let mut child = Command::new(sim_bin())
            .arg("--state-dir")
            .arg(state.path())
            .args(["--pty", "--erase-ms", "50"])
            .env_remove("XFOTA_SIM_POWER_CUT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let err = Arc::new(Mutex::new(String::new()));
        let mut pty = None;
        let mut line = String::new();
        while lines.read_line(&mut line).unwrap_or(0) > 0 {
            err.lock().unwrap().push_str(&line);
            if let Some(p) = line.trim_end().strip_prefix("xfota-sim: pty ") {
                pty = Some(p.to_owned());
                break;
            }
            line.clear();
        }
        let Some(pty) = pty else {
            let _ = child.kill();
            panic!("no pty line from xfota-sim:\n{}", err.lock().unwrap());
        };
        // Booted: `Ready` waits in the pty until someone reads it.
        let mut t = Term::open_keep(&pty);
        assert_eq!(t.line(), "Ready", "{}", err.lock().unwrap());
        drop(t);
        let e = err.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while lines.read_line(&mut line).unwrap_or(0) > 0 {
                e.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Self {
            child,
            pty,
            err,
            _state: state,
        }
    }

    pub fn stderr(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---------------------------------------------------------------- talking to the device directly

/// The test's own connection to the device's pty, to check its state before or after
/// xfota-host ran (never while it runs: one conversation per port). Lines only.
///
/// A plain non-blocking open, without the `flock` the serialport crate takes: a copy of this fd
/// that a child spawned by a parallel test holds for a moment (between its fork and exec) must
/// not make xfota-host's exclusive open fail.
pub struct Term {
    port: std::fs::File,
    buf: Vec<u8>,
}

impl Term {
    /// Opens the pty and discards what the device said before.
    pub fn open(path: &str) -> Self {
        let mut t = Self::open_keep(path);
        while t.line_within(Duration::from_millis(50)).is_some() {}
        t
    }

    /// Opens the pty, keeping what the device said before.
    pub fn open_keep(path: &str) -> Self {
        use std::os::unix::fs::OpenOptionsExt;
        let port = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .unwrap();
        Self {
            port,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, line: &str) {
        self.port
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    /// The next non-empty line, or None after `wait` without one.
    pub fn line_within(&mut self, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(i) = self.buf.iter().position(|&b| b == b'\r' || b == b'\n') {
                let l: Vec<u8> = self.buf.drain(..=i).collect();
                let l = String::from_utf8_lossy(&l[..l.len() - 1]).into_owned();
                if !l.is_empty() {
                    return Some(l);
                }
            }
            if Instant::now() >= deadline {
                return None;
            }
            let mut b = [0u8; 256];
            match self.port.read(&mut b) {
                Ok(n) => self.buf.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(e) => panic!("pty read: {e}"),
            }
        }
    }

    pub fn line(&mut self) -> String {
        self.line_within(Duration::from_secs(10))
            .expect("no line from the device")
    }

    /// Sends `line` and expects exactly these lines next, then nothing for 300 ms.
    pub fn exchange(&mut self, line: &str, want: &[&str]) {
        self.send(line);
        let got: Vec<String> = want.iter().map(|_| self.line()).collect();
        assert_eq!(got, want, "after {line}");
        let extra = self.line_within(Duration::from_millis(300));
        assert_eq!(extra, None, "after {line}: unexpected extra line");
    }
}

// ---------------------------------------------------------------- a scripted peer

/// A pseudo-terminal whose far end answers each line xfota-host sends with exact wire bytes
/// taken from docs/wire-contract.md: for outcomes the simulator cannot produce on demand
/// (`5,3`, `5,1,-2`, a restart mid-download, notifications of other commands).
pub struct Scripted {
    pub path: String,
    _slave: TTYPort,
    sent: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    /// `answer(line)` returns the chunks to write back, each after a short pause.
    pub fn start(mut answer: impl FnMut(&str) -> Vec<String> + Send + 'static) -> Self {
        let (mut master, slave) = TTYPort::pair().unwrap();
        let path = slave.name().unwrap();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let s = sent.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let mut b = [0u8; 256];
            loop {
                match master.read(&mut b) {
                    Ok(n) => buf.extend_from_slice(&b[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                    Err(_) => return,
                }
                while let Some(i) = buf.iter().position(|&b| b == b'\n') {
                    let l: Vec<u8> = buf.drain(..=i).collect();
                    let l = String::from_utf8_lossy(&l).trim().to_owned();
                    s.lock().unwrap().push(l.clone());
                    for chunk in answer(&l) {
                        std::thread::sleep(Duration::from_millis(5));
                        if master.write_all(chunk.as_bytes()).is_err() {
                            return;
                        }
                    }
                }
            }
        });
        Self {
            path,
            _slave: slave,
            sent,
        }
    }

    /// The lines xfota-host sent.
    pub fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }
}

/// `\r\n<text>\r\n`.
pub fn framed(text: &str) -> String {
    format!("\r\n{text}\r\n")
}

// ---------------------------------------------------------------- xfota-host

/// A finished xfota-host run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    /// Exactly one line on stdout: the final line.
    pub fn line(&self) -> &str {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "stdout must be one line: {self:#?}");
        lines[0]
    }

    pub fn assert(&self, code: i32, final_contains: &str) {
        assert_eq!(self.code, code, "exit status: {self:#?}");
        assert!(
            self.line().contains(final_contains),
            "final line lacks {final_contains:?}: {self:#?}"
        );
    }
}

/// A running xfota-host.
pub struct Host {
    child: Child,
    out: Option<std::thread::JoinHandle<String>>,
    err: Option<std::thread::JoinHandle<String>>,
    started: Instant,
}

impl Drop for Host {
    /// A test that fails half-way leaves no xfota-host behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    })
}

impl Host {
    pub fn spawn(args: &[&str]) -> Self {
        Self::spawn_with_stderr(args, Stdio::piped())
    }

    /// With stderr connected to `stderr` (e.g. a terminal); `Run::stderr` is then empty.
    pub fn spawn_with_stderr(args: &[&str], stderr: Stdio) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xfota-host"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let out = collect(child.stdout.take().unwrap());
        let err = match child.stderr.take() {
            Some(e) => collect(e),
            None => std::thread::spawn(String::new),
        };
        Self {
            child,
            out: Some(out),
            err: Some(err),
            started: Instant::now(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGINT (Ctrl-C).
    pub fn interrupt(&self) {
        let st = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -INT {}", self.pid()))
            .status()
            .unwrap();
        assert!(st.success());
    }

    pub fn wait(mut self) -> Run {
        let deadline = self.started + TIMEOUT;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("xfota-host did not exit within {TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = self.started.elapsed();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: self.out.take().unwrap().join().unwrap(),
            stderr: self.err.take().unwrap().join().unwrap(),
            took,
        }
    }
}

/// Runs xfota-host to the end.
pub fn host(args: &[&str]) -> Run {
    Host::spawn(args).wait()
}
