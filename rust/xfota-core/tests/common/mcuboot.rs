//! A model of MCUboot's image slots for the robustness harness: an image writer (header, body,
//! protected TLV area, TLV area, with a real SHA-256) and a validator that decides what MCUboot
//! would accept, written from MCUboot's rules, not from the core's walk.
//!
//! Modelled source (sdk-mcuboot ncs-v3.2.4): `boot/bootutil/include/bootutil/image.h` (layout,
//! magics), `boot/bootutil/src/tlv.c` (`bootutil_tlv_iter_begin`/`_next`: the protected info,
//! then the unprotected info; iteration walks the protected TLVs, skips the unprotected info at
//! `prot_end`, then the unprotected TLVs, until `tlv_end`; a TLV header is read even if it
//! straddles `tlv_end`), `boot/bootutil/src/image_validate.c` (`bootutil_img_validate`: every
//! SHA-256 TLV must be 32 bytes and equal the hash of header + image + protected TLVs; at least
//! one must be present; `bootutil_img_hash` covers `ih_hdr_size + ih_img_size +
//! ih_protect_tlv_size` bytes). Flash is a fixed-size slot: bytes never written read as 0xff
//! (erased NOR flash), reads past the slot fail (`flash_area_read` returns -EINVAL).
//!
//! Signatures are not modelled: the core leaves them to MCUboot by design (integrity, not
//! authenticity), and the images here carry none.
//!
//! Written by hand because it models the device (and must build malformed images on purpose);
//! the simulator's writer (`xfota-sim/src/image.rs`) only builds well-formed ones.
#![allow(dead_code)]

use sha2::{Digest, Sha256};
use std::vec::Vec;

/// `IMAGE_MAGIC`.
pub const IMAGE_MAGIC: u32 = 0x96f3_b83d;
/// `IMAGE_TLV_INFO_MAGIC`.
pub const TLV_INFO_MAGIC: u16 = 0x6907;
/// `IMAGE_TLV_PROT_INFO_MAGIC`.
pub const TLV_PROT_INFO_MAGIC: u16 = 0x6908;
/// `IMAGE_TLV_SHA256`.
pub const TLV_SHA256: u16 = 0x10;
/// `IMAGE_F_ENCRYPTED_AES128 | IMAGE_F_ENCRYPTED_AES256 | IMAGE_F_COMPRESSED_LZMA1 |
/// IMAGE_F_COMPRESSED_LZMA2 | IMAGE_F_COMPRESSED_ARM_THUMB_FLT`: MCUboot as NCS builds it
/// refuses such images.
pub const FLAGS_REFUSED: u32 = 0x0c | 0x200 | 0x400 | 0x800;
/// `sizeof(struct image_header)`.
pub const HEADER_LEN: usize = 32;
/// Size of a model flash slot (small, so that sizes in a header can point past it).
pub const SLOT_LEN: usize = 1024;
/// `-EINVAL`: `flash_area_read` out of bounds.
pub const EINVAL: i32 = -22;
/// `-EIO`.
pub const EIO: i32 = -5;

/// An erased slot.
pub fn erased() -> Vec<u8> {
    vec![0xff; SLOT_LEN]
}

/// `bytes` written at the start of an erased slot (cut at the slot's end).
pub fn slot_with(bytes: &[u8]) -> Vec<u8> {
    let mut s = erased();
    for (d, b) in s.iter_mut().zip(bytes) {
        *d = *b;
    }
    s
}

/// Deterministic filler bytes (xorshift), so an image is reproducible from its seed.
pub fn filler(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9 ^ u32::from(seed).wrapping_mul(0x0101_0101) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// The shape of an image to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageSpec {
    /// `ih_hdr_size` (the header is zero padded to it; values below 32 are written as given,
    /// the 32 header bytes still follow each other).
    pub hdr_size: u16,
    /// The image body.
    pub body: Vec<u8>,
    /// TLVs of the protected area (none: no protected area, `ih_protect_tlv_size` 0).
    pub protected: Vec<(u16, Vec<u8>)>,
    /// Unprotected TLVs before the SHA-256 TLV.
    pub before: Vec<(u16, Vec<u8>)>,
    /// The SHA-256 TLV: `None` leaves it out, `Some(None)` writes the real hash,
    /// `Some(Some(h))` writes `h`.
    pub sha: Option<Option<Vec<u8>>>,
    /// Unprotected TLVs after the SHA-256 TLV.
    pub after: Vec<(u16, Vec<u8>)>,
    /// `ih_ver` build number (distinguishes otherwise equal images).
    pub build: u32,
    /// `ih_flags`.
    pub flags: u32,
    /// Writes this `it_tlv_tot` into the protected TLV info instead of the real size (the hash
    /// still covers what is written).
    pub prot_tot: Option<u16>,
}

impl ImageSpec {
    /// A well-formed image: header of `hdr_size`, `body`, one SHA-256 TLV.
    pub fn simple(hdr_size: u16, body: Vec<u8>, build: u32) -> Self {
        Self {
            hdr_size,
            body,
            protected: Vec::new(),
            before: Vec::new(),
            sha: Some(None),
            after: Vec::new(),
            build,
            flags: 0,
            prot_tot: None,
        }
    }

    /// The image bytes (as imgtool lays them out).
    pub fn build(&self) -> Vec<u8> {
        let tlvs_len = |t: &[(u16, Vec<u8>)]| t.iter().map(|(_, v)| 4 + v.len()).sum::<usize>();
        let prot_len = if self.protected.is_empty() {
            0
        } else {
            4 + tlvs_len(&self.protected)
        };
        let mut out = Vec::new();
        out.extend_from_slice(&IMAGE_MAGIC.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // ih_load_addr
        out.extend_from_slice(&self.hdr_size.to_le_bytes());
        out.extend_from_slice(&(prot_len as u16).to_le_bytes());
        out.extend_from_slice(&(self.body.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.flags.to_le_bytes()); // ih_flags
        out.extend_from_slice(&[1, 0, 0, 0]); // ih_ver major, minor, revision
        out.extend_from_slice(&self.build.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // _pad1
        out.resize(usize::from(self.hdr_size).max(HEADER_LEN), 0);
        out.extend_from_slice(&self.body);
        if prot_len != 0 {
            let tot = self.prot_tot.map_or(prot_len, usize::from);
            push_info(&mut out, TLV_PROT_INFO_MAGIC, tot);
            push_tlvs(&mut out, &self.protected);
        }
        // What bootutil_img_hash covers (a header below 32 bytes shortens it, as MCUboot would).
        let hashed = usize::from(self.hdr_size) + self.body.len() + prot_len;
        let hash: Vec<u8> = Sha256::digest(out.get(..hashed).unwrap_or(&out)).to_vec();
        let sha: Vec<(u16, Vec<u8>)> = match &self.sha {
            None => Vec::new(),
            Some(None) => vec![(TLV_SHA256, hash)],
            Some(Some(h)) => vec![(TLV_SHA256, h.clone())],
        };
        let unprot = 4 + tlvs_len(&self.before) + tlvs_len(&sha) + tlvs_len(&self.after);
        push_info(&mut out, TLV_INFO_MAGIC, unprot);
        push_tlvs(&mut out, &self.before);
        push_tlvs(&mut out, &sha);
        push_tlvs(&mut out, &self.after);
        out
    }
}

fn push_info(out: &mut Vec<u8>, magic: u16, tot: usize) {
    out.extend_from_slice(&magic.to_le_bytes());
    out.extend_from_slice(&(tot as u16).to_le_bytes());
}

fn push_tlvs(out: &mut Vec<u8>, tlvs: &[(u16, Vec<u8>)]) {
    for (t, v) in tlvs {
        out.extend_from_slice(&t.to_le_bytes());
        out.extend_from_slice(&(v.len() as u16).to_le_bytes());
        out.extend_from_slice(v);
    }
}

fn rd(slot: &[u8], off: usize, len: usize) -> Option<&[u8]> {
    slot.get(off..off.checked_add(len)?)
}

fn u16_at(slot: &[u8], off: usize) -> Option<u16> {
    rd(slot, off, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(slot: &[u8], off: usize) -> Option<u32> {
    rd(slot, off, 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// What MCUboot makes of a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// `Some(hash)`: MCUboot validates the image (every SHA-256 TLV matches), with its hash.
    pub accepted: Option<[u8; 32]>,
    /// The value of the first SHA-256 TLV found by MCUboot's iterator (protected area first),
    /// whether or not it matches: the image's identity as a TLV walk without hashing sees it.
    pub first_sha: Option<[u8; 32]>,
    /// Bytes covered by the hash (`hdr + img + prot`), if the header could be read.
    pub hashed_len: Option<u32>,
    /// The image is well formed enough that every reasonable walk agrees with MCUboot: header
    /// of at least 32 bytes, exactly one SHA-256 TLV, in the unprotected area, no TLV crossing
    /// the end of its area. Where this is false, a stricter verifier may refuse an image MCUboot
    /// would take (never the reverse).
    pub plain: bool,
    /// Which of MCUboot's finer rules refused the image, if one did (see [`Divergence`]).
    pub divergence: Option<Divergence>,
}

/// MCUboot's finer refusals, which a simple walk (magic, sizes, the first SHA-256 TLV) misses.
/// The core once accepted these images and MCUboot then refused them at boot (5,3 after a 4,0);
/// this suite found them, the core now applies the same rules, and `tests/security.rs` keeps one
/// regression test per rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Divergence {
    /// `ih_flags` says encrypted or compressed: `boot_check_header_valid` refuses the image.
    Flags,
    /// The first SHA-256 TLV matches but a later one does not (or is not 32 bytes):
    /// `bootutil_img_validate` checks every SHA-256 TLV, the core only the first.
    LaterSha,
    /// An unprotected TLV of a type outside MCUboot's allow list (`allowed_unprot_tlvs`,
    /// `MCUBOOT_USE_TLV_ALLOW_LIST`, default y).
    UnprotectedTlv,
    /// The TLV area's `it_tlv_tot` reaches past the slot ("TLV beyond image size"): the core
    /// stops at the SHA-256 TLV and never looks at the rest.
    TlvEnd,
}

/// `allowed_unprot_tlvs` of `image_validate.c` as NCS builds MCUboot (no pure signatures, no
/// HMAC-SHA512): key hash, public key, SHA-256/384/512, the signatures, the key-encryption TLVs.
pub const UNPROTECTED_ALLOWED: [u16; 14] = [
    0x01, 0x02, 0x10, 0x11, 0x12, 0x20, 0x21, 0x22, 0x23, 0x24, 0x30, 0x31, 0x32, 0x33,
];

/// Validates `slot` as `bootutil_img_validate` with the SHA-256 TLV (no signature).
pub fn validate(slot: &[u8]) -> Verdict {
    let mut v = Verdict {
        accepted: None,
        first_sha: None,
        hashed_len: None,
        plain: true,
        divergence: None,
    };
    let (Some(magic), Some(hdr), Some(prot), Some(img)) = (
        u32_at(slot, 0),
        u16_at(slot, 8),
        u16_at(slot, 10),
        u32_at(slot, 12),
    ) else {
        return v;
    };
    if magic != IMAGE_MAGIC {
        return v;
    }
    if usize::from(hdr) < HEADER_LEN {
        v.plain = false;
    }
    // boot_check_header_valid (bootutil_loader.c): hdr + img + prot must not overflow and
    // must stay below the slot size; encrypted or compressed images are refused (no
    // MCUBOOT_ENC_IMAGES, no MCUBOOT_DECOMPRESS_IMAGES in the NCS build).
    let Some(off) = u32::from(hdr).checked_add(img) else {
        return v;
    };
    let Some(hashed) = off.checked_add(u32::from(prot)) else {
        return v;
    };
    v.hashed_len = Some(hashed);
    if hashed as usize >= slot.len() {
        return v;
    }
    let flags = u32_at(slot, 16).unwrap_or(0);
    if flags & FLAGS_REFUSED != 0 {
        v.divergence = Some(Divergence::Flags);
        v.plain = false;
    }
    let off = off as usize;
    let prot = usize::from(prot);
    // bootutil_tlv_iter_begin
    let Some(mut info_magic) = u16_at(slot, off) else {
        return v;
    };
    let Some(mut tot) = u16_at(slot, off + 2) else {
        return v;
    };
    if info_magic == TLV_PROT_INFO_MAGIC {
        if prot != usize::from(tot) {
            return v;
        }
        let (Some(m), Some(t)) = (
            u16_at(slot, off + usize::from(tot)),
            u16_at(slot, off + usize::from(tot) + 2),
        ) else {
            return v;
        };
        info_magic = m;
        tot = t;
    } else if prot != 0 {
        return v;
    }
    if info_magic != TLV_INFO_MAGIC {
        return v;
    }
    let prot_end = off + prot;
    let tlv_end = off + prot + usize::from(tot);
    if tlv_end > slot.len() {
        // "TLV beyond image size" (bootutil_max_image_size; the model has no trailer).
        v.divergence.get_or_insert(Divergence::TlvEnd);
        v.plain = false;
    }
    let mut tlv_off = off + 4;
    // The hash over header + image + protected TLVs (bootutil_img_hash).
    let Some(region) = rd(slot, 0, off + prot) else {
        return v;
    };
    let hash: [u8; 32] = Sha256::digest(region).into();
    let mut shas = 0;
    let mut all_match = true;
    // bootutil_tlv_iter_next with IMAGE_TLV_ANY
    while tlv_off < tlv_end {
        if prot > 0 && tlv_off == prot_end {
            tlv_off += 4;
        }
        let (Some(ty), Some(len)) = (u16_at(slot, tlv_off), u16_at(slot, tlv_off + 2)) else {
            return v;
        };
        let len = usize::from(len);
        let data = tlv_off + 4;
        let next = data + len;
        let area_end = if prot > 0 && tlv_off < prot_end {
            prot_end
        } else {
            tlv_end
        };
        if next > area_end {
            v.plain = false;
        }
        if data >= prot_end && !UNPROTECTED_ALLOWED.contains(&ty) {
            // MCUBOOT_USE_TLV_ALLOW_LIST (default y in boot/zephyr/Kconfig): refused.
            v.divergence.get_or_insert(Divergence::UnprotectedTlv);
            v.plain = false;
        }
        if ty == TLV_SHA256 {
            shas += 1;
            if tlv_off < prot_end {
                v.plain = false;
            }
            let got = if len == 32 { rd(slot, data, 32) } else { None };
            let Some(got) = got else {
                // MCUboot: a SHA-256 TLV of another length, or unreadable: rc = -1.
                all_match = false;
                break;
            };
            let mut h = [0u8; 32];
            h.copy_from_slice(got);
            if v.first_sha.is_none() {
                v.first_sha = Some(h);
            }
            all_match &= h == hash;
        }
        tlv_off = next;
    }
    if shas != 1 {
        v.plain = false;
    }
    if shas > 1 && !all_match && v.first_sha == Some(hash) {
        v.divergence = Some(Divergence::LaterSha);
    }
    if shas > 0 && all_match && v.divergence.is_none() {
        v.accepted = Some(hash);
    }
    v
}
