//! The persisted FOTA record: what survives a reboot between `#XFOTA: 4,0` and the boot report,
//! and a boot result until its notification was written.
//!
//! Version 2, 28 bytes: `'X' 'F' 2 <image type> <stage> <status> <info: i32 LE> <id: 16 bytes>
//! <CRC-16/CCITT-FALSE LE>`, the CRC over the first 26 bytes. Stage 4 (downloaded, waiting for
//! activation) has status 0 and info 0; for an application image `id` is the first 16 bytes of
//! the verified image's SHA-256 TLV (its identity), for a modem image zeros. Stage 5 (a boot
//! result, stored before its notification is written so a power cut repeats it rather than
//! losing it) has status 0 (info 0), 1 (info = the code) or 3 (application only, info 0), and a
//! zero `id`. Anything else is corrupt and never acted on.
//!
//! Version 1 (12 bytes, the same fields without `id`, CRC over the first 10) is still read: a
//! stage-4 application record of an older build has no identity and is decided as that build did.

use crate::{ImageType, Stage, Status};

/// Encoded length in bytes (version 2).
pub const RECORD_LEN: usize = 28;
/// Length of a version-1 record.
pub const RECORD_V1_LEN: usize = 12;
/// Current format version.
pub const RECORD_VERSION: u8 = 2;
/// Bytes of the image identity kept in the record.
pub const ID_LEN: usize = 16;
const MAGIC: [u8; 2] = *b"XF";

/// The image identity a record keeps: the first [`ID_LEN`] bytes of an image's SHA-256 TLV.
pub fn identity(sha256: &[u8; 32]) -> [u8; ID_LEN] {
    // Never the fallback: a 32-byte array always has a first 16-byte chunk.
    *sha256.first_chunk().unwrap_or(&[0; ID_LEN])
}

/// The result of an activation, as reported by `#XFOTA: 5,...`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `5,0`: the new image runs.
    Ok,
    /// `5,1,<code>`.
    Error(i32),
    /// `5,3`: the new application image did not stay (application only).
    Reverted,
}

impl Outcome {
    /// Its `<fota_status>` and `<fota_info>` (0 unless an error): what `#XFOTA: 5,...` says and
    /// what a result record stores.
    pub fn status_info(self) -> (Status, i32) {
        match self {
            Self::Ok => (Status::Ok, 0),
            Self::Error(code) => (Status::Error, code),
            Self::Reverted => (Status::Reverted, 0),
        }
    }
}

/// A decoded record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Which image.
    pub image: ImageType,
    /// `None`: the image waits for activation (stage 4). `Some`: the boot result (stage 5).
    pub result: Option<Outcome>,
    /// Identity of a waiting application image; `None` for modem images, results and version-1
    /// records.
    pub id: Option<[u8; ID_LEN]>,
}

/// Why stored bytes are not a record (the value is the code the shell logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RecordError {
    /// Neither [`RECORD_LEN`] nor [`RECORD_V1_LEN`] bytes.
    Length = 1,
    /// Wrong magic.
    Magic = 2,
    /// Unknown version, or a version that does not match the length.
    Version = 3,
    /// Image type, stage, status, info or identity inconsistent.
    Field = 4,
    /// CRC mismatch.
    Checksum = 5,
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF).
pub const fn crc16(mut data: &[u8]) -> u16 {
    let mut crc: u16 = 0xffff;
    while let [b, rest @ ..] = data {
        data = rest;
        crc ^= (*b as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = (crc << 1) ^ if crc & 0x8000 != 0 { 0x1021 } else { 0 };
            bit += 1;
        }
    }
    crc
}

/// Bytes before the identity: magic, version, image type, stage, status, info.
const HEAD_LEN: usize = 10;
/// Bytes the CRC covers: the head and the identity.
const CRC_AT: usize = HEAD_LEN + ID_LEN;
const _: () = assert!(CRC_AT + 2 == RECORD_LEN);

/// [`Record::encode`] from `fields` (its little-endian bytes are record bytes 2..6: version,
/// image type, stage, status), info and identity: four registers, so the caller's record need
/// not be built in memory.
fn encode_raw(fields: u32, info: i32, id: Option<&[u8; ID_LEN]>) -> [u8; RECORD_LEN] {
    let mut b = [0u8; RECORD_LEN];
    let [m0, m1] = MAGIC;
    let [v, image, stage, status] = fields.to_le_bytes();
    let [i0, i1, i2, i3] = info.to_le_bytes();
    // Constant ranges of a fixed array, in bounds by the assertion above.
    b[..HEAD_LEN].copy_from_slice(&[m0, m1, v, image, stage, status, i0, i1, i2, i3]);
    if let Some(id) = id {
        b[HEAD_LEN..CRC_AT].copy_from_slice(id);
    }
    let crc = crc16(&b[..CRC_AT]);
    b[CRC_AT..].copy_from_slice(&crc.to_le_bytes());
    b
}

impl Record {
    /// An image waiting for activation (stage 4).
    pub const fn waiting(image: ImageType, id: Option<[u8; ID_LEN]>) -> Self {
        Self {
            image,
            result: None,
            id,
        }
    }

    /// The result record of `image` (stage 5).
    pub const fn done(image: ImageType, outcome: Outcome) -> Self {
        Self {
            image,
            result: Some(outcome),
            id: None,
        }
    }

    /// The stored bytes (always version 2).
    // Inlined, the caller passes its fields in registers to the one out-of-line encoder.
    #[inline(always)]
    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let (stage, (status, info)) = match self.result {
            None => (Stage::Downloaded, (Status::Ok, 0)),
            Some(outcome) => (Stage::Complete, outcome.status_info()),
        };
        let fields =
            u32::from_le_bytes([RECORD_VERSION, self.image as u8, stage as u8, status as u8]);
        // A call per case, not `self.id.as_ref()`: where the caller knows which, one call stays
        // and its identity is not first copied into a record in memory.
        match self.id {
            Some(id) => encode_raw(fields, info, Some(&id)),
            None => encode_raw(fields, info, None),
        }
    }

    /// Decodes stored bytes (version 2, or version 1 without identity).
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let expected_version = match bytes.len() {
            RECORD_LEN => RECORD_VERSION,
            RECORD_V1_LEN => 1,
            _ => return Err(RecordError::Length),
        };
        let Some((body, crc)) = bytes.split_last_chunk::<2>() else {
            return Err(RecordError::Length);
        };
        let Some(([m0, m1, version, image, stage, status, i0, i1, i2, i3], rest)) =
            body.split_first_chunk::<10>()
        else {
            return Err(RecordError::Length);
        };
        if [*m0, *m1] != MAGIC {
            return Err(RecordError::Magic);
        }
        if *version != expected_version {
            return Err(RecordError::Version);
        }
        if crc16(body) != u16::from_le_bytes(*crc) {
            return Err(RecordError::Checksum);
        }
        // The discriminants of `ImageType`.
        let image = match *image {
            1 => ImageType::App,
            2 => ImageType::Modem,
            _ => return Err(RecordError::Field),
        };
        let info = i32::from_le_bytes([*i0, *i1, *i2, *i3]);
        // Version 1 has no identity; a zero identity is none.
        let id = <[u8; ID_LEN]>::try_from(rest)
            .ok()
            .filter(|id| u128::from_ne_bytes(*id) != 0);
        let app = image == ImageType::App;
        // Only a waiting application image has an identity.
        let result = match (*stage, *status, info, id.is_some()) {
            (4, 0, 0, has_id) if app || !has_id => None,
            (5, 0, 0, false) => Some(Outcome::Ok),
            (5, 1, code, false) => Some(Outcome::Error(code)),
            (5, 3, 0, false) if app => Some(Outcome::Reverted),
            _ => return Err(RecordError::Field),
        };
        Ok(Self { image, result, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: [u8; ID_LEN] = *b"0123456789abcdef";

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29b1);
    }

    #[test]
    fn round_trip_and_exact_bytes() {
        let r = Record::waiting(ImageType::App, Some(ID));
        let b = r.encode();
        assert_eq!(&b[..10], b"XF\x02\x01\x04\x00\x00\x00\x00\x00");
        assert_eq!(&b[10..26], &ID);
        assert_eq!(Record::decode(&b), Ok(r));
        let r = Record::done(ImageType::Modem, Outcome::Error(0x440_0004));
        let b = r.encode();
        assert_eq!(&b[..10], b"XF\x02\x02\x05\x01\x04\x00\x40\x04");
        assert_eq!(Record::decode(&b), Ok(r));
        for o in [Outcome::Ok, Outcome::Reverted, Outcome::Error(-5)] {
            let r = Record::done(ImageType::App, o);
            assert_eq!(Record::decode(&r.encode()), Ok(r));
        }
        let r = Record::waiting(ImageType::Modem, None);
        assert_eq!(Record::decode(&r.encode()), Ok(r));
    }

    #[test]
    fn version_1_is_read() {
        // A stage-4 app record as the previous build wrote it.
        let mut b = *b"XF\x01\x01\x04\x00\x00\x00\x00\x00\x00\x00";
        let crc = crc16(&b[..10]).to_le_bytes();
        b[10..].copy_from_slice(&crc);
        assert_eq!(
            Record::decode(&b),
            Ok(Record::waiting(ImageType::App, None))
        );
        // A 12-byte record claiming version 2 is refused.
        b[2] = 2;
        let crc = crc16(&b[..10]).to_le_bytes();
        b[10..].copy_from_slice(&crc);
        assert_eq!(Record::decode(&b), Err(RecordError::Version));
    }

    #[test]
    fn inconsistent_fields_are_corrupt() {
        let reseal = |b: &mut [u8; RECORD_LEN]| {
            let crc = crc16(&b[..26]).to_le_bytes();
            b[26..].copy_from_slice(&crc);
        };
        let bad = [
            Record::done(ImageType::Modem, Outcome::Reverted).encode(),
            Record::waiting(ImageType::Modem, Some(ID)).encode(),
            {
                let mut b = Record::done(ImageType::App, Outcome::Ok).encode();
                b[12] = 1; // a result with an identity
                reseal(&mut b);
                b
            },
            {
                let mut b = Record::waiting(ImageType::App, None).encode();
                b[6] = 1; // stage 4 with an info value
                reseal(&mut b);
                b
            },
        ];
        for b in bad {
            assert_eq!(Record::decode(&b), Err(RecordError::Field), "{b:?}");
        }
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let b = Record::waiting(ImageType::App, Some(ID)).encode();
        for i in 0..RECORD_LEN * 8 {
            let mut c = b;
            c[i / 8] ^= 1 << (i % 8);
            assert!(Record::decode(&c).is_err(), "bit {i}");
        }
        assert_eq!(Record::decode(&b[..27]), Err(RecordError::Length));
    }
}
