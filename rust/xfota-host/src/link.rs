//! The serial port (serialport crate): 8N1, RTS/CTS by default, opened for exclusive use, and a
//! reader thread that turns the byte stream into [`Event::Line`]s on the run's event channel.

use crate::control::Client;
use crate::device::Lines;
use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};
use std::io::{self, Write};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// Everything the driver waits for, from every source, in arrival order.
#[derive(Debug)]
pub enum Event {
    /// One line from the device.
    Line(String),
    /// The port closed or failed; the reason.
    Closed(String),
    /// Ctrl-C (SIGINT/SIGTERM).
    Interrupt,
    /// `xfota-host cancel` run by someone else on the same port.
    CancelRequest(Client),
}

/// Serial settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The device path (`/dev/ttyACM0`, `/dev/serial/by-id/...`, `COM3`).
    pub path: String,
    /// Baud rate.
    pub baud: u32,
    /// RTS/CTS hardware flow control.
    pub flow_control: bool,
}

/// How long a write may wait (flow control holding us back) before the port counts as lost.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the reader thread wakes up without data.
const READ_POLL: Duration = Duration::from_millis(200);

/// The writing half of an open port.
pub struct Port {
    port: Box<dyn SerialPort>,
}

impl Port {
    /// Opens the port for exclusive use (another program that respects `TIOCEXCL`/`flock`
    /// cannot open it meanwhile), discards stale input and starts the reader thread, which
    /// sends [`Event`]s to `tx` until the port closes.
    pub fn open(s: &Settings, tx: Sender<Event>) -> Result<Self, serialport::Error> {
        let port = serialport::new(&s.path, s.baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(if s.flow_control {
                FlowControl::Hardware
            } else {
                FlowControl::None
            })
            .timeout(WRITE_TIMEOUT)
            .open()?;
        port.clear(ClearBuffer::Input)?;
        let mut reader = port.try_clone()?;
        reader.set_timeout(READ_POLL)?;
        std::thread::Builder::new()
            .name("serial-reader".into())
            .spawn(move || read_lines(reader.as_mut(), &tx))
            .map_err(serialport::Error::from)?;
        Ok(Self { port })
    }

    /// Sends one AT line, terminated by `\r\n`.
    pub fn send(&mut self, line: &str) -> io::Result<()> {
        self.port.write_all(format!("{line}\r\n").as_bytes())
    }
}

fn read_lines(port: &mut dyn SerialPort, tx: &Sender<Event>) {
    let mut lines = Lines::default();
    let mut buf = [0u8; 1024];
    loop {
        let why = match port.read(&mut buf) {
            Ok(0) => "the port closed (end of file)".to_owned(),
            Ok(n) => {
                for l in lines.push(buf.get(..n).unwrap_or(&[])) {
                    if tx.send(Event::Line(l)).is_err() {
                        return;
                    }
                }
                continue;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => format!("the port closed ({e})"),
        };
        let _ = tx.send(Event::Closed(why));
        return;
    }
}
