//! Tests of the harness's own models (`tests/common`): a model that is wrong makes every other
//! test wrong, so each is pinned here against facts that do not come from the core.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::grammar::{self, Meaning, Tok};
use common::mcuboot::{self, ImageSpec};
use common::{classify, rec, respace, Wire};
use sha2::{Digest, Sha256};
use xfota_core::record::Outcome;
use xfota_core::ImageType;

#[test]
fn mcuboot_well_formed_images_validate() {
    for hdr in [32u16, 64, 0x200] {
        for prot in [false, true] {
            let mut s = ImageSpec::simple(hdr, mcuboot::filler(40, 3), 7);
            if prot {
                s.protected = vec![(0x50, vec![1, 0, 0, 0])];
            }
            s.before = vec![(0x01, vec![9; 32])];
            let img = s.build();
            let v = mcuboot::validate(&mcuboot::slot_with(&img));
            assert!(v.accepted.is_some() && v.plain, "{hdr} {prot} {v:?}");
            assert_eq!(v.accepted, v.first_sha);
            // The hash covers header + image + protected TLVs (bootutil_img_hash).
            let hashed = usize::from(hdr) + 40 + if prot { 12 } else { 0 };
            assert_eq!(v.hashed_len, Some(hashed as u32));
            let want: [u8; 32] = Sha256::digest(&img[..hashed]).into();
            assert_eq!(v.accepted, Some(want));
        }
    }
}

#[test]
fn mcuboot_layout_is_imgtools() {
    // magic, load address, hdr size, protected size, image size, flags, version, pad; then the
    // body at hdr_size; then TLV info 0x6907 with the area's total size; SHA-256 TLV 0x10/32.
    let img = ImageSpec::simple(32, vec![0xaa; 4], 0x0102_0304).build();
    assert_eq!(&img[..4], &[0x3d, 0xb8, 0xf3, 0x96]);
    assert_eq!(&img[8..16], &[32, 0, 0, 0, 4, 0, 0, 0]);
    assert_eq!(&img[20..28], &[1, 0, 0, 0, 4, 3, 2, 1]);
    assert_eq!(&img[32..36], &[0xaa; 4]);
    assert_eq!(&img[36..44], &[0x07, 0x69, 40, 0, 0x10, 0, 32, 0]);
    assert_eq!(img.len(), 36 + 40);
}

#[test]
fn mcuboot_refuses_broken_images() {
    let good = ImageSpec::simple(32, mcuboot::filler(16, 1), 1);
    let img = good.build();
    for i in 0..img.len() {
        let mut b = img.clone();
        b[i] ^= 0x01;
        let v = mcuboot::validate(&mcuboot::slot_with(&b));
        // Everything up to the TLVs is hashed; the TLV info and header drive the walk; the
        // SHA-256 TLV is compared: every single flip is refused.
        assert!(v.accepted.is_none(), "flip at {i} accepted");
    }
    let mut wrong = good.clone();
    wrong.sha = Some(Some(vec![0; 32]));
    assert!(mcuboot::validate(&mcuboot::slot_with(&wrong.build()))
        .accepted
        .is_none());
    let mut second = good.clone();
    second.after = vec![(mcuboot::TLV_SHA256, vec![1; 32])];
    let v = mcuboot::validate(&mcuboot::slot_with(&second.build()));
    assert!(v.accepted.is_none() && !v.plain && v.first_sha.is_some());
    assert_eq!(v.divergence, Some(mcuboot::Divergence::LaterSha));
    assert!(mcuboot::validate(&mcuboot::erased()).accepted.is_none());
    // Reaching the slot's end: refused (boot_check_header_valid: size >= slot size).
    let big = ImageSpec::simple(32, vec![0; mcuboot::SLOT_LEN], 1).build();
    assert!(mcuboot::validate(&mcuboot::slot_with(&big))
        .accepted
        .is_none());
}

#[test]
fn mcuboot_allow_list_counts_data_offsets() {
    // A zero-length TLV at the very end of the protected area has its data offset at
    // prot_end, which bootutil_tlv_iter_is_prot calls unprotected: a SEC_CNT there is refused.
    let mut s = ImageSpec::simple(32, vec![1; 8], 1);
    s.protected = vec![(0x50, vec![])];
    let v = mcuboot::validate(&mcuboot::slot_with(&s.build()));
    assert_eq!(v.divergence, Some(mcuboot::Divergence::UnprotectedTlv));
    s.protected = vec![(0x50, vec![1])];
    assert!(mcuboot::validate(&mcuboot::slot_with(&s.build()))
        .accepted
        .is_some());
}

#[test]
fn record_model_codec() {
    // CRC-16/CCITT-FALSE check value.
    assert_eq!(rec::crc16(b"123456789"), 0x29b1);
    let r = rec::MRec {
        image: ImageType::App,
        result: None,
        id: Some(*b"0123456789abcdef"),
    };
    let b = rec::encode(&r);
    assert_eq!(b.len(), 28);
    assert_eq!(&b[..10], b"XF\x02\x01\x04\x00\x00\x00\x00\x00");
    assert_eq!(rec::decode(&b), Some(r));
    let v1 = rec::encode_v1(ImageType::Modem, Some(Outcome::Error(-5)));
    assert_eq!(v1.len(), 12);
    assert_eq!(
        rec::decode(&v1),
        Some(rec::MRec {
            image: ImageType::Modem,
            result: Some(Outcome::Error(-5)),
            id: None
        })
    );
    // A modem result "reverted" does not exist; an identity on a result neither.
    assert_eq!(rec::decode(&rec::raw_v2(2, 5, 3, 0, [0; 16])), None);
    assert_eq!(rec::decode(&rec::raw_v2(1, 5, 0, 0, [1; 16])), None);
}

#[test]
fn grammar_model_lexes_as_nordic() {
    assert_eq!(grammar::lex(b""), Some(vec![]));
    assert_eq!(grammar::lex(b"+8"), Some(vec![Tok::Int(Some(8))]));
    assert_eq!(
        grammar::lex(b"0,"),
        Some(vec![Tok::Int(Some(0)), Tok::Empty])
    );
    assert_eq!(
        grammar::lex(b" 1, \"x\", ,"),
        Some(vec![
            Tok::Int(Some(1)),
            Tok::Str(b"x"),
            Tok::Empty,
            Tok::Empty
        ])
    );
    assert_eq!(grammar::lex(b"ims"), Some(vec![Tok::Unquoted]));
    assert_eq!(grammar::lex(b"(1,2)"), Some(vec![Tok::Array]));
    for bad in [
        &b"08"[..],
        b"-0",
        b"+0",
        b"  1",
        b"1 ",
        b"1 ,2",
        b"\"x",
        b"1,  2",
        b" ",
    ] {
        assert_eq!(grammar::lex(bad), None, "{bad:?}");
    }
    assert!(matches!(grammar::meaning(b"AT+CFUN=1"), Meaning::NotMine));
    assert!(matches!(grammar::meaning(b"AT#XFOTAX"), Meaning::NotMine));
    assert!(matches!(
        grammar::meaning(b"AT#XFOTA=+8"),
        Meaning::EraseApp
    ));
    assert!(matches!(
        grammar::meaning(b"AT#XFOTA=0,"),
        Meaning::Refused { lexing: false }
    ));
}

#[test]
fn wire_classifier() {
    assert_eq!(
        classify(b"\r\n#XFOTA: 1,0,100\r\n"),
        Some(Wire::Urc(1, 0, Some(100)))
    );
    assert_eq!(classify(b"\r\n#XFOTA: 1,0,101\r\n"), None);
    assert_eq!(
        classify(b"\r\n#XFOTA: 5,1,-2\r\n"),
        Some(Wire::Urc(5, 1, Some(-2)))
    );
    assert_eq!(classify(b"\r\n#XFOTA: 5,1,-0\r\n"), None);
    assert_eq!(classify(b"\r\n#XFOTA: 4,0,0\r\n"), None);
    assert_eq!(
        classify(b"\r\n#XMODEM: FAULT,0x2,0x1a2b\r\n"),
        Some(Wire::ModemFault(2, 0x1a2b))
    );
    assert_eq!(classify(b"\r\n#XMODEM: FAULT,0x02,0x1\r\n"), None);
    assert_eq!(classify(b"\r\n#XMODEM: FAULT,2,0x1\r\n"), None);
    assert_eq!(
        classify(b"\r\n#XMODEM: INIT,-5\r\n"),
        Some(Wire::ModemInit(-5))
    );
    assert_eq!(classify(b"\r\n#XMODEM: INIT,-5,1\r\n"), None);
}

#[test]
fn respace_places_spaces_around_separators() {
    let l = b"AT#XFOTA=1,\"a,b\",2";
    assert_eq!(respace(l, 0b0000_0001), b"AT#XFOTA =1,\"a,b\",2");
    assert_eq!(respace(l, 0b0001_0001), b"AT#XFOTA= 1,\"a,b\",2");
    assert_eq!(respace(l, 0b0100_0100), b"AT#XFOTA=1,\"a,b\", 2");
    assert_eq!(respace(l, 0x300), b"AT#XFOTA=1,\"a,b\",2  ");
}

/// MCUboot's swap table puts a pending test request before the revert of an unconfirmed image
/// (found by the `sequence` fuzzer: the model reverted first and then swapped the new image in
/// a boot later, with no record left to report it).
#[test]
fn mcuboot_model_swaps_a_new_request_before_reverting() {
    use common::{BootGen, Harness, ModemGen, Res, StoredGen, CANNED};
    use xfota_core::DownloadEvent;
    let model = BootGen::Model(ModemGen::None, Res::Ok);
    let mut h = Harness::booted().unwrap();
    h.line(CANNED[0]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    h.faults.confirm = Res::Err(4);
    h.power_cycle(&StoredGen::Keep, &model).unwrap();
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 5,1,-5\r\n"));
    assert!(h.world.in_test);
    // A second image downloaded while the first still runs unconfirmed.
    h.faults.confirm = Res::Ok;
    h.world.served = ImageSpec::simple(32, mcuboot::filler(20, 0x42), 9).build();
    h.line(CANNED[0]).unwrap();
    h.event(1, DownloadEvent::Finished).unwrap();
    h.power_cycle(&StoredGen::Keep, &model).unwrap();
    assert!(h.uart.ends_with(b"\r\n#XFOTA: 5,0\r\n"));
    assert_eq!(
        common::identity(&h.world.primary),
        common::identity(&h.world.served)
    );
    h.power_cycle(&StoredGen::Keep, &model).unwrap();
    assert!(h.uart.ends_with(b"#XFOTA: 5,0\r\nReady\r\n"));
}
