//! Sans-IO core of the Serial LTE Modem `AT#XFOTA` command.
//!
//! Everything that decides behaviour lives here: the AT grammar and URL/APN checks ([`at`]), the
//! FOTA state machine ([`Fota`]), the exact wire bytes ([`urc`]), the persisted record
//! ([`record`]) and the MCUboot image walk that verifies a download and identifies the running
//! image ([`image`]).
//!
//! The core performs no I/O. Inputs are AT lines, download events, modem status and one boot
//! report; effects (start a download, erase a slot, persist a record, read flash, ...) are
//! requested through the [`Port`] trait and output bytes (responses and notifications, exactly as
//! they go on the UART) through [`Out`]. It uses no heap, no globals, no `core::fmt` and no UTF-8
//! decoding: URLs and APNs stay bytes end to end.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod at;
mod fsm;
pub mod image;
pub mod record;
pub mod urc;

pub use at::{DownloadRequest, DownloadTarget};
pub use fsm::{
    BootReport, Config, DownloadEvent, ErasePoll, Fota, LineResult, Log, Out, Port, StateView,
    SwapType, DEFAULT_CONFIG, MODEM_DFU_OK, MODEM_DFU_VOLTAGE_LOW, NO_MODEM_RESULT,
};
pub use image::Slot;

/// Image type of a FOTA session: the `<op>` that started it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ImageType {
    /// Application image for MCUboot's secondary slot (`<op>` 1).
    App = 1,
    /// Modem delta image for the modem's scratch area (`<op>` 2).
    Modem = 2,
}

/// `<fota_stage>` of the `#XFOTA` notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Stage {
    /// 0: init (idle, no session).
    Init = 0,
    /// 1: download in progress.
    Download = 1,
    /// 2: download, modem scratch erase pending.
    ErasePending = 2,
    /// 3: download, modem scratch erased.
    Erased = 3,
    /// 4: downloaded, waiting for activation (reset).
    Downloaded = 4,
    /// 5: complete (reported once after the reboot that activated the image).
    Complete = 5,
}

/// `<fota_status>` of the `#XFOTA` notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// 0: OK.
    Ok = 0,
    /// 1: error; `<fota_info>` carries the error code.
    Error = 1,
    /// 2: cancelled.
    Cancelled = 2,
    /// 3: reverted (application FOTA only).
    Reverted = 3,
}

/// Download failed (`<fota_info>` 1), also used for every cause not listed below.
pub const ERR_DOWNLOAD_FAILED: i32 = 1;
/// Update image rejected (`<fota_info>` 2).
pub const ERR_IMAGE_REJECTED: i32 = 2;
/// Update image mismatch (`<fota_info>` 3): `<op>` 1 with a modem image or the reverse.
pub const ERR_IMAGE_MISMATCH: i32 = 3;

/// NCS `enum fota_download_error_cause` (`include/net/fota_download.h`, sdk-nrf v3.2.x), the
/// value carried by [`DownloadEvent::Error`].
pub mod cause {
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_NO_ERROR`.
    pub const NO_ERROR: i32 = 0;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_CONNECT_FAILED`.
    pub const CONNECT_FAILED: i32 = 1;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_DOWNLOAD_FAILED`.
    pub const DOWNLOAD_FAILED: i32 = 2;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_INVALID_UPDATE`: reported as `<fota_info>` 2 (rejected).
    pub const INVALID_UPDATE: i32 = 3;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_TYPE_MISMATCH`: reported as `<fota_info>` 3 (mismatch).
    pub const TYPE_MISMATCH: i32 = 4;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_INTERNAL`.
    pub const INTERNAL: i32 = 5;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_DFU`.
    pub const DFU: i32 = 6;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_PROTO_NOT_SUPPORTED`.
    pub const PROTO_NOT_SUPPORTED: i32 = 7;
    /// `FOTA_DOWNLOAD_ERROR_CAUSE_INVALID_CONFIGURATION`.
    pub const INVALID_CONFIGURATION: i32 = 8;

    /// The `<fota_info>` that reports a download error of `cause` (`#XFOTA: <stage>,1,<info>`):
    /// [`INVALID_UPDATE`] is [`crate::ERR_IMAGE_REJECTED`], [`TYPE_MISMATCH`] is
    /// [`crate::ERR_IMAGE_MISMATCH`], every other cause is [`crate::ERR_DOWNLOAD_FAILED`].
    pub fn fota_info(cause: i32) -> i32 {
        match cause {
            INVALID_UPDATE => crate::ERR_IMAGE_REJECTED,
            TYPE_MISMATCH => crate::ERR_IMAGE_MISMATCH,
            _ => crate::ERR_DOWNLOAD_FAILED,
        }
    }
}
