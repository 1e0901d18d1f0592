//! The `AT#XFOTA` grammar.
//!
//! `AT#XFOTA=<op>[,<file_url>[,<sec_tag>[,<apn>]]]`, `AT#XFOTA=?`; the name is case-insensitive.
//! Lines arrive without their terminator. The grammar is strict: no spaces outside quoted
//! strings, only printable ASCII, integers as plain decimal digits, strings in double quotes
//! with no escapes, an empty unquoted field means "absent".

use crate::url::{Scheme, Url, UrlError};
use crate::ImageType;
use heapless::Vec;

/// The command name, compared case-insensitively.
pub const NAME: &str = "AT#XFOTA";
/// Longest accepted `<apn>`: lte_lc's PDN module (sdk-nrf v3.2.4,
/// `lib/lte_link_control/modules/pdn.c`, `APN_STR_MAX_LEN` 64 with the NUL) refuses longer ones.
pub const APN_MAX_LEN: usize = 63;
/// Largest `<sec_tag>` (the modem's security tags are non-negative `int`s).
pub const SEC_TAG_MAX: u32 = 2_147_483_647;
const MAX_FIELDS: usize = 4;

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
    /// `<apn>`, validated.
    pub apn: Option<&'a str>,
}

/// Why a line addressed to `AT#XFOTA` was refused (answered `ERROR`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reject {
    /// Bare `AT#XFOTA` (no execute form).
    Execute,
    /// `AT#XFOTA?` (read is not supported).
    Read,
    /// Anything after the name that is not `=` or `=?`.
    Syntax,
    /// Unterminated string, text after a closing quote, a non-digit in an integer field.
    Field,
    /// More than four parameters, or a parameter the op does not take.
    TooMany,
    /// `<op>` missing, not an integer, or not one of 0, 1, 2, 8, 9.
    Op,
    /// Op 1/2 without `<file_url>`, or the URL is not a quoted string.
    MissingUrl,
    /// The URL is invalid.
    Url(UrlError),
    /// `<sec_tag>` quoted, not decimal, or above [`SEC_TAG_MAX`].
    SecTag,
    /// `https` without `<sec_tag>`.
    HttpsNeedsSecTag,
    /// `<apn>` not quoted, empty, too long, or not a valid APN.
    Apn,
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field<'a> {
    Empty,
    Num(&'a [u8]),
    /// A quoted string and whether all its bytes are printable ASCII other than space.
    Str(&'a [u8], bool),
}

/// Finds the closing quote and checks the characters on the way: one pass over the string,
/// four bytes at a time (the start command's URL is up to 255 bytes; this is its hot loop).
fn quoted(body: &[u8]) -> Option<(&[u8], bool, &[u8])> {
    const ONES: u32 = 0x0101_0101;
    const HIGH: u32 = 0x8080_8080;
    let mut printable = true;
    let mut done = 0;
    for chunk in body.chunks_exact(4) {
        let Ok(bytes) = <[u8; 4]>::try_from(chunk) else {
            break;
        };
        let w = u32::from_le_bytes(bytes);
        let q = w ^ (ONES * u32::from(b'"'));
        // Exact "some byte is..." tests (no false positives for existence):
        let has_quote = q.wrapping_sub(ONES) & !q & HIGH;
        let has_below_0x21 = w.wrapping_sub(ONES * 0x21) & !w & HIGH;
        let has_above_0x7e = (w.wrapping_add(ONES) | w) & HIGH;
        if has_quote != 0 {
            break;
        }
        printable &= has_below_0x21 | has_above_0x7e == 0;
        done += 4;
    }
    let tail = body.get(done..)?;
    let close = done
        + tail.iter().position(|&b| {
            printable &= crate::class::is(b, crate::class::URL) || b == b'"';
            b == b'"'
        })?;
    let (s, tail) = body.split_at_checked(close)?;
    Some((s, printable, tail.get(1..).unwrap_or(&[])))
}

fn split_fields(mut rest: &[u8]) -> Result<Vec<Field<'_>, MAX_FIELDS>, Reject> {
    let mut fields = Vec::new();
    loop {
        let (field, after) = if let Some(body) = rest.strip_prefix(b"\"") {
            let (s, printable, tail) = quoted(body).ok_or(Reject::Field)?;
            (Field::Str(s, printable), tail)
        } else {
            let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
            let (n, tail) = rest.split_at_checked(end).ok_or(Reject::Field)?;
            if !n.iter().all(u8::is_ascii_digit) {
                return Err(Reject::Field);
            }
            (
                if n.is_empty() {
                    Field::Empty
                } else {
                    Field::Num(n)
                },
                tail,
            )
        };
        fields.push(field).map_err(|_| Reject::TooMany)?;
        match after.split_first() {
            None => return Ok(fields),
            Some((b',', tail)) => rest = tail,
            Some(_) => return Err(Reject::Field),
        }
    }
}

/// Decimal digits to a number no larger than `max`.
fn number(digits: &[u8], max: u32) -> Option<u32> {
    let mut v: u32 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)?
            .checked_add(u32::from(d.checked_sub(b'0')?))?;
        if v > max {
            return None;
        }
    }
    Some(v)
}

/// APN network identifier: dot-separated labels of letters, digits and hyphens (at most
/// [`APN_MAX_LEN`] in all, so each label fits 3GPP's 63). This character set cannot alter an AT
/// string the shell builds from it. One pass.
fn valid_apn(apn: &[u8]) -> bool {
    if apn.len() > APN_MAX_LEN {
        return false;
    }
    let mut label = 0usize;
    for &b in apn {
        if b == b'.' {
            if label == 0 {
                return false;
            }
            label = 0;
        } else if crate::class::is(b, crate::class::APN) {
            label += 1;
        } else {
            return false;
        }
    }
    label > 0
}

fn parse_start<'a>(image: ImageType, params: &[Field<'a>]) -> Result<Command<'a>, Reject> {
    let mut it = params.iter();
    let url = match it.next() {
        Some(Field::Str(raw, true)) => Url::parse_printable(raw).map_err(Reject::Url)?,
        Some(Field::Str(_, false)) => return Err(Reject::Url(UrlError::Charset)),
        _ => return Err(Reject::MissingUrl),
    };
    let sec_tag = match it.next() {
        None | Some(Field::Empty) => None,
        Some(Field::Num(d)) => Some(number(d, SEC_TAG_MAX).ok_or(Reject::SecTag)?),
        Some(Field::Str(..)) => return Err(Reject::SecTag),
    };
    let apn = match it.next() {
        None | Some(Field::Empty) => None,
        Some(Field::Str(raw, _)) if valid_apn(raw) => {
            Some(core::str::from_utf8(raw).map_err(|_| Reject::Apn)?)
        }
        Some(_) => return Err(Reject::Apn),
    };
    let sec_tag = match url.scheme {
        Scheme::Https => Some(sec_tag.ok_or(Reject::HttpsNeedsSecTag)?),
        Scheme::Http => None,
    };
    Ok(Command::Start(Start {
        image,
        url,
        sec_tag,
        apn,
    }))
}

fn parse_params(params: &[u8]) -> Result<Command<'_>, Reject> {
    let fields = split_fields(params)?;
    let (op, rest) = fields.split_first().ok_or(Reject::Op)?;
    let op = match op {
        Field::Num(d) => number(d, 9).ok_or(Reject::Op)?,
        _ => return Err(Reject::Op),
    };
    let no_params = |cmd: Command<'static>| {
        if rest.is_empty() {
            Ok(cmd)
        } else {
            Err(Reject::TooMany)
        }
    };
    match op {
        0 => no_params(Command::Cancel),
        8 => no_params(Command::EraseApp),
        9 => no_params(Command::EraseModem),
        1 => parse_start(ImageType::App, rest),
        2 => parse_start(ImageType::Modem, rest),
        _ => Err(Reject::Op),
    }
}

/// Parses one AT line (without its terminator).
pub fn parse(line: &[u8]) -> Parsed<'_> {
    let Some((name, tail)) = line.split_at_checked(NAME.len()) else {
        return Parsed::NotMine;
    };
    if !name.eq_ignore_ascii_case(NAME.as_bytes()) {
        return Parsed::NotMine;
    }
    let result = match tail.split_first() {
        None => Err(Reject::Execute),
        Some((b'?', _)) if tail.len() == 1 => Err(Reject::Read),
        // No separate pass over the line: outside quotes only digits and commas pass the
        // field checks, inside quotes the URL and APN checks refuse anything not printable.
        Some((b'=', b"?")) => Ok(Command::Test),
        Some((b'=', params)) => parse_params(params),
        // `AT#XFOTAX...` is some other command.
        Some((b, _)) if b.is_ascii_alphanumeric() || *b == b'_' => return Parsed::NotMine,
        Some(_) => Err(Reject::Syntax),
    };
    match result {
        Ok(c) => Parsed::Command(c),
        Err(r) => Parsed::Invalid(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn quoted_naive(body: &[u8]) -> Option<(&[u8], bool, &[u8])> {
        let close = body.iter().position(|&b| b == b'"')?;
        let s = &body[..close];
        let printable = s.iter().all(|&b| (0x21..=0x7e).contains(&b));
        Some((s, printable, &body[close + 1..]))
    }

    proptest! {
        #[test]
        fn quoted_matches_naive(body in proptest::collection::vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(quoted(&body), quoted_naive(&body));
        }

        #[test]
        fn quoted_matches_naive_mostly_printable(
            body in proptest::collection::vec(prop_oneof![8 => 0x21u8..0x7f, 1 => any::<u8>()], 0..80)
        ) {
            prop_assert_eq!(quoted(&body), quoted_naive(&body));
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
        assert_eq!(parse(b"AT#XFOTA=00"), Parsed::Command(Command::Cancel));
        assert_eq!(parse(b"AT#XFOTA=0,"), Parsed::Invalid(Reject::TooMany));
        assert_eq!(parse(b"AT#XFOTA=3"), Parsed::Invalid(Reject::Op));
        assert_eq!(parse(b"AT#XFOTA="), Parsed::Invalid(Reject::Op));
        assert_eq!(parse(b"AT#XFOTA= 1"), Parsed::Invalid(Reject::Field));
    }

    #[test]
    fn start_fields() {
        let p = parse(b"AT#XFOTA=2,\"https://h/f\",42,\"apn.ex-1\"");
        let Parsed::Command(Command::Start(s)) = p else {
            panic!("{p:?}");
        };
        assert_eq!(s.image, ImageType::Modem);
        assert_eq!(s.sec_tag, Some(42));
        assert_eq!(s.apn, Some("apn.ex-1"));
        let p = parse(b"AT#XFOTA=1,\"http://h/f\",42");
        let Parsed::Command(Command::Start(s)) = p else {
            panic!("{p:?}");
        };
        assert_eq!(s.sec_tag, None);
        assert_eq!(
            parse(b"AT#XFOTA=1,\"https://h/f\""),
            Parsed::Invalid(Reject::HttpsNeedsSecTag)
        );
        assert_eq!(
            parse(b"AT#XFOTA=1,\"https://h/f\",,\"a\""),
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
}
