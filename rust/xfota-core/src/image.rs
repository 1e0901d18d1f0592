//! The MCUboot image walk: checks a downloaded application image the way MCUboot will before it is
//! trusted, and finds the identity (the SHA-256 TLV) of an image in a slot.
//!
//! Format (sdk-mcuboot ncs-v3.2.4, `boot/bootutil/include/bootutil/image.h`): a 32-byte
//! `struct image_header` (`ih_magic` 0x96f3b83d, `ih_hdr_size`, `ih_protect_tlv_size`,
//! `ih_img_size`, little-endian), the image, then an optional protected TLV area (info magic
//! 0x6908, its `it_tlv_tot` equal to `ih_protect_tlv_size`) and the TLV area (info magic 0x6907,
//! `it_tlv_tot` including the 4-byte info). The SHA-256 TLV (type 0x10, 32 bytes) covers header,
//! image and protected TLVs, as `bootutil_img_hash()` computes it.
//!
//! The rules are MCUboot's, as its Zephyr build for the nRF9161 applies them (no encrypted or
//! compressed images: `boot_check_header_valid()` in `bootutil_loader.c`; every TLV of the
//! unprotected area on MCUboot's allow list, `MCUBOOT_USE_TLV_ALLOW_LIST` on by default; every
//! SHA-256 TLV equal to the image's hash; the TLV area well-formed up to its end:
//! `bootutil_img_validate()` in `image_validate.c`).
//!
//! This is integrity, not authenticity: signatures stay MCUboot's business at boot. The core
//! reads through [`Port::read_image`] and lets the port hash ([`Port::image_hash_matches`]).

use crate::Port;

/// A flash slot of MCUboot's image pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Slot {
    /// The running image.
    Primary = 0,
    /// Where downloads go.
    Secondary = 1,
}

/// `IMAGE_MAGIC`.
pub const IMAGE_MAGIC: u32 = 0x96f3_b83d;
/// `IMAGE_TLV_INFO_MAGIC`.
pub const TLV_INFO_MAGIC: u16 = 0x6907;
/// `IMAGE_TLV_PROT_INFO_MAGIC`.
pub const TLV_PROT_INFO_MAGIC: u16 = 0x6908;
/// `IMAGE_TLV_SHA256`.
pub const TLV_SHA256: u16 = 0x10;
/// `sizeof(struct image_header)`.
pub const HEADER_LEN: u16 = 32;
/// `IMAGE_F_ENCRYPTED_AES128 | IMAGE_F_ENCRYPTED_AES256 | IMAGE_F_COMPRESSED_LZMA1 |
/// IMAGE_F_COMPRESSED_LZMA2 | IMAGE_F_COMPRESSED_ARM_THUMB_FLT`: MCUboot without encryption and
/// decompression support refuses these.
pub const REFUSED_FLAGS: u32 = 0x04 | 0x08 | 0x200 | 0x400 | 0x800;

/// Refusal codes of [`walk`] (positive; negative values are the port's errno).
pub mod reason {
    /// `ih_magic` is not [`super::IMAGE_MAGIC`].
    pub const MAGIC: i32 = 1;
    /// `ih_hdr_size` below 32, or the sizes overflow.
    pub const HEADER: i32 = 2;
    /// The protected TLV area is not where, or not as large as, the header says.
    pub const PROTECTED_TLV: i32 = 3;
    /// No TLV info magic after the hashed region.
    pub const TLV_INFO: i32 = 4;
    /// No (well-formed) SHA-256 TLV.
    pub const NO_HASH: i32 = 5;
    /// The SHA-256 TLV does not match the image, or two SHA-256 TLVs differ.
    pub const HASH_MISMATCH: i32 = 6;
    /// `ih_flags` says encrypted or compressed ([`super::REFUSED_FLAGS`]).
    pub const FLAGS: i32 = 7;
    /// An unprotected TLV MCUboot does not allow there.
    pub const TLV_TYPE: i32 = 8;
    /// A TLV runs past the end of the TLV area.
    pub const TLV_LENGTH: i32 = 9;
}

/// MCUboot's `allowed_unprot_tlvs` (key hash, public key, SHA-256/384/512, the signatures, the
/// encryption key TLVs) as its default Zephyr configuration compiles it.
fn allowed_unprotected(ty: u16) -> bool {
    matches!(ty, 0x01 | 0x02 | 0x10..=0x12 | 0x20..=0x24 | 0x30..=0x33)
}

fn u16le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([
        b.get(at).copied().unwrap_or(0),
        b.get(at + 1).copied().unwrap_or(0),
    ])
}

fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from(u16le(b, at)) | u32::from(u16le(b, at + 2)) << 16
}

/// Walks the image in `slot` and returns its SHA-256 TLV; with `verify`, the port must also
/// confirm that the hashed region matches it. `Err`: a [`reason`] code, or the port's errno.
pub fn walk(port: &mut impl Port, slot: Slot, verify: bool) -> Result<[u8; 32], i32> {
    let mut hash = [0u8; 32];
    walk_into(port, slot, verify, &mut hash)?;
    Ok(hash)
}

/// [`walk`] filling `hash` in place: an early `Err` then skips the copy of a 32-byte result.
fn walk_into(
    port: &mut impl Port,
    slot: Slot,
    verify: bool,
    hash: &mut [u8; 32],
) -> Result<(), i32> {
    let mut b = [0u8; 32];
    port.read_image(slot, 0, &mut b[..20])?;
    if u32le(&b, 0) != IMAGE_MAGIC {
        return Err(reason::MAGIC);
    }
    if u32le(&b, 16) & REFUSED_FLAGS != 0 {
        return Err(reason::FLAGS);
    }
    let hdr = u16le(&b, 8);
    let prot = u16le(&b, 10);
    let body_end = u32le(&b, 12).checked_add(u32::from(hdr));
    let hashed = body_end.and_then(|e| e.checked_add(u32::from(prot)));
    let (Some(body_end), Some(hashed), true) = (body_end, hashed, hdr >= HEADER_LEN) else {
        return Err(reason::HEADER);
    };
    if prot != 0 {
        port.read_image(slot, body_end, &mut b[..4])?;
        // Magic and size as one little-endian word.
        if u32le(&b, 0) != u32::from(TLV_PROT_INFO_MAGIC) | u32::from(prot) << 16 {
            return Err(reason::PROTECTED_TLV);
        }
    }
    port.read_image(slot, hashed, &mut b[..4])?;
    if u16le(&b, 0) != TLV_INFO_MAGIC {
        return Err(reason::TLV_INFO);
    }
    let end = hashed.saturating_add(u32::from(u16le(&b, 2)));
    let mut off = hashed.saturating_add(4);
    let mut found = false;
    // Every TLV up to the end of the area: `off` grows by at least 4 a round.
    while off < end {
        let data = off.saturating_add(4);
        port.read_image(slot, off, &mut b[..4])?;
        let ty = u16le(&b, 0);
        let next = data.saturating_add(u32::from(u16le(&b, 2)));
        if next > end {
            return Err(reason::TLV_LENGTH);
        }
        if !allowed_unprotected(ty) {
            return Err(reason::TLV_TYPE);
        }
        if ty == TLV_SHA256 {
            if next - data != 32 {
                return Err(reason::NO_HASH);
            }
            port.read_image(slot, data, &mut b)?;
            // MCUboot checks every SHA-256 TLV against the one hash of the image.
            if found && *hash != b {
                return Err(reason::HASH_MISMATCH);
            }
            *hash = b;
            found = true;
        }
        off = next;
    }
    if !found {
        return Err(reason::NO_HASH);
    }
    if verify && !port.image_hash_matches(hashed, hash)? {
        return Err(reason::HASH_MISMATCH);
    }
    Ok(())
}
