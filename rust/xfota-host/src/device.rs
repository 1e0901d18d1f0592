//! What the device says, line by line.
//!
//! The firmware frames every response and notification as `\r\n<text>\r\n` and prints
//! `Ready\r\n` at boot (docs/wire-contract.md, "Framing"). [`Lines`] splits the byte stream on
//! CR and LF and drops empty lines, so both framings (and a stray bare CR or LF) give the same
//! lines; [`DeviceLine::parse`] names them.

use xfota_core::{Stage, Status};

/// Longest line kept: the firmware's own lines are at most 40 bytes; a modem notification
/// relayed by the AT host can be longer. Longer lines are cut (never lost).
pub const MAX_LINE: usize = 4096;

/// Splits bytes into lines.
#[derive(Debug, Default)]
pub struct Lines {
    cur: Vec<u8>,
}

impl Lines {
    /// Feeds bytes; returns the lines they complete (without terminators, never empty).
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                if !self.cur.is_empty() {
                    out.push(String::from_utf8_lossy(&self.cur).into_owned());
                    self.cur.clear();
                }
            } else if self.cur.len() < MAX_LINE {
                self.cur.push(b);
            }
        }
        out
    }
}

/// One line from the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceLine {
    /// `Ready`: the device (re)booted.
    Ready,
    /// `OK`: the last command succeeded.
    Ok,
    /// `ERROR` (or `+CME ERROR: ...` from the modem): the last command was refused.
    Error,
    /// `#XFOTA: <stage>,<status>[,<info>]`.
    Fota(Notice),
    /// Anything else: another notification (`#XMODEM: ...`, `+CEREG: ...`), an `#XFOTA` line
    /// that does not parse, an echo.
    Other,
}

/// The `#XFOTA` notification prefix.
pub const PREFIX: &str = "#XFOTA: ";

/// An `#XFOTA` notification, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// `1,0,<percent>`.
    Progress(i32),
    /// `2,0`: the modem scratch area must be erased first.
    ErasePending,
    /// `3,0`: the modem scratch area is erased.
    Erased,
    /// `4,0`: downloaded, waiting for activation (reset).
    Downloaded,
    /// `<stage 1..3>,1,<code>`: the download failed (or, before the start's `OK`, the
    /// downloader refused to start: `1,1,<negative errno>`).
    Failed(i32),
    /// `1,2,0`: the download was cancelled.
    Cancelled,
    /// `5,0`: the new image runs.
    Complete,
    /// `5,3`: the new application image did not stay.
    Reverted,
    /// `5,1,<code>`: the update failed at boot.
    BootFailed(i32),
    /// `4,1,<code>`: activation postponed at boot (modem, voltage low), still waiting.
    Postponed(i32),
    /// A well-formed notification with any other combination.
    Unknown,
}

/// `0 | -?[1-9][0-9]*` as the firmware prints integers (signed decimal).
fn int(s: &str) -> Option<i32> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical {
        s.parse().ok()
    } else {
        None
    }
}

impl Notice {
    /// Parses the text after [`PREFIX`].
    pub fn parse(fields: &str) -> Option<Self> {
        let mut it = fields.split(',');
        let stage = int(it.next()?)?;
        let status = int(it.next()?)?;
        let info = match it.next() {
            None => None,
            Some(v) => Some(int(v)?),
        };
        if it.next().is_some() {
            return None;
        }
        let is = |st: Stage, su: Status| stage == st as i32 && status == su as i32;
        let downloading = [Stage::Download, Stage::ErasePending, Stage::Erased]
            .iter()
            .any(|&s| stage == s as i32);
        Some(match info {
            Some(p) if is(Stage::Download, Status::Ok) => Notice::Progress(p),
            None if is(Stage::ErasePending, Status::Ok) => Notice::ErasePending,
            None if is(Stage::Erased, Status::Ok) => Notice::Erased,
            None if is(Stage::Downloaded, Status::Ok) => Notice::Downloaded,
            Some(code) if downloading && status == Status::Error as i32 => Notice::Failed(code),
            Some(0) if is(Stage::Download, Status::Cancelled) => Notice::Cancelled,
            None if is(Stage::Complete, Status::Ok) => Notice::Complete,
            None if is(Stage::Complete, Status::Reverted) => Notice::Reverted,
            Some(code) if is(Stage::Complete, Status::Error) => Notice::BootFailed(code),
            Some(code) if is(Stage::Downloaded, Status::Error) => Notice::Postponed(code),
            _ => Notice::Unknown,
        })
    }
}

impl DeviceLine {
    /// Names one line (without terminator). Control characters and undecodable bytes around
    /// it (a UART may emit a NUL or 0xFF while the SoC resets) are ignored.
    pub fn parse(line: &str) -> Self {
        let line = line.trim_matches(|c: char| c.is_control() || c == char::REPLACEMENT_CHARACTER);
        match line {
            "Ready" => DeviceLine::Ready,
            "OK" => DeviceLine::Ok,
            "ERROR" => DeviceLine::Error,
            l if l.starts_with("+CME ERROR") || l.starts_with("+CMS ERROR") => DeviceLine::Error,
            l => match l.strip_prefix(PREFIX).and_then(Notice::parse) {
                Some(n) => DeviceLine::Fota(n),
                None => DeviceLine::Other,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_both_framings() {
        let mut l = Lines::default();
        assert_eq!(
            l.push(b"Ready\r\n\r\nOK\r\n\r\n#XFOTA: 1,0"),
            ["Ready", "OK"]
        );
        assert_eq!(l.push(b",5\r\n"), ["#XFOTA: 1,0,5"]);
        assert_eq!(l.push(b"\rA\nB\r\n"), ["A", "B"]);
        let long = vec![b'x'; MAX_LINE + 10];
        let got = l.push(&[long.as_slice(), b"\r\n"].concat());
        assert_eq!(got.first().map(String::len), Some(MAX_LINE));
    }

    #[test]
    fn names_lines() {
        use DeviceLine as D;
        use Notice as N;
        let p = DeviceLine::parse;
        assert_eq!(p("Ready"), D::Ready);
        assert_eq!(p("\0Ready"), D::Ready);
        assert_eq!(p(&String::from_utf8_lossy(b"\xffReady")), D::Ready);
        assert_eq!(p("OK"), D::Ok);
        assert_eq!(p("ERROR"), D::Error);
        assert_eq!(p("+CME ERROR: 4"), D::Error);
        assert_eq!(p("#XFOTA: 1,0,0"), D::Fota(N::Progress(0)));
        assert_eq!(p("#XFOTA: 1,0,100"), D::Fota(N::Progress(100)));
        assert_eq!(p("#XFOTA: 2,0"), D::Fota(N::ErasePending));
        assert_eq!(p("#XFOTA: 3,0"), D::Fota(N::Erased));
        assert_eq!(p("#XFOTA: 4,0"), D::Fota(N::Downloaded));
        assert_eq!(p("#XFOTA: 1,1,1"), D::Fota(N::Failed(1)));
        assert_eq!(p("#XFOTA: 3,1,2"), D::Fota(N::Failed(2)));
        assert_eq!(p("#XFOTA: 1,1,-12"), D::Fota(N::Failed(-12)));
        assert_eq!(p("#XFOTA: 1,2,0"), D::Fota(N::Cancelled));
        assert_eq!(p("#XFOTA: 5,0"), D::Fota(N::Complete));
        assert_eq!(p("#XFOTA: 5,3"), D::Fota(N::Reverted));
        assert_eq!(
            p("#XFOTA: 5,1,71303172"),
            D::Fota(N::BootFailed(71_303_172))
        );
        assert_eq!(p("#XFOTA: 5,1,-2"), D::Fota(N::BootFailed(-2)));
        assert_eq!(p("#XFOTA: 4,1,71303173"), D::Fota(N::Postponed(71_303_173)));
        assert_eq!(p("#XFOTA: 6,0"), D::Fota(N::Unknown));
        assert_eq!(p("#XFOTA: 5,0,0"), D::Fota(N::Unknown));
        // Not notifications: the test response, malformed numbers, other prefixes.
        assert_eq!(
            p("#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>"),
            D::Other
        );
        assert_eq!(p("#XFOTA: 1,0,05"), D::Other);
        assert_eq!(p("#XFOTA: 1,0,5,6"), D::Other);
        assert_eq!(p("#XFOTA:1,0,5"), D::Other);
        assert_eq!(p("#XMODEM: INIT,-5"), D::Other);
        assert_eq!(p("+CEREG: 5"), D::Other);
    }
}
