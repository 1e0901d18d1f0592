//! The `AT#XFOTA` grammar, the URL and APN rules, and the downloader's host/file storage.
//!
//! `AT#XFOTA=<op>[,<file_url>[,<sec_tag>[,<apn>]]]`, `AT#XFOTA=?`; the name is case-insensitive.
//! Lines arrive without their terminator.
//!
//! **Lexing follows Nordic's AT parser** (sdk-nrf `lib/at_parser`, which Nordic's Serial Modem
//! uses), so a host driver written for Nordic's firmware works unchanged:
//! - each parameter may be preceded by **one** space (after `=` and after each `,`); no other
//!   space outside quotes (two spaces, a space between a value and its comma, trailing spaces:
//!   refused). An empty parameter is nothing, or that one space, before a `,`; a `,` at the end
//!   of the line leaves an empty last parameter;
//! - integers are `0 | [+-]?[1-9][0-9]*` (no leading zeros, `+` allowed), then range-checked;
//! - strings are `"..."` with no escapes.
//!
//! What the core refuses on purpose on top of that: unquoted strings and `(...)` arrays, extra
//! parameters, a `<sec_tag>` out of range, an unquoted or invalid APN, URLs that break the rules
//! of [`Reject`]'s `Url*` variants.

use crate::ImageType;

/// The command name, compared case-insensitively.
pub const NAME: &[u8; 8] = b"AT#XFOTA";
/// `| CASE` on a line's first 8 bytes, read as one little-endian word, lower-cases an upper-case
/// letter of [`NAME`] and leaves its `#` (byte 2) alone; only an upper-case letter becomes the
/// lower-case one, so the result equals [`NAME_LOWER`] exactly for [`NAME`] in any case.
const CASE: u64 = 0x2020_2020_2000_2020;
/// [`NAME`] in lower case, as that word.
const NAME_LOWER: u64 = u64::from_le_bytes(*NAME) | CASE;
/// Longest accepted `<apn>`: lte_lc's PDN module (sdk-nrf v3.2.x,
/// `lib/lte_link_control/modules/pdn.c`, `APN_STR_MAX_LEN` 64 with the NUL) refuses longer ones.
pub const APN_MAX_LEN: usize = 63;
/// Largest `<sec_tag>` (the modem's security tags are non-negative `int`s).
pub const SEC_TAG_MAX: u32 = 2_147_483_647;
/// Longest accepted `<file_url>`, in bytes.
pub const URL_MAX_LEN: usize = 255;

/// A parsed `AT#XFOTA` command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command<'a> {
    /// `AT#XFOTA=?`.
    Test,
    /// `AT#XFOTA=0`: cancel the download.
    Cancel,
    /// `AT#XFOTA=1,...` or `AT#XFOTA=2,...`: start a download.
    Start(Start<'a>),
    /// `AT#XFOTA=8`: erase the MCUboot secondary slot.
    EraseApp,
    /// `AT#XFOTA=9`: erase the modem scratch area.
    EraseModem,
}

/// Parameters of a start command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start<'a> {
    /// Op 1 (app) or 2 (modem delta).
    pub image: ImageType,
    /// The validated URL.
    pub url: Url<'a>,
    /// `<sec_tag>`: always `Some` for https; `None` for http (a given sec_tag is ignored there).
    pub sec_tag: Option<u32>,
    /// `<apn>`, validated (`[A-Za-z0-9-]` labels separated by `.`).
    pub apn: Option<&'a [u8]>,
}

/// Why a line addressed to `AT#XFOTA` was refused (answered `ERROR`). The value is the code the
/// shell logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// `u32`, not `u8`: as a byte it overlaps a `Start`'s URL pointer in the parser's result, which
// the compiler then writes out byte by byte.
#[repr(u32)]
pub enum Reject {
    /// Bare `AT#XFOTA` (no execute form).
    Execute = 1,
    /// `AT#XFOTA?` (read is not supported).
    Read = 2,
    /// Anything after the name that is not `=` or `=?`.
    Syntax = 3,
    /// Lexing: unterminated string, a bad integer, a misplaced space, text after a value.
    Field = 4,
    /// More than four parameters, or a parameter the op does not take.
    TooMany = 5,
    /// `<op>` missing, not an integer, or not one of 0, 1, 2, 8, 9.
    Op = 6,
    /// Op 1/2 without `<file_url>`, or the URL is not a quoted string.
    MissingUrl = 7,
    /// `<sec_tag>` quoted, negative or above [`SEC_TAG_MAX`].
    SecTag = 8,
    /// `https` without `<sec_tag>`.
    HttpsNeedsSecTag = 9,
    /// `<apn>` not quoted, empty, too long, or not a valid APN.
    Apn = 10,
    /// URL empty or longer than [`URL_MAX_LEN`].
    UrlLength = 11,
    /// URL byte outside printable ASCII, or a space.
    UrlCharset = 12,
    /// URL scheme other than `http://`/`https://` (any case).
    UrlScheme = 13,
    /// Userinfo (`user@host`): the downloader has no use for it and it would put credentials
    /// into logs.
    UrlUserinfo = 14,
    /// Empty host, or a character not allowed in a host name / IP literal.
    UrlHost = 15,
    /// Port empty, not decimal, 0 or above 65535.
    UrlPort = 16,
    /// No `/path` after the host, or an empty one.
    UrlPath = 17,
}

/// Result of parsing one AT line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    /// The line is not `AT#XFOTA` (another command: the shell forwards it).
    NotMine,
    /// A valid command.
    Command(Command<'a>),
    /// An `AT#XFOTA` line that must be answered `ERROR`.
    Invalid(Reject),
}

/// A validated `<file_url>`, borrowed from the AT line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Url<'a> {
    /// The URL as written (between the quotes).
    pub raw: &'a [u8],
    /// `https` (else `http`).
    pub https: bool,
    /// Index in `raw` of the `/` that ends the authority.
    pub path_at: usize,
}

/// [`Lexer::int`] for an empty parameter, or after the last one (nothing but the end-of-line
/// check tells them apart, from [`Lexer::rest`]).
const EMPTY: u32 = u32::MAX;
/// [`Lexer::int`] for a parameter that does not lex: every check refuses it, and the line is
/// refused with [`Reject::Field`].
const BAD: u32 = u32::MAX - 1;
/// An integer is capped at this before each further digit: `CAP * 10 + 9` is above every
/// range checked and below the markers, and nothing overflows.
const INT_CAP: u32 = 1 << 28;
const _: () = assert!(SEC_TAG_MAX / 10 < INT_CAP && INT_CAP * 10 + 9 < BAD);

/// The parameter list, one parameter at a time, as Nordic's parser tokenizes it.
struct Lexer<'a> {
    /// What is left of the list, `None` once the last parameter was read.
    rest: Option<&'a [u8]>,
    /// The last parameter when it is not a string: an integer, or [`EMPTY`] or [`BAD`], which
    /// are above every integer kept. Integers that can never be valid here (negative, or above
    /// [`SEC_TAG_MAX`]) may be kept as any value above `SEC_TAG_MAX` and below the markers.
    int: u32,
}

impl<'a> Lexer<'a> {
    /// The next parameter: a quoted string (between the quotes), or `None` and the parameter is
    /// in [`Lexer::int`]. (A slice comes back in registers, a token enum would not.) A `,` at
    /// the end of the line leaves an empty last parameter, as in Nordic's parser.
    ///
    /// `None` alone says nothing: a reader must accept only what it checks in `int` (an
    /// absent parameter is `int == EMPTY`, never a bare `None` arm), so that [`BAD`] is refused
    /// wherever it turns up. A parameter that does not lex is not consumed either: every later
    /// read, and the final check for extra parameters, meets it again. `parse_params` asserts
    /// in debug builds that an accepted command left no `BAD` behind.
    fn next(&mut self) -> Option<&'a [u8]> {
        // Kept unless the parameter is an integer.
        self.int = EMPTY;
        let line = self.rest?;
        let (spaced, p) = match line {
            [b' ', p @ ..] => (true, p),
            p => (false, p),
        };
        let (tok, rest) = match p {
            [b'"', s @ ..] => {
                let Some(n) = s.iter().position(|&b| b == b'"') else {
                    return self.fail();
                };
                (s.get(..n), s.get(n + 1..).unwrap_or_default())
            }
            [b',', ..] => (None, p),
            [] if !spaced => (None, p),
            // `0 | [+-]?[1-9][0-9]*`
            _ => {
                // Negative: above every range checked.
                let (signed, mut v, mut d) = match p {
                    [b'-', d @ ..] => (true, u32::MAX, d),
                    [b'+', d @ ..] => (true, 0, d),
                    d => (false, 0, d),
                };
                match d {
                    // A digit after this `0` fails as text after the value.
                    [b'0', r @ ..] if !signed => d = r,
                    [b'1'..=b'9', ..] => {
                        while let [c @ b'0'..=b'9', r @ ..] = d {
                            v = v.min(INT_CAP) * 10 + u32::from(c - b'0');
                            d = r;
                        }
                    }
                    _ => return self.fail(),
                }
                self.int = v;
                (None, d)
            }
        };
        self.rest = match rest {
            [] => None,
            [b',', r @ ..] => Some(r),
            _ => return self.fail(),
        };
        tok
    }

    /// A parameter that does not lex.
    fn fail(&mut self) -> Option<&'a [u8]> {
        self.int = BAD;
        None
    }
}

impl<'a> Url<'a> {
    /// Validates `raw` (the bytes between the quotes) as an http/https URL: printable ASCII
    /// without space, 1..=255 bytes, `http://` or `https://` (any case), a host name or `[IPv6]`
    /// literal, an optional port 1..=65535, no userinfo, and a non-empty path.
    pub fn parse(raw: &'a [u8]) -> Result<Self, Reject> {
        if raw.is_empty() || raw.len() > URL_MAX_LEN {
            return Err(Reject::UrlLength);
        }
        if !raw.iter().all(|&b| matches!(b, 0x21..=0x7e)) {
            return Err(Reject::UrlCharset);
        }
        // Printable now, so `| 0x20` lower-cases exactly the bytes that can match "https://"
        // (all of which have that bit set) and nothing else into them.
        let (https, rest) = match raw.split_first_chunk::<4>() {
            Some((http, rest))
                if u32::from_le_bytes(*http) | 0x2020_2020 == u32::from_le_bytes(*b"http") =>
            {
                match rest {
                    [s, rest @ ..] if s | 0x20 == b's' => (true, rest),
                    _ => (false, rest),
                }
            }
            _ => return Err(Reject::UrlScheme),
        };
        let [b':', b'/', b'/', rest @ ..] = rest else {
            return Err(Reject::UrlScheme);
        };
        // Userinfo first: an `@` anywhere before the path is refused as such.
        let end = rest
            .iter()
            .position(|&b| b == b'/' || b == b'@')
            .unwrap_or(rest.len());
        let (authority, path) = rest.split_at_checked(end).unwrap_or_default();
        let path = match path {
            [b'@', ..] => return Err(Reject::UrlUserinfo),
            [b'/', path @ ..] if !path.is_empty() => path,
            _ => return Err(Reject::UrlPath),
        };
        // Host: a name of letters, digits and `-._`, or `[` hex digits, `:` and `.` `]`.
        let (host, port) = match authority {
            [b'[', v6 @ ..] => {
                let n = v6
                    .iter()
                    .take_while(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'))
                    .count();
                match v6.get(n..) {
                    Some([b']', port @ ..]) => (n, port),
                    _ => return Err(Reject::UrlHost),
                }
            }
            name => {
                let n = name
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
                    .count();
                (n, name.get(n..).unwrap_or_default())
            }
        };
        if host == 0 {
            return Err(Reject::UrlHost);
        }
        // Port: `:` and 1..=5 digits worth 1..=65535, then the path.
        match port {
            [] => {}
            [b':', digits @ ..] => {
                // No digits: 0, refused below.
                if digits.len() > 5 {
                    return Err(Reject::UrlPort);
                }
                let mut v: u32 = 0;
                for &d in digits {
                    if !d.is_ascii_digit() {
                        return Err(Reject::UrlPort);
                    }
                    v = v * 10 + u32::from(d - b'0');
                }
                if !(1..=65535).contains(&v) {
                    return Err(Reject::UrlPort);
                }
            }
            _ => return Err(Reject::UrlHost),
        }
        Ok(Self {
            raw,
            https,
            path_at: raw.len() - path.len() - 1,
        })
    }
}

/// APN network identifier: dot-separated labels of letters, digits and hyphens, at most
/// [`APN_MAX_LEN`] in all. This character set cannot alter an AT string built from it.
fn valid_apn(apn: &[u8]) -> bool {
    // A label starts at the start and after each `.`; none may be empty.
    let mut at_start = true;
    for &b in apn {
        let dot = b == b'.';
        if !(dot || b.is_ascii_alphanumeric() || b == b'-') || (dot && at_start) {
            return false;
        }
        at_start = dot;
    }
    !at_start && apn.len() <= APN_MAX_LEN
}

fn parse_params(params: &[u8]) -> Result<Command<'_>, Reject> {
    let mut lx = Lexer {
        rest: Some(params),
        int: EMPTY,
    };
    // A parameter that does not lex leaves `BAD`, which fails the check that reads it, and
    // nothing is read after: that refusal becomes `Field`. (`int` is `BAD` only then.)
    let r = command(&mut lx);
    // An accepted command never leaves `BAD` behind (see `Lexer::next`).
    debug_assert!(r.is_err() || lx.int != BAD);
    r.map_err(|r| if lx.int == BAD { Reject::Field } else { r })
}

/// The command in `lx`'s parameters.
fn command<'a>(lx: &mut Lexer<'a>) -> Result<Command<'a>, Reject> {
    if lx.next().is_some() {
        return Err(Reject::Op);
    }
    let op = lx.int;
    let cmd = match op {
        0 => Command::Cancel,
        8 => Command::EraseApp,
        9 => Command::EraseModem,
        1 | 2 => {
            let Some(raw) = lx.next() else {
                return Err(Reject::MissingUrl);
            };
            let url = Url::parse(raw)?;
            let sec_tag = match lx.next() {
                None if lx.int <= SEC_TAG_MAX => Some(lx.int),
                None if lx.int == EMPTY => None,
                _ => return Err(Reject::SecTag),
            };
            let apn = match lx.next() {
                Some(a) if valid_apn(a) => Some(a),
                None if lx.int == EMPTY => None,
                _ => return Err(Reject::Apn),
            };
            if url.https && sec_tag.is_none() {
                return Err(Reject::HttpsNeedsSecTag);
            }
            Command::Start(Start {
                image: if op == 1 {
                    ImageType::App
                } else {
                    ImageType::Modem
                },
                url,
                sec_tag: sec_tag.filter(|_| url.https),
                apn,
            })
        }
        _ => return Err(Reject::Op),
    };
    // Another parameter, even an empty one (a `,` at the end), is one too many.
    if lx.rest.is_some() {
        // Lexed only so that a malformed extra parameter is refused as `Field`: a lexing error
        // wins over the count (the conformance table pins this).
        lx.next();
        return Err(Reject::TooMany);
    }
    Ok(cmd)
}

/// Parses one AT line (without its terminator).
pub fn parse(line: &[u8]) -> Parsed<'_> {
    let Some((name, tail)) = line.split_first_chunk::<{ NAME.len() }>() else {
        return Parsed::NotMine;
    };
    if u64::from_le_bytes(*name) | CASE != NAME_LOWER {
        return Parsed::NotMine;
    }
    let result = match tail {
        [] => Err(Reject::Execute),
        [b'=', params @ ..] => match params {
            [b'?'] => Ok(Command::Test),
            _ => parse_params(params),
        },
        [b'?'] => Err(Reject::Read),
        // `AT#XFOTAX...` is some other command.
        [b, ..] if b.is_ascii_alphanumeric() || *b == b'_' => return Parsed::NotMine,
        _ => Err(Reject::Syntax),
    };
    match result {
        Ok(c) => Parsed::Command(c),
        Err(r) => Parsed::Invalid(r),
    }
}

/// The downloader's host and file, NUL-terminated, kept for the lifetime of a download session
/// (`fota_download` keeps both pointers for the whole download, resume included): the URL is
/// copied in with its scheme in lower case, the `/` that ends the authority and the end become
/// NULs. Host: `scheme://host[:port]`; file: the path without its leading `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DownloadTarget {
    /// The URL and its NULs, and one byte more: the file's NUL exists even when the host's is
    /// at index 255 (a `Url` built by hand), so no lookup below can miss.
    buf: [u8; URL_MAX_LEN + 2],
    /// Index of the host's NUL (the `/` that ended the authority).
    host_len: u8,
    /// Index of the file's NUL (the URL's length).
    end: u8,
}

impl Default for DownloadTarget {
    fn default() -> Self {
        Self {
            buf: [0; URL_MAX_LEN + 2],
            host_len: 0,
            end: 0,
        }
    }
}

impl DownloadTarget {
    /// A target holding `url`.
    pub fn new(url: &Url<'_>) -> Self {
        let mut t = Self::default();
        t.set(url);
        t
    }

    /// Overwrites the target in place with `url` (never moved: the downloader keeps pointers
    /// into it). `url` comes from [`Url::parse`]: the scheme is lower-cased with `| 0x20` on
    /// its first 5 bytes, right only for the `http:`/`https` that `parse` accepted.
    pub fn set(&mut self, url: &Url<'_>) {
        let len = url.raw.len().min(URL_MAX_LEN);
        self.buf = [0; URL_MAX_LEN + 2];
        if let (Some(d), Some(s)) = (self.buf.get_mut(..len), url.raw.get(..len)) {
            d.copy_from_slice(s);
        }
        // `http:` or `https` in any case (`Url::parse` checked): `| 0x20` lower-cases the letters
        // and keeps the `:`.
        for b in self.buf.iter_mut().take(len.min(5)) {
            *b |= 0x20;
        }
        // Kept to a `u8` first: the NUL goes where `host_len` points, always inside `buf`.
        self.host_len = url.path_at as u8;
        if let Some(b) = self.buf.get_mut(usize::from(self.host_len)) {
            *b = 0;
        }
        self.end = len as u8;
    }

    /// Host including its terminating NUL.
    pub fn host_with_nul(&self) -> &[u8] {
        self.buf.get(..=usize::from(self.host_len)).unwrap_or(&[0])
    }

    /// File including its terminating NUL.
    pub fn file_with_nul(&self) -> &[u8] {
        // At least one byte: a `Url` built by hand may end at its `/`, or before it. Always in
        // `buf` (the `unwrap_or` is never taken).
        let start = usize::from(self.host_len) + 1;
        self.buf
            .get(start..=usize::from(self.end).max(start))
            .unwrap_or(&[0])
    }

    /// Host without the NUL.
    pub fn host(&self) -> &[u8] {
        self.host_with_nul().split_last().map_or(&[], |(_, h)| h)
    }

    /// File without the NUL.
    pub fn file(&self) -> &[u8] {
        self.file_with_nul().split_last().map_or(&[], |(_, f)| f)
    }
}

/// What the core asks the port to download.
#[derive(Clone, Copy, Debug)]
pub struct DownloadRequest<'a> {
    /// Expected image type (the downloader rejects the other kind with a type mismatch).
    pub image: ImageType,
    /// Session number; the shell tags this session's download events with it.
    pub session: u16,
    /// Host and file; they stay valid until the session ends.
    pub target: &'a DownloadTarget,
    /// Security tag for https; `None` for http.
    pub sec_tag: Option<u32>,
    /// Alternative APN (validated: `[A-Za-z0-9.-]`, dot-separated labels), valid during the
    /// call only.
    pub apn: Option<&'a [u8]>,
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn start(line: &[u8]) -> Start<'_> {
        match parse(line) {
            Parsed::Command(Command::Start(s)) => s,
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn name_word_matches_name() {
        assert!(NAME.eq_ignore_ascii_case(b"at#xfota"));
        assert_eq!(parse(b"At#xFoTa=0"), Parsed::Command(Command::Cancel));
        // `| 0x20` must not fold a control byte into `#`, nor `@`/`[` into letters.
        assert_eq!(parse(b"AT\x03XFOTA=0"), Parsed::NotMine);
        assert_eq!(parse(b"@T#XFOTA=0"), Parsed::NotMine);
        assert_eq!(parse(b"AT#[FOTA=0"), Parsed::NotMine);
    }

    /// A parameter that does not lex is refused as `Field` at every position, also where the
    /// position is optional or one too many (the markers of `Lexer::next` must never let it
    /// through as "absent").
    #[test]
    fn malformed_parameter_is_field_at_every_position() {
        use std::string::String;
        let prefixes: [&[u8]; 5] = [
            b"AT#XFOTA=",
            b"AT#XFOTA=1,",
            b"AT#XFOTA=1,\"http://h/f\",",
            b"AT#XFOTA=1,\"http://h/f\",5,",
            b"AT#XFOTA=1,\"http://h/f\",5,\"apn\",",
        ];
        let bad: [&[u8]; 9] = [
            b"5x", b"01", b"-0", b"+", b"-", b"0x5", b"5 ", b"  5", b"\"a",
        ];
        for prefix in prefixes {
            for token in bad {
                let line = [prefix, token].concat();
                assert_eq!(
                    parse(&line),
                    Parsed::Invalid(Reject::Field),
                    "{}",
                    String::from_utf8_lossy(&line)
                );
                // Followed by more parameters, where that leaves the token whole.
                if token.first() != Some(&b'"') {
                    let line = [prefix, token, b",\"x\""].concat();
                    assert_eq!(
                        parse(&line),
                        Parsed::Invalid(Reject::Field),
                        "{}",
                        String::from_utf8_lossy(&line)
                    );
                }
            }
        }
    }

    #[test]
    fn forms() {
        assert_eq!(parse(b"at#xfota=?"), Parsed::Command(Command::Test));
        assert_eq!(parse(b"AT#XFOTA"), Parsed::Invalid(Reject::Execute));
        assert_eq!(parse(b"AT#XFOTA?"), Parsed::Invalid(Reject::Read));
        assert_eq!(parse(b"AT#XFOTAX=1"), Parsed::NotMine);
        assert_eq!(parse(b"AT+CFUN=1"), Parsed::NotMine);
        assert_eq!(parse(b"AT#XFOTA=0"), Parsed::Command(Command::Cancel));
        assert_eq!(parse(b"AT#XFOTA=+8"), Parsed::Command(Command::EraseApp));
        assert_eq!(parse(b"AT#XFOTA= 9"), Parsed::Command(Command::EraseModem));
        assert_eq!(parse(b"AT#XFOTA=00"), Parsed::Invalid(Reject::Field));
        assert_eq!(parse(b"AT#XFOTA=0,"), Parsed::Invalid(Reject::TooMany));
        assert_eq!(parse(b"AT#XFOTA=3"), Parsed::Invalid(Reject::Op));
        assert_eq!(parse(b"AT#XFOTA="), Parsed::Invalid(Reject::Op));
        assert_eq!(parse(b"AT#XFOTA=  1"), Parsed::Invalid(Reject::Field));
    }

    #[test]
    fn start_fields() {
        let s = start(b"AT#XFOTA=2,\"https://h/f\",42,\"apn.ex-1\"");
        assert_eq!(s.image, ImageType::Modem);
        assert_eq!(s.sec_tag, Some(42));
        assert_eq!(s.apn, Some(&b"apn.ex-1"[..]));
        assert_eq!(start(b"AT#XFOTA=1,\"http://h/f\",42").sec_tag, None);
        assert_eq!(
            parse(b"AT#XFOTA=1,\"https://h/f\""),
            Parsed::Invalid(Reject::HttpsNeedsSecTag)
        );
        assert_eq!(
            parse(b"AT#XFOTA=1,\"http://h/f\",2147483648"),
            Parsed::Invalid(Reject::SecTag)
        );
        assert_eq!(
            parse(b"AT#XFOTA=1,\"http://h/f\",1,\"a\",1"),
            Parsed::Invalid(Reject::TooMany)
        );
    }

    #[test]
    fn target_split_lowercases_scheme_and_keeps_port() {
        let s = start(b"AT#XFOTA=1,\"HTTPS://Example.com:8443/fw/app.bin?x=1\",7");
        let t = DownloadTarget::new(&s.url);
        assert_eq!(t.host(), b"https://Example.com:8443");
        assert_eq!(t.file(), b"fw/app.bin?x=1");
        assert_eq!(t.host_with_nul(), b"https://Example.com:8443\0");
        assert_eq!(t.file_with_nul(), b"fw/app.bin?x=1\0");
        let s = start(b"AT#XFOTA=1,\"hTTp://h/x\"");
        let t = DownloadTarget::new(&s.url);
        assert_eq!(t.host(), b"http://h");
        assert_eq!(t.file(), b"x");
    }

    #[test]
    fn set_clears_the_previous_target() {
        let long = start(b"AT#XFOTA=1,\"HTTP://a.example.com:8080/some/long/path.bin\"").url;
        let short = start(b"AT#XFOTA=1,\"Https://h/x\",1").url;
        let mut t = DownloadTarget::new(&long);
        t.set(&short);
        assert_eq!(t, DownloadTarget::new(&short));
        assert_eq!(t.host_with_nul(), b"https://h\0");
        assert_eq!(t.file_with_nul(), b"x\0");
    }

    #[test]
    fn hand_built_urls_stay_nul_terminated() {
        for (raw, path_at) in [
            (&b""[..], 0),
            (b"ab", 0),
            (b"ab", 1),
            (b"ab", 2),
            (b"ab", 9),
            (b"abcdef", 2),
        ] {
            let t = DownloadTarget::new(&Url {
                raw,
                https: false,
                path_at,
            });
            assert_eq!(t.host_with_nul().last(), Some(&0), "{raw:?} {path_at}");
            assert_eq!(t.file_with_nul().last(), Some(&0), "{raw:?} {path_at}");
        }
        let mut full = [b'a'; URL_MAX_LEN];
        full[..9].copy_from_slice(b"http://h/");
        let t = DownloadTarget::new(&Url {
            raw: &full,
            https: false,
            path_at: URL_MAX_LEN,
        });
        assert_eq!(t.file_with_nul(), b"\0");
    }

    #[test]
    fn hand_built_path_at_past_the_buffer_stays_nul_terminated() {
        let raw = [b'a'; URL_MAX_LEN];
        for path_at in [256, 300, 511, usize::MAX] {
            let t = DownloadTarget::new(&Url {
                raw: &raw,
                https: false,
                path_at,
            });
            assert_eq!(t.host_with_nul().last(), Some(&0), "{path_at}");
            assert_eq!(t.file_with_nul().last(), Some(&0), "{path_at}");
        }
    }

    #[test]
    fn integers_past_sec_tag_max_stay_refused() {
        for v in [
            &b"2147483648"[..],
            b"2684354560",
            b"4294967295",
            b"4294967296",
            b"99999999999999",
        ] {
            let mut line = b"AT#XFOTA=1,\"https://h/f\",".to_vec();
            line.extend_from_slice(v);
            assert_eq!(parse(&line), Parsed::Invalid(Reject::SecTag), "{v:?}");
        }
        assert_eq!(
            start(b"AT#XFOTA=1,\"https://h/f\",2147483647").sec_tag,
            Some(SEC_TAG_MAX)
        );
        assert_eq!(
            parse(b"AT#XFOTA=1,\"https://h/f\",-1"),
            Parsed::Invalid(Reject::SecTag)
        );
        assert_eq!(parse(b"AT#XFOTA=99999999999"), Parsed::Invalid(Reject::Op));
    }

    #[test]
    fn longest_url_fits() {
        let mut raw = [b'a'; URL_MAX_LEN];
        raw[..9].copy_from_slice(b"http://h/");
        let u = Url::parse(&raw).unwrap();
        let t = DownloadTarget::new(&u);
        assert_eq!(t.file().len(), URL_MAX_LEN - 9);
        assert_eq!(t.file_with_nul().last(), Some(&0));
        let mut long = [b'a'; URL_MAX_LEN + 1];
        long[..9].copy_from_slice(b"http://h/");
        assert_eq!(Url::parse(&long), Err(Reject::UrlLength));
    }

    #[test]
    fn url_rejects() {
        let cases: &[(&[u8], Reject)] = &[
            (b"", Reject::UrlLength),
            (b"ftp://h/x", Reject::UrlScheme),
            (b"http:/h/x", Reject::UrlScheme),
            (b"http:///x", Reject::UrlHost),
            (b"http://h:0/x", Reject::UrlPort),
            (b"http://h:65536/x", Reject::UrlPort),
            (b"http://h:080000/x", Reject::UrlPort),
            (b"http://h:/x", Reject::UrlPort),
            (b"http://u:p@h/x", Reject::UrlUserinfo),
            (b"http://h", Reject::UrlPath),
            (b"http://h/", Reject::UrlPath),
            (b"http://h x/y", Reject::UrlCharset),
            (b"http://h/a\x7fb", Reject::UrlCharset),
            (b"http://h/\xc3\xa9", Reject::UrlCharset),
            (b"http://[zz]/y", Reject::UrlHost),
            (b"http://[]/y", Reject::UrlHost),
            (b"http://[::1/y", Reject::UrlHost),
            (b"http://[::1]x/y", Reject::UrlHost),
            (b"http://h!/y", Reject::UrlHost),
        ];
        for (raw, err) in cases {
            assert_eq!(Url::parse(raw), Err(*err), "{:?}", raw);
        }
        for ok in [
            &b"http://[::1]:80/y"[..],
            b"http://[::1]/y",
            b"http://h:65535/y",
            b"http://h:1/y",
            b"https://a-b.c_d.e/f",
        ] {
            assert!(Url::parse(ok).is_ok(), "{ok:?}");
        }
    }
}
