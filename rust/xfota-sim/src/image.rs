//! Test images: an MCUboot image writer/verifier and the simulator's modem delta test format.
//!
//! Image type detection follows NCS `dfu_target_img_type()`: an MCUboot image starts with the
//! little-endian u32 `0x96f3b83d`; a modem delta image carries the little-endian u32 `0x7544656d`
//! at offset 4.

use sha2::{Digest, Sha256};

/// MCUboot's `IMAGE_MAGIC`, `IMAGE_TLV_INFO_MAGIC` (unprotected TLV area),
/// `IMAGE_TLV_PROT_INFO_MAGIC` (protected TLV area) and `IMAGE_TLV_SHA256`: the core's.
pub use xfota_core::image::{
    IMAGE_MAGIC as MCUBOOT_MAGIC, TLV_INFO_MAGIC, TLV_PROT_INFO_MAGIC, TLV_SHA256,
};

/// Size of `struct image_header`.
pub const MCUBOOT_HEADER_LEN: usize = 32;

/// Modem delta magic at offset 4 (what `dfu_target_modem_delta` looks for).
pub const MODEM_DELTA_MAGIC: u32 = 0x7544_656d;
/// Version of the simulator's modem delta test format.
pub const MODEM_FORMAT_VERSION: u32 = 1;
/// Header length of the modem delta test format; the payload follows.
pub const MODEM_HEADER_LEN: usize = 80;
/// The firmware UUID of a factory-fresh simulated modem (16 ASCII bytes).
pub const MODEM_FACTORY_UUID: [u8; 16] = *b"xfota-sim-mfw-v1";

/// What the first bytes of a download say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// MCUboot application image.
    App,
    /// Modem delta image.
    Modem,
    /// Neither.
    Unknown,
}

fn le_u32(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off.checked_add(4)?)?;
    Some(u32::from_le_bytes(s.try_into().ok()?))
}

fn le_u16(b: &[u8], off: usize) -> Option<u16> {
    let s = b.get(off..off.checked_add(2)?)?;
    Some(u16::from_le_bytes(s.try_into().ok()?))
}

/// Detects the image type from the first bytes (at least 8 are needed for a modem image).
pub fn detect(first: &[u8]) -> ImageKind {
    if le_u32(first, 0) == Some(MCUBOOT_MAGIC) {
        ImageKind::App
    } else if le_u32(first, 4) == Some(MODEM_DELTA_MAGIC) {
        ImageKind::Modem
    } else {
        ImageKind::Unknown
    }
}

/// `MIN_SIZE_IDENTIFY_BUF` of `dfu_target.c:42`.
pub const MIN_SIZE_IDENTIFY: usize = 32;

/// `dfu_target_img_type()` (`dfu_target.c:49-76`) on the first fragment: fewer than 32 bytes
/// are no known type; then MCUboot magic at offset 0, modem delta magic at offset 4.
pub fn img_type(first: &[u8]) -> ImageKind {
    if first.len() < MIN_SIZE_IDENTIFY {
        return ImageKind::Unknown;
    }
    detect(first)
}

/// A deterministic pseudo-random body (xorshift64*), so images are reproducible from a seed.
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        for b in r.to_le_bytes() {
            if v.len() < len {
                v.push(b);
            }
        }
    }
    v
}

/// An application image to build.
#[derive(Clone, Debug)]
pub struct AppImage {
    /// `ih_ver`: major, minor, revision, build number.
    pub version: (u8, u8, u16, u32),
    /// Header size (`ih_hdr_size`, at least 32; the header is zero padded).
    pub hdr_size: u16,
    /// The image body (what would be the Zephyr binary).
    pub body: Vec<u8>,
    /// Put a protected TLV area (one dummy TLV) before the unprotected one.
    pub protected_tlv: bool,
}

impl AppImage {
    /// A body of `size` reproducible bytes, header 0x200 like `imgtool --header-size 0x200`.
    pub fn new(size: usize, seed: u64) -> Self {
        Self {
            version: (1, 0, 0, u32::try_from(seed & 0xffff_ffff).unwrap_or(0)),
            hdr_size: 0x200,
            body: pseudo_random(size, seed),
            protected_tlv: false,
        }
    }

    /// The signed (hashed) image bytes.
    pub fn build(&self) -> Vec<u8> {
        let hdr_size = usize::from(self.hdr_size.max(32));
        let prot: Vec<u8> = if self.protected_tlv {
            // Protected TLV area: info header + one TLV (type 0x50 "security counter"-like).
            let mut p = Vec::new();
            let tlv: [u8; 8] = [0x50, 0x00, 4, 0, 1, 0, 0, 0];
            p.extend_from_slice(&TLV_PROT_INFO_MAGIC.to_le_bytes());
            p.extend_from_slice(&((4 + tlv.len()) as u16).to_le_bytes());
            p.extend_from_slice(&tlv);
            p
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(hdr_size + self.body.len() + prot.len() + 40);
        out.extend_from_slice(&MCUBOOT_MAGIC.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // ih_load_addr
        out.extend_from_slice(&(hdr_size as u16).to_le_bytes()); // ih_hdr_size
        out.extend_from_slice(&(prot.len() as u16).to_le_bytes()); // ih_protect_tlv_size
        out.extend_from_slice(&(self.body.len() as u32).to_le_bytes()); // ih_img_size
        out.extend_from_slice(&0u32.to_le_bytes()); // ih_flags
        let (maj, min, rev, build) = self.version;
        out.push(maj);
        out.push(min);
        out.extend_from_slice(&rev.to_le_bytes());
        out.extend_from_slice(&build.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // _pad1
        out.resize(hdr_size, 0);
        out.extend_from_slice(&self.body);
        out.extend_from_slice(&prot);
        let hash = Sha256::digest(&out);
        out.extend_from_slice(&TLV_INFO_MAGIC.to_le_bytes());
        out.extend_from_slice(&(4u16 + 4 + 32).to_le_bytes());
        out.extend_from_slice(&TLV_SHA256.to_le_bytes());
        out.extend_from_slice(&32u16.to_le_bytes());
        out.extend_from_slice(&hash);
        out
    }
}

/// Why MCUboot would not boot an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppImageError {
    /// Shorter than its header says.
    Truncated,
    /// Wrong `ih_magic`.
    Magic,
    /// `ih_hdr_size` below 32.
    HeaderSize,
    /// The protected TLV area is malformed.
    ProtectedTlv,
    /// No TLV info magic 0x6907 after the image.
    TlvInfo,
    /// No SHA-256 TLV.
    NoHash,
    /// The SHA-256 TLV does not match.
    HashMismatch,
}

/// Validates an MCUboot image like `bootutil_img_validate` with only the SHA-256 TLV: returns
/// the image hash.
pub fn verify_app(img: &[u8]) -> Result<[u8; 32], AppImageError> {
    if le_u32(img, 0).ok_or(AppImageError::Truncated)? != MCUBOOT_MAGIC {
        return Err(AppImageError::Magic);
    }
    let hdr = usize::from(le_u16(img, 8).ok_or(AppImageError::Truncated)?);
    let prot = usize::from(le_u16(img, 10).ok_or(AppImageError::Truncated)?);
    let size = le_u32(img, 12).ok_or(AppImageError::Truncated)? as usize;
    if hdr < MCUBOOT_HEADER_LEN {
        return Err(AppImageError::HeaderSize);
    }
    let hashed_end = hdr
        .checked_add(size)
        .and_then(|v| v.checked_add(prot))
        .ok_or(AppImageError::Truncated)?;
    let hashed = img.get(..hashed_end).ok_or(AppImageError::Truncated)?;
    if prot > 0 {
        let off = hdr + size;
        if le_u16(img, off) != Some(TLV_PROT_INFO_MAGIC)
            || le_u16(img, off + 2).map(usize::from) != Some(prot)
        {
            return Err(AppImageError::ProtectedTlv);
        }
    }
    if le_u16(img, hashed_end) != Some(TLV_INFO_MAGIC) {
        return Err(AppImageError::TlvInfo);
    }
    let tot = usize::from(le_u16(img, hashed_end + 2).ok_or(AppImageError::Truncated)?);
    let end = hashed_end + tot;
    let mut off = hashed_end + 4;
    let mut found = None;
    while off + 4 <= end {
        let ty = le_u16(img, off).ok_or(AppImageError::Truncated)?;
        let len = usize::from(le_u16(img, off + 2).ok_or(AppImageError::Truncated)?);
        let data = img
            .get(off + 4..off + 4 + len)
            .ok_or(AppImageError::Truncated)?;
        if ty == TLV_SHA256 && len == 32 {
            found = Some(data);
        }
        off += 4 + len;
    }
    let want = found.ok_or(AppImageError::NoHash)?;
    let got: [u8; 32] = Sha256::digest(hashed).into();
    if want != got {
        return Err(AppImageError::HashMismatch);
    }
    Ok(got)
}

/// A modem delta image in the simulator's test format (see `docs/simulator.md`):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | format version, LE u32 = 1 |
/// | 4 | 4 | magic, LE u32 `0x7544656d` |
/// | 8 | 16 | source firmware UUID (must equal the modem's running UUID) |
/// | 24 | 16 | target firmware UUID (running UUID after the update) |
/// | 40 | 4 | payload length N, LE u32 |
/// | 44 | 4 | forced DFU result, LE u32 (0 = none: the modem decides) |
/// | 48 | 32 | SHA-256 of the payload |
/// | 80 | N | payload |
#[derive(Clone, Debug)]
pub struct ModemImage {
    /// UUID the delta applies to; anything but the modem's running UUID gives 0x4400004.
    pub source_uuid: [u8; 16],
    /// UUID after the update.
    pub target_uuid: [u8; 16],
    /// Forced DFU result (0 = none).
    pub forced_result: u32,
    /// The payload.
    pub payload: Vec<u8>,
}

impl ModemImage {
    /// A delta from the factory firmware to `target_uuid` with `size` payload bytes.
    pub fn new(size: usize, seed: u64, target_uuid: [u8; 16]) -> Self {
        Self {
            source_uuid: MODEM_FACTORY_UUID,
            target_uuid,
            forced_result: 0,
            payload: pseudo_random(size, seed),
        }
    }

    /// The image bytes.
    pub fn build(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MODEM_HEADER_LEN + self.payload.len());
        out.extend_from_slice(&MODEM_FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&MODEM_DELTA_MAGIC.to_le_bytes());
        out.extend_from_slice(&self.source_uuid);
        out.extend_from_slice(&self.target_uuid);
        out.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.forced_result.to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&self.payload));
        out.extend_from_slice(&self.payload);
        out
    }
}

/// Modem DFU result: OK.
pub const MODEM_RESULT_OK: i32 = 0x550_0001;
/// Modem DFU result: internal error (also: malformed image).
pub const MODEM_RESULT_INTERNAL: i32 = 0x440_0001;
/// Modem DFU result: authentication error (payload digest mismatch).
pub const MODEM_RESULT_AUTH: i32 = 0x440_0003;
/// Modem DFU result: UUID mismatch.
pub const MODEM_RESULT_UUID: i32 = 0x440_0004;
/// Modem DFU result: voltage low (the update stays scheduled).
pub const MODEM_RESULT_VOLTAGE_LOW: i32 = 0x440_0005;

/// Whether `img` is in the simulator's test format: version 1, the delta magic, and exactly
/// its 80-byte header plus the payload length it announces. Any other modem delta (a real one
/// from Nordic, for instance) is foreign.
pub fn is_test_format(img: &[u8]) -> bool {
    le_u32(img, 0) == Some(MODEM_FORMAT_VERSION)
        && le_u32(img, 4) == Some(MODEM_DELTA_MAGIC)
        && le_u32(img, 40)
            .and_then(|n| (n as usize).checked_add(MODEM_HEADER_LEN))
            .is_some_and(|total| total == img.len())
}

/// The firmware UUID a foreign delta installs: the first 16 bytes of its SHA-256 (the
/// simulator cannot read Nordic's delta format; this names the result after its content).
pub fn foreign_uuid(img: &[u8]) -> [u8; 16] {
    let d = Sha256::digest(img);
    let mut u = [0u8; 16];
    u.copy_from_slice(d.get(..16).unwrap_or(&[0; 16]));
    u
}

/// What the simulated modem does with the scratch contents at boot: the DFU result and, on
/// success, the new firmware UUID. A delta `dfu_target` accepted (delta magic at offset 4)
/// that is not in the test format is applied; the test format is checked as documented.
pub fn apply_modem(scratch: &[u8], running_uuid: &[u8; 16]) -> (i32, Option<[u8; 16]>) {
    if le_u32(scratch, 4) != Some(MODEM_DELTA_MAGIC) {
        return (MODEM_RESULT_INTERNAL, None);
    }
    if !is_test_format(scratch) {
        return (MODEM_RESULT_OK, Some(foreign_uuid(scratch)));
    }
    let (Some(src), Some(dst), Some(len), Some(forced), Some(digest)) = (
        scratch.get(8..24),
        scratch.get(24..40),
        le_u32(scratch, 40),
        le_u32(scratch, 44),
        scratch.get(48..80),
    ) else {
        return (MODEM_RESULT_INTERNAL, None);
    };
    if src != running_uuid {
        return (MODEM_RESULT_UUID, None);
    }
    let Some(payload) = scratch.get(MODEM_HEADER_LEN..MODEM_HEADER_LEN + len as usize) else {
        return (MODEM_RESULT_AUTH, None);
    };
    if Sha256::digest(payload).as_slice() != digest {
        return (MODEM_RESULT_AUTH, None);
    }
    if forced != 0 {
        return (forced as i32, None);
    }
    let mut uuid = [0u8; 16];
    uuid.copy_from_slice(dst);
    (MODEM_RESULT_OK, Some(uuid))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn app_round_trip_and_corruption() {
        for prot in [false, true] {
            let mut a = AppImage::new(1000, 7);
            a.protected_tlv = prot;
            let img = a.build();
            assert_eq!(detect(&img), ImageKind::App);
            assert!(verify_app(&img).is_ok());
            let mut bad = img.clone();
            bad[0x200 + 10] ^= 1;
            assert_eq!(verify_app(&bad), Err(AppImageError::HashMismatch));
            assert!(verify_app(&img[..img.len() - 1]).is_err());
        }
    }

    #[test]
    fn modem_round_trip() {
        let m = ModemImage::new(100, 3, *b"xfota-sim-mfw-v2");
        let img = m.build();
        assert_eq!(detect(&img), ImageKind::Modem);
        assert_eq!(
            apply_modem(&img, &MODEM_FACTORY_UUID),
            (MODEM_RESULT_OK, Some(*b"xfota-sim-mfw-v2"))
        );
        assert_eq!(
            apply_modem(&img, b"xfota-sim-mfw-v9"),
            (MODEM_RESULT_UUID, None)
        );
        assert_eq!(detect(b"hello world"), ImageKind::Unknown);
        // A payload cut short is no longer the test format: it is applied as a foreign delta.
        let cut = &img[..img.len() - 1];
        assert!(!is_test_format(cut) && is_test_format(&img));
    }

    #[test]
    fn foreign_delta_is_applied_and_named_after_its_content() {
        let mut img = vec![0u8; 300];
        img[4..8].copy_from_slice(&MODEM_DELTA_MAGIC.to_le_bytes());
        img[100] = 7;
        assert_eq!(img_type(&img), ImageKind::Modem);
        assert_eq!(img_type(&img[..31]), ImageKind::Unknown);
        assert_eq!(
            apply_modem(&img, &MODEM_FACTORY_UUID),
            (MODEM_RESULT_OK, Some(foreign_uuid(&img)))
        );
        assert_ne!(foreign_uuid(&img), foreign_uuid(&img[..299]));
    }
}
