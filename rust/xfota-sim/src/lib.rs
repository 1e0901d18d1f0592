//! `xfota-sim`: the `AT#XFOTA` core on a PC, with real HTTP/HTTPS downloads, files as flash, a
//! simulated MCUboot and modem, and power cuts (SIGKILL) at any moment.
//!
//! The binary is the product; the library exposes its parts to the integration tests (image
//! writers, state directory decoding). See `docs/simulator.md`.

pub mod check;
pub mod download;
pub mod downloader;
pub mod image;
pub mod modem;
pub mod net;
pub mod power;
pub mod progress;
pub mod sim;
pub mod state;
