//! One xfota-host per serial port, and `xfota-host cancel` while another one runs.
//!
//! A serial port carries one conversation: two programs reading the same tty split its bytes
//! between them at random, so a second xfota-host must not talk to a port that a running one
//! holds. Each run claims the port by binding a Unix socket in Linux's abstract namespace, named
//! after the device number of the tty (`/dev/ttyACM0` and its `/dev/serial/by-id/...` link are
//! the same device). The socket vanishes with the process, whatever way it ends.
//!
//! `xfota-host cancel` first connects to that socket: if a run holds the port, it asks it to
//! cancel (`cancel\n`); the holder sends `AT#XFOTA=0` itself, finishes (exit 8) and answers
//! `<its exit status>\t<its final line>\n`. Only if nobody holds the port does `cancel` open it.
//!
//! Other platforms: no socket; the serial port's exclusive open is the only guard, and
//! `cancel` cannot reach a running xfota-host (stop it with Ctrl-C, which cancels too).

use crate::link::Event;
use crate::outcome::Outcome;
use std::io;
use std::sync::mpsc::Sender;

/// A `cancel` request from another process, waiting for this run's outcome.
#[derive(Debug)]
pub struct Client {
    #[cfg(target_os = "linux")]
    stream: std::os::unix::net::UnixStream,
}

impl Client {
    /// Answers the request with `outcome` and closes the connection.
    pub fn reply(self, outcome: &Outcome) {
        #[cfg(target_os = "linux")]
        {
            use std::io::Write;
            let mut s = self.stream;
            let _ = writeln!(s, "{}\t{outcome}", outcome.code());
        }
        #[cfg(not(target_os = "linux"))]
        let _ = outcome;
    }
}

/// What the port's holder answered to `cancel`.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    /// Its exit status.
    pub code: u8,
    /// Its final line.
    pub line: String,
}

/// The claim on a port, held for the whole run.
pub struct Claim {
    #[cfg(target_os = "linux")]
    listener: std::os::unix::net::UnixListener,
}

#[cfg(target_os = "linux")]
mod imp {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
    use std::time::Duration;

    fn addr(port: &str) -> io::Result<SocketAddr> {
        let meta = std::fs::metadata(port)?;
        // A tty's identity is its device number; anything else (a test file) its inode.
        let id = if meta.rdev() != 0 {
            format!("rdev-{:x}", meta.rdev())
        } else {
            format!("ino-{:x}-{:x}", meta.dev(), meta.ino())
        };
        SocketAddr::from_abstract_name(format!("xfota-host/{id}"))
    }

    /// Claims `port`. `Ok(None)`: another xfota-host holds it.
    pub fn claim(port: &str) -> io::Result<Option<Claim>> {
        match UnixListener::bind_addr(&addr(port)?) {
            Ok(listener) => Ok(Some(Claim { listener })),
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Serves `cancel` requests on the claim: each one becomes an [`Event::CancelRequest`].
    pub fn serve(claim: Claim, tx: Sender<Event>) {
        let _ = std::thread::Builder::new()
            .name("control".into())
            .spawn(move || {
                for conn in claim.listener.incoming() {
                    let Ok(stream) = conn else { continue };
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut line = String::new();
                    let ok = stream
                        .try_clone()
                        .map(|s| BufReader::new(s).read_line(&mut line))
                        .is_ok();
                    if ok && line.trim_end() == "cancel" {
                        let _ = stream.set_read_timeout(None);
                        if tx.send(Event::CancelRequest(Client { stream })).is_err() {
                            return;
                        }
                    }
                }
            });
    }

    /// Asks the xfota-host holding `port` to cancel and waits up to `wait` for its answer.
    /// `Ok(None)`: nobody holds the port.
    pub fn ask_cancel(port: &str, wait: Duration) -> io::Result<Option<Answer>> {
        let mut s = match UnixStream::connect_addr(&addr(port)?) {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => return Ok(None),
            Err(e) => return Err(e),
        };
        s.write_all(b"cancel\n")?;
        s.set_read_timeout(Some(wait))?;
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line)?;
        let (code, text) = line
            .trim_end()
            .split_once('\t')
            .ok_or_else(|| io::Error::other("the running xfota-host gave no answer"))?;
        let code = code
            .parse()
            .map_err(|_| io::Error::other(format!("bad answer {line:?}")))?;
        Ok(Some(Answer {
            code,
            line: text.to_owned(),
        }))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;
    use std::time::Duration;

    /// No cross-process claim here: always granted.
    pub fn claim(_port: &str) -> io::Result<Option<Claim>> {
        Ok(Some(Claim {}))
    }

    /// Nothing to serve.
    pub fn serve(_claim: Claim, _tx: Sender<Event>) {}

    /// Nobody can be reached.
    pub fn ask_cancel(_port: &str, _wait: Duration) -> io::Result<Option<Answer>> {
        Ok(None)
    }
}

pub use imp::{ask_cancel, claim, serve};
