//! `xfota-host`: drive an `AT#XFOTA` update of an nRF91 running xfota (or Nordic's Serial
//! Modem) from a PC over a serial port, with progress and an exit status that names the
//! outcome. The binary is `src/main.rs`; README's "xfota-host" section is the user guide.
//!
//! Nothing here decides what the device accepts: start commands are checked with the
//! firmware's own grammar ([`xfota_core::at::parse`]) and notifications are read with the
//! core's stage/status numbering.

pub mod command;
pub mod control;
pub mod device;
pub mod link;
pub mod outcome;
pub mod session;
pub mod ui;
