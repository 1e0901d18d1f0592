//! The simulated nRF9161's answers to the AT commands a host driver uses to identify the modem
//! (the C shell forwards every line it does not handle to the modem with `nrf_modem_at_cmd()`
//! and writes `"\r\n"` + the modem's answer, `src/at_host.c`).
//!
//! Formats, from Nordic's nRF91x1 AT command reference (`docs/simulator.md` lists the pages):
//! `+CGMI` answers the manufacturer, `+CGMM` the SiP model, `+CGMR` the modem firmware
//! revision, each on one line followed by `OK`.

use crate::state::ModemState;
use std::io;

/// `AT+CGMI`.
pub const MANUFACTURER: &str = "Nordic Semiconductor ASA";
/// `AT+CGMM` on an nRF9161 (SiP variant LACA).
pub const MODEL: &str = "nRF9161-LACA";
/// Prefix of every nRF91x1 modem firmware revision (`mfw_nrf91x1_2.0.3`, ...).
pub const REVISION_PREFIX: &str = "mfw_nrf91x1_";

/// The modem's answer (without the shell's leading `"\r\n"`) to `line`, or `None` if the
/// simulated modem does not know the command (it then answers `ERROR`). `modem` reads the
/// modem state; it is called only for `AT+CGMR` (the firmware revision), and its error is the
/// only one returned.
pub fn answer(
    line: &[u8],
    modem: impl FnOnce() -> io::Result<ModemState>,
) -> io::Result<Option<String>> {
    let Ok(cmd) = std::str::from_utf8(line) else {
        return Ok(None);
    };
    let text = match cmd.to_ascii_uppercase().as_str() {
        "AT+CGMI" => MANUFACTURER.to_owned(),
        "AT+CGMM" => MODEL.to_owned(),
        "AT+CGMR" => modem()?.revision(),
        _ => return Ok(None),
    };
    Ok(Some(format!("{text}\r\nOK\r\n")))
}
