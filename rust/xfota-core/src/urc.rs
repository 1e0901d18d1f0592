//! Response and `#XFOTA` notification formatting (exact wire bytes).
//!
//! Every line is framed `\r\n...\r\n` like the Serial LTE Modem does; integers are signed decimal.
//! A [`Urc`] can only be built through constructors that respect the `<fota_info>` rule: info is
//! present iff the status is error, or the stage is download with status OK (percent) or
//! cancelled (0).

use crate::{Stage, Status};
use heapless::String;
use ufmt::uwrite;

/// `\r\nOK\r\n`.
pub const OK: &[u8] = b"\r\nOK\r\n";
/// `\r\nERROR\r\n`.
pub const ERROR: &[u8] = b"\r\nERROR\r\n";
/// Printed once at every boot, before the boot result notification.
pub const READY: &[u8] = b"Ready\r\n";
/// Response to the test command `AT#XFOTA=?` (followed by [`OK`]).
pub const TEST_RESPONSE: &[u8] = b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n";

/// Longest notification: `\r\n#XFOTA: 5,1,-2147483648\r\n` is 27 bytes.
pub const URC_MAX_LEN: usize = 32;

/// One `#XFOTA: <stage>,<status>[,<info>]` notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Urc {
    stage: Stage,
    status: Status,
    info: Option<i32>,
}

impl Urc {
    /// `#XFOTA: 1,0,<percent>`.
    pub fn progress(percent: u8) -> Self {
        Self::with_info(Stage::Download, Status::Ok, i32::from(percent))
    }

    /// `#XFOTA: 1,2,0`: the download was cancelled before completion.
    pub fn cancelled() -> Self {
        Self::with_info(Stage::Download, Status::Cancelled, 0)
    }

    /// `#XFOTA: <stage>,1,<code>`.
    pub fn error(stage: Stage, code: i32) -> Self {
        Self::with_info(stage, Status::Error, code)
    }

    /// `#XFOTA: 2,0`: modem scratch erase pending.
    pub fn erase_pending() -> Self {
        Self::without_info(Stage::ErasePending, Status::Ok)
    }

    /// `#XFOTA: 3,0`: modem scratch erased.
    pub fn erased() -> Self {
        Self::without_info(Stage::Erased, Status::Ok)
    }

    /// `#XFOTA: 4,0`: downloaded, waiting for activation.
    pub fn downloaded() -> Self {
        Self::without_info(Stage::Downloaded, Status::Ok)
    }

    /// `#XFOTA: 5,...` for an activation result.
    pub fn complete(outcome: crate::record::Outcome) -> Self {
        match outcome {
            crate::record::Outcome::Ok => Self::without_info(Stage::Complete, Status::Ok),
            crate::record::Outcome::Error(code) => Self::error(Stage::Complete, code),
            crate::record::Outcome::Reverted => Self::reverted(),
        }
    }

    /// `#XFOTA: 5,3`: the new application image did not stay, the old one runs.
    pub fn reverted() -> Self {
        Self::without_info(Stage::Complete, Status::Reverted)
    }

    fn without_info(stage: Stage, status: Status) -> Self {
        Self {
            stage,
            status,
            info: None,
        }
    }

    fn with_info(stage: Stage, status: Status, info: i32) -> Self {
        Self {
            stage,
            status,
            info: Some(info),
        }
    }

    /// The stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The info value, if any.
    pub fn info(&self) -> Option<i32> {
        self.info
    }

    /// The exact bytes on the wire, `\r\n#XFOTA: ...\r\n`.
    pub fn encode(&self) -> String<URC_MAX_LEN> {
        let mut s: String<URC_MAX_LEN> = String::new();
        // Capacity is proven sufficient by the longest case (27 bytes) in the unit tests; a
        // failed write would leave a shorter string, which the tests would catch.
        let _ = uwrite!(s, "\r\n#XFOTA: {},{}", self.stage as u8, self.status as u8);
        if let Some(info) = self.info {
            let _ = uwrite!(s, ",{}", info);
        }
        let _ = s.push_str("\r\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_urc_fits() {
        let u = Urc::error(Stage::Complete, i32::MIN);
        assert_eq!(u.encode().as_str(), "\r\n#XFOTA: 5,1,-2147483648\r\n");
    }

    #[test]
    fn modem_code_in_signed_decimal() {
        let u = Urc::error(Stage::Complete, 0x4400004);
        assert_eq!(u.encode().as_str(), "\r\n#XFOTA: 5,1,71303172\r\n");
    }

    #[test]
    fn no_info_forms() {
        assert_eq!(Urc::downloaded().encode().as_str(), "\r\n#XFOTA: 4,0\r\n");
        assert_eq!(
            Urc::erase_pending().encode().as_str(),
            "\r\n#XFOTA: 2,0\r\n"
        );
        assert_eq!(Urc::erased().encode().as_str(), "\r\n#XFOTA: 3,0\r\n");
        assert_eq!(
            Urc::complete(crate::record::Outcome::Ok).encode().as_str(),
            "\r\n#XFOTA: 5,0\r\n"
        );
        assert_eq!(Urc::reverted().encode().as_str(), "\r\n#XFOTA: 5,3\r\n");
        assert_eq!(Urc::cancelled().encode().as_str(), "\r\n#XFOTA: 1,2,0\r\n");
    }
}
