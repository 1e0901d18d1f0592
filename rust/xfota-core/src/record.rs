//! The persisted FOTA record: what survives a reboot between `#XFOTA: 4,0` and the boot report.
//!
//! Eight bytes: `'X' 'F' <version> <image type> <stage> <reserved 0> <CRC-16/CCITT-FALSE LE>`,
//! the CRC over the first six bytes. Only stage 4 (downloaded, waiting for activation) is ever
//! persisted. Anything that does not decode exactly is corrupt and never acted on.

use crate::{ImageType, Stage};

/// Encoded length in bytes.
pub const RECORD_LEN: usize = 8;
/// Current format version.
pub const RECORD_VERSION: u8 = 1;
const MAGIC: [u8; 2] = *b"XF";

/// A decoded record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// Which image waits for activation.
    pub image: ImageType,
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
    /// Image type, stage or reserved byte out of range.
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
    /// The stored bytes.
    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let [m0, m1] = MAGIC;
        let head = [
            m0,
            m1,
            RECORD_VERSION,
            self.image as u8,
            Stage::Downloaded as u8,
            0,
        ];
        let [c0, c1] = crc16(&head).to_le_bytes();
        let [h0, h1, h2, h3, h4, h5] = head;
        [h0, h1, h2, h3, h4, h5, c0, c1]
    }

    /// Decodes stored bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        let arr: &[u8; RECORD_LEN] = bytes.try_into().map_err(|_| RecordError::Length)?;
        let [m0, m1, version, image, stage, reserved, c0, c1] = *arr;
        if [m0, m1] != MAGIC {
            return Err(RecordError::Magic);
        }
        if version != RECORD_VERSION {
            return Err(RecordError::Version);
        }
        if crc16(&[m0, m1, version, image, stage, reserved]) != u16::from_le_bytes([c0, c1]) {
            return Err(RecordError::Checksum);
        }
        let image = ImageType::from_raw(image).ok_or(RecordError::Field)?;
        if stage != Stage::Downloaded as u8 || reserved != 0 {
            return Err(RecordError::Field);
        }
        Ok(Self { image })
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
        let r = Record {
            image: ImageType::Modem,
        };
        let b = r.encode();
        assert_eq!(&b[..6], b"XF\x01\x02\x04\x00");
        assert_eq!(Record::decode(&b), Ok(r));
    }

    #[test]
    fn every_single_bit_flip_is_rejected() {
        let b = Record {
            image: ImageType::App,
        }
        .encode();
        for i in 0..RECORD_LEN * 8 {
            let mut c = b;
            c[i / 8] ^= 1 << (i % 8);
            assert!(Record::decode(&c).is_err(), "bit {i}");
        }
        assert_eq!(Record::decode(&b[..7]), Err(RecordError::Length));
    }
}
