//! Character classes for the parsers: one table lookup per byte instead of chains of range
//! comparisons (the start command is parsed byte by byte; this keeps it cheap on a Cortex-M).

/// Printable ASCII except space and `"` (URL and string contents).
pub const URL: u8 = 1;
/// Host name characters: letters, digits, `-`, `.`, `_`.
pub const HOST: u8 = 2;
/// APN characters: letters, digits, `-` (the `.` separator is handled by the caller).
pub const APN: u8 = 4;

#[allow(clippy::indexing_slicing)] // const evaluation: an out-of-range index fails the build
const fn build() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b: usize = 0x21;
    while b <= 0x7e {
        if b != b'"' as usize {
            t[b] = URL;
        }
        b += 1;
    }
    let mut c = 0;
    while c < 256 {
        let ch = c as u8;
        if ch.is_ascii_alphanumeric() || ch == b'-' {
            t[c] |= HOST | APN;
        }
        if ch == b'.' || ch == b'_' {
            t[c] |= HOST;
        }
        c += 1;
    }
    t
}

static TABLE: [u8; 256] = build();

/// Whether `b` is in every class of `mask`.
#[inline(always)]
pub fn is(b: u8, mask: u8) -> bool {
    TABLE.get(usize::from(b)).is_some_and(|&c| c & mask == mask)
}
