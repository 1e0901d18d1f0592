//! What a person sees on stderr: a progress bar (indicatif) when stderr is a terminal, one
//! line per 10 % otherwise (logs of test rigs), xfota-host's own status lines, and every
//! device line that is not part of the FOTA dialogue, printed above the bar. stdout carries only
//! the final line.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};

/// One line on stderr; a closed stderr is not a reason to stop driving the device.
fn line(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// The stderr side of a run.
pub struct Ui {
    bar: Option<ProgressBar>,
    quiet: bool,
    terminal: bool,
    /// Last percentage logged as text (non-terminal mode).
    logged: Option<i32>,
}

impl Ui {
    /// `quiet`: no bar, no progress or status lines (device notifications and errors are still
    /// shown).
    pub fn new(quiet: bool) -> Self {
        Self {
            bar: None,
            quiet,
            terminal: std::io::stderr().is_terminal(),
            logged: None,
        }
    }

    fn print(&self, text: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| line(text)),
            None => line(text),
        }
    }

    /// A status line of xfota-host (`xfota-host: ...`), unless quiet.
    pub fn status(&self, msg: &str) {
        if !self.quiet {
            self.print(&format!("xfota-host: {msg}"));
        }
    }

    /// A device line that is not part of the dialogue (`#XMODEM: ...`, `+CEREG: ...`): always
    /// shown, above the bar.
    pub fn device(&self, line: &str) {
        self.print(line);
    }

    /// A stage of the download (bar message, or a status line).
    pub fn stage(&mut self, msg: &'static str) {
        match &self.bar {
            Some(b) => b.set_message(msg),
            None => self.status(msg),
        }
    }

    /// `#XFOTA: 1,0,<p>`.
    pub fn progress(&mut self, p: i32) {
        if self.quiet {
            return;
        }
        let p = p.clamp(0, 100);
        if self.terminal {
            let bar = self.bar.get_or_insert_with(new_bar);
            bar.set_position(u64::try_from(p).unwrap_or(0));
        } else if self.logged.is_none_or(|l| p / 10 > l / 10) {
            self.logged = Some(p);
            line(&format!("xfota-host: downloaded {p}%"));
        }
    }

    /// The download is over (whatever the outcome): the bar stays as last drawn.
    pub fn done(&mut self) {
        if let Some(b) = self.bar.take() {
            b.abandon();
            // The bar's line stays; what follows starts below it.
            line("");
        }
    }
}

fn new_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{msg:12} [{bar:40}] {pos:>3}%") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("downloading");
    bar
}
