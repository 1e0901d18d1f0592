//! How a run ends: the exit status, the outcome in words, and the notification that decided it.

use std::fmt;
use xfota_core::{
    ImageType, ERR_DOWNLOAD_FAILED, ERR_IMAGE_MISMATCH, ERR_IMAGE_REJECTED, MODEM_DFU_VOLTAGE_LOW,
    NO_MODEM_RESULT,
};

/// The exit status of `xfota-host` (the table of `--help` and README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// 0: `#XFOTA: 5,0` (or `4,0` with `--no-reset`); erase/cancel answered `OK`.
    Success = 0,
    /// 1: the command line itself is wrong (usage message).
    Usage = 1,
    /// 2: the command was refused: the device answered `ERROR`, or the firmware's grammar
    /// refuses it (checked before the port is opened).
    Refused = 2,
    /// 3: the download failed (`<stage>,1,1`), or the device restarted during it.
    DownloadFailed = 3,
    /// 4: image rejected (`1,1,2`) or image type mismatch (`1,1,3`).
    Rejected = 4,
    /// 5: the new image did not stay (`5,3`).
    Reverted = 5,
    /// 6: the update failed at boot (`5,1,<code>`, including `5,1,-2`: no modem result), or a
    /// modem update was postponed at boot (`4,1,71303173`: voltage low).
    BootFailed = 6,
    /// 7: no progress for `--timeout` seconds, or the port could not be opened or closed.
    Lost = 7,
    /// 8: cancelled (`1,2,0`), or interrupted.
    Cancelled = 8,
}

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Exit status.
    pub exit: Exit,
    /// The outcome in a few words (`updated`, `download failed`, ...).
    pub what: &'static str,
    /// Details.
    pub detail: String,
    /// The device line that decided it (`#XFOTA: 5,0`, `ERROR`), if any.
    pub raw: Option<String>,
}

impl Outcome {
    /// A new outcome.
    pub fn new(exit: Exit, what: &'static str, detail: impl Into<String>) -> Self {
        Self {
            exit,
            what,
            detail: detail.into(),
            raw: None,
        }
    }

    /// The same with the deciding line.
    pub fn raw(mut self, raw: impl Into<String>) -> Self {
        self.raw = Some(raw.into());
        self
    }

    /// The exit status as a number.
    pub fn code(&self) -> u8 {
        self.exit as u8
    }
}

impl fmt::Display for Outcome {
    /// The final line: `<what>: <detail> (<raw>)`, without ` (<raw>)` when no device line
    /// decided it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.detail)?;
        match &self.raw {
            Some(r) => write!(f, " ({r})"),
            None => Ok(()),
        }
    }
}

/// `<stage>,1,<code>` during a download.
pub fn download_failed(code: i32, raw: &str) -> Outcome {
    match code {
        ERR_IMAGE_REJECTED => Outcome::new(
            Exit::Rejected,
            "image rejected",
            "the device refused the downloaded file: not a valid image (unknown format, or the \
             MCUboot header/hash check failed); nothing was kept",
        ),
        ERR_IMAGE_MISMATCH => Outcome::new(
            Exit::Rejected,
            "image mismatch",
            "wrong image type for this operation (a modem delta for `app`, or an application \
             image for `modem`); nothing was kept",
        ),
        ERR_DOWNLOAD_FAILED => Outcome::new(
            Exit::DownloadFailed,
            "download failed",
            "the device could not download the file (connection, HTTP status, TLS, or the \
             transfer was cut)",
        ),
        other => Outcome::new(
            Exit::DownloadFailed,
            "download failed",
            format!("the device reported error {other}"),
        ),
    }
    .raw(raw)
}

/// The boot result after the reset (`5,...` or `4,1,...`), for `image`.
pub fn boot_result(image: ImageType, notice: crate::device::Notice, raw: &str) -> Option<Outcome> {
    use crate::device::Notice;
    let o = match notice {
        Notice::Complete => Outcome::new(
            Exit::Success,
            "updated",
            match image {
                ImageType::App => "the new application image runs and is confirmed",
                ImageType::Modem => "the modem runs the new firmware",
            },
        ),
        Notice::Reverted => Outcome::new(
            Exit::Reverted,
            "reverted",
            "the new image did not stay: the previous application image runs",
        ),
        Notice::BootFailed(code) => Outcome::new(
            Exit::BootFailed,
            "update failed at boot",
            boot_failure(image, code),
        ),
        Notice::Postponed(MODEM_DFU_VOLTAGE_LOW) => Outcome::new(
            Exit::BootFailed,
            "update postponed",
            "the modem did not apply the update: supply voltage too low; the update stays \
             scheduled and is retried at the next reset",
        ),
        Notice::Postponed(code) => Outcome::new(
            Exit::BootFailed,
            "update postponed",
            format!("the device still waits to activate the image (code {code})"),
        ),
        _ => return None,
    };
    Some(o.raw(raw))
}

/// Modem DFU results (nrfxlib `nrf_modem/include/nrf_modem.h`, `NRF_MODEM_DFU_RESULT_*`); the
/// firmware passes them through as `5,1,<code>`. OK and VOLTAGE_LOW come from the core.
const DFU_INTERNAL_ERROR: i32 = 0x440_0001;
const DFU_HARDWARE_ERROR: i32 = 0x440_0002;
const DFU_AUTH_ERROR: i32 = 0x440_0003;
const DFU_UUID_ERROR: i32 = 0x440_0004;

/// `5,1,<code>` in words.
fn boot_failure(image: ImageType, code: i32) -> String {
    match (image, code) {
        (ImageType::App, 2) => {
            "MCUboot reports swap type TEST: the image was not swapped in".into()
        }
        (ImageType::App, 3) => "MCUboot reports swap type PERM: unexpected state".into(),
        (ImageType::App, 5) => "MCUboot reports swap type FAIL: the swap failed".into(),
        (ImageType::App, c) if c < 0 => format!("confirming the new image failed (error {c})"),
        (ImageType::Modem, NO_MODEM_RESULT) => "the modem reported no update result: outcome \
                                                unknown (AT+CGMR tells which firmware runs)"
            .into(),
        (ImageType::Modem, DFU_INTERNAL_ERROR) => {
            "the modem hit an internal error while updating (NRF_MODEM_DFU_RESULT_INTERNAL_ERROR)"
                .into()
        }
        (ImageType::Modem, DFU_HARDWARE_ERROR) => {
            "the modem hit a hardware error while updating (NRF_MODEM_DFU_RESULT_HARDWARE_ERROR)"
                .into()
        }
        (ImageType::Modem, DFU_AUTH_ERROR) => {
            "the delta image failed authentication; the previous \
                                           firmware runs (NRF_MODEM_DFU_RESULT_AUTH_ERROR)"
                .into()
        }
        (ImageType::Modem, DFU_UUID_ERROR) => {
            "the delta image is for another modem firmware; the \
                                           previous firmware runs (NRF_MODEM_DFU_RESULT_UUID_ERROR)"
                .into()
        }
        (_, c) => format!("the device reported error {c} (0x{c:x})"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::device::{DeviceLine, Notice};

    fn boot(image: ImageType, raw: &str) -> Option<Outcome> {
        match DeviceLine::parse(raw) {
            DeviceLine::Fota(n) => boot_result(image, n, raw),
            _ => None,
        }
    }

    #[test]
    fn exit_statuses() {
        let app = ImageType::App;
        let modem = ImageType::Modem;
        let code = |o: Option<Outcome>| o.map(|o| o.code());
        assert_eq!(code(boot(app, "#XFOTA: 5,0")), Some(0));
        assert_eq!(code(boot(modem, "#XFOTA: 5,0")), Some(0));
        assert_eq!(code(boot(app, "#XFOTA: 5,3")), Some(5));
        assert_eq!(code(boot(app, "#XFOTA: 5,1,2")), Some(6));
        assert_eq!(code(boot(app, "#XFOTA: 5,1,-5")), Some(6));
        assert_eq!(code(boot(modem, "#XFOTA: 5,1,71303172")), Some(6));
        assert_eq!(code(boot(modem, "#XFOTA: 5,1,-2")), Some(6));
        assert_eq!(code(boot(modem, "#XFOTA: 4,1,71303173")), Some(6));
        assert_eq!(code(boot(app, "#XFOTA: 1,0,5")), None);
        assert_eq!(download_failed(1, "#XFOTA: 1,1,1").code(), 3);
        assert_eq!(download_failed(2, "#XFOTA: 1,1,2").code(), 4);
        assert_eq!(download_failed(3, "#XFOTA: 1,1,3").code(), 4);
        assert_eq!(download_failed(9, "#XFOTA: 3,1,9").code(), 3);
    }

    #[test]
    fn final_line_names_outcome_and_raw() {
        let o = boot(ImageType::Modem, "#XFOTA: 4,1,71303173").unwrap();
        assert_eq!(
            o.to_string(),
            "update postponed: the modem did not apply the update: supply voltage too low; the \
             update stays scheduled and is retried at the next reset (#XFOTA: 4,1,71303173)"
        );
        let o = boot(ImageType::Modem, "#XFOTA: 5,1,-2").unwrap();
        assert!(o.to_string().contains("outcome unknown"), "{o}");
        assert!(o.to_string().ends_with("(#XFOTA: 5,1,-2)"), "{o}");
        let o = Outcome::new(Exit::Lost, "timeout", "nothing for 3 s");
        assert_eq!(o.to_string(), "timeout: nothing for 3 s");
        assert_eq!(
            DeviceLine::parse("#XFOTA: 5,1,71303172"),
            DeviceLine::Fota(Notice::BootFailed(0x440_0004))
        );
    }
}
