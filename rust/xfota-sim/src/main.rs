//! `xfota-sim`: the simulated device, the test image writer and the FOTA server check.
//!
//! ```text
//! xfota-sim --state-dir <DIR> [--sec-tag-dir <DIR>] [--pty] [--erase-ms <N>] [--no-progress]
//!           [--recv-timeout-ms <N>]
//! xfota-sim --make-image app|modem --out <FILE> [...]
//! xfota-sim --check-server <URL> [--sec-tag-dir <DIR> --sec-tag <N>] [--image app|modem]
//! ```
//!
//! AT lines on stdin (or a pty), the firmware's UART bytes on stdout, logs on stderr.
//! See `docs/simulator.md`.

use clap::{ArgGroup, Parser, ValueEnum};
use std::fs::File;
use std::io;
use std::os::fd::FromRawFd;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;
use xfota_sim::image::{AppImage, ImageKind, ModemImage, MODEM_FACTORY_UUID};
use xfota_sim::sim::{self, Options, Uart};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Kind {
    /// An MCUboot application image.
    App,
    /// A modem delta image.
    Modem,
}

/// AT#XFOTA on a PC: the simulated nRF9161, its test images, and a FOTA server check.
#[derive(Parser, Debug)]
#[command(name = "xfota-sim", version, about)]
#[command(group(ArgGroup::new("mode").required(true).args(["state_dir", "make_image", "check_server"])))]
struct Cli {
    /// Run the device on this state directory (its flash; created if missing).
    #[arg(long, value_name = "DIR")]
    state_dir: Option<PathBuf>,
    /// Write a test image of this kind (with --out).
    #[arg(long, value_name = "KIND")]
    make_image: Option<Kind>,
    /// Download URL as the device would, print every request and response, end with a verdict
    /// (exit status 0 only if a device would succeed).
    #[arg(long, value_name = "URL")]
    check_server: Option<String>,

    /// Credentials: DIR/<sec_tag>/ca-cert.pem is the CA for https with that sec_tag.
    #[arg(long, value_name = "DIR")]
    sec_tag_dir: Option<PathBuf>,
    /// --check-server: the <sec_tag> for https.
    #[arg(long, value_name = "N", requires = "check_server")]
    sec_tag: Option<u32>,
    /// --check-server: the image type the file must be (default: any).
    #[arg(long, value_name = "KIND", requires = "check_server")]
    image: Option<Kind>,
    /// Socket receive timeout of the device's downloader in ms (the device: 30000).
    #[arg(long, value_name = "N", default_value_t = 30_000)]
    recv_timeout_ms: u64,

    /// Serve a pseudo-terminal instead of stdin/stdout (its path is printed on stderr).
    #[arg(long, requires = "state_dir")]
    pty: bool,
    /// Duration of the simulated modem scratch erase in ms.
    #[arg(long, value_name = "N", default_value_t = 1000, requires = "state_dir")]
    erase_ms: u64,
    /// No progress bar (it is drawn on stderr only when stderr is a terminal).
    #[arg(long, requires = "state_dir")]
    no_progress: bool,
    /// Accepted for compatibility: the bar is on whenever stderr is a terminal.
    #[arg(long, hide = true)]
    progress: bool,

    /// --make-image: the file to write.
    #[arg(long, value_name = "FILE", requires = "make_image")]
    out: Option<PathBuf>,
    /// --make-image: body (app) or payload (modem) size.
    #[arg(long, value_name = "N", value_parser = num::<usize>, default_value = "65536", requires = "make_image")]
    size: usize,
    /// --make-image: seed of the pseudo-random content.
    #[arg(long, value_name = "N", value_parser = num::<u64>, default_value = "1", requires = "make_image")]
    seed: u64,
    /// --make-image app: flip a body byte after hashing (MCUboot refuses it).
    #[arg(long, requires = "make_image")]
    corrupt: bool,
    /// --make-image modem: firmware the delta applies to (1 to 16 characters).
    #[arg(long, value_name = "NAME", value_parser = uuid, requires = "make_image")]
    source_uuid: Option<[u8; 16]>,
    /// --make-image modem: firmware after the update (1 to 16 characters; AT+CGMR shows it).
    #[arg(long, value_name = "NAME", value_parser = uuid, requires = "make_image")]
    target_uuid: Option<[u8; 16]>,
    /// --make-image modem: forced DFU result (e.g. 0x4400005).
    #[arg(long, value_name = "CODE", value_parser = num::<u32>, requires = "make_image")]
    result: Option<u32>,
}

fn uuid(s: &str) -> Result<[u8; 16], String> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 16 || !b.iter().all(u8::is_ascii_graphic) {
        return Err(format!(
            "a firmware name here is 1 to 16 printable ASCII characters, got {s:?}"
        ));
    }
    let mut u = [0u8; 16];
    if let Some(d) = u.get_mut(..b.len()) {
        d.copy_from_slice(b);
    }
    Ok(u)
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

fn make_image(kind: Kind, cli: &Cli) -> Result<(), String> {
    let out = cli.out.as_ref().ok_or("--out is required")?;
    let bytes = match kind {
        Kind::App => {
            let mut b = AppImage::new(cli.size, cli.seed).build();
            if cli.corrupt {
                // Flip a body byte after hashing: the device rejects it when the download ends
                // (#XFOTA: 1,1,2), as MCUboot would at boot.
                if let Some(x) = b.get_mut(0x200) {
                    *x ^= 0xff;
                }
            }
            b
        }
        Kind::Modem => {
            let mut m = ModemImage::new(
                cli.size,
                cli.seed,
                cli.target_uuid.unwrap_or(*b"xfota-sim-mfw-v2"),
            );
            m.source_uuid = cli.source_uuid.unwrap_or(MODEM_FACTORY_UUID);
            m.forced_result = cli.result.unwrap_or(0);
            m.build()
        }
    };
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
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
    let cli = Cli::parse();
    let recv_timeout = Duration::from_millis(cli.recv_timeout_ms.max(1));
    if let Some(kind) = cli.make_image {
        return match make_image(kind, &cli) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("xfota-sim: {e}");
                ExitCode::from(2)
            }
        };
    }
    if let Some(url) = &cli.check_server {
        let opts = xfota_sim::check::Options {
            url: url.clone(),
            sec_tag_dir: cli.sec_tag_dir.clone(),
            sec_tag: cli.sec_tag,
            image: cli.image.map(|k| match k {
                Kind::App => ImageKind::App,
                Kind::Modem => ImageKind::Modem,
            }),
            recv_timeout,
        };
        let ok = xfota_sim::check::run(&opts, &mut io::stdout().lock());
        return if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let Some(state_dir) = cli.state_dir.clone() else {
        return ExitCode::from(2);
    };
    let opts = Options {
        state_dir,
        sec_tag_dir: cli.sec_tag_dir.clone(),
        erase_ms: cli.erase_ms,
        recv_timeout,
        progress: !cli.no_progress,
    };
    let (tx, rx) = mpsc::channel();
    let uart = if cli.pty {
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
