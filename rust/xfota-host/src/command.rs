//! The AT lines xfota-host sends, each checked with the firmware's own grammar
//! ([`xfota_core::at::parse`]) before anything is sent: a URL, `<sec_tag>` or `<apn>` the device
//! would answer `ERROR` is refused here by the same code, and the line must parse back to exactly
//! the command that was meant (a `"` or `,` inside a value cannot turn it into another one).

use std::fmt;
use xfota_core::at::{self, Command, Parsed, Reject, APN_MAX_LEN, SEC_TAG_MAX, URL_MAX_LEN};
use xfota_core::ImageType;

/// `AT`: is the device there and idle at its AT prompt?
pub const PROBE: &str = "AT";
/// `AT#XRESET`: reboot, which activates a downloaded image.
pub const RESET: &str = "AT#XRESET";

/// Why a command was not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The firmware's grammar refuses the line, for this reason.
    Grammar(Reject),
    /// The line is valid but means something else than the options given (a value that closed
    /// its quotes early). Never sent.
    Misparsed,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Misparsed => {
                f.write_str("the line would be read as a different command (a '\"' in a value?)")
            }
            Refusal::Grammar(r) => match r {
                Reject::Execute | Reject::Read | Reject::Syntax | Reject::Op | Reject::TooMany => {
                    write!(f, "not a valid AT#XFOTA command ({r:?})")
                }
                Reject::Field => f.write_str(
                    "a parameter does not lex as the firmware's AT parser reads it \
                     (a '\"' inside the URL or the APN?)",
                ),
                Reject::MissingUrl => f.write_str("the URL is missing"),
                Reject::SecTag => write!(f, "--sec-tag must be 0..={SEC_TAG_MAX}"),
                Reject::HttpsNeedsSecTag => f.write_str(
                    "an https URL needs --sec-tag (the modem security tag that holds the \
                     server's CA certificate)",
                ),
                Reject::Apn => write!(
                    f,
                    "--apn must be 1..={APN_MAX_LEN} characters: labels of letters, digits and \
                     '-' separated by '.'"
                ),
                Reject::UrlLength => write!(f, "the URL must be 1..={URL_MAX_LEN} bytes long"),
                Reject::UrlCharset => {
                    f.write_str("the URL may contain printable ASCII only, and no space")
                }
                Reject::UrlScheme => f.write_str("the URL must start with http:// or https://"),
                Reject::UrlUserinfo => f.write_str(
                    "the URL must not carry user:password@ (the firmware refuses userinfo: it \
                     would put a credential into logs)",
                ),
                Reject::UrlHost => {
                    f.write_str("the URL's host must be a host name or a bracketed IPv6 literal")
                }
                Reject::UrlPort => f.write_str("the URL's port must be 1..=65535"),
                Reject::UrlPath => {
                    f.write_str("the URL needs a file path after the host (e.g. /app.bin)")
                }
            },
        }
    }
}

/// `AT#XFOTA=<1|2>,"<url>"[,<sec_tag>][,"<apn>"]`, if the firmware would accept it as exactly
/// this start command.
pub fn start(
    image: ImageType,
    url: &str,
    sec_tag: Option<i64>,
    apn: Option<&str>,
) -> Result<String, Refusal> {
    let mut line = format!("AT#XFOTA={},\"{url}\"", image as u8);
    match (sec_tag, apn) {
        (None, None) => {}
        (Some(t), None) => line += &format!(",{t}"),
        (None, Some(a)) => line += &format!(",,\"{a}\""),
        (Some(t), Some(a)) => line += &format!(",{t},\"{a}\""),
    }
    match at::parse(line.as_bytes()) {
        Parsed::Command(Command::Start(s))
            if s.image == image
                && s.url.raw == url.as_bytes()
                && s.apn == apn.map(str::as_bytes)
                // http ignores a given sec_tag (the core drops it); https keeps it.
                && s.sec_tag.map(i64::from) == sec_tag.filter(|_| s.url.https) =>
        {
            Ok(line)
        }
        Parsed::Invalid(r) => Err(Refusal::Grammar(r)),
        _ => Err(Refusal::Misparsed),
    }
}

/// What `erase` clears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EraseTarget {
    /// MCUboot's secondary slot (op 8).
    App,
    /// The modem's scratch area (op 9).
    Modem,
}

/// `AT#XFOTA=8` or `AT#XFOTA=9`.
pub fn erase(target: EraseTarget) -> &'static str {
    match target {
        EraseTarget::App => "AT#XFOTA=8",
        EraseTarget::Modem => "AT#XFOTA=9",
    }
}

/// `AT#XFOTA=0`.
pub const CANCEL: &str = "AT#XFOTA=0";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn start_lines() {
        let app = ImageType::App;
        assert_eq!(
            start(app, "http://h/a.bin", None, None).unwrap(),
            "AT#XFOTA=1,\"http://h/a.bin\""
        );
        assert_eq!(
            start(
                ImageType::Modem,
                "https://h:8443/m.bin?x=1",
                Some(16842753),
                None
            )
            .unwrap(),
            "AT#XFOTA=2,\"https://h:8443/m.bin?x=1\",16842753"
        );
        assert_eq!(
            start(app, "http://h/a", None, Some("ibasis.iot")).unwrap(),
            "AT#XFOTA=1,\"http://h/a\",,\"ibasis.iot\""
        );
        assert_eq!(
            start(app, "https://h/a", Some(0), Some("apn")).unwrap(),
            "AT#XFOTA=1,\"https://h/a\",0,\"apn\""
        );
        // http with a sec_tag: accepted by the firmware (and ignored there).
        assert!(start(app, "http://h/a", Some(7), None).is_ok());
    }

    #[test]
    fn refusals_are_the_firmware_rules() {
        let app = ImageType::App;
        let r = |u: &str, t: Option<i64>, a: Option<&str>| start(app, u, t, a).unwrap_err();
        let g = Refusal::Grammar;
        assert_eq!(r("ftp://h/a", None, None), g(Reject::UrlScheme));
        assert_eq!(r("http://u:p@h/a", None, None), g(Reject::UrlUserinfo));
        assert_eq!(r("https://h/a", None, None), g(Reject::HttpsNeedsSecTag));
        assert_eq!(r("http://h", None, None), g(Reject::UrlPath));
        assert_eq!(r("http://h:0/a", None, None), g(Reject::UrlPort));
        assert_eq!(r("http://h/a b", None, None), g(Reject::UrlCharset));
        assert_eq!(
            r("http://h/a\r\nAT#XRESET", None, None),
            g(Reject::UrlCharset)
        );
        assert_eq!(r("", None, None), g(Reject::UrlLength));
        assert_eq!(
            r(&format!("http://h/{}", "a".repeat(300)), None, None),
            g(Reject::UrlLength)
        );
        assert_eq!(r("https://h/a", Some(-1), None), g(Reject::SecTag));
        assert_eq!(
            r("https://h/a", Some(2_147_483_648), None),
            g(Reject::SecTag)
        );
        assert_eq!(r("http://h/a", None, Some("")), g(Reject::Apn));
        assert_eq!(r("http://h/a", None, Some("a..b")), g(Reject::Apn));
        // A quote in a value: never sent, whatever it would parse as.
        assert_eq!(r("http://h/a\"", None, None), g(Reject::Field));
        assert!(start(app, "http://h/a\",1,\"x", None, None).is_err());
        assert!(start(app, "http://h/a", None, Some("x\",\"y")).is_err());
    }

    #[test]
    fn fixed_lines_parse_as_meant() {
        fn cmd(l: &str) -> Command<'_> {
            match at::parse(l.as_bytes()) {
                Parsed::Command(c) => c,
                other => panic!("{l}: {other:?}"),
            }
        }
        assert_eq!(cmd(CANCEL), Command::Cancel);
        assert_eq!(cmd(erase(EraseTarget::App)), Command::EraseApp);
        assert_eq!(cmd(erase(EraseTarget::Modem)), Command::EraseModem);
        assert_eq!(at::parse(RESET.as_bytes()), Parsed::NotMine);
    }
}
