//! `xfota-sim --state-dir <DIR> [--sec-tag-dir <DIR>] [--pty] [--erase-ms <N>] [--progress]`
//!
//! AT lines on stdin (or a pty), the firmware's UART bytes on stdout, logs on stderr.
//! `xfota-sim --make-image app|modem --out <FILE> [...]` writes a test image.
//! See `docs/simulator.md`.

use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use xfota_sim::image::{AppImage, ModemImage, MODEM_FACTORY_UUID};
use xfota_sim::sim::{self, Options, Uart};

const USAGE: &str = "usage:
  xfota-sim --state-dir <DIR> [--sec-tag-dir <DIR>] [--pty] [--erase-ms <N>] [--progress]
  xfota-sim --make-image app --out <FILE> [--size <N>] [--seed <N>] [--corrupt]
  xfota-sim --make-image modem --out <FILE> [--size <N>] [--seed <N>]
            [--source-uuid <16 chars>] [--target-uuid <16 chars>] [--result <code>]";

fn usage(msg: &str) -> ExitCode {
    eprintln!("xfota-sim: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn uuid(s: &str) -> Result<[u8; 16], String> {
    s.as_bytes()
        .try_into()
        .map_err(|_| format!("a UUID here is exactly 16 ASCII characters, got {s:?}"))
}

fn num<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    let t = s.trim_start_matches("0x");
    if t.len() != s.len() {
        u64::from_str_radix(t, 16)
            .ok()
            .and_then(|v| v.to_string().parse().ok())
            .ok_or_else(|| format!("bad number {s:?}"))
    } else {
        s.parse().map_err(|_| format!("bad number {s:?}"))
    }
}

fn make_image(kind: &str, args: &[String]) -> Result<(), String> {
    let mut out = None;
    let mut size: usize = 64 * 1024;
    let mut seed: u64 = 1;
    let mut corrupt = false;
    let mut source = MODEM_FACTORY_UUID;
    let mut target = *b"xfota-sim-mfw-v2";
    let mut result: u32 = 0;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(val()?)),
            "--size" => size = num(&val()?)?,
            "--seed" => seed = num(&val()?)?,
            "--corrupt" => corrupt = true,
            "--source-uuid" => source = uuid(&val()?)?,
            "--target-uuid" => target = uuid(&val()?)?,
            "--result" => result = num(&val()?)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    let out = out.ok_or("--out is required")?;
    let bytes = match kind {
        "app" => {
            let mut b = AppImage::new(size, seed).build();
            if corrupt {
                // Flip a body byte after hashing: the device rejects it when the download ends
                // (#XFOTA: 1,1,2), as MCUboot would at boot.
                if let Some(x) = b.get_mut(0x200) {
                    *x ^= 0xff;
                }
            }
            b
        }
        "modem" => {
            let mut m = ModemImage::new(size, seed, target);
            m.source_uuid = source;
            m.forced_result = result;
            m.build()
        }
        other => return Err(format!("unknown image kind {other} (app or modem)")),
    };
    std::fs::write(&out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

/// Opens a pseudo-terminal in raw mode; returns (master for reading, master for writing, path).
fn open_pty() -> io::Result<(File, File, String)> {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    // SAFETY: openpty writes the two fds; null name/termios/winsize are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: termios is plain data; tcgetattr fills it before cfmakeraw/tcsetattr use it.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(slave, &mut t) != 0 {
            return Err(io::Error::last_os_error());
        }
        libc::cfmakeraw(&mut t);
        if libc::tcsetattr(slave, libc::TCSANOW, &t) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: ttyname returns a pointer to a static NUL-terminated buffer (or null).
    let path = unsafe {
        let p = libc::ttyname(slave);
        if p.is_null() {
            return Err(io::Error::last_os_error());
        }
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    };
    // The slave fd stays open for the life of the process, so reads on the master block
    // instead of failing with EIO while no terminal program is attached.
    // SAFETY: dup of a valid fd; each File owns its own fd.
    let (r, w) = unsafe {
        let dup = libc::dup(master);
        if dup < 0 {
            return Err(io::Error::last_os_error());
        }
        (File::from_raw_fd(master), File::from_raw_fd(dup))
    };
    Ok((r, w, path))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--make-image") {
        let Some(kind) = args.get(1) else {
            return usage("--make-image needs app or modem");
        };
        return match make_image(kind, args.get(2..).unwrap_or(&[])) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage(&e),
        };
    }
    let mut state_dir = None;
    let mut sec_tag_dir = None;
    let mut pty = false;
    let mut erase_ms: u64 = 1000;
    let mut progress = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--state-dir" => state_dir = it.next().map(PathBuf::from),
            "--sec-tag-dir" => sec_tag_dir = it.next().map(PathBuf::from),
            "--pty" => pty = true,
            "--progress" => progress = true,
            "--erase-ms" => match it.next().map(|v| v.parse()) {
                Some(Ok(v)) => erase_ms = v,
                _ => return usage("--erase-ms needs a number of milliseconds"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument {other}")),
        }
    }
    let Some(state_dir) = state_dir else {
        return usage("--state-dir is required");
    };
    let opts = Options {
        state_dir,
        sec_tag_dir,
        erase_ms,
        progress,
    };
    let (tx, rx) = mpsc::channel();
    let uart = if pty {
        let (r, w, path) = match open_pty() {
            Ok(v) => v,
            Err(e) => {
                eprintln!("xfota-sim: openpty: {e}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!("xfota-sim: pty {path}");
        let tx = tx.clone();
        std::thread::spawn(move || sim::reader(r, &tx));
        Uart::new(Box::new(w))
    } else {
        let tx = tx.clone();
        std::thread::spawn(move || sim::reader(io::stdin().lock(), &tx));
        Uart::new(Box::new(io::stdout()))
    };
    match sim::run(&opts, &rx, &tx, uart) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xfota-sim: {e}");
            ExitCode::FAILURE
        }
    }
}
