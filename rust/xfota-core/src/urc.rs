//! The exact wire bytes: responses, `#XFOTA` notifications and `#XMODEM` lines.
//!
//! Every line is framed `\r\n...\r\n` like Nordic's Serial Modem; integers are signed decimal,
//! the modem fault fields hexadecimal with `0x` (as Serial Modem prints them). A notification is
//! built in a small stack buffer and written with one [`Out::write`](crate::Out::write), so a
//! transport never interleaves another line into it. No `core::fmt`.

use crate::{Stage, Status};
use heapless::Vec;

/// `\r\nOK\r\n`.
pub const OK: &[u8] = b"\r\nOK\r\n";
/// `\r\nERROR\r\n`.
pub const ERROR: &[u8] = b"\r\nERROR\r\n";
/// Printed once at every boot, before any notification.
pub const READY: &[u8] = b"Ready\r\n";
/// Response to the test command `AT#XFOTA=?` (followed by [`OK`]).
pub const TEST_RESPONSE: &[u8] = b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n";

/// Longest line built here: `\r\n#XMODEM: FAULT,0xffffffff,0xffffffff\r\n` is 40 bytes.
pub const LINE_MAX: usize = 40;

/// A line under construction, in a `heapless::Vec` (bytes beyond [`LINE_MAX`] are dropped,
/// which the unit tests prove never happens). Numbers are written by hand: `ufmt`'s integer
/// formatting costs 196 B more flash here (measured with `scripts/bench.sh`).
pub struct Line(Vec<u8, LINE_MAX>);

impl Line {
    /// A line starting with `\r\n` and `head`.
    pub fn new(head: &[u8]) -> Self {
        let mut l = Self(Vec::new());
        l.push(b"\r\n");
        l.push(head);
        l
    }

    /// Appends bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        let _ = self.0.extend_from_slice(bytes);
    }

    /// Appends `,` and `v` in signed decimal.
    pub fn dec(&mut self, v: i32) {
        self.push(b",");
        if v < 0 {
            self.push(b"-");
        }
        self.digits(v.unsigned_abs(), 10);
    }

    /// Appends `,0x` and `v` in lower-case hexadecimal.
    pub fn hex(&mut self, v: u32) {
        self.push(b",0x");
        self.digits(v, 16);
    }

    fn digits(&mut self, mut v: u32, base: u32) {
        let mut tmp = [0u8; 10];
        let mut i = tmp.len();
        loop {
            i -= 1;
            let d = (v % base) as u8;
            if let Some(slot) = tmp.get_mut(i) {
                *slot = if d < 10 { b'0' + d } else { b'a' - 10 + d };
            }
            v /= base;
            if v == 0 || i == 0 {
                break;
            }
        }
        self.push(tmp.get(i..).unwrap_or(&[]));
    }

    /// The finished line (`\r\n` appended).
    pub fn finish(mut self) -> LineBytes {
        self.push(b"\r\n");
        LineBytes(self)
    }
}

/// A finished line.
pub struct LineBytes(Line);

impl LineBytes {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0 .0
    }
}

/// `\r\n#XFOTA: <stage>,<status>[,<info>]\r\n`. Callers pass `info` exactly when DESIGN §2.12
/// wants it: status error, or stage download with status OK (percent) or cancelled (0).
pub fn xfota(stage: Stage, status: Status, info: Option<i32>) -> LineBytes {
    let mut l = Line::new(b"#XFOTA: ");
    l.push(&[b'0' + stage as u8, b',', b'0' + status as u8]);
    if let Some(v) = info {
        l.dec(v);
    }
    l.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(l: &LineBytes) -> &str {
        core::str::from_utf8(l.as_bytes()).unwrap()
    }

    #[test]
    fn notifications() {
        let e = |st, su, i| xfota(st, su, i);
        assert_eq!(
            s(&e(Stage::Complete, Status::Error, Some(i32::MIN))),
            "\r\n#XFOTA: 5,1,-2147483648\r\n"
        );
        assert_eq!(
            s(&e(Stage::Complete, Status::Error, Some(0x440_0004))),
            "\r\n#XFOTA: 5,1,71303172\r\n"
        );
        assert_eq!(
            s(&e(Stage::Download, Status::Ok, Some(0))),
            "\r\n#XFOTA: 1,0,0\r\n"
        );
        assert_eq!(
            s(&e(Stage::Download, Status::Ok, Some(100))),
            "\r\n#XFOTA: 1,0,100\r\n"
        );
        assert_eq!(
            s(&e(Stage::Downloaded, Status::Ok, None)),
            "\r\n#XFOTA: 4,0\r\n"
        );
        assert_eq!(
            s(&e(Stage::Complete, Status::Reverted, None)),
            "\r\n#XFOTA: 5,3\r\n"
        );
    }

    #[test]
    fn longest_line_fits() {
        let mut l = Line::new(b"#XMODEM: FAULT");
        l.hex(u32::MAX);
        l.hex(u32::MAX);
        let f = l.finish();
        assert_eq!(s(&f), "\r\n#XMODEM: FAULT,0xffffffff,0xffffffff\r\n");
        assert_eq!(f.as_bytes().len(), LINE_MAX);
        let mut l = Line::new(b"#XMODEM: SHUTDOWN");
        l.dec(i32::MIN);
        assert_eq!(s(&l.finish()), "\r\n#XMODEM: SHUTDOWN,-2147483648\r\n");
        let mut l = Line::new(b"#XMODEM: FAULT");
        l.hex(0);
        l.hex(0x1a2b);
        assert_eq!(s(&l.finish()), "\r\n#XMODEM: FAULT,0x0,0x1a2b\r\n");
    }
}
