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

/// Which `#XMODEM` line [`xmodem`] writes (Serial Modem's lines around a modem fault).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum XmodemLine {
    /// `#XMODEM: INIT,<ret>`.
    Init,
    /// `#XMODEM: SHUTDOWN,<ret>`.
    Shutdown,
}

// [`line`]'s first word says what to write. Bits 5..=6 (`COUNT_*`): how many numbers follow
// the head. Bit 7 clear, an `#XFOTA` line: bits 0..=2 its stage, 3..=4 its status, so the word
// stays below 128 (one 2-byte `movs` at each of the many calls). Bit 7 set (`XMODEM`), an
// `#XMODEM` line: its `<what>` is `WHATS[start..end]`, `start` in bits 0..=4, `end` from bit 8
// (a table of slices would cost flash for pointers and lengths). The numbers print in
// hexadecimal with `0x` for the word `FAULT` only, in signed decimal otherwise.
const STAGE_MASK: u32 = 7;
const STATUS_SHIFT: u32 = 3;
const STATUS_MASK: u32 = 3;
const COUNT_SHIFT: u32 = 5;
const COUNT_MASK: u32 = 3;
const XMODEM: u32 = 1 << 7;
const START_MASK: u32 = 31;
const END_SHIFT: u32 = 8;
const WHATS: &[u8] = b"SHUTDOWNINITFAULT";
const _: () =
    assert!(Stage::Complete as u32 <= STAGE_MASK && Status::Reverted as u32 <= STATUS_MASK);
/// Whether `WHATS[start..]` begins with `what`. Compile time only (the constants below): an
/// index out of bounds is a build error there.
#[allow(clippy::indexing_slicing)]
const fn in_whats(start: usize, what: &[u8]) -> bool {
    let mut i = 0;
    while i < what.len() {
        if WHATS[start + i] != what[i] {
            return false;
        }
        i += 1;
    }
    true
}
/// The word of the `#XMODEM` line whose `<what>` is `what`, at `start` in `WHATS`.
const fn xmodem_word(start: usize, what: &[u8], numbers: u32) -> u32 {
    assert!(in_whats(start, what) && start as u32 <= START_MASK && numbers <= COUNT_MASK);
    let end = (start + what.len()) as u32;
    XMODEM | numbers << COUNT_SHIFT | start as u32 | end << END_SHIFT
}
const SHUTDOWN: u32 = xmodem_word(0, b"SHUTDOWN", 1);
const INIT: u32 = xmodem_word(8, b"INIT", 1);
const FAULT: u32 = xmodem_word(12, b"FAULT", 2);

/// Writes `\r\n#XMODEM: <what>,<ret>\r\n`.
#[inline(always)]
pub fn xmodem(out: &mut impl Out, what: XmodemLine, ret: i32) {
    let word = match what {
        XmodemLine::Init => INIT,
        XmodemLine::Shutdown => SHUTDOWN,
    };
    line(out, word, ret, 0);
}

/// Writes `\r\n#XMODEM: FAULT,0x<reason>,0x<pc>\r\n` (lower-case hexadecimal).
#[inline(always)]
pub fn fault(out: &mut impl Out, reason: u32, pc: u32) {
    line(out, FAULT, reason as i32, pc as i32);
}

/// Writes `\r\n#XFOTA: <stage>,<status>[,<info>]\r\n`. Callers pass `info` exactly when DESIGN
/// §2.12 wants it: status error, or stage download with status OK (percent) or cancelled (0).
#[inline(always)]
pub fn xfota(out: &mut impl Out, stage: Stage, status: Status, info: Option<i32>) {
    let word =
        stage as u32 | (status as u32) << STATUS_SHIFT | u32::from(info.is_some()) << COUNT_SHIFT;
    line(out, word, info.unwrap_or(0), 0);
}

/// The one builder of every notification line (see the constants above for `word`): the head,
/// then as many of `a`, `b` as `word` says, each as `,` and the number (signed decimal, or for
/// `FAULT` `0x` and its bits as a `u32` in lower-case hexadecimal), then `\r\n`, with one
/// [`Out::write`]. Everything in four registers: no stack arguments at any call (measured). The
/// line is built in a [`LINE_MAX`] stack buffer (bytes beyond it are dropped, which the unit
/// tests prove never happens). Numbers are written by hand (`ufmt`'s integer formatting cost
/// 196 B more flash with the previous builder, measured with `scripts/bench.sh`).
#[inline(never)]
fn line(out: &mut impl Out, word: u32, a: i32, b: i32) {
    let hex = word == FAULT;
    // `<stage>,<status>` as the bytes of one word: one store (3 byte stores cost 8 B more).
    let stage = word & STAGE_MASK;
    let status = (word >> STATUS_SHIFT) & STATUS_MASK;
    let xfota = (u32::from_le_bytes(*b"0,0\0") | stage | status << 16).to_le_bytes();
    let (head, what): (&[u8], &[u8]) = if word & XMODEM == 0 {
        (b"\r\n#XFOTA: ", xfota.get(..3).unwrap_or_default())
    } else {
        let what = WHATS.get((word & START_MASK) as usize..(word >> END_SHIFT) as usize);
        (b"\r\n#XMODEM: ", what.unwrap_or_default())
    };
    let mut l = Buf {
        buf: [0; LINE_MAX],
        len: 0,
    };
    l.push(head);
    l.push(what);
    let count = ((word >> COUNT_SHIFT) & COUNT_MASK) as usize;
    let nums = [a, b];
    for &n in nums.get(..count).unwrap_or(&nums) {
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
    fn modem_lines() {
        let f = written(|o| xmodem(o, XmodemLine::Init, -5));
        assert_eq!(f.s(), "\r\n#XMODEM: INIT,-5\r\n");
        let f = written(|o| xmodem(o, XmodemLine::Shutdown, 0));
        assert_eq!(f.s(), "\r\n#XMODEM: SHUTDOWN,0\r\n");
        let f = written(|o| fault(o, 0x8000_0000, 0xdead_beef));
        assert_eq!(f.s(), "\r\n#XMODEM: FAULT,0x80000000,0xdeadbeef\r\n");
    }

    #[test]
    fn every_stage_and_status() {
        use Stage::*;
        use Status::*;
        for st in [Init, Download, ErasePending, Erased, Downloaded, Complete] {
            for su in [Ok, Error, Cancelled, Reverted] {
                let (s, t) = (b'0' + st as u8, b'0' + su as u8);
                let head = [b"\r\n#XFOTA: ".as_slice(), &[s, b',', t]].concat();
                for (info, tail) in [(None, &b"\r\n"[..]), (Some(-7), b",-7\r\n")] {
                    let f = written(|o| xfota(o, st, su, info));
                    assert_eq!(f.buf[..f.len], [head.as_slice(), tail].concat());
                }
            }
        }
    }

    #[test]
    fn longest_line_fits() {
        let max = u32::MAX as i32;
        let f = written(|o| fault(o, max as u32, max as u32));
        assert_eq!(f.s(), "\r\n#XMODEM: FAULT,0xffffffff,0xffffffff\r\n");
        assert_eq!(f.s().len(), LINE_MAX);
        let f = written(|o| xmodem(o, XmodemLine::Shutdown, i32::MIN));
        assert_eq!(f.s(), "\r\n#XMODEM: SHUTDOWN,-2147483648\r\n");
        let f = written(|o| fault(o, 0, 0x1a2b));
        assert_eq!(f.s(), "\r\n#XMODEM: FAULT,0x0,0x1a2b\r\n");
    }
}
