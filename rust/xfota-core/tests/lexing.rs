//! The lexing rules of `AT#XFOTA` (issue 11), one table row per rule, each with accepted and
//! refused examples. The rules are those of Nordic's AT parser, sdk-nrf v3.2.1
//! `lib/at_parser/at_match.re` and `lib/at_parser/at_parser.c` (the grammar is quoted as a fact;
//! none of Nordic's code is used), so a host driver written for Nordic's Serial Modem works
//! unchanged; the last rows are where the core refuses on purpose what Nordic's parser lexes.
//!
//! Every example is checked three ways: `at::parse` accepts or refuses it (and, where given, with
//! the stated value), the independent grammar model in `tests/common/grammar.rs` agrees, and the
//! line goes through the whole harness on a booted core (exact response and effects).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::grammar::{self, Meaning};
use common::Harness;
use xfota_core::at::{self, Command, Parsed, Reject};
use xfota_core::{ImageType, LineResult};

/// What an accepted example must parse to.
#[derive(Clone, Copy, Debug)]
enum Want {
    /// Op 0, 8 or 9 / the test command.
    Op(u8),
    /// A start with this sec_tag.
    SecTag(Option<u32>),
    /// A start with this APN.
    Apn(Option<&'static [u8]>),
}

struct Rule {
    /// Nordic's rule (at_match.re / at_parser.c), or the core's own where it differs.
    nordic: &'static str,
    /// What it means for `AT#XFOTA`.
    means: &'static str,
    accepted: &'static [(&'static [u8], Want)],
    refused: &'static [&'static [u8]],
}

const RULES: &[Rule] = &[
    Rule {
        nordic: "at_match_subparam: `int = SPACE? INT COMMA?`, `quoted_str = SPACE? QUOTED_STR \
                 COMMA?`, `empty = SPACE? COMMA` with `SPACE = \" \"`",
        means: "each parameter may be preceded by exactly one space (after `=` and after each \
                `,`); not two, and no other blank (TAB)",
        accepted: &[
            (b"AT#XFOTA= 8", Want::Op(8)),
            (b"AT#XFOTA= 0", Want::Op(0)),
            (b"AT#XFOTA= 1, \"http://h/f\"", Want::SecTag(None)),
            (
                b"AT#XFOTA=1, \"https://h/f\", 1, \"ims\"",
                Want::Apn(Some(b"ims")),
            ),
            (b"AT#XFOTA=1,\"https://h/f\", 7", Want::SecTag(Some(7))),
            (
                b"AT#XFOTA= 2, \"http://h/m.bin\", , \"a.b\"",
                Want::Apn(Some(b"a.b")),
            ),
        ],
        refused: &[
            b"AT#XFOTA=  8",
            b"AT#XFOTA=  1,\"http://h/f\"",
            b"AT#XFOTA=1,  \"http://h/f\"",
            b"AT#XFOTA=1,\"https://h/f\",  1",
            b"AT#XFOTA=1,\"http://h/f\",,  \"ims\"",
            b"AT#XFOTA=\t8",
            b"AT#XFOTA=1,\t\"http://h/f\"",
        ],
    },
    Rule {
        nordic: "at_parser_tok: a subparameter without a trailing comma must end the line \
                 (-EBADMSG otherwise)",
        means: "no space (or anything) between a value and its comma, nor after the last value",
        accepted: &[(b"AT#XFOTA=8", Want::Op(8))],
        refused: &[
            b"AT#XFOTA=8 ",
            b"AT#XFOTA=0 ,",
            b"AT#XFOTA=1 ,\"http://h/f\"",
            b"AT#XFOTA=1,\"http://h/f\" ,1",
            b"AT#XFOTA=1,\"https://h/f\",1 ,\"ims\"",
            b"AT#XFOTA=1,\"http://h/f\" ",
            b"AT#XFOTA=1,\"http://h/f\",, ",
            b"AT#XFOTA=1,\"http://h/f\", ",
            b"AT#XFOTA=1,\"http://h/f\"x",
            b"AT#XFOTA=8x",
        ],
    },
    Rule {
        nordic: "`INT = \"0\" | [+\\-]?[1-9][0-9]*`",
        means: "a `+` sign is allowed (`+8` is op 8); no leading zeros, no signed zero, no \
                space after the sign, decimal only",
        accepted: &[
            (b"AT#XFOTA=+8", Want::Op(8)),
            (b"AT#XFOTA= +9", Want::Op(9)),
            (b"AT#XFOTA=0", Want::Op(0)),
            (b"AT#XFOTA=+1,\"http://h/f\"", Want::SecTag(None)),
            (b"AT#XFOTA=1,\"https://h/f\",+42", Want::SecTag(Some(42))),
            (b"AT#XFOTA=1,\"https://h/f\",0", Want::SecTag(Some(0))),
            (b"AT#XFOTA=1,\"https://h/f\",10", Want::SecTag(Some(10))),
        ],
        refused: &[
            b"AT#XFOTA=08",
            b"AT#XFOTA=00",
            b"AT#XFOTA=-0",
            b"AT#XFOTA=+0",
            b"AT#XFOTA=+08",
            b"AT#XFOTA=+ 8",
            b"AT#XFOTA=++8",
            b"AT#XFOTA=+-8",
            b"AT#XFOTA=+",
            b"AT#XFOTA=-",
            b"AT#XFOTA=8.0",
            b"AT#XFOTA=0x8",
            b"AT#XFOTA=1,\"https://h/f\",007",
            b"AT#XFOTA=1,\"https://h/f\",-0",
            b"AT#XFOTA=1,\"https://h/f\",+0",
        ],
    },
    Rule {
        nordic: "at_parser_num_get: the integer is converted and range-checked after lexing \
                 (-ERANGE)",
        means: "negative and huge integers lex, then fail: op in {0,1,2,8,9}, sec_tag in \
                0..=2147483647",
        accepted: &[
            (
                b"AT#XFOTA=1,\"https://h/f\",2147483647",
                Want::SecTag(Some(2_147_483_647)),
            ),
            (
                b"AT#XFOTA=1,\"https://h/f\",+2147483647",
                Want::SecTag(Some(2_147_483_647)),
            ),
        ],
        refused: &[
            b"AT#XFOTA=-8",
            b"AT#XFOTA=-1",
            b"AT#XFOTA=3",
            b"AT#XFOTA=+10",
            b"AT#XFOTA=99999999999999999999",
            b"AT#XFOTA=1,\"https://h/f\",-1",
            b"AT#XFOTA=1,\"https://h/f\",2147483648",
            b"AT#XFOTA=1,\"https://h/f\",+2147483648",
            b"AT#XFOTA=1,\"https://h/f\",4294967296",
        ],
    },
    Rule {
        nordic: "`empty = SPACE? COMMA`; at_parser_tok: a trailing comma at the end of the line \
                 makes one more, empty, subparameter (is_next_empty)",
        means: "an empty parameter is nothing or one space before a `,`; a final `,` adds an \
                empty last parameter, which counts (ops 0/8/9 take none; at most four)",
        accepted: &[
            (b"AT#XFOTA=1,\"http://h/f\",", Want::SecTag(None)),
            (
                b"AT#XFOTA=1,\"http://h/f\",,\"ims\"",
                Want::Apn(Some(b"ims")),
            ),
            (
                b"AT#XFOTA=1,\"http://h/f\", ,\"ims\"",
                Want::Apn(Some(b"ims")),
            ),
            (b"AT#XFOTA=1,\"https://h/f\",1,", Want::Apn(None)),
            (b"AT#XFOTA=2,\"http://h/f\", ,", Want::Apn(None)),
        ],
        refused: &[
            b"AT#XFOTA=0,",
            b"AT#XFOTA=8,",
            b"AT#XFOTA=9, ",
            b"AT#XFOTA=2,\"http://h/f\", , ",
            b"AT#XFOTA=,",
            b"AT#XFOTA=,8",
            b"AT#XFOTA= ,8",
            b"AT#XFOTA=1,\"http://h/f\",,,",
            b"AT#XFOTA=1,\"http://h/f\",1,\"ims\",",
            b"AT#XFOTA=1,\"http://h/f\",  ,\"ims\"",
            b"AT#XFOTA=1,,\"http://h/f\"",
        ],
    },
    Rule {
        nordic: "`QUOTED_STR = \"\\\"\" [^\"\\x00]* \"\\\"\"`",
        means: "strings are quoted, without escapes: the next quote ends them",
        accepted: &[
            (b"AT#XFOTA=1,\"http://h/a\\b\"", Want::SecTag(None)),
            (b"AT#XFOTA=1,\"http://h/a'b\"", Want::SecTag(None)),
        ],
        refused: &[
            b"AT#XFOTA=1,\"http://h/a\\\"b\"",
            b"AT#XFOTA=1,\"http://h/f",
            b"AT#XFOTA=1,\"http://h/f\"\"",
            b"AT#XFOTA=1,\"\"http://h/f\"",
            b"AT#XFOTA=1,\"http://h/f\",,\"ims",
        ],
    },
    Rule {
        nordic: "at_match_str (`[A-Za-z0-9][A-Za-z_\\-+.0-9 ]*`, unquoted strings) and `ARRAY = \
                 \"(\" [^()\\x00]+ \")\"` lex in Nordic's parser",
        means: "refused by the core: every `AT#XFOTA` parameter is an integer or a quoted string",
        accepted: &[],
        refused: &[
            b"AT#XFOTA=1,http://h/f",
            b"AT#XFOTA=1,\"https://h/f\",1,ims",
            b"AT#XFOTA=1,\"http://h/f\",,ims x",
            b"AT#XFOTA=1,\"https://h/f\",abc",
            b"AT#XFOTA=(8)",
            b"AT#XFOTA=1,\"https://h/f\",(1)",
            b"AT#XFOTA=1,\"http://h/f\",,(ims)",
        ],
    },
    Rule {
        nordic: "at_match_cmd: `cmd_test = AT CMD \"=?\"`, `cmd_read = AT CMD \"?\"`, `cmd_set = \
                 AT CMD \"=\"`, `AT_CASE_INS = [Aa][Tt]`",
        means: "set and test forms only (read and bare forms refused); the name is \
                case-insensitive; nothing between the name and `=`",
        accepted: &[
            (b"AT#XFOTA=?", Want::Op(u8::MAX)),
            (b"at#xfota=?", Want::Op(u8::MAX)),
            (b"At#XfOtA=8", Want::Op(8)),
        ],
        refused: &[
            b"AT#XFOTA",
            b"AT#XFOTA?",
            b"AT#XFOTA =8",
            b"AT#XFOTA= ?",
            b"AT#XFOTA=? ",
            b"AT#XFOTA=?,1",
            b"AT#XFOTA==8",
        ],
    },
    Rule {
        nordic: "at_parser_tok stops at CR/LF (the next line) and the string at NUL; the core \
                 gets lines without their terminator",
        means: "CR, LF or NUL left inside a line is refused, never taken for a terminator",
        accepted: &[],
        refused: &[
            b"AT#XFOTA=8\r",
            b"AT#XFOTA=8\r\nAT#XFOTA=9",
            b"AT#XFOTA=8\n",
            b"AT#XFOTA=8\0",
            b"AT#XFOTA=\r\n8",
            b"AT#XFOTA=1,\"http://h/f\"\0,1",
        ],
    },
];

fn show(line: &[u8]) -> String {
    line.escape_ascii().to_string()
}

#[test]
fn every_rule_has_examples() {
    for r in RULES {
        assert!(!r.refused.is_empty(), "{}", r.nordic);
        assert!(!r.means.is_empty());
    }
    let accepted: usize = RULES.iter().map(|r| r.accepted.len()).sum();
    let refused: usize = RULES.iter().map(|r| r.refused.len()).sum();
    assert!(accepted >= 25 && refused >= 60, "{accepted} / {refused}");
}

#[test]
fn accepted_examples() {
    for r in RULES {
        for &(line, want) in r.accepted {
            let ctx = || format!("{} ({}): {}", show(line), r.means, r.nordic);
            let Parsed::Command(cmd) = at::parse(line) else {
                panic!("refused: {:?}: {}", at::parse(line), ctx());
            };
            let ok = match (want, cmd) {
                (Want::Op(0), Command::Cancel)
                | (Want::Op(8), Command::EraseApp)
                | (Want::Op(9), Command::EraseModem)
                | (Want::Op(u8::MAX), Command::Test) => true,
                (Want::SecTag(t), Command::Start(s)) => s.sec_tag == t,
                (Want::Apn(a), Command::Start(s)) => s.apn == a,
                _ => false,
            };
            assert!(ok, "parsed {cmd:?}, want {want:?}: {}", ctx());
            assert!(
                !matches!(grammar::meaning(line), Meaning::Refused { .. }),
                "the model refuses it: {}",
                ctx()
            );
            // A cancel needs a download to cancel.
            let mut h = if cmd == Command::Cancel {
                downloading()
            } else {
                Harness::booted().unwrap()
            };
            assert_eq!(h.line(line).unwrap(), LineResult::Ok, "{}", ctx());
        }
    }
}

#[test]
fn refused_examples() {
    for r in RULES {
        for &line in r.refused {
            let ctx = || format!("{} ({}): {}", show(line), r.means, r.nordic);
            assert!(
                matches!(at::parse(line), Parsed::Invalid(_)),
                "accepted: {:?}: {}",
                at::parse(line),
                ctx()
            );
            assert!(
                matches!(grammar::meaning(line), Meaning::Refused { .. }),
                "the model accepts it: {}",
                ctx()
            );
            for mut h in [Harness::booted().unwrap(), downloading()] {
                let before = h.fota.clone();
                assert_eq!(h.line(line).unwrap(), LineResult::Error, "{}", ctx());
                assert_eq!(h.fota, before, "{}", ctx());
            }
        }
    }
}

fn downloading() -> Harness {
    let mut h = Harness::booted().unwrap();
    h.line(common::CANNED[0]).unwrap();
    h
}

/// The lexical refusals are reported as such (`Reject::Field`), so the shell's log says what
/// was wrong; refusals of values are not.
#[test]
fn reject_reasons() {
    let cases: &[(&[u8], Reject)] = &[
        (b"AT#XFOTA=  8", Reject::Field),
        (b"AT#XFOTA=8 ", Reject::Field),
        (b"AT#XFOTA=08", Reject::Field),
        (b"AT#XFOTA=-0", Reject::Field),
        (b"AT#XFOTA=1,http://h/f", Reject::Field),
        (b"AT#XFOTA=-8", Reject::Op),
        (b"AT#XFOTA=0,", Reject::TooMany),
        (b"AT#XFOTA=1,\"http://h/f\",1,\"ims\",", Reject::TooMany),
        (b"AT#XFOTA=1,\"https://h/f\",-1", Reject::SecTag),
        (b"AT#XFOTA=+1", Reject::MissingUrl),
    ];
    for &(line, want) in cases {
        assert_eq!(at::parse(line), Parsed::Invalid(want), "{}", show(line));
    }
    // One space is allowed before the op, so ` 1` is op 1 (app) and wants its URL.
    assert!(matches!(
        at::parse(b"AT#XFOTA= 1,\"http://h/f\""),
        Parsed::Command(Command::Start(s)) if s.image == ImageType::App
    ));
}
