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

    /// `#XFOTA: <stage>,0` for the stages without info (erase pending/erased, downloaded,
    /// complete). For [`Stage::Download`] use [`Urc::progress`].
    pub fn ok(stage: Stage) -> Option<Self> {
        match stage {
            Stage::Download => None,
            _ => Some(Self {
                stage,
                status: Status::Ok,
                info: None,
            }),
        }
    }

    /// `#XFOTA: 5,...` for an activation result.
    pub fn complete(outcome: crate::record::Outcome) -> Self {
        match outcome {
            crate::record::Outcome::Ok => Self {
                stage: Stage::Complete,
                status: Status::Ok,
                info: None,
            },
            crate::record::Outcome::Error(code) => Self::error(Stage::Complete, code),
            crate::record::Outcome::Reverted => Self::reverted(),
        }
    }

    /// `#XFOTA: 5,3`: the new application image did not stay, the old one runs.
    pub fn reverted() -> Self {
        Self {
            stage: Stage::Complete,
            status: Status::Reverted,
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
        assert_eq!(
            Urc::ok(Stage::Downloaded).map(|u| u.encode()).as_deref(),
            Some("\r\n#XFOTA: 4,0\r\n")
        );
        assert_eq!(Urc::ok(Stage::Download), None);
        assert_eq!(Urc::reverted().encode().as_str(), "\r\n#XFOTA: 5,3\r\n");
        assert_eq!(Urc::cancelled().encode().as_str(), "\r\n#XFOTA: 1,2,0\r\n");
    }
}
