//! The persisted FOTA record: what survives a reboot between `#XFOTA: 4,0` and the boot report,
//! and a boot result until its notification was written.
//!
//! Twelve bytes: `'X' 'F' <version> <image type> <stage> <status> <info: i32 LE>
//! <CRC-16/CCITT-FALSE LE>`, the CRC over the first ten bytes. Stage 4 (downloaded, waiting for
//! activation) has status 0 and info 0. Stage 5 (a boot result, stored before its notification
//! is written so a power cut repeats it rather than losing it) has status 0 (info 0), 1 (info =
//! the code) or 3 (application only, info 0). Anything else is corrupt and never acted on.

use crate::{ImageType, Stage, Status};

/// Encoded length in bytes.
pub const RECORD_LEN: usize = 12;
/// Current format version.
pub const RECORD_VERSION: u8 = 1;
const MAGIC: [u8; 2] = *b"XF";

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

/// A decoded record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Which image.
    pub image: ImageType,
    /// `None`: the image waits for activation (stage 4). `Some`: the boot result (stage 5).
    pub result: Option<Outcome>,
}

/// Why stored bytes are not a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Not [`RECORD_LEN`] bytes.
    Length,
    /// Wrong magic.
    Magic,
    /// Unknown version.
    Version,
    /// Image type, stage, status or info out of range.
    Field,
    /// CRC mismatch.
    Checksum,
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xffff;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

impl Record {
    /// An image waiting for activation (stage 4).
    pub const fn waiting(image: ImageType) -> Self {
        Self {
            image,
            result: None,
        }
    }

    /// The stored bytes.
    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let [m0, m1] = MAGIC;
        let (stage, status, info) = match self.result {
            None => (Stage::Downloaded, Status::Ok, 0),
            Some(Outcome::Ok) => (Stage::Complete, Status::Ok, 0),
            Some(Outcome::Error(code)) => (Stage::Complete, Status::Error, code),
            Some(Outcome::Reverted) => (Stage::Complete, Status::Reverted, 0),
        };
        let [i0, i1, i2, i3] = info.to_le_bytes();
        let head = [
            m0,
            m1,
            RECORD_VERSION,
            self.image as u8,
            stage as u8,
            status as u8,
            i0,
            i1,
            i2,
            i3,
        ];
        let [c0, c1] = crc16(&head).to_le_bytes();
        let [h0, h1, h2, h3, h4, h5, h6, h7, h8, h9] = head;
        [h0, h1, h2, h3, h4, h5, h6, h7, h8, h9, c0, c1]
    }

    /// Decodes stored bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let arr: &[u8; RECORD_LEN] = bytes.try_into().map_err(|_| RecordError::Length)?;
        let [m0, m1, version, image, stage, status, i0, i1, i2, i3, c0, c1] = *arr;
        if [m0, m1] != MAGIC {
            return Err(RecordError::Magic);
        }
        if version != RECORD_VERSION {
            return Err(RecordError::Version);
        }
        let head = [m0, m1, version, image, stage, status, i0, i1, i2, i3];
        if crc16(&head) != u16::from_le_bytes([c0, c1]) {
            return Err(RecordError::Checksum);
        }
        let image = ImageType::from_raw(image).ok_or(RecordError::Field)?;
        let info = i32::from_le_bytes([i0, i1, i2, i3]);
        let result = match (stage, status, info) {
            (4, 0, 0) => None,
            (5, 0, 0) => Some(Outcome::Ok),
            (5, 1, code) => Some(Outcome::Error(code)),
            (5, 3, 0) if image == ImageType::App => Some(Outcome::Reverted),
            _ => return Err(RecordError::Field),
        };
        Ok(Self { image, result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29b1);
    }

    #[test]
    fn round_trip_and_exact_bytes() {
        let r = Record::waiting(ImageType::Modem);
        let b = r.encode();
        assert_eq!(&b[..10], b"XF\x01\x02\x04\x00\x00\x00\x00\x00");
        assert_eq!(Record::decode(&b), Ok(r));
        let r = Record {
            image: ImageType::Modem,
            result: Some(Outcome::Error(0x440_0004)),
        };
        let b = r.encode();
        assert_eq!(&b[..10], b"XF\x01\x02\x05\x01\x04\x00\x40\x04");
        assert_eq!(Record::decode(&b), Ok(r));
        for result in [
            Some(Outcome::Ok),
            Some(Outcome::Reverted),
            Some(Outcome::Error(-5)),
        ] {
            let r = Record {
                image: ImageType::App,
                result,
            };
            assert_eq!(Record::decode(&r.encode()), Ok(r));
        }
    }

    #[test]
    fn inconsistent_fields_are_corrupt() {
        let modem_reverted = Record {
            image: ImageType::Modem,
            result: Some(Outcome::Reverted),
        };
        assert_eq!(
            Record::decode(&modem_reverted.encode()),
            Err(RecordError::Field)
        );
        let mut b = Record::waiting(ImageType::App).encode();
        b[6] = 1; // stage 4 with an info value
        let crc = crc16(&b[..10]).to_le_bytes();
        b[10..].copy_from_slice(&crc);
        assert_eq!(Record::decode(&b), Err(RecordError::Field));
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let b = Record::waiting(ImageType::App).encode();
        for i in 0..RECORD_LEN * 8 {
            let mut c = b;
            c[i / 8] ^= 1 << (i % 8);
            assert!(Record::decode(&c).is_err(), "bit {i}");
        }
        assert_eq!(Record::decode(&b[..11]), Err(RecordError::Length));
    }
}
