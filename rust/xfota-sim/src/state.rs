//! The state directory: the device's flash as files, and what MCUboot and the modem do at boot.
//!
//! Layout (see `docs/simulator.md`):
//!
//! - `record`: the core's FOTA record (absent = none);
//! - `mcuboot.state`: which app slot is primary, pending/test flags, counters;
//! - `app-slot0.bin`, `app-slot1.bin`: the two MCUboot slots (a fresh directory gets a factory
//!   image in slot 0 at its first boot);
//! - `modem.state`: running modem UUID, scratch dirty/pending flags, counters;
//! - `modem-scratch.bin`: the modem's scratch area (downloaded delta image).
//!
//! Every `.state` file and the record are replaced atomically (write `*.tmp`, fsync, rename,
//! fsync the directory), so a power cut leaves either the old or the new version.

use crate::image::{self, hex, MODEM_FACTORY_UUID, MODEM_RESULT_VOLTAGE_LOW};
use crate::power;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use xfota_core::{BootReport, SwapType};

/// File names.
pub const RECORD: &str = "record";
/// MCUboot state file.
pub const MCUBOOT_STATE: &str = "mcuboot.state";
/// Modem state file.
pub const MODEM_STATE: &str = "modem.state";
/// Modem scratch area.
pub const MODEM_SCRATCH: &str = "modem-scratch.bin";

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// The state directory.
#[derive(Clone, Debug)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// Opens (creating if needed) a state directory.
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// Path of a file in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn sync_dir(&self) -> io::Result<()> {
        File::open(&self.root)?.sync_all()
    }

    /// Replaces `name` atomically with `bytes`.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let tmp = self.path(&format!("{name}.tmp"));
        power::point(&format!("write:{name}"));
        {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        power::point(&format!("rename:{name}"));
        fs::rename(&tmp, self.path(name))?;
        self.sync_dir()?;
        power::point(&format!("renamed:{name}"));
        Ok(())
    }

    /// Deletes `name` durably (absent is fine).
    pub fn remove(&self, name: &str) -> io::Result<()> {
        power::point(&format!("remove:{name}"));
        match fs::remove_file(self.path(name)) {
            Ok(()) => self.sync_dir(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Reads `name`; `None` if absent.
    pub fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.path(name)) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates (truncating) a flash file for streaming writes.
    pub fn create_flash(&self, name: &str) -> io::Result<File> {
        let f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(self.path(name))?;
        self.sync_dir()?;
        Ok(f)
    }

    /// Loads the MCUboot state (defaults if absent).
    pub fn mcuboot(&self) -> io::Result<McubootState> {
        match self.read(MCUBOOT_STATE)? {
            None => Ok(McubootState::default()),
            Some(b) => McubootState::decode(&b),
        }
    }

    /// Loads the modem state (defaults if absent).
    pub fn modem(&self) -> io::Result<ModemState> {
        match self.read(MODEM_STATE)? {
            None => Ok(ModemState::default()),
            Some(b) => ModemState::decode(&b),
        }
    }

    /// Saves the MCUboot state atomically.
    pub fn save_mcuboot(&self, s: &McubootState) -> io::Result<()> {
        self.write_atomic(MCUBOOT_STATE, s.encode().as_bytes())
    }

    /// Saves the modem state atomically.
    pub fn save_modem(&self, s: &ModemState) -> io::Result<()> {
        self.write_atomic(MODEM_STATE, s.encode().as_bytes())
    }

    /// The stored FOTA record bytes, decoded by the core at boot.
    pub fn record(&self) -> io::Result<Option<Vec<u8>>> {
        self.read(RECORD)
    }

    /// Checks that everything in the directory decodes (the crash tests' invariant).
    pub fn check(
        &self,
    ) -> io::Result<(McubootState, ModemState, Option<xfota_core::record::Record>)> {
        let m = self.mcuboot()?;
        let d = self.modem()?;
        let rec = match self.record()? {
            None => None,
            Some(b) => Some(
                xfota_core::record::Record::decode(&b)
                    .map_err(|e| bad(format!("record: {e:?}")))?,
            ),
        };
        Ok((m, d, rec))
    }
}

fn parse_kv(text: &str, header: &str, keys: &[&str]) -> io::Result<Vec<String>> {
    let mut lines = text.lines();
    if lines.next() != Some(header) {
        return Err(bad(format!("bad header, want {header:?}")));
    }
    let mut vals = Vec::new();
    for key in keys {
        let line = lines.next().ok_or_else(|| bad(format!("missing {key}")))?;
        let v = line
            .strip_prefix(key)
            .and_then(|r| r.strip_prefix('='))
            .ok_or_else(|| bad(format!("want {key}=, got {line:?}")))?;
        vals.push(v.to_owned());
    }
    if lines.next().is_some() {
        return Err(bad("trailing lines".into()));
    }
    Ok(vals)
}

fn flag(v: &str) -> io::Result<bool> {
    match v {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(bad(format!("bad flag {v:?}"))),
    }
}

fn num<T: std::str::FromStr>(v: &str) -> io::Result<T> {
    v.parse().map_err(|_| bad(format!("bad number {v:?}")))
}

/// The simulated MCUboot's persistent state (what the real one keeps in the slot trailers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct McubootState {
    /// Which slot file is primary (0 or 1); the other is the secondary.
    pub primary_slot: u8,
    /// `boot_request_upgrade(BOOT_UPGRADE_TEST)` was called: test the secondary at next boot.
    pub pending: bool,
    /// The primary runs in test mode (swapped, not confirmed): reverts at the next boot.
    pub test: bool,
    /// Identity of the running image (hex SHA-256, or `factory`).
    pub primary_id: String,
    /// Identity of the image a revert would restore.
    pub previous_id: String,
    /// How many images were swapped in (activated).
    pub activations: u32,
    /// How many test images were reverted.
    pub reverts: u32,
}

impl Default for McubootState {
    fn default() -> Self {
        Self {
            primary_slot: 0,
            pending: false,
            test: false,
            primary_id: "factory".into(),
            previous_id: "factory".into(),
            activations: 0,
            reverts: 0,
        }
    }
}

const MCUBOOT_HEADER: &str = "xfota-sim mcuboot v1";
const MCUBOOT_KEYS: [&str; 7] = [
    "primary_slot",
    "pending",
    "test",
    "primary_id",
    "previous_id",
    "activations",
    "reverts",
];

impl McubootState {
    /// Primary slot file name.
    pub fn primary_file(&self) -> &'static str {
        if self.primary_slot == 0 {
            "app-slot0.bin"
        } else {
            "app-slot1.bin"
        }
    }

    /// Secondary slot file name (download target).
    pub fn secondary_file(&self) -> &'static str {
        if self.primary_slot == 0 {
            "app-slot1.bin"
        } else {
            "app-slot0.bin"
        }
    }

    /// Text form.
    pub fn encode(&self) -> String {
        format!(
            "{MCUBOOT_HEADER}\nprimary_slot={}\npending={}\ntest={}\nprimary_id={}\nprevious_id={}\nactivations={}\nreverts={}\n",
            self.primary_slot,
            u8::from(self.pending),
            u8::from(self.test),
            self.primary_id,
            self.previous_id,
            self.activations,
            self.reverts
        )
    }

    /// Strict parse.
    pub fn decode(b: &[u8]) -> io::Result<Self> {
        let text = std::str::from_utf8(b).map_err(|_| bad("mcuboot.state: not UTF-8".into()))?;
        let v = parse_kv(text, MCUBOOT_HEADER, &MCUBOOT_KEYS)?;
        let [slot, pending, test, pid, prev, act, rev] = v.as_slice() else {
            return Err(bad("mcuboot.state".into()));
        };
        let primary_slot: u8 = num(slot)?;
        if primary_slot > 1 {
            return Err(bad("primary_slot".into()));
        }
        Ok(Self {
            primary_slot,
            pending: flag(pending)?,
            test: flag(test)?,
            primary_id: pid.clone(),
            previous_id: prev.clone(),
            activations: num(act)?,
            reverts: num(rev)?,
        })
    }
}

/// The simulated modem's persistent state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModemState {
    /// Running firmware UUID.
    pub uuid: [u8; 16],
    /// The scratch area holds (part of) a modem image: the next download erases it first.
    pub dirty: bool,
    /// An update is scheduled (`nrf_modem_delta_dfu_update`): applied at the next boot.
    pub pending: bool,
    /// How many updates were applied.
    pub activations: u32,
}

impl Default for ModemState {
    fn default() -> Self {
        Self {
            uuid: MODEM_FACTORY_UUID,
            dirty: false,
            pending: false,
            activations: 0,
        }
    }
}

const MODEM_HEADER: &str = "xfota-sim modem v1";
const MODEM_KEYS: [&str; 4] = ["uuid", "dirty", "pending", "activations"];

impl ModemState {
    /// The running modem firmware's revision, as `AT+CGMR` answers it: `mfw_nrf91x1_` and the
    /// firmware's name. A test-format firmware is named by its UUID text (trailing NULs
    /// dropped: `--target-uuid 2.0.4` gives `mfw_nrf91x1_2.0.4`); a UUID that is not printable
    /// text (installed by a foreign delta, [`crate::image::foreign_uuid`]) gives `delta-` and
    /// its first 4 bytes in hex.
    pub fn revision(&self) -> String {
        let name = {
            let end = self.uuid.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            let text = self.uuid.get(..end).unwrap_or(&[]);
            if !text.is_empty() && text.iter().all(|b| b.is_ascii_graphic()) {
                String::from_utf8_lossy(text).into_owned()
            } else {
                format!("delta-{}", hex(self.uuid.get(..4).unwrap_or(&[])))
            }
        };
        format!("{}{name}", crate::modem::REVISION_PREFIX)
    }

    /// Text form.
    pub fn encode(&self) -> String {
        format!(
            "{MODEM_HEADER}\nuuid={}\ndirty={}\npending={}\nactivations={}\n",
            hex(&self.uuid),
            u8::from(self.dirty),
            u8::from(self.pending),
            self.activations
        )
    }

    /// Strict parse.
    pub fn decode(b: &[u8]) -> io::Result<Self> {
        let text = std::str::from_utf8(b).map_err(|_| bad("modem.state: not UTF-8".into()))?;
        let v = parse_kv(text, MODEM_HEADER, &MODEM_KEYS)?;
        let [uuid, dirty, pending, act] = v.as_slice() else {
            return Err(bad("modem.state".into()));
        };
        if uuid.len() != 32 {
            return Err(bad("uuid".into()));
        }
        let mut u = [0u8; 16];
        for (i, b) in u.iter_mut().enumerate() {
            let s = uuid
                .get(2 * i..2 * i + 2)
                .ok_or_else(|| bad("uuid".into()))?;
            *b = u8::from_str_radix(s, 16).map_err(|_| bad("uuid".into()))?;
        }
        Ok(Self {
            uuid: u,
            dirty: flag(dirty)?,
            pending: flag(pending)?,
            activations: num(act)?,
        })
    }
}

/// The factory-programmed application image (primary slot of a fresh state directory).
pub fn factory_image() -> Vec<u8> {
    image::AppImage::new(4096, 0).build()
}

/// Runs the simulated boot: MCUboot (revert an unconfirmed test image, or validate and swap in
/// a pending one) and the modem (apply a scheduled update). Returns the stored record bytes and
/// the boot report for the core.
///
/// Activation happens at most once: the pending flag is cleared in the same atomic state write
/// that flips the primary slot (app) or installs the new UUID (modem).
pub fn boot(dir: &StateDir) -> io::Result<(Option<Vec<u8>>, BootReport)> {
    let mut mcu = dir.mcuboot()?;
    if mcu.activations == 0 && mcu.reverts == 0 && dir.read(mcu.primary_file())?.is_none() {
        // A fresh device: the factory-programmed application, a real MCUboot image.
        dir.write_atomic(mcu.primary_file(), &factory_image())?;
    }
    let app_swap = if mcu.test {
        // The previous boot ran a test image that was never confirmed: swap back.
        eprintln!(
            "xfota-sim: mcuboot: test image {} not confirmed, reverting",
            mcu.primary_id
        );
        mcu.primary_slot ^= 1;
        mcu.test = false;
        mcu.pending = false;
        std::mem::swap(&mut mcu.primary_id, &mut mcu.previous_id);
        mcu.reverts += 1;
        dir.save_mcuboot(&mcu)?;
        SwapType::None
    } else if mcu.pending {
        let img = dir.read(mcu.secondary_file())?.unwrap_or_default();
        match image::verify_app(&img) {
            Ok(hash) => {
                eprintln!("xfota-sim: mcuboot: swapping in {} (test)", hex(&hash));
                mcu.primary_slot ^= 1;
                mcu.pending = false;
                mcu.test = true;
                mcu.previous_id = std::mem::replace(&mut mcu.primary_id, hex(&hash));
                mcu.activations += 1;
                dir.save_mcuboot(&mcu)?;
                SwapType::Revert
            }
            Err(e) => {
                eprintln!("xfota-sim: mcuboot: secondary image invalid ({e:?}), erasing it");
                mcu.pending = false;
                dir.save_mcuboot(&mcu)?;
                dir.remove(mcu.secondary_file())?;
                SwapType::None
            }
        }
    } else {
        SwapType::None
    };

    let record = dir.record()?;
    let mut modem = dir.modem()?;
    // The modem reports a DFU result once, at the boot that applies the update (as the nRF91
    // does through NRF_MODEM_LIB_ON_DFU_RES); nothing remembers it for a later boot.
    let mut modem_result = None;
    if modem.pending {
        let scratch = dir.read(MODEM_SCRATCH)?.unwrap_or_default();
        let (result, new_uuid) = image::apply_modem(&scratch, &modem.uuid);
        eprintln!("xfota-sim: modem: applied scheduled update, result {result:#x}");
        if result != MODEM_RESULT_VOLTAGE_LOW {
            modem.pending = false;
        }
        if let Some(u) = new_uuid {
            modem.uuid = u;
            modem.activations += 1;
        }
        modem_result = Some(result);
        dir.save_modem(&modem)?;
    }
    Ok((
        record,
        BootReport {
            app_swap,
            modem_result,
            modem_init: 0,
        },
    ))
}
