//! `xfota-host --port <serial device> app|modem <url> | erase app|modem | cancel`: see `--help`
//! and README's "xfota-host" section.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;
use xfota_core::ImageType;
use xfota_host::command::{self, EraseTarget};
use xfota_host::control;
use xfota_host::link::{Event, Port, Settings};
use xfota_host::outcome::{Exit, Outcome};
use xfota_host::session::Driver;
use xfota_host::ui::Ui;

const USAGE: &str = "\
xfota-host --port <serial device> [--baud 115200] app   <url> [--sec-tag N] [--apn APN] [--no-reset]
       xfota-host --port <serial device> [--baud 115200] modem <url> [--sec-tag N] [--apn APN] [--no-reset]
       xfota-host --port <serial device> erase app|modem
       xfota-host --port <serial device> cancel
         common: [--timeout <seconds without any progress, default 120>] [--quiet] [--no-flow-control]";

const EXIT_STATUS: &str = "\
Exit status:
  0  updated (#XFOTA: 5,0), or downloaded with --no-reset (#XFOTA: 4,0); erase/cancel: OK
  1  bad command line
  2  refused: the device answered ERROR, or the firmware would (bad URL, sec_tag, APN:
     checked with the firmware's own grammar before the port is opened); cancel: nothing to
     cancel
  3  download failed (#XFOTA: <stage>,1,1), or the device restarted during the download
  4  image rejected (#XFOTA: 1,1,2) or image type mismatch (#XFOTA: 1,1,3)
  5  reverted: the new image did not stay (#XFOTA: 5,3)
  6  update failed at boot (#XFOTA: 5,1,<code>; 5,1,-2: the modem brought no result), or a
     modem update postponed at boot (#XFOTA: 4,1,71303173: voltage low, retried at the
     next reset)
  7  timeout (no progress for --timeout seconds; a running download is cancelled on the
     device first), the port cannot be opened or is held by another xfota-host, or it closed
  8  cancelled (#XFOTA: 1,2,0: Ctrl-C or `xfota-host cancel` from another shell), or
     interrupted

stdout carries one line, the outcome in words and the notification that decided it;
progress, stages and other device notifications go to stderr.";

/// Drive an AT#XFOTA update of an nRF91 over a serial port.
#[derive(Parser, Debug)]
#[command(name = "xfota-host", version, override_usage = USAGE, after_help = EXIT_STATUS)]
struct Cli {
    /// Serial device of the nRF91's AT interface (e.g. /dev/ttyACM0). Required.
    #[arg(long, value_name = "serial device", global = true)]
    port: Option<String>,
    /// Baud rate (8N1).
    #[arg(long, value_name = "baud", default_value_t = 115_200, global = true)]
    baud: u32,
    /// Turn RTS/CTS hardware flow control off (the DK's AT UART uses it).
    #[arg(long, global = true)]
    no_flow_control: bool,
    /// Give up after this many seconds without any progress.
    #[arg(long, value_name = "seconds", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..), global = true)]
    timeout: u64,
    /// No progress bar or status lines (device notifications and the final line stay).
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    op: Op,
}

#[derive(Subcommand, Debug)]
enum Op {
    /// Update the application: AT#XFOTA=1, then AT#XRESET, then the result.
    App(Update),
    /// Update the modem with a delta image: AT#XFOTA=2, then AT#XRESET, then the result.
    Modem(Update),
    /// Erase MCUboot's secondary slot (app, AT#XFOTA=8) or the modem scratch area (modem,
    /// AT#XFOTA=9).
    Erase {
        /// What to erase.
        #[arg(value_enum)]
        target: Target,
    },
    /// Cancel the running download (AT#XFOTA=0), also one that another xfota-host drives.
    Cancel,
}

#[derive(Args, Debug)]
struct Update {
    /// http:// or https:// URL of the image.
    url: String,
    /// Modem security tag with the server's CA certificate (required for https).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    sec_tag: Option<i64>,
    /// Access point name of the PDN to download over (default: the default PDN).
    #[arg(long, value_name = "APN")]
    apn: Option<String>,
    /// Stop after #XFOTA: 4,0 (downloaded): do not send AT#XRESET.
    #[arg(long)]
    no_reset: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Target {
    /// MCUboot's secondary slot.
    App,
    /// The modem's scratch area.
    Modem,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { Exit::Usage as u8 } else { 0 });
        }
    };
    let Some(path) = cli.port.clone() else {
        let e = Cli::command().error(
            clap::error::ErrorKind::MissingRequiredArgument,
            "--port <serial device> is required",
        );
        let _ = e.print();
        return ExitCode::from(Exit::Usage as u8);
    };
    let outcome = run(&cli, path);
    // A closed stdout must not turn the outcome into a crash: the exit status still tells.
    let _ = writeln!(std::io::stdout(), "{outcome}");
    ExitCode::from(outcome.code())
}

fn run(cli: &Cli, path: String) -> Outcome {
    let timeout = Duration::from_secs(cli.timeout);
    // What to send, checked before the port is touched.
    let start = match &cli.op {
        Op::App(u) | Op::Modem(u) => {
            let image = match cli.op {
                Op::Modem(_) => ImageType::Modem,
                _ => ImageType::App,
            };
            match command::start(image, &u.url, u.sec_tag, u.apn.as_deref()) {
                Ok(line) => Some((image, line, u.no_reset)),
                Err(r) => {
                    return Outcome::new(
                        Exit::Refused,
                        "refused",
                        format!("the firmware would answer ERROR: {r}; nothing was sent"),
                    )
                }
            }
        }
        _ => None,
    };
    if matches!(cli.op, Op::Cancel) {
        // A run that holds the port cancels for us; otherwise we talk to the device.
        if let Ok(Some(a)) = control::ask_cancel(&path, timeout) {
            return if a.code == Exit::Cancelled as u8 {
                Outcome::new(
                    Exit::Success,
                    "cancelled",
                    format!("the xfota-host running on {path} stopped: {}", a.line),
                )
            } else {
                Outcome::new(
                    Exit::Refused,
                    "nothing to cancel",
                    format!("the xfota-host running on {path} answered: {}", a.line),
                )
            };
        }
    }
    // A missing device shows up in the open below, with the serial port's own message.
    let claim = match control::claim(&path) {
        Ok(Some(c)) => Some(c),
        Ok(None) => {
            return Outcome::new(
                Exit::Lost,
                "port busy",
                format!("another xfota-host is using {path}"),
            )
        }
        Err(_) => None,
    };
    let (tx, rx) = mpsc::channel();
    let settings = Settings {
        path: path.clone(),
        baud: cli.baud,
        flow_control: !cli.no_flow_control,
    };
    let port = match Port::open(&settings, tx.clone()) {
        Ok(p) => p,
        Err(e) => {
            return Outcome::new(
                Exit::Lost,
                "port unavailable",
                format!("cannot open {path}: {e}"),
            )
        }
    };
    if let Some(c) = claim {
        control::serve(c, tx.clone());
    }
    let int = tx.clone();
    // Without a handler (it can fail only if one is already set) Ctrl-C just ends the process.
    let _ = ctrlc::set_handler(move || {
        let _ = int.send(Event::Interrupt);
    });
    drop(tx);
    let mut driver = Driver::new(port, rx, timeout, Ui::new(cli.quiet));
    let outcome = match (&cli.op, start) {
        (_, Some((image, line, no_reset))) => driver.update(image, &line, no_reset),
        (Op::Erase { target }, _) => driver.erase(match target {
            Target::App => EraseTarget::App,
            Target::Modem => EraseTarget::Modem,
        }),
        _ => driver.cancel(),
    };
    driver.finish(outcome)
}
