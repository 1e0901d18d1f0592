//! An independent model of the `AT#XFOTA` grammar for the robustness harness: what a line means,
//! decided from the rules (DESIGN.md §2 items 1–3 and Nordic's AT parser), not from the core.
//!
//! Lexing models sdk-nrf v3.2.1 `lib/at_parser`: `at_match.re` (`at_match_subparam`: `SPACE = "
//! "`, `INT = "0"|[+\-]?[1-9][0-9]*`, `QUOTED_STR = "\"" [^"\x00]* "\""`, `ARRAY = "(" [^()\x00]+
//! ")"`, each as `SPACE? <token> COMMA?`, and `empty = SPACE? COMMA`; `at_match_str`, the fallback
//! for an unquoted string: `SPACE? [A-Za-z0-9][A-Za-z_\-+.0-9 ]* TERM?`) and `at_parser.c`
//! (`at_parser_tok`: a subparameter without a trailing comma must end the line; a trailing comma
//! at the end of the line makes one more, empty, subparameter). Only the rules are taken from
//! there; this is not Nordic's code.
//!
//! Where the core differs from Nordic's parser on purpose (documented in `at.rs`): unquoted
//! strings and arrays are refused; the AT host strips the line terminator, so CR, LF and NUL
//! inside a line are refused (Nordic's parser would stop at them and treat the rest as the next
//! line); `AT#XFOTA` followed by a letter, digit or `_` is another command.
#![allow(dead_code)]

use std::vec::Vec;

/// A lexed subparameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok<'a> {
    /// An integer token; `None` if it does not fit an `i64` (always out of range here).
    Int(Option<i64>),
    /// A quoted string's content.
    Str(&'a [u8]),
    /// An empty subparameter.
    Empty,
    /// An unquoted string (`at_match_str`).
    Unquoted,
    /// An array `(...)`.
    Array,
}

/// Length of an `INT` at the start of `s` (re2c takes the longest match).
fn int_len(s: &[u8]) -> Option<usize> {
    match s {
        [b'0', ..] => Some(1),
        [b'+' | b'-', b'1'..=b'9', ..] => {
            Some(1 + s.iter().skip(1).take_while(|b| b.is_ascii_digit()).count())
        }
        [b'1'..=b'9', ..] => Some(s.iter().take_while(|b| b.is_ascii_digit()).count()),
        _ => None,
    }
}

fn int_value(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// The subparameters after `=`, or `None` if Nordic's parser refuses the text (`-EBADMSG`).
/// Lexing stops (successfully) at the first unquoted string or array: the FOTA rules refuse
/// those anyway.
pub fn lex(params: &[u8]) -> Option<Vec<Tok<'_>>> {
    let mut toks = Vec::new();
    if params.is_empty() {
        // `AT#XFOTA=`: the command alone, no subparameter.
        return Some(toks);
    }
    let mut rest = params;
    loop {
        let body = rest.strip_prefix(b" ").unwrap_or(rest);
        let (tok, after) = if let Some(n) = int_len(body) {
            (Tok::Int(int_value(&body[..n])), &body[n..])
        } else if let Some(inner) = body.strip_prefix(b"\"") {
            let close = inner.iter().position(|&b| b == b'"')?;
            (Tok::Str(&inner[..close]), &inner[close + 1..])
        } else if let Some(inner) = body.strip_prefix(b"(") {
            let close = inner.iter().position(|&b| matches!(b, b'(' | b')' | 0))?;
            if close == 0 || inner[close] != b')' {
                return None;
            }
            toks.push(Tok::Array);
            return Some(toks);
        } else if body.first() == Some(&b',') {
            (Tok::Empty, body)
        } else if body.first().is_some_and(u8::is_ascii_alphanumeric) {
            toks.push(Tok::Unquoted);
            return Some(toks);
        } else {
            return None;
        };
        toks.push(tok);
        match after.split_first() {
            None => return Some(toks),
            Some((b',', [])) => {
                toks.push(Tok::Empty);
                return Some(toks);
            }
            Some((b',', more)) => rest = more,
            Some(_) => return None,
        }
    }
}

/// A start command as the downloader must receive it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartCmd<'a> {
    /// Op 2.
    pub modem: bool,
    /// The URL as written.
    pub url: &'a [u8],
    /// `https`.
    pub https: bool,
    /// Host: scheme in lower case, `://`, authority.
    pub host: Vec<u8>,
    /// File: the path without its leading `/`.
    pub file: &'a [u8],
    /// The sec_tag handed to the downloader (never for http).
    pub sec_tag: Option<u32>,
    /// The APN.
    pub apn: Option<&'a [u8]>,
}

/// What a line means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meaning<'a> {
    /// Not `AT#XFOTA`.
    NotMine,
    /// Refused; `lexing` if Nordic's lexer (or the CR/LF/NUL rule) refuses the text or it has
    /// an unquoted string or array.
    Refused {
        /// Refused at the lexical level.
        lexing: bool,
    },
    /// `AT#XFOTA=?`.
    Test,
    /// Op 0.
    Cancel,
    /// Op 8.
    EraseApp,
    /// Op 9.
    EraseModem,
    /// Op 1 or 2.
    Start(StartCmd<'a>),
}

/// Validates a URL (DESIGN.md §2.2): 1..=255 bytes of printable ASCII without space,
/// `http://`/`https://` in any case, authority without userinfo, host name of
/// `[A-Za-z0-9._-]` or a bracketed IPv6 literal of hex digits, `:` and `.`, optional port
/// 1..=65535 of at most 5 digits, a non-empty path. Returns (https, authority, path).
pub fn url(raw: &[u8]) -> Option<(bool, &[u8], &[u8])> {
    if raw.is_empty() || raw.len() > 255 || raw.iter().any(|&b| !(0x21..=0x7e).contains(&b)) {
        return None;
    }
    let lower: Vec<u8> = raw.iter().take(8).map(u8::to_ascii_lowercase).collect();
    let (https, rest) = if lower.starts_with(b"https://") {
        (true, &raw[8..])
    } else if lower.starts_with(b"http://") {
        (false, &raw[7..])
    } else {
        return None;
    };
    let slash = rest.iter().position(|&b| b == b'/')?;
    let (authority, path) = (&rest[..slash], &rest[slash + 1..]);
    if path.is_empty() || authority.contains(&b'@') {
        return None;
    }
    let (host_ok, port) = if let Some(lit) = authority.strip_prefix(b"[") {
        let close = lit.iter().position(|&b| b == b']')?;
        let v6 = &lit[..close];
        let ok = !v6.is_empty()
            && v6
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        match &lit[close + 1..] {
            [] => (ok, None),
            [b':', p @ ..] => (ok, Some(p)),
            _ => (false, None),
        }
    } else {
        let mut parts = authority.splitn(2, |&b| b == b':');
        let host = parts.next().unwrap_or(&[]);
        let ok = !host.is_empty()
            && host
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        (ok, parts.next())
    };
    let port_ok = port.is_none_or(|p| {
        (1..=5).contains(&p.len())
            && p.iter().all(u8::is_ascii_digit)
            && int_value(p).is_some_and(|v| (1..=65535).contains(&v))
    });
    (host_ok && port_ok).then_some((https, authority, path))
}

/// Validates an APN: at most 63 bytes, dot-separated non-empty labels of `[A-Za-z0-9-]`.
pub fn apn(a: &[u8]) -> bool {
    a.len() <= 63
        && a.split(|&b| b == b'.')
            .all(|l| !l.is_empty() && l.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// The meaning of one AT line (without terminator).
pub fn meaning(line: &[u8]) -> Meaning<'_> {
    const NAME: &[u8] = b"AT#XFOTA";
    let refused = Meaning::Refused { lexing: false };
    let lexing = Meaning::Refused { lexing: true };
    if line.len() < NAME.len() || !line[..NAME.len()].eq_ignore_ascii_case(NAME) {
        return Meaning::NotMine;
    }
    let tail = &line[NAME.len()..];
    if tail
        .first()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Meaning::NotMine;
    }
    let Some(params) = tail.strip_prefix(b"=") else {
        // Bare (execute) and read forms are not supported; anything else is not a form.
        return if tail.is_empty() || tail == b"?" {
            refused
        } else {
            lexing
        };
    };
    if params == b"?" {
        return Meaning::Test;
    }
    if params.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        return lexing;
    }
    let Some(toks) = lex(params) else {
        return lexing;
    };
    if toks.iter().any(|t| matches!(t, Tok::Unquoted | Tok::Array)) {
        return lexing;
    }
    let op = match toks.first() {
        Some(Tok::Int(Some(v))) => *v,
        _ => return refused,
    };
    match (op, toks.len()) {
        (0, 1) => return Meaning::Cancel,
        (8, 1) => return Meaning::EraseApp,
        (9, 1) => return Meaning::EraseModem,
        (1 | 2, 2..=4) => {}
        _ => return refused,
    }
    let Some(Tok::Str(raw)) = toks.get(1) else {
        return refused;
    };
    let Some((https, authority, path)) = url(raw) else {
        return refused;
    };
    let sec_tag = match toks.get(2) {
        None | Some(Tok::Empty) => None,
        Some(Tok::Int(Some(v))) if (0..=2_147_483_647).contains(v) => Some(*v as u32),
        _ => return refused,
    };
    let apn_val = match toks.get(3) {
        None | Some(Tok::Empty) => None,
        Some(Tok::Str(a)) if apn(a) => Some(*a),
        _ => return refused,
    };
    if https && sec_tag.is_none() {
        return refused;
    }
    let mut host = if https {
        b"https://".to_vec()
    } else {
        b"http://".to_vec()
    };
    host.extend_from_slice(authority);
    Meaning::Start(StartCmd {
        modem: op == 2,
        url: raw,
        https,
        host,
        file: path,
        sec_tag: if https { sec_tag } else { None },
        apn: apn_val,
    })
}
