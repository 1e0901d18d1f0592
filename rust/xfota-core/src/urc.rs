//! The exact wire bytes: responses, `#XFOTA` notifications and `#XMODEM` lines.
//!
//! Every line is framed `\r\n...\r\n` like Nordic's Serial Modem; integers are signed decimal,
//! the modem fault fields hexadecimal with `0x` (as Serial Modem prints them). A notification is
//! built in a small stack buffer and written with one [`Out::write`](crate::Out::write), so a
//! transport never interleaves another line into it. No `core::fmt`.

use crate::{Out, Stage, Status};

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

/// Which line [`line`] writes: its head, and how its numbers are printed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// `#XFOTA: `, decimal numbers.
    Xfota,
    /// `#XMODEM: `, decimal numbers.
    Xmodem,
    /// `#XMODEM: `, numbers in hexadecimal with `0x` (the modem fault fields).
    Fault,
}

/// Writes `\r\n<head><what>`, then for each of `nums` `,` and the number (signed decimal, or
/// for [`Line::Fault`] `0x` and its bits as a `u32` in lower-case hexadecimal), then `\r\n`,
/// with one [`Out::write`]. The line is built in a [`LINE_MAX`] stack buffer (bytes beyond it
/// are dropped, which the unit tests prove never happens). One shared builder for every line
/// keeps the flash small; numbers are written by hand: `ufmt`'s integer formatting costs 196 B
/// more flash here (measured with `scripts/bench.sh`).
pub fn line(out: &mut impl Out, kind: Line, what: &[u8], nums: &[i32]) {
    let hex = kind == Line::Fault;
    let head: &[u8] = if kind == Line::Xfota {
        b"#XFOTA: "
    } else {
        b"#XMODEM: "
    };
    let mut l = Buf {
        buf: [0; LINE_MAX],
        len: 0,
    };
    l.push(b"\r\n");
    l.push(head);
    l.push(what);
    for &n in nums {
        let (mut v, base) = if hex {
            l.push(b",0x");
            (n as u32, 16)
        } else {
            // `,` and, if negative, `-`: one push of a prefix of the same literal.
            l.push(b",-".get(..1 + usize::from(n < 0)).unwrap_or_default());
            (n.unsigned_abs(), 10)
        };
        // Count the digits, then write them backwards from the last one (no scratch buffer).
        let mut end = l.len;
        let mut t = v;
        loop {
            end += 1;
            t /= base;
            if t == 0 {
                break;
            }
        }
        let mut i = end;
        loop {
            i -= 1;
            let d = (v % base) as u8;
            if let Some(slot) = l.buf.get_mut(i) {
                *slot = if d < 10 { b'0' + d } else { b'a' - 10 + d };
            }
            v /= base;
            if v == 0 {
                break;
            }
        }
        l.len = end;
    }
    l.push(b"\r\n");
    out.write(l.buf.get(..l.len).unwrap_or(&l.buf));
}

/// A line under construction: `buf[..len]`, or all of `buf` if `len` ran past it.
struct Buf {
    buf: [u8; LINE_MAX],
    len: usize,
}

impl Buf {
    fn push(&mut self, bytes: &[u8]) {
        // `len` in a local: a byte store into `buf` could otherwise alias it.
        let mut len = self.len;
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(len) {
                *slot = b;
            }
            len += 1;
        }
        self.len = len;
    }
}

/// Writes `\r\n#XFOTA: <stage>,<status>[,<info>]\r\n`. Callers pass `info` exactly when DESIGN
/// §2.12 wants it: status error, or stage download with status OK (percent) or cancelled (0).
///
/// Stage and status travel packed in one word to the one out-of-line copy, so every call fits
/// in four registers: 16 B less flash (measured).
#[inline(always)]
pub fn xfota(out: &mut impl Out, stage: Stage, status: Status, info: Option<i32>) {
    xfota_packed(
        out,
        u16::from(stage as u8) | u16::from(status as u8) << 8,
        info,
    );
}

#[inline(never)]
fn xfota_packed(out: &mut impl Out, stage_status: u16, info: Option<i32>) {
    let [stage, status] = stage_status.to_le_bytes();
    line(
        out,
        Line::Xfota,
        &[b'0' + stage, b',', b'0' + status],
        info.as_slice(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keeps the bytes of the one write a line is made of.
    struct One {
        buf: [u8; 64],
        len: usize,
        writes: usize,
    }

    impl Out for One {
        fn write(&mut self, bytes: &[u8]) {
            self.buf[..bytes.len()].copy_from_slice(bytes);
            self.len = bytes.len();
            self.writes += 1;
        }
    }

    impl One {
        fn s(&self) -> &str {
            core::str::from_utf8(&self.buf[..self.len]).unwrap()
        }
    }

    /// The line `f` writes, checked to be one write.
    fn written(f: impl FnOnce(&mut One)) -> One {
        let mut o = One {
            buf: [0; 64],
            len: 0,
            writes: 0,
        };
        f(&mut o);
        assert_eq!(o.writes, 1, "one line, one write");
        o
    }

    #[test]
    fn notifications() {
        let e = |st, su, i| written(|o| xfota(o, st, su, i));
        assert_eq!(
            e(Stage::Complete, Status::Error, Some(i32::MIN)).s(),
            "\r\n#XFOTA: 5,1,-2147483648\r\n"
        );
        assert_eq!(
            e(Stage::Complete, Status::Error, Some(0x440_0004)).s(),
            "\r\n#XFOTA: 5,1,71303172\r\n"
        );
        assert_eq!(
            e(Stage::Download, Status::Ok, Some(0)).s(),
            "\r\n#XFOTA: 1,0,0\r\n"
        );
        assert_eq!(
            e(Stage::Download, Status::Ok, Some(100)).s(),
            "\r\n#XFOTA: 1,0,100\r\n"
        );
        assert_eq!(
            e(Stage::Downloaded, Status::Ok, None).s(),
            "\r\n#XFOTA: 4,0\r\n"
        );
        assert_eq!(
            e(Stage::Complete, Status::Reverted, None).s(),
            "\r\n#XFOTA: 5,3\r\n"
        );
    }

    #[test]
    fn longest_line_fits() {
        let max = u32::MAX as i32;
        let f = written(|o| line(o, Line::Fault, b"FAULT", &[max, max]));
        assert_eq!(f.s(), "\r\n#XMODEM: FAULT,0xffffffff,0xffffffff\r\n");
        assert_eq!(f.s().len(), LINE_MAX);
        let f = written(|o| line(o, Line::Xmodem, b"SHUTDOWN", &[i32::MIN]));
        assert_eq!(f.s(), "\r\n#XMODEM: SHUTDOWN,-2147483648\r\n");
        let f = written(|o| line(o, Line::Fault, b"FAULT", &[0, 0x1a2b]));
        assert_eq!(f.s(), "\r\n#XMODEM: FAULT,0x0,0x1a2b\r\n");
    }
}
