//! The human side of stderr: log lines and a download progress bar (indicatif), drawn in place
//! only when stderr is a terminal. stdout (the UART) is never touched.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use xfota_core::DownloadEvent;

static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

fn bar_slot() -> std::sync::MutexGuard<'static, Option<ProgressBar>> {
    BAR.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes one log line on stderr (above the progress bar, if one is drawn).
pub fn log(args: std::fmt::Arguments<'_>) {
    let bar = bar_slot().clone();
    match bar {
        Some(b) => b.suspend(|| eprintln!("{args}")),
        None => eprintln!("{args}"),
    }
}

/// The progress bar of the running download, fed with the events the core receives.
#[derive(Debug)]
pub struct Bar {
    enabled: bool,
    session: Option<u16>,
}

impl Bar {
    /// A bar that draws only if `wanted` and stderr is a terminal.
    pub fn new(wanted: bool) -> Self {
        Self {
            enabled: wanted && std::io::stderr().is_terminal(),
            session: None,
        }
    }

    /// Updates the bar for a download event of `session`.
    pub fn event(&mut self, session: u16, event: &DownloadEvent) {
        if !self.enabled {
            return;
        }
        if self.session != Some(session) {
            self.clear();
            if !matches!(
                event,
                DownloadEvent::Progress(_) | DownloadEvent::ErasePending
            ) {
                return;
            }
            let b = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{msg} [{bar:40.cyan/blue}] {pos:>3}% {elapsed}")
            {
                b.set_style(style.progress_chars("#>-"));
            }
            b.set_message(format!("download {session}"));
            *bar_slot() = Some(b);
            self.session = Some(session);
        }
        let Some(b) = bar_slot().clone() else {
            return;
        };
        match event {
            DownloadEvent::Progress(p) => b.set_position(u64::try_from(*p).unwrap_or(0)),
            DownloadEvent::ErasePending => b.set_message(format!("download {session}: erasing")),
            DownloadEvent::Erased => b.set_message(format!("download {session}")),
            DownloadEvent::Finished => {
                b.set_position(100);
                self.clear();
            }
            DownloadEvent::Error(c) => {
                b.abandon_with_message(format!("download {session}: failed (cause {c})"));
                self.forget();
            }
            DownloadEvent::Cancelled => {
                b.abandon_with_message(format!("download {session}: cancelled"));
                self.forget();
            }
        }
    }

    /// Removes the bar (download over or superseded).
    pub fn clear(&mut self) {
        if let Some(b) = bar_slot().take() {
            b.finish_and_clear();
        }
        self.session = None;
    }

    fn forget(&mut self) {
        bar_slot().take();
        self.session = None;
    }
}
