//! The dialogue with the device, one operation per run: what to send, which lines end it, and
//! the [`Outcome`].
//!
//! Every wait is bounded by `--timeout`, counted from the last sign of life of the FOTA
//! dialogue: an `OK`/`ERROR`, `Ready` or any `#XFOTA` notification. Other notifications
//! (`+CEREG: ...`, `#XMODEM: ...`) are shown but do not count: a chatty modem does not keep a
//! stalled download alive.

use crate::command::{self, EraseTarget, CANCEL, PROBE, RESET};
use crate::control::Client;
use crate::device::{DeviceLine, Notice};
use crate::link::{Event, Port};
use crate::outcome::{self, Exit, Outcome};
use crate::ui::Ui;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use xfota_core::ImageType;

/// How long to wait for the answer to a cancel that xfota-host sends by itself (timeout).
const CANCEL_WAIT: Duration = Duration::from_secs(3);
/// After `Ready` while probing: how long an `AT` sent during the boot may still be answered
/// before it is sent again.
const BOOT_GRACE: Duration = Duration::from_secs(1);

/// Where a cancel (Ctrl-C, or `xfota-host cancel` from another process) stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cancel {
    /// None asked.
    None,
    /// Asked before the start command was answered: sent once it is.
    Wanted,
    /// `AT#XFOTA=0` sent.
    Sent,
}

enum Step {
    Line(DeviceLine, String),
    Timeout,
    Closed(String),
    Interrupt,
    Request(Client),
}

/// One run against an open port.
pub struct Driver {
    port: Port,
    rx: Receiver<Event>,
    timeout: Duration,
    ui: Ui,
    cancel: Cancel,
    /// `cancel` requests from other processes, answered with this run's outcome.
    waiters: Vec<Client>,
}

fn lost(what: &'static str, detail: impl Into<String>) -> Outcome {
    Outcome::new(Exit::Lost, what, detail)
}

fn closed(why: &str) -> Outcome {
    lost("port closed", why.to_owned())
}

fn nothing_to_cancel(why: &str) -> Outcome {
    Outcome::new(Exit::Refused, "nothing to cancel", why.to_owned())
}

impl Driver {
    /// A driver over `port`, whose reader (and Ctrl-C handler, and control socket) send to `rx`.
    pub fn new(port: Port, rx: Receiver<Event>, timeout: Duration, ui: Ui) -> Self {
        Self {
            port,
            rx,
            timeout,
            ui,
            cancel: Cancel::None,
            waiters: Vec::new(),
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    fn secs(&self) -> u64 {
        self.timeout.as_secs()
    }

    fn send(&mut self, line: &str) -> Result<(), Outcome> {
        self.port
            .send(line)
            .map_err(|e| lost("port lost", format!("cannot write {line} to the port: {e}")))
    }

    fn next(&mut self, deadline: Instant) -> Step {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(wait) {
            Ok(Event::Line(l)) => Step::Line(DeviceLine::parse(&l), l),
            Ok(Event::Closed(why)) => Step::Closed(why),
            Ok(Event::Interrupt) => Step::Interrupt,
            Ok(Event::CancelRequest(c)) => Step::Request(c),
            Err(RecvTimeoutError::Timeout) => Step::Timeout,
            Err(RecvTimeoutError::Disconnected) => Step::Closed("the port reader stopped".into()),
        }
    }

    /// Ends the run: the bar stops, waiting `cancel` requests get the outcome.
    pub fn finish(mut self, outcome: Outcome) -> Outcome {
        self.ui.done();
        for c in self.waiters.drain(..) {
            c.reply(&outcome);
        }
        outcome
    }

    /// `AT` until `OK`. `update`: a `cancel` request from another process stops the run before
    /// anything else is sent (exit 8), as Ctrl-C does; otherwise it is answered "nothing to
    /// cancel".
    fn probe(&mut self, update: bool) -> Result<(), Outcome> {
        self.send(PROBE)?;
        let mut deadline = self.deadline();
        let mut resend: Option<Instant> = None;
        loop {
            let until = resend.map_or(deadline, |r| r.min(deadline));
            match self.next(until) {
                Step::Line(DeviceLine::Ok, _) => return Ok(()),
                Step::Line(DeviceLine::Error, raw) => {
                    return Err(Outcome::new(
                        Exit::Refused,
                        "refused",
                        "the device answered ERROR to AT",
                    )
                    .raw(raw))
                }
                Step::Line(DeviceLine::Ready, _) => {
                    self.ui.status("the device booted");
                    resend = Some(Instant::now() + BOOT_GRACE);
                    deadline = self.deadline();
                }
                Step::Line(_, raw) => self.ui.device(&raw),
                Step::Timeout if resend.is_some_and(|r| Instant::now() >= r) => {
                    resend = None;
                    self.send(PROBE)?;
                }
                Step::Timeout => {
                    return Err(lost(
                        "timeout",
                        format!("no answer to AT within {} s", self.secs()),
                    ))
                }
                Step::Closed(why) => return Err(closed(&why)),
                Step::Interrupt => {
                    return Err(Outcome::new(
                        Exit::Cancelled,
                        "interrupted",
                        "nothing was sent to the device",
                    ))
                }
                Step::Request(c) if update => {
                    self.waiters.push(c);
                    return Err(Outcome::new(
                        Exit::Cancelled,
                        "cancelled",
                        "asked to cancel before the start command was sent; nothing was sent",
                    ));
                }
                Step::Request(c) => c.reply(&nothing_to_cancel(
                    "the running xfota-host is not downloading (it is checking the device)",
                )),
            }
        }
    }

    /// Asks for a cancel: now if the start was answered, else as soon as it is.
    fn request_cancel(&mut self, answered: bool) -> Result<(), Outcome> {
        if self.cancel != Cancel::None {
            return Ok(());
        }
        if answered {
            self.send(CANCEL)?;
            self.cancel = Cancel::Sent;
        } else {
            self.cancel = Cancel::Wanted;
        }
        Ok(())
    }

    /// After `1,2,0` for our own cancel: consume its `OK` (bounded), showing anything else.
    fn drain_answer(&mut self) {
        let end = Instant::now() + CANCEL_WAIT;
        loop {
            match self.next(end) {
                Step::Line(DeviceLine::Ok | DeviceLine::Error, _) => return,
                Step::Line(DeviceLine::Fota(_), _) => {}
                Step::Line(_, raw) => self.ui.device(&raw),
                Step::Request(c) => self.waiters.push(c),
                _ => return,
            }
        }
    }

    /// `app` / `modem`: probe, start, follow the download, reset, read the result.
    pub fn update(&mut self, image: ImageType, line: &str, no_reset: bool) -> Outcome {
        match self.update_steps(image, line, no_reset) {
            Ok(o) | Err(o) => o,
        }
    }

    fn update_steps(
        &mut self,
        image: ImageType,
        line: &str,
        no_reset: bool,
    ) -> Result<Outcome, Outcome> {
        self.probe(true)?;
        self.ui.status(&format!("sending {line}"));
        self.send(line)?;
        let downloaded = self.download()?;
        self.ui.done();
        if self.cancel != Cancel::None {
            return Err(Outcome::new(
                Exit::Cancelled,
                "interrupted",
                "the download finished before the cancel reached the device: the image waits \
                 for activation (AT#XRESET activates it, `xfota-host erase` discards it)",
            )
            .raw(downloaded));
        }
        if no_reset {
            return Ok(Outcome::new(
                Exit::Success,
                "downloaded",
                "the image waits for activation at the next reset (AT#XRESET)",
            )
            .raw(downloaded));
        }
        self.ui
            .status("downloaded; resetting the device (AT#XRESET) to activate the image");
        self.send(RESET)?;
        self.boot_result(image)
    }

    /// From the start command to `4,0` (returned) or the end of the download.
    fn download(&mut self) -> Result<String, Outcome> {
        let mut answered = false;
        let mut start_failure: Option<String> = None;
        let mut deadline = self.deadline();
        loop {
            let (l, raw) = match self.next(deadline) {
                Step::Line(l, raw) => (l, raw),
                Step::Timeout => return Err(self.give_up(answered)),
                Step::Closed(why) => return Err(closed(&why)),
                Step::Interrupt => {
                    if self.cancel != Cancel::None {
                        return Err(Outcome::new(
                            Exit::Cancelled,
                            "interrupted",
                            "stopped waiting for the device to confirm the cancel",
                        ));
                    }
                    self.ui
                        .status("cancelling the download (Ctrl-C again to stop waiting)");
                    self.request_cancel(answered)?;
                    continue;
                }
                Step::Request(c) => {
                    self.waiters.push(c);
                    if self.cancel == Cancel::None {
                        self.ui
                            .status("cancelling the download (asked by `xfota-host cancel`)");
                    }
                    self.request_cancel(answered)?;
                    continue;
                }
            };
            if !matches!(l, DeviceLine::Other) {
                deadline = self.deadline();
            }
            match l {
                DeviceLine::Ok if !answered => {
                    answered = true;
                    if self.cancel == Cancel::Wanted {
                        self.send(CANCEL)?;
                        self.cancel = Cancel::Sent;
                    }
                }
                DeviceLine::Error if !answered => {
                    let detail = match start_failure {
                        Some(_) => "the device's downloader could not start",
                        None => {
                            "the device answered ERROR to the start command (a download is \
                             running, an image waits for activation — `xfota-host erase` \
                             discards it — or the modem is not ready)"
                        }
                    };
                    return Err(Outcome::new(Exit::Refused, "refused", detail)
                        .raw(start_failure.unwrap_or(raw)));
                }
                DeviceLine::Error if self.cancel == Cancel::Sent => {
                    // The download ended just before the cancel arrived. The cancel stays
                    // asked for: if that end was `4,0`, the image is not activated.
                    let o =
                        nothing_to_cancel("the device refused the cancel: the download had ended");
                    for c in self.waiters.drain(..) {
                        c.reply(&o);
                    }
                }
                DeviceLine::Ok | DeviceLine::Error => {}
                DeviceLine::Ready => {
                    return Err(Outcome::new(
                        Exit::DownloadFailed,
                        "download failed",
                        "the device restarted during the download",
                    )
                    .raw(raw))
                }
                DeviceLine::Fota(n) => match n {
                    Notice::Progress(p) => self.ui.progress(p),
                    Notice::ErasePending => self.ui.stage("erasing"),
                    Notice::Erased => self.ui.stage("erased"),
                    Notice::Downloaded => return Ok(raw),
                    Notice::Failed(_) if !answered => start_failure = Some(raw),
                    Notice::Failed(code) => return Err(outcome::download_failed(code, &raw)),
                    Notice::Cancelled => {
                        if self.cancel == Cancel::Sent {
                            self.drain_answer();
                        }
                        return Err(Outcome::new(
                            Exit::Cancelled,
                            "cancelled",
                            "the device stopped the download and discarded what it had",
                        )
                        .raw(raw));
                    }
                    _ => self.ui.device(&raw),
                },
                DeviceLine::Other => self.ui.device(&raw),
            }
        }
    }

    /// `--timeout` during the download: cancel it on the device, so the device is left idle
    /// (a later start is not refused because this one still "runs").
    fn give_up(&mut self, answered: bool) -> Outcome {
        let mut o = lost(
            "timeout",
            format!("no progress from the device for {} s", self.secs()),
        );
        if !answered || self.cancel == Cancel::Sent || self.send(CANCEL).is_err() {
            return o;
        }
        let end = Instant::now() + CANCEL_WAIT;
        loop {
            match self.next(end) {
                Step::Line(DeviceLine::Fota(Notice::Cancelled), raw) => {
                    self.drain_answer();
                    o.detail += "; the download was cancelled on the device";
                    o.raw = Some(raw);
                    return o;
                }
                Step::Line(DeviceLine::Error, raw) => {
                    o.detail += "; the device refused the cancel";
                    o.raw = Some(raw);
                    return o;
                }
                Step::Line(DeviceLine::Other, raw) => self.ui.device(&raw),
                Step::Line(..) => {}
                Step::Request(c) => self.waiters.push(c),
                Step::Timeout | Step::Closed(_) | Step::Interrupt => {
                    o.detail += "; the device did not answer the cancel either";
                    return o;
                }
            }
        }
    }

    /// After `AT#XRESET`: `Ready` and the boot result.
    fn boot_result(&mut self, image: ImageType) -> Result<Outcome, Outcome> {
        let mut deadline = self.deadline();
        loop {
            let (l, raw) = match self.next(deadline) {
                Step::Line(l, raw) => (l, raw),
                Step::Timeout => {
                    return Err(lost(
                        "timeout",
                        format!("no update result within {} s of the reset", self.secs()),
                    ))
                }
                Step::Closed(why) => return Err(closed(&why)),
                Step::Interrupt => {
                    return Err(Outcome::new(
                        Exit::Cancelled,
                        "interrupted",
                        "stopped waiting for the update result; the device is activating the \
                         image",
                    ))
                }
                Step::Request(c) => {
                    c.reply(&nothing_to_cancel(
                        "the download has finished; the device is activating the image",
                    ));
                    continue;
                }
            };
            if !matches!(l, DeviceLine::Other) {
                deadline = self.deadline();
            }
            match l {
                DeviceLine::Ok => {}
                DeviceLine::Error => {
                    return Err(Outcome::new(
                        Exit::Refused,
                        "refused",
                        "the device answered ERROR to AT#XRESET",
                    )
                    .raw(raw))
                }
                DeviceLine::Ready => self
                    .ui
                    .status("the device restarted; waiting for the update result"),
                DeviceLine::Fota(n) => match outcome::boot_result(image, n, &raw) {
                    Some(o) => return Ok(o),
                    None => self.ui.device(&raw),
                },
                DeviceLine::Other => self.ui.device(&raw),
            }
        }
    }

    /// `erase app|modem`.
    pub fn erase(&mut self, target: EraseTarget) -> Outcome {
        let what = match target {
            EraseTarget::App => {
                "MCUboot's secondary slot; an application image that waited for activation is gone"
            }
            EraseTarget::Modem => {
                "the modem's scratch area; a modem image that waited for activation is gone"
            }
        };
        match self.simple(command::erase(target), "erased", what) {
            Ok(o) | Err(o) => o,
        }
    }

    /// `cancel`, when no other xfota-host holds the port.
    pub fn cancel(&mut self) -> Outcome {
        match self.simple(
            CANCEL,
            "cancelled",
            "the device stopped the download and discarded what it had",
        ) {
            Ok(o) => o,
            Err(o) if o.exit == Exit::Refused => Outcome {
                what: "nothing to cancel",
                detail: "no download is running on the device".into(),
                ..o
            },
            Err(o) => o,
        }
    }

    /// A command answered `OK` or `ERROR`.
    fn simple(
        &mut self,
        line: &str,
        what: &'static str,
        detail: &'static str,
    ) -> Result<Outcome, Outcome> {
        self.probe(false)?;
        self.ui.status(&format!("sending {line}"));
        self.send(line)?;
        let mut deadline = self.deadline();
        let mut notice: Option<String> = None;
        loop {
            match self.next(deadline) {
                Step::Line(DeviceLine::Ok, raw) => {
                    return Ok(Outcome::new(Exit::Success, what, detail).raw(notice.unwrap_or(raw)))
                }
                Step::Line(DeviceLine::Error, raw) => {
                    return Err(Outcome::new(
                        Exit::Refused,
                        "refused",
                        format!(
                            "the device answered ERROR to {line} (a download is running, or \
                             the modem is not ready)"
                        ),
                    )
                    .raw(raw))
                }
                Step::Line(DeviceLine::Fota(Notice::Cancelled), raw) => {
                    notice = Some(raw);
                    deadline = self.deadline();
                }
                // Progress of the download being cancelled: not ours to show.
                Step::Line(DeviceLine::Fota(_), _) => deadline = self.deadline(),
                Step::Line(_, raw) => self.ui.device(&raw),
                Step::Timeout => {
                    return Err(lost(
                        "timeout",
                        format!("no answer to {line} within {} s", self.secs()),
                    ))
                }
                Step::Closed(why) => return Err(closed(&why)),
                Step::Interrupt => {
                    return Err(Outcome::new(
                        Exit::Cancelled,
                        "interrupted",
                        format!("stopped waiting for the answer to {line}"),
                    ))
                }
                Step::Request(c) => c.reply(&nothing_to_cancel(&format!(
                    "the running xfota-host is sending {line}, not downloading"
                ))),
            }
        }
    }
}
