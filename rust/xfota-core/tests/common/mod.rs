//! Shared robustness harness: a fake [`Port`] over a model of the device (flash slots, settings
//! storage, MCUboot, the modem, the downloader), an independent model of what the core must do
//! (grammar in [`grammar`], MCUboot's image rules in [`mcuboot`], the record format in [`rec`],
//! the session rules here), and a checker that compares every step with the model and checks
//! DESIGN.md §2's invariants.
//!
//! Used by the property tests (`tests/properties.rs`, `tests/security.rs`, `tests/bad_input.rs`,
//! `tests/lexing.rs`) and, through `#[path]`, by the cargo-fuzz targets in `rust/fuzz/`, so `cargo
//! test` and the fuzzer check exactly the same rules. The input types derive
//! `arbitrary::Arbitrary` when compiled for the fuzzer (not under `cfg(test)`).
//!
//! What the fake port models (sdk-nrf v3.2.1 unless said otherwise; written by hand because it
//! models the device):
//! - `fota_download` (subsys/net/lib/fota_download/src/fota_download.c): `start_download` and
//!   `cancel_download` can fail with any errno; events arrive later, from the harness, tagged with
//!   a session (the shell's tagging); the cancel's own stop report (CANCELLED, or ERROR when an
//!   error was pending, or FINISHED when the download completed first) may come late, after a new
//!   start, or never.
//! - `dfu_target` (subsys/dfu/dfu_target/src/dfu_target_mcuboot.c, dfu_target_stream.c):
//!   `dfu_target_reset` erases the first page of the secondary slot (the whole model slot);
//!   `dfu_target_schedule_update(0)` requests a test swap (`boot_request_upgrade(TEST)`) or the
//!   modem delta update; both can fail.
//! - MCUboot (sdk-mcuboot ncs-v3.2.4): the two slots as bytes (reads past the end fail with
//!   -EINVAL, the primary can be unreadable), the swap at the next boot of a requested, valid
//!   image (reported as REVERT: test mode), the revert at the boot after an unconfirmed test boot
//!   unless a new swap was requested (`boot_swap_tables`, bootutil_public.c: TEST comes first),
//!   `boot_write_img_confirmed` (can fail), `boot_erase_img_bank` (drops a requested swap).
//!   `image_hash_matches` hashes the secondary slot for real (SHA-256) and can fail.
//! - The modem: a scheduled delta update is applied at the next boot with a working modem, with
//!   the DFU result the test chooses (voltage low keeps it scheduled); `nrf_modem_lib_init` can
//!   fail; a fault can come at any time.
//! - settings (`settings_save_one`/`settings_delete`): the record, as bytes; save and delete can
//!   fail; a power cut keeps what was saved.
#![allow(dead_code)]

pub mod grammar;
pub mod mcuboot;

use std::cell::RefCell;
use std::format;
use std::string::String;
use std::vec::Vec;

use sha2::{Digest, Sha256};
use xfota_core::at::{self, Parsed, Reject};
use xfota_core::record::{Outcome, ID_LEN, RECORD_LEN};
use xfota_core::{
    BootReport, Config, DownloadEvent, DownloadRequest, ErasePoll, Fota, ImageType, LineResult,
    Log, Out, Port, Slot, Stage, StateView, SwapType, DEFAULT_CONFIG, MODEM_DFU_OK,
    MODEM_DFU_VOLTAGE_LOW, NO_MODEM_RESULT,
};

use grammar::Meaning;
use mcuboot::{ImageSpec, Verdict};

/// Canned lines: valid commands (and a few near misses) so that sequences reach every state.
/// Indices 0 (app start), 1 (modem start) and 3 (modem https start with APN) are used by tests.
pub const CANNED: &[&[u8]] = &[
    b"AT#XFOTA=1,\"http://example.com/fw/app.bin\"",
    b"AT#XFOTA=2,\"http://example.com/fw/mfw-delta.bin\"",
    b"AT#XFOTA=1,\"https://secure.example.com:8443/a/b.bin?x=1\",42",
    b"AT#XFOTA=2,\"HTTPS://[2001:db8::1]/m.bin\",7,\"internet.apn-1\"",
    b"AT#XFOTA=1,\"http://10.0.0.1:80/f\",,\"ims\"",
    b"AT#XFOTA=0",
    b"AT#XFOTA=8",
    b"AT#XFOTA=9",
    b"AT#XFOTA=?",
    b"at#xfota=1,\"http://h/f\"",
    b"AT#XFOTA?",
    b"AT#XFOTA",
    b"AT+CFUN=1",
    b"AT#XFOTA=1,\"https://h/f\"",
    b"AT#XFOTA=1,\"http://u:p@h/f\"",
    b"AT#XFOTA=2,\"http://h/f\",1,\"bad\\\"apn\"",
    b"AT#XFOTA= +1, \"http://example.com/fw/app.bin\", , \"ims\"",
    b"AT#XFOTA= 0",
    b"AT#XFOTA=+8",
    b"AT#XFOTA=08",
    b"AT#XFOTA=0 ",
    b"AT#XFOTA=1,\"http://h/f\" ,1",
    b"AT#XFOTA=2, \"http://h/m.bin\",",
];

// ------------------------------------------------------------------------------------------
// Port answers

/// A port answer: success or an errno (made negative by the harness).
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Res {
    /// Success.
    #[default]
    Ok,
    /// Failure with this errno; a non-negative value `e` becomes `-e - 1`.
    Err(i32),
}

impl Res {
    fn get(self) -> Result<(), i32> {
        match self {
            Res::Ok => Ok(()),
            Res::Err(e) => Err(negative(e)),
        }
    }

    /// 0 or the negative errno (as `nrf_modem_lib_init` returns it).
    pub fn code(self) -> i32 {
        match self {
            Res::Ok => 0,
            Res::Err(e) => negative(e),
        }
    }
}

/// Maps any i32 onto a negative errno (bijectively: `e >= 0` becomes `-e - 1`).
pub fn negative(e: i32) -> i32 {
    if e < 0 {
        e
    } else {
        -e - 1
    }
}

/// How the modem scratch erase behaves.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ModemErase {
    /// Nothing to erase: `modem_erase_start` answers done.
    #[default]
    Done,
    /// Pending for this many polls, then done.
    Pending(u8),
    /// `modem_erase_start` fails.
    StartErr(i32),
    /// Pending for this many polls, then a poll fails.
    PollErr(u8, i32),
}

/// Failing reads of the secondary slot.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReadFault {
    /// Reads succeed (within the slot).
    #[default]
    Never,
    /// The n-th read (`n % 8`, from 0) of the secondary slot in a step fails with this errno.
    Nth(u8, i32),
}

/// How the fake port answers each effect.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Faults {
    /// `start_download`.
    pub start: Res,
    /// `cancel_download`.
    pub cancel: Res,
    /// `reset_dfu_target`.
    pub reset: Res,
    /// `erase_app_slot`.
    pub erase_app: Res,
    /// Modem scratch erase.
    pub modem_erase: ModemErase,
    /// `save_record`.
    pub save: Res,
    /// `clear_record`.
    pub clear: Res,
    /// `confirm_image`.
    pub confirm: Res,
    /// `schedule_update`.
    pub schedule: Res,
    /// `image_hash_matches` (success: the real comparison).
    pub hash: Res,
    /// `read_image` of the secondary slot.
    pub read: ReadFault,
}

// ------------------------------------------------------------------------------------------
// The trace

/// One entry of a step's trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    /// Bytes written to the UART.
    Out(Vec<u8>),
    /// `start_download` and its answer.
    Start {
        /// Image type.
        image: ImageType,
        /// Session number.
        session: u16,
        /// Host with its NUL.
        host: Vec<u8>,
        /// File with its NUL.
        file: Vec<u8>,
        /// Security tag.
        sec_tag: Option<u32>,
        /// APN.
        apn: Option<Vec<u8>>,
        /// The answer.
        result: Result<(), i32>,
    },
    /// `cancel_download`.
    Cancel(Result<(), i32>),
    /// `end_download`.
    End,
    /// `reset_dfu_target`.
    Reset(ImageType, Result<(), i32>),
    /// `schedule_update`; `recorded`: storage held the image's waiting record at the call.
    Schedule {
        /// Image type.
        image: ImageType,
        /// The answer.
        result: Result<(), i32>,
        /// The waiting record of `image` was in storage when it was called.
        recorded: bool,
    },
    /// `erase_app_slot`.
    EraseApp(Result<(), i32>),
    /// `modem_erase_start`.
    ModemEraseStart(Result<ErasePoll, i32>),
    /// `modem_erase_poll`.
    ModemErasePoll(Result<ErasePoll, i32>),
    /// `sleep_ms`.
    Sleep(u32),
    /// `save_record` with these bytes.
    Save([u8; RECORD_LEN], Result<(), i32>),
    /// `clear_record`.
    Clear(Result<(), i32>),
    /// `confirm_image`.
    Confirm(Result<(), i32>),
    /// `read_image` (slot, offset, length, answer).
    Read(Slot, u32, usize, Result<(), i32>),
    /// `image_hash_matches` (length, the expected hash, answer).
    Hash(u32, [u8; 32], Result<bool, i32>),
    /// `log`.
    Log(Log, i32),
}

// ------------------------------------------------------------------------------------------
// The world: flash, storage, MCUboot and the modem (survive power cycles)

/// What survives a power cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct World {
    /// The persisted record (any bytes).
    pub stored: Option<Vec<u8>>,
    /// MCUboot's primary slot (the running image).
    pub primary: Vec<u8>,
    /// Reads of the primary slot fail with -EIO.
    pub primary_unreadable: bool,
    /// MCUboot's secondary slot.
    pub secondary: Vec<u8>,
    /// A test swap was requested (`boot_request_upgrade(TEST)`) and not yet done.
    pub swap_requested: bool,
    /// The primary runs in test mode (swapped in, not confirmed): MCUboot reports REVERT.
    pub in_test: bool,
    /// A modem delta update is scheduled.
    pub modem_scheduled: bool,
    /// What the server sends for an application download.
    pub served: Vec<u8>,
}

/// The factory image in the primary slot.
pub fn factory_image() -> Vec<u8> {
    ImageSpec::simple(32, mcuboot::filler(24, 0xfa), 1).build()
}

/// A well-formed image for downloads (different from the factory image).
pub fn new_image() -> Vec<u8> {
    ImageSpec::simple(64, mcuboot::filler(40, 0x11), 2).build()
}

impl Default for World {
    fn default() -> Self {
        Self {
            stored: None,
            primary: mcuboot::slot_with(&factory_image()),
            primary_unreadable: false,
            secondary: mcuboot::erased(),
            swap_requested: false,
            in_test: false,
            modem_scheduled: false,
            served: new_image(),
        }
    }
}

/// The fake port: answers from [`Faults`], acts on the [`World`], records every call.
pub struct FakePort<'t, 'w> {
    trace: &'t RefCell<Vec<Ev>>,
    /// A power cut after this many trace entries: later calls do nothing (the device is off).
    cut: Option<usize>,
    faults: Faults,
    world: &'w mut World,
    polls: u32,
    reads: u32,
}

impl FakePort<'_, '_> {
    fn push(&self, ev: Ev) {
        self.trace.borrow_mut().push(ev);
    }

    fn dead(&self) -> bool {
        self.cut.is_some_and(|n| self.trace.borrow().len() >= n)
    }

    fn waiting_record_of(&self, image: ImageType) -> bool {
        self.world
            .stored
            .as_deref()
            .and_then(rec::decode)
            .is_some_and(|r| r.image == image && r.result.is_none())
    }
}

impl Port for FakePort<'_, '_> {
    fn start_download(&mut self, req: &DownloadRequest<'_>) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let result = self.faults.start.get();
        self.push(Ev::Start {
            image: req.image,
            session: req.session,
            host: req.target.host_with_nul().to_vec(),
            file: req.target.file_with_nul().to_vec(),
            sec_tag: req.sec_tag,
            apn: req.apn.map(<[u8]>::to_vec),
            result,
        });
        result
    }
    fn cancel_download(&mut self) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let r = self.faults.cancel.get();
        self.push(Ev::Cancel(r));
        r
    }
    fn end_download(&mut self) {
        if self.dead() {
            return;
        }
        self.push(Ev::End);
    }
    fn reset_dfu_target(&mut self, image: ImageType) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let r = self.faults.reset.get();
        self.push(Ev::Reset(image, r));
        if r.is_ok() && image == ImageType::App {
            // dfu_target_stream_reset: the first page goes (the whole model slot).
            self.world.secondary = mcuboot::erased();
        }
        r
    }
    fn schedule_update(&mut self, image: ImageType) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let r = self.faults.schedule.get();
        let recorded = self.waiting_record_of(image);
        self.push(Ev::Schedule {
            image,
            result: r,
            recorded,
        });
        if r.is_ok() {
            match image {
                ImageType::App => self.world.swap_requested = true,
                ImageType::Modem => self.world.modem_scheduled = true,
            }
        }
        r
    }
    fn erase_app_slot(&mut self) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let r = self.faults.erase_app.get();
        self.push(Ev::EraseApp(r));
        if r.is_ok() {
            // boot_erase_img_bank: the image and its swap request (trailer) are gone.
            self.world.secondary = mcuboot::erased();
            self.world.swap_requested = false;
        }
        r
    }
    fn modem_erase_start(&mut self) -> Result<ErasePoll, i32> {
        if self.dead() {
            return Ok(ErasePoll::Done);
        }
        self.polls = 0;
        let r = match self.faults.modem_erase {
            ModemErase::Done => Ok(ErasePoll::Done),
            ModemErase::StartErr(e) => Err(negative(e)),
            ModemErase::Pending(_) | ModemErase::PollErr(..) => Ok(ErasePoll::Pending),
        };
        self.push(Ev::ModemEraseStart(r));
        if r == Ok(ErasePoll::Done) {
            self.world.modem_scheduled = false;
        }
        r
    }
    fn modem_erase_poll(&mut self) -> Result<ErasePoll, i32> {
        if self.dead() {
            return Ok(ErasePoll::Done);
        }
        self.polls = self.polls.saturating_add(1);
        let r = match self.faults.modem_erase {
            ModemErase::Pending(n) if self.polls > u32::from(n) => Ok(ErasePoll::Done),
            ModemErase::PollErr(n, e) if self.polls > u32::from(n) => Err(negative(e)),
            _ => Ok(ErasePoll::Pending),
        };
        self.push(Ev::ModemErasePoll(r));
        if r == Ok(ErasePoll::Done) {
            self.world.modem_scheduled = false;
        }
        r
    }
    fn sleep_ms(&mut self, ms: u32) {
        if self.dead() {
            return;
        }
        self.push(Ev::Sleep(ms));
    }
    fn save_record(&mut self, record: &[u8; RECORD_LEN]) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let r = self.faults.save.get();
        self.push(Ev::Save(*record, r));
        if r.is_ok() {
            self.world.stored = Some(record.to_vec());
        }
        r
    }
    fn clear_record(&mut self) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let r = self.faults.clear.get();
        self.push(Ev::Clear(r));
        if r.is_ok() {
            self.world.stored = None;
        }
        r
    }
    fn confirm_image(&mut self) -> Result<(), i32> {
        if self.dead() {
            return Ok(());
        }
        let r = self.faults.confirm.get();
        self.push(Ev::Confirm(r));
        if r.is_ok() {
            self.world.in_test = false;
        }
        r
    }
    fn read_image(&mut self, slot: Slot, offset: u32, buf: &mut [u8]) -> Result<(), i32> {
        if self.dead() {
            return Err(mcuboot::EIO);
        }
        let r = match slot {
            Slot::Primary if self.world.primary_unreadable => Err(mcuboot::EIO),
            Slot::Primary => copy(&self.world.primary, offset, buf),
            Slot::Secondary => {
                let n = self.reads;
                self.reads += 1;
                match self.faults.read {
                    ReadFault::Nth(k, e) if u32::from(k % 8) == n => Err(negative(e)),
                    _ => copy(&self.world.secondary, offset, buf),
                }
            }
        };
        self.push(Ev::Read(slot, offset, buf.len(), r));
        r
    }
    fn image_hash_matches(&mut self, len: u32, sha256: &[u8; 32]) -> Result<bool, i32> {
        if self.dead() {
            return Ok(false);
        }
        let r = match self.faults.hash.get() {
            Err(e) => Err(e),
            Ok(()) => match self.world.secondary.get(..len as usize) {
                None => Err(mcuboot::EINVAL),
                Some(region) => Ok(Sha256::digest(region).as_slice() == sha256),
            },
        };
        self.push(Ev::Hash(len, *sha256, r));
        r
    }
    fn log(&mut self, event: Log, value: i32) {
        if self.dead() {
            return;
        }
        self.push(Ev::Log(event, value));
    }
}

fn copy(slot: &[u8], offset: u32, buf: &mut [u8]) -> Result<(), i32> {
    let start = offset as usize;
    let src = start
        .checked_add(buf.len())
        .and_then(|end| slot.get(start..end))
        .ok_or(mcuboot::EINVAL)?;
    buf.copy_from_slice(src);
    Ok(())
}

/// The fake UART.
pub struct FakeOut<'t> {
    trace: &'t RefCell<Vec<Ev>>,
    cut: Option<usize>,
}

impl Out for FakeOut<'_> {
    fn write(&mut self, bytes: &[u8]) {
        let mut t = self.trace.borrow_mut();
        if self.cut.is_none_or(|n| t.len() < n) {
            t.push(Ev::Out(bytes.to_vec()));
        }
    }
}

// ------------------------------------------------------------------------------------------
// The wire

/// A classified UART write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// `\r\nOK\r\n`.
    Ok,
    /// `\r\nERROR\r\n`.
    Error,
    /// `Ready\r\n`.
    Ready,
    /// The test command's response.
    Test,
    /// `\r\n#XFOTA: <stage>,<status>[,<info>]\r\n` with an allowed combination.
    Urc(u8, u8, Option<i32>),
    /// `\r\n#XMODEM: FAULT,0x<hex>,0x<hex>\r\n`.
    ModemFault(u32, u32),
    /// `\r\n#XMODEM: SHUTDOWN,<int>\r\n`.
    ModemShutdown(i32),
    /// `\r\n#XMODEM: INIT,<int>\r\n`.
    ModemInit(i32),
}

/// A signed decimal exactly as the core must print it: no `+`, no leading zeros, no `-0`.
fn decimal(s: &[u8]) -> Option<i32> {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits.len() == 1 || digits.first() != Some(&b'0'))
        && !(s.first() == Some(&b'-') && digits == b"0");
    if !canonical {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// `0x` and lower-case hex without leading zeros, as Serial Modem prints `%x`.
fn hex(s: &[u8]) -> Option<u32> {
    let digits = s.strip_prefix(b"0x")?;
    let canonical = !digits.is_empty()
        && digits.len() <= 8
        && digits
            .iter()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && (digits.len() == 1 || digits.first() != Some(&b'0'));
    if !canonical {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// Classifies one UART write per DESIGN.md §2 (and the `<fota_info>` rule, item 12) and the
/// `#XMODEM` lines of Nordic's Serial Modem; `None` if it is not exactly one allowed line.
pub fn classify(w: &[u8]) -> Option<Wire> {
    match w {
        b"\r\nOK\r\n" => return Some(Wire::Ok),
        b"\r\nERROR\r\n" => return Some(Wire::Error),
        b"Ready\r\n" => return Some(Wire::Ready),
        b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n" => return Some(Wire::Test),
        _ => {}
    }
    let line = w.strip_prefix(b"\r\n")?.strip_suffix(b"\r\n")?;
    if let Some(m) = line.strip_prefix(b"#XMODEM: ") {
        let mut parts = m.split(|&b| b == b',');
        let what = parts.next()?;
        let a = parts.next()?;
        let b = parts.next();
        if parts.next().is_some() {
            return None;
        }
        return match (what, b) {
            (b"FAULT", Some(b)) => Some(Wire::ModemFault(hex(a)?, hex(b)?)),
            (b"SHUTDOWN", None) => Some(Wire::ModemShutdown(decimal(a)?)),
            (b"INIT", None) => Some(Wire::ModemInit(decimal(a)?)),
            _ => None,
        };
    }
    let body = line.strip_prefix(b"#XFOTA: ")?;
    let mut parts = body.split(|&b| b == b',');
    let stage = match parts.next()? {
        [d @ b'0'..=b'9'] => d - b'0',
        _ => return None,
    };
    let status = match parts.next()? {
        [d @ b'0'..=b'9'] => d - b'0',
        _ => return None,
    };
    let info = match parts.next() {
        None => None,
        Some(i) => Some(decimal(i)?),
    };
    if parts.next().is_some() {
        return None;
    }
    let allowed = match (stage, status, info) {
        (1, 0, Some(p)) => (0..=100).contains(&p),
        (1, 2, Some(0)) => true,
        (1..=5, 1, Some(_)) => true,
        (2..=5, 0, None) => true,
        (5, 3, None) => true,
        _ => false,
    };
    allowed.then_some(Wire::Urc(stage, status, info))
}

/// `\r\n#XFOTA: <stage>,<status>[,<info>]\r\n`, written by the model.
pub fn urc(stage: u8, status: u8, info: Option<i32>) -> Vec<u8> {
    match info {
        Some(i) => format!("\r\n#XFOTA: {stage},{status},{i}\r\n").into_bytes(),
        None => format!("\r\n#XFOTA: {stage},{status}\r\n").into_bytes(),
    }
}

const OK: &[u8] = b"\r\nOK\r\n";
const ERROR: &[u8] = b"\r\nERROR\r\n";
const READY: &[u8] = b"Ready\r\n";
const TEST: &[u8] = b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n";

// ------------------------------------------------------------------------------------------
// The record format, modelled from its specification (record.rs's module docs, DESIGN §2.11)

/// An independent codec of the persisted record (version 2: 28 bytes with the identity;
/// version 1: 12 bytes, still read).
pub mod rec {
    use super::*;

    /// CRC-16/CCITT-FALSE, bit by bit (poly 0x1021, init 0xffff, no reflection, no xor-out).
    pub fn crc16(data: &[u8]) -> u16 {
        let mut crc: u32 = 0xffff;
        for &b in data {
            for i in (0..8).rev() {
                let top = (crc >> 15) & 1;
                let bit = u32::from(b >> i) & 1;
                crc = (crc << 1) & 0xffff;
                if top ^ bit == 1 {
                    crc ^= 0x1021;
                }
            }
        }
        crc as u16
    }

    /// A decoded record.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MRec {
        /// Image.
        pub image: ImageType,
        /// `None`: waiting (stage 4); else the stored result (stage 5).
        pub result: Option<Outcome>,
        /// The identity of a waiting application image.
        pub id: Option<[u8; ID_LEN]>,
    }

    fn fields(image: ImageType, result: Option<Outcome>) -> (u8, u8, u8, i32) {
        let (stage, status, info) = match result {
            None => (4, 0, 0),
            Some(Outcome::Ok) => (5, 0, 0),
            Some(Outcome::Error(c)) => (5, 1, c),
            Some(Outcome::Reverted) => (5, 3, 0),
        };
        (image as u8, stage, status, info)
    }

    /// Version 2 bytes of raw fields.
    pub fn raw_v2(image: u8, stage: u8, status: u8, info: i32, id: [u8; ID_LEN]) -> Vec<u8> {
        let mut b = vec![b'X', b'F', 2, image, stage, status];
        b.extend_from_slice(&info.to_le_bytes());
        b.extend_from_slice(&id);
        let crc = crc16(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Version 1 bytes of raw fields.
    pub fn raw_v1(image: u8, stage: u8, status: u8, info: i32) -> Vec<u8> {
        let mut b = vec![b'X', b'F', 1, image, stage, status];
        b.extend_from_slice(&info.to_le_bytes());
        let crc = crc16(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }

    /// Version 2 bytes of a record.
    pub fn encode(r: &MRec) -> Vec<u8> {
        let (image, stage, status, info) = fields(r.image, r.result);
        raw_v2(image, stage, status, info, r.id.unwrap_or([0; ID_LEN]))
    }

    /// Version 1 bytes of a record (no identity).
    pub fn encode_v1(image: ImageType, result: Option<Outcome>) -> Vec<u8> {
        let (image, stage, status, info) = fields(image, result);
        raw_v1(image, stage, status, info)
    }

    /// Decodes stored bytes; `None`: corrupt (never acted on).
    pub fn decode(b: &[u8]) -> Option<MRec> {
        let version = match b.len() {
            28 => 2,
            12 => 1,
            _ => return None,
        };
        let (body, crc) = b.split_at(b.len() - 2);
        if body[..2] != *b"XF" || body[2] != version {
            return None;
        }
        if crc16(body).to_le_bytes() != [crc[0], crc[1]] {
            return None;
        }
        let image = match body[3] {
            1 => ImageType::App,
            2 => ImageType::Modem,
            _ => return None,
        };
        let info = i32::from_le_bytes([body[6], body[7], body[8], body[9]]);
        let result = match (body[4], body[5], info) {
            (4, 0, 0) => None,
            (5, 0, 0) => Some(Outcome::Ok),
            (5, 1, c) => Some(Outcome::Error(c)),
            (5, 3, 0) if image == ImageType::App => Some(Outcome::Reverted),
            _ => return None,
        };
        let mut id = [0u8; ID_LEN];
        if version == 2 {
            id.copy_from_slice(&body[10..26]);
        }
        let id = (id != [0; ID_LEN]).then_some(id);
        if id.is_some() && (image != ImageType::App || result.is_some()) {
            return None;
        }
        Some(MRec { image, result, id })
    }
}

// ------------------------------------------------------------------------------------------
// Generators (inputs of the property tests and the fuzzer)

/// What stored bytes a power cycle finds.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredGen {
    /// Whatever the previous steps left.
    Keep,
    /// Nothing.
    Empty,
    /// A valid waiting record (modem if true) with this identity.
    Waiting(bool, IdGen),
    /// A valid version-1 waiting record (modem if true).
    V1(bool),
    /// A valid record with one bit flipped (bit index modulo 224).
    Flipped(bool, u8),
    /// A stored boot result (modem if true; 0 ok, 1 error with the code, else reverted).
    Result(bool, u8, i32),
    /// Any bytes.
    Raw(Vec<u8>),
}

/// The identity in a generated waiting record.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdGen {
    /// None (all zeros).
    None,
    /// The identity of the image the server serves.
    Served,
    /// The identity of the image in the primary slot.
    Primary,
    /// Any 16 bytes.
    Raw([u8; ID_LEN]),
}

/// The boot's MCUboot swap type.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwapGen {
    /// One of -5..=5 (the interesting ones), by index.
    Known(u8),
    /// Any value.
    Raw(i32),
}

impl SwapGen {
    /// MCUboot's integer.
    pub fn raw(self) -> i32 {
        match self {
            SwapGen::Known(k) => i32::from(k % 11) - 5,
            SwapGen::Raw(r) => r,
        }
    }
}

/// The boot's modem DFU result.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModemGen {
    /// No result delivered.
    None,
    /// `NRF_MODEM_DFU_RESULT_OK`.
    Ok,
    /// Voltage low.
    VoltageLow,
    /// 0x4400001..0x4400004 by index.
    Known(u8),
    /// Any value.
    Raw(i32),
}

impl ModemGen {
    /// The modem result.
    pub fn get(self) -> Option<i32> {
        match self {
            ModemGen::None => None,
            ModemGen::Ok => Some(MODEM_DFU_OK),
            ModemGen::VoltageLow => Some(MODEM_DFU_VOLTAGE_LOW),
            ModemGen::Known(k) => Some(0x440_0001 + i32::from(k % 4)),
            ModemGen::Raw(r) => Some(r),
        }
    }
}

/// What the primary slot holds at a forced boot.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrimaryGen {
    /// What it held.
    Keep,
    /// The image the server serves (the downloaded one, as if MCUboot had swapped it in).
    Served,
    /// The factory image.
    Factory,
    /// Unreadable (-EIO).
    Unreadable,
    /// Erased.
    Erased,
}

/// A boot.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootGen {
    /// MCUboot and the modem do what they would (swap a requested image, revert an unconfirmed
    /// one, apply a scheduled modem update with this result); `nrf_modem_lib_init` answers `init`.
    Model(ModemGen, Res),
    /// Anything: this swap type, modem result, primary slot and init result.
    Forced(SwapGen, ModemGen, PrimaryGen, Res),
}

/// Which session a download event is tagged with.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionSel {
    /// The most recently started one.
    Current,
    /// The one before it (a stale event).
    Previous,
    /// The most recently cancelled one (its echo, or a later event of it).
    Cancelled,
    /// Any number.
    Raw(u16),
}

/// A download event.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventGen {
    /// Progress with any value.
    Progress(i32),
    /// Progress 0..=100 (`% 101`).
    Percent(u8),
    /// Erase pending.
    ErasePending,
    /// Erased.
    Erased,
    /// Finished.
    Finished,
    /// Error with any cause.
    Error(i32),
    /// Error with cause 0..=8 (`% 9`).
    ErrorKnown(u8),
    /// Cancelled.
    Cancelled,
}

impl EventGen {
    /// The core's event.
    pub fn get(self) -> DownloadEvent {
        match self {
            EventGen::Progress(p) => DownloadEvent::Progress(p),
            EventGen::Percent(p) => DownloadEvent::Progress(i32::from(p % 101)),
            EventGen::ErasePending => DownloadEvent::ErasePending,
            EventGen::Erased => DownloadEvent::Erased,
            EventGen::Finished => DownloadEvent::Finished,
            EventGen::Error(c) => DownloadEvent::Error(c),
            EventGen::ErrorKnown(c) => DownloadEvent::Error(i32::from(c % 9)),
            EventGen::Cancelled => DownloadEvent::Cancelled,
        }
    }
}

/// A terminal download event, or none.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TerminalGen {
    /// No event.
    None,
    /// CANCELLED.
    Cancelled,
    /// ERROR with cause `% 9` (fota_download reports a stop as ERROR when one was pending).
    Error(u8),
    /// FINISHED (the download completed while the cancel was on its way).
    Finished,
}

impl TerminalGen {
    /// The event.
    pub fn get(self) -> Option<DownloadEvent> {
        match self {
            TerminalGen::None => None,
            TerminalGen::Cancelled => Some(DownloadEvent::Cancelled),
            TerminalGen::Error(c) => Some(DownloadEvent::Error(i32::from(c % 9))),
            TerminalGen::Finished => Some(DownloadEvent::Finished),
        }
    }
}

/// The orderings of issue 10.5 around a cancel: a download runs (one is started if none runs),
/// op 0 cancels it, and then, in the order `order % 3` picks, the cancelled session's echo
/// (`echo`, possibly none), a new start (`restart`) and the new session's own terminal event
/// (`newer`); finally a second terminal event of the cancelled session (`second`).
/// Orders: 0 echo, restart, newer; 1 restart, echo, newer; 2 restart, newer, echo.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelRace {
    /// Op 2 for the started sessions.
    pub modem: bool,
    /// The echo.
    pub echo: TerminalGen,
    /// Start a new session after the cancel.
    pub restart: bool,
    /// The order.
    pub order: u8,
    /// The new session's terminal event.
    pub newer: TerminalGen,
    /// A later terminal event of the cancelled session.
    pub second: TerminalGen,
}

/// An AT line.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineGen {
    /// One of [`CANNED`] by index.
    Canned(u8),
    /// A canned line with one byte replaced.
    Mutated(u8, u16, u8),
    /// A canned line with spaces inserted: bit `i` of the mask puts one space before the
    /// `i`-th parameter separator (`=` or `,`, outside quotes) — or after it when bit `i + 4`
    /// is set too; bit 8 appends a trailing space, bit 9 doubles every inserted space.
    Spaced(u8, u16),
    /// A start line around a fuzzed URL, sec_tag and APN.
    Start {
        /// Op 2 if true.
        modem: bool,
        /// URL bytes (between the quotes).
        url: Vec<u8>,
        /// `<sec_tag>` field text, if any.
        sec_tag: Option<Vec<u8>>,
        /// `<apn>` bytes (between the quotes), if any.
        apn: Option<Vec<u8>>,
    },
    /// Any bytes after `AT#XFOTA=`.
    Params(Vec<u8>),
    /// Any bytes.
    Raw(Vec<u8>),
}

fn canned(i: u8) -> Vec<u8> {
    CANNED
        .get(usize::from(i) % CANNED.len())
        .copied()
        .unwrap_or(b"")
        .to_vec()
}

/// Inserts spaces around the parameter separators of `line` (see [`LineGen::Spaced`]).
pub fn respace(line: &[u8], mask: u16) -> Vec<u8> {
    let space: &[u8] = if mask & 0x200 != 0 { b"  " } else { b" " };
    let mut out = Vec::new();
    let mut quoted = false;
    let mut sep = 0;
    for &b in line {
        let is_sep = !quoted && (b == b'=' || b == b',');
        if b == b'"' {
            quoted = !quoted;
        }
        if is_sep && sep < 4 && mask & (1 << sep) != 0 && mask & (1 << (sep + 4)) == 0 {
            out.extend_from_slice(space);
        }
        out.push(b);
        if is_sep && sep < 4 && mask & (1 << sep) != 0 && mask & (1 << (sep + 4)) != 0 {
            out.extend_from_slice(space);
        }
        if is_sep {
            sep += 1;
        }
    }
    if mask & 0x100 != 0 {
        out.extend_from_slice(space);
    }
    out
}

impl LineGen {
    /// The line's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            LineGen::Canned(i) => canned(*i),
            LineGen::Mutated(i, pos, b) => {
                let mut l = canned(*i);
                let n = l.len();
                if let Some(slot) = l.get_mut(usize::from(*pos) % n.max(1)) {
                    *slot = *b;
                }
                l
            }
            LineGen::Spaced(i, mask) => respace(&canned(*i), *mask),
            LineGen::Start {
                modem,
                url,
                sec_tag,
                apn,
            } => {
                let mut l = Vec::from(if *modem {
                    &b"AT#XFOTA=2,\""[..]
                } else {
                    &b"AT#XFOTA=1,\""[..]
                });
                l.extend_from_slice(url);
                l.push(b'"');
                if sec_tag.is_some() || apn.is_some() {
                    l.push(b',');
                    l.extend_from_slice(sec_tag.as_deref().unwrap_or(b""));
                }
                if let Some(apn) = apn {
                    l.extend_from_slice(b",\"");
                    l.extend_from_slice(apn);
                    l.push(b'"');
                }
                l
            }
            LineGen::Params(p) => {
                let mut l = b"AT#XFOTA=".to_vec();
                l.extend_from_slice(p);
                l
            }
            LineGen::Raw(r) => r.clone(),
        }
    }
}

/// A change to a well-formed image.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mutation {
    /// None.
    None,
    /// XOR the byte at this position (modulo the length) with a non-zero value.
    Flip(u16, u8),
    /// Cut the image to this length (modulo the length).
    Truncate(u16),
    /// A SHA-256 TLV with a wrong value.
    WrongSha(u8),
    /// No SHA-256 TLV.
    NoSha,
    /// A second SHA-256 TLV after the first (the right value if true).
    SecondSha(bool),
    /// A SHA-256 TLV of the wrong length.
    ShortSha(u8),
    /// `ih_flags`.
    Flags(u32),
    /// The protected TLV info's total size says this (the header keeps the real one).
    ProtTot(u16),
    /// Erased flash.
    Erased,
    /// Any bytes.
    Raw(Vec<u8>),
}

/// An application image a server may serve.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageGen {
    /// Filler seed.
    pub seed: u8,
    /// Body length (`% 64`).
    pub body: u8,
    /// Header padding: `ih_hdr_size` is 32 + 16 × (`% 4`).
    pub hdr_pad: u8,
    /// Number of protected TLVs (`% 3`).
    pub protected: u8,
    /// Number of unprotected TLVs before the SHA-256 TLV (`% 3`); bit 7 makes the first one a
    /// type outside MCUboot's allow list.
    pub before: u8,
    /// Number of unprotected TLVs after it (`% 3`).
    pub after: u8,
    /// What goes wrong.
    pub mutation: Mutation,
}

const ALLOWED_TLVS: [u16; 6] = [0x01, 0x02, 0x11, 0x20, 0x22, 0x24];

/// `n % 3` TLVs of the given types, 1..=40 bytes each (MCUboot counts a zero-length TLV at the
/// end of the protected area as unprotected: `bootutil_tlv_iter_is_prot` compares the data
/// offset).
fn tlvs(n: u8, seed: u8, types: &[u16]) -> Vec<(u16, Vec<u8>)> {
    (0..n % 3)
        .map(|i| {
            let s = seed.wrapping_add(i.wrapping_mul(31));
            let ty = types[usize::from(s) % types.len()];
            (ty, mcuboot::filler(1 + usize::from(s % 40), s))
        })
        .collect()
}

impl ImageGen {
    /// The image bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut spec = ImageSpec::simple(
            32 + 16 * u16::from(self.hdr_pad % 4),
            mcuboot::filler(usize::from(self.body % 64), self.seed),
            u32::from(self.seed),
        );
        spec.protected = tlvs(self.protected, self.seed ^ 0x5a, &[0x50, 0x60, 0x40]);
        spec.before = tlvs(self.before, self.seed ^ 0x33, &ALLOWED_TLVS);
        if self.before & 0x80 != 0 {
            spec.before.insert(0, (0x50, vec![1, 0, 0, 0]));
        }
        spec.after = tlvs(self.after, self.seed ^ 0x77, &ALLOWED_TLVS);
        match &self.mutation {
            Mutation::WrongSha(b) => spec.sha = Some(Some(vec![*b; 32])),
            Mutation::NoSha => spec.sha = None,
            Mutation::ShortSha(n) => spec.sha = Some(Some(vec![0; usize::from(n % 40)])),
            Mutation::SecondSha(right) => {
                let first = spec.build();
                let v = mcuboot::validate(&mcuboot::slot_with(&first));
                let h = match (right, v.accepted) {
                    (true, Some(h)) => h.to_vec(),
                    _ => vec![0xee; 32],
                };
                spec.after.push((mcuboot::TLV_SHA256, h));
            }
            Mutation::Flags(f) => spec.flags = *f,
            Mutation::ProtTot(t) => {
                if spec.protected.is_empty() {
                    spec.protected = tlvs(1, self.seed, &[0x50]);
                }
                spec.prot_tot = Some(*t);
            }
            _ => {}
        }
        let mut img = spec.build();
        match &self.mutation {
            Mutation::Flip(pos, x) => {
                let n = img.len();
                img[usize::from(*pos) % n] ^= (*x).max(1);
            }
            Mutation::Truncate(len) => {
                let n = img.len();
                img.truncate(usize::from(*len) % n);
            }
            Mutation::Erased => img.clear(),
            Mutation::Raw(r) => img = r.clone(),
            _ => {}
        }
        img
    }
}

/// A step a power cut interrupts.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CutStep {
    /// An AT line.
    Line(LineGen),
    /// A download event.
    Event(SessionSel, EventGen),
    /// A boot (power cycle with the storage kept).
    Boot(BootGen),
}

/// One input of a sequence.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// An AT line.
    Line(LineGen),
    /// A download event.
    Event(SessionSel, EventGen),
    /// A cancel and the events around it.
    CancelRace(CancelRace),
    /// From now on the server serves this application image.
    Serve(ImageGen),
    /// Power cycle: a fresh core, then the boot report.
    PowerCycle(StoredGen, BootGen),
    /// A power cut inside a step, after `n % 24` of its effects and writes, then a power cycle.
    PowerCut(CutStep, u8, BootGen),
    /// The boot report again on the same core (must do nothing).
    BootAgain(SwapGen, ModemGen),
    /// A modem fault (reason, PC).
    ModemFault(u32, u32),
    /// The modem library re-initialised (shutdown result, init result).
    ModemReinit(Res, Res),
    /// New port behaviour from now on.
    Faults(Faults),
}

/// A core configuration that stays cheap to run (at most 64 erase polls).
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConfigGen {
    /// Timeout in ms.
    pub timeout: u16,
    /// Poll interval in ms.
    pub poll: u16,
}

impl ConfigGen {
    /// The configuration.
    pub fn get(self) -> Config {
        let poll = u32::from(self.poll).max(1);
        let timeout = u32::from(self.timeout).min(poll.saturating_mul(64));
        Config {
            modem_erase_timeout_ms: timeout,
            modem_erase_poll_ms: poll,
        }
    }
}

/// A whole fuzz/property scenario.
#[cfg_attr(not(test), derive(arbitrary::Arbitrary))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// `None`: [`DEFAULT_CONFIG`].
    pub config: Option<ConfigGen>,
    /// Initial port behaviour.
    pub faults: Faults,
    /// Boot first (as the shell does) or start unbooted (as the conformance runner does).
    pub boot_first: bool,
    /// The inputs.
    pub actions: Vec<Action>,
}

// ------------------------------------------------------------------------------------------
// Coverage of the situations the issue's rules are about

macro_rules! coverage {
    ($($name:ident: $doc:literal,)*) => {
        /// How often each situation was checked (guards the generators against testing nothing).
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct Coverage {
            $(#[doc = $doc] pub $name: u32,)*
        }

        impl Coverage {
            /// Adds another run's counts.
            pub fn add(&mut self, o: &Coverage) {
                $(self.$name += o.$name;)*
            }

            /// The situations never reached.
            pub fn missing(&self) -> Vec<&'static str> {
                let mut v = Vec::new();
                $(if self.$name == 0 { v.push(stringify!($name)); })*
                v
            }
        }
    };
}

coverage! {
    echo_cancelled: "a CANCELLED echo swallowed",
    echo_error: "an ERROR echo swallowed",
    echo_finished: "a FINISHED echo swallowed",
    echo_after_new_start: "an echo swallowed while a newer session runs",
    echo_never: "a cancelled session whose echo never came (power cycle)",
    second_terminal: "a terminal event of a cancelled session after its echo: stale",
    newer_session_kept: "a terminal event of the running session while an older echo is due",
    unasked_cancel: "a CANCELLED the core did not ask for: 1,2,0",
    app_downloaded: "an application image verified, saved, scheduled: 4,0",
    modem_downloaded: "a modem image saved, scheduled: 4,0",
    verify_rejected: "an application image MCUboot refuses: 1,1,2",
    verify_fault: "a read or hash error while verifying: 1,1,2",
    save_failed: "saving the record failed: 1,1,1",
    schedule_failed: "scheduling failed after the save: record cleared, 1,1,1",
    boot_confirmed: "the recorded image runs in test mode: confirmed, 5,0",
    boot_confirm_failed: "confirming failed: 5,1,<errno>",
    boot_same_no_confirm: "the recorded image runs, already confirmed: 5,0, no confirm",
    boot_foreign_revert: "another image in test mode: 5,3, never confirmed",
    boot_reverted: "the recorded image does not run: 5,3",
    boot_identity_unknown: "the running image unreadable: swap type decides",
    boot_v1_record: "a version-1 record",
    boot_modem_ok: "modem DFU OK: 5,0",
    boot_modem_no_result: "modem record, working modem, no DFU result: 5,1,-2",
    boot_modem_voltage_low: "modem voltage low: 4,1,<code>, kept",
    boot_modem_down_keeps: "modem record, modem down: kept waiting",
    boot_stored_result: "a stored result repeated",
    boot_corrupt: "a corrupt record dropped",
    boot_late: "a boot report after work started",
    modem_down_refused: "op 1/2/9 refused while the modem is down",
    modem_fault: "a modem fault line",
    model_swap: "the MCUboot model swapped a scheduled image in",
    power_cut: "a power cut inside a step",
    model_revert: "the MCUboot model reverted an unconfirmed image",
    divergence: "an image refused for one of MCUboot's finer rules (flags, every SHA-256 TLV, allow list, TLV end)",
}

// ------------------------------------------------------------------------------------------
// The harness

/// The model's view of a running download (what the downloader believes).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Running {
    session: u16,
    image: ImageType,
    host: Vec<u8>,
    file: Vec<u8>,
    stage: Stage,
    percent: Option<u8>,
}

/// The model's phase.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Idle,
    Downloading(Running),
    Downloaded(ImageType),
}

/// The harness: the core under test, the world and the model of the process.
pub struct Harness {
    /// The core.
    pub fota: Fota,
    config: Config,
    /// Current port behaviour.
    pub faults: Faults,
    /// Flash, storage, MCUboot, modem.
    pub world: World,
    phase: Phase,
    booted: bool,
    modem_up: bool,
    /// Cancelled sessions whose echo is still due, oldest first.
    echoes: Vec<u16>,
    /// Cancelled sessions whose echo came.
    echoed: Vec<u16>,
    /// Sessions started in this process.
    sessions: Vec<u16>,
    last_started: u16,
    prev_started: u16,
    last_cancelled: u16,
    /// Result URCs since the last waiting record was saved, and failed clears after them.
    results: u32,
    failed_clears: u32,
    /// Storage or the boot report was forced since the last waiting record: cross-boot checks
    /// are off.
    forged: bool,
    /// Every UART byte of the run (for leak checks).
    pub uart: Vec<u8>,
    /// The trace of the last step.
    pub last_trace: Vec<Ev>,
    /// Steps executed.
    pub steps: usize,
    /// Situations reached.
    pub seen: Coverage,
    /// A power cut armed for the next step.
    cut: Option<usize>,
}

type Check = Result<(), String>;

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

/// A cursor over a step's trace without the flash reads (how the core walks an image is its
/// business; what it concludes is checked).
struct Cur<'a> {
    t: Vec<&'a Ev>,
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(trace: &'a [Ev]) -> Self {
        Self {
            t: trace
                .iter()
                .filter(|e| !matches!(e, Ev::Read(..)))
                .collect(),
            i: 0,
        }
    }

    fn peek(&self) -> Option<&'a Ev> {
        self.t.get(self.i).copied()
    }

    fn next(&mut self, want: &str) -> Result<&'a Ev, String> {
        let e = self
            .t
            .get(self.i)
            .copied()
            .ok_or_else(|| format!("trace ended, wanted {want}"))?;
        self.i += 1;
        Ok(e)
    }

    fn ev(&mut self, want: Ev) -> Check {
        let got = self.next(&format!("{want:?}"))?;
        ensure(*got == want, || format!("wanted {want:?}, got {got:?}"))
    }

    fn out(&mut self, bytes: &[u8]) -> Check {
        self.ev(Ev::Out(bytes.to_vec()))
    }

    fn log(&mut self, code: Log, value: i32) -> Check {
        self.ev(Ev::Log(code, value))
    }

    /// A log line of this code, any value.
    fn log_any(&mut self, code: Log) -> Result<i32, String> {
        match self.next(&format!("log {code:?}"))? {
            Ev::Log(c, v) if *c == code => Ok(*v),
            other => Err(format!("wanted log {code:?}, got {other:?}")),
        }
    }

    /// A call whose answer is logged with `code` when it fails.
    fn logged(&mut self, r: Result<(), i32>, code: Log) -> Check {
        match r {
            Ok(()) => Ok(()),
            Err(e) => self.log(code, e),
        }
    }

    /// The session ends without an image: DFU target reset (failure logged), link released.
    fn discard(&mut self, image: ImageType) -> Check {
        let r = match self.next("reset")? {
            Ev::Reset(i, r) if *i == image => *r,
            other => return Err(format!("wanted reset {image:?}, got {other:?}")),
        };
        self.logged(r, Log::ResetFailed)?;
        self.ev(Ev::End)
    }

    /// `clear_record` (failure logged); whether it worked.
    fn clear(&mut self) -> Result<bool, String> {
        let r = match self.next("clear")? {
            Ev::Clear(r) => *r,
            other => return Err(format!("wanted clear, got {other:?}")),
        };
        self.logged(r, Log::ClearFailed)?;
        Ok(r.is_ok())
    }

    fn done(&self) -> Check {
        ensure(self.i == self.t.len(), || {
            format!("unexpected trace tail {:?}", &self.t[self.i..])
        })
    }
}

fn image_of(modem: bool) -> ImageType {
    if modem {
        ImageType::Modem
    } else {
        ImageType::App
    }
}

/// The identity (first 16 bytes of the SHA-256 TLV) of an image, if it has one.
pub fn identity(image: &[u8]) -> Option<[u8; ID_LEN]> {
    id_of(&mcuboot::validate(&mcuboot::slot_with(image)))
}

/// The identity in a verdict: the first 16 bytes of its first SHA-256 TLV.
fn id_of(v: &mcuboot::Verdict) -> Option<[u8; ID_LEN]> {
    v.first_sha.map(|h| {
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&h[..ID_LEN]);
        id
    })
}

impl Harness {
    /// A fresh, unbooted core with this configuration and port behaviour.
    pub fn new(config: Config, faults: Faults) -> Option<Self> {
        Some(Self {
            fota: Fota::new(config)?,
            config,
            faults,
            world: World::default(),
            phase: Phase::Idle,
            booted: false,
            modem_up: true,
            echoes: Vec::new(),
            echoed: Vec::new(),
            sessions: Vec::new(),
            last_started: 0,
            prev_started: 0,
            last_cancelled: 0,
            results: 0,
            failed_clears: 0,
            forged: false,
            uart: Vec::new(),
            last_trace: Vec::new(),
            steps: 0,
            seen: Coverage::default(),
            cut: None,
        })
    }

    /// Default configuration, every effect succeeds.
    pub fn ok() -> Self {
        match Self::new(DEFAULT_CONFIG, Faults::default()) {
            Some(h) => h,
            None => unreachable!("the default configuration is valid"),
        }
    }

    /// A booted core (no record, swap NONE, modem up), every effect succeeds.
    pub fn booted() -> Result<Self, String> {
        let mut h = Self::ok();
        h.boot(None, report(SwapType::None, None, 0))?;
        Ok(h)
    }

    /// The most recently started session (0 if none).
    pub fn last_started(&self) -> u16 {
        self.last_started
    }

    /// The most recently cancelled session (0 if none).
    pub fn last_cancelled(&self) -> u16 {
        self.last_cancelled
    }

    fn run<R>(
        &mut self,
        f: impl FnOnce(&mut Fota, &mut FakePort<'_, '_>, &mut FakeOut<'_>) -> R,
    ) -> R {
        let trace = RefCell::new(Vec::new());
        let cut = self.cut.take();
        let mut port = FakePort {
            trace: &trace,
            cut,
            faults: self.faults,
            world: &mut self.world,
            polls: 0,
            reads: 0,
        };
        let mut out = FakeOut { trace: &trace, cut };
        let r = f(&mut self.fota, &mut port, &mut out);
        self.last_trace = trace.into_inner();
        self.steps += 1;
        for e in &self.last_trace {
            if let Ev::Out(w) = e {
                self.uart.extend_from_slice(w);
            }
        }
        r
    }

    fn state_view(&self) -> StateView {
        match &self.phase {
            Phase::Idle => StateView::Idle,
            Phase::Downloading(r) => StateView::Downloading {
                image: r.image,
                stage: r.stage,
                percent: r.percent,
                session: r.session,
            },
            Phase::Downloaded(image) => StateView::Downloaded { image: *image },
        }
    }

    /// Checks that hold after every step, whatever it was.
    fn check_common(&mut self) -> Check {
        for ev in &self.last_trace {
            match ev {
                Ev::Out(w) => {
                    ensure(classify(w).is_some(), || {
                        format!("malformed write {:?}", w.escape_ascii().to_string())
                    })?;
                    // No URL or APN text can be in an allowed write, but say it plainly.
                    ensure(
                        !w.contains(&b'"') && !w.windows(3).any(|x| x == b"://"),
                        || "URL/APN text in output".into(),
                    )?;
                }
                Ev::Save(bytes, _) => {
                    ensure(rec::decode(bytes).is_some(), || {
                        format!("saved record {bytes:?} does not decode")
                    })?;
                }
                // Nothing is scheduled without its saved record (issue 10.2).
                Ev::Schedule { recorded, .. } => {
                    ensure(*recorded, || "scheduled without a saved record".into())?
                }
                _ => {}
            }
        }
        // The core's state is the model's.
        let want = self.state_view();
        ensure(self.fota.state() == want, || {
            format!("core state {:?}, model {want:?}", self.fota.state())
        })?;
        ensure(
            self.fota.booted() == self.booted && self.fota.modem_ok() == self.modem_up,
            || {
                format!(
                    "core booted {} modem {}, model {} {}",
                    self.fota.booted(),
                    self.fota.modem_ok(),
                    self.booted,
                    self.modem_up
                )
            },
        )?;
        // The host/file the downloader holds still live, unchanged, in the core's state.
        if let Phase::Downloading(r) = &self.phase {
            let target = self.fota.target();
            ensure(
                target.map(|t| t.host_with_nul()) == Some(r.host.as_slice())
                    && target.map(|t| t.file_with_nul()) == Some(r.file.as_slice()),
                || "download target changed or dropped during the session".into(),
            )?;
        }
        // A waiting image always has its record in storage.
        if let Phase::Downloaded(image) = self.phase {
            let r = self.world.stored.as_deref().and_then(rec::decode);
            ensure(
                r.is_some_and(|r| r.image == image && r.result.is_none()),
                || {
                    format!(
                        "stage 4 {image:?} but stored record {:?}",
                        self.world.stored
                    )
                },
            )?;
        }
        Ok(())
    }

    // --------------------------------------------------------------------------------------
    // AT lines

    /// Feeds one AT line and checks the response.
    pub fn line(&mut self, line: &[u8]) -> Result<LineResult, String> {
        let before = self.fota.clone();
        let result = self.run(|f, p, o| f.handle_line(line, p, o));
        let trace = self.last_trace.clone();
        let ctx = |m: String| {
            format!(
                "line {:?}: {m}\ntrace {trace:?}",
                line.escape_ascii().to_string()
            )
        };
        let parsed = at::parse(line);
        let meaning = grammar::meaning(line);
        check_grammar(&parsed, &meaning).map_err(ctx)?;
        let ok = self
            .line_effects(&meaning, &parsed, &trace, &before)
            .map_err(ctx)?;
        let want = match (&meaning, ok) {
            (Meaning::NotMine, _) => LineResult::NotMine,
            (_, true) => LineResult::Ok,
            (_, false) => LineResult::Error,
        };
        ensure(result == want, || {
            format!("returned {result:?}, want {want:?}")
        })
        .map_err(ctx)?;
        self.check_common().map_err(ctx)?;
        Ok(result)
    }

    /// Checks the trace of a line against the model; returns whether the answer was OK.
    fn line_effects(
        &mut self,
        meaning: &Meaning<'_>,
        parsed: &Parsed<'_>,
        trace: &[Ev],
        before: &Fota,
    ) -> Result<bool, String> {
        let mut c = Cur::new(trace);
        let unchanged = |f: &Fota| ensure(f == before, || "core changed".into());
        let ok = match meaning {
            Meaning::NotMine => {
                c.done()?;
                return Ok(false);
            }
            Meaning::Refused { .. } => {
                let Parsed::Invalid(reason) = parsed else {
                    return Err("refused line not Invalid".into());
                };
                c.log(Log::Rejected, *reason as i32)?;
                c.out(ERROR)?;
                unchanged(&self.fota)?;
                false
            }
            Meaning::Test => {
                c.out(TEST)?;
                c.out(OK)?;
                unchanged(&self.fota)?;
                true
            }
            Meaning::Cancel => self.cancel(&mut c, before)?,
            Meaning::EraseApp => self.erase(&mut c, ImageType::App, before)?,
            Meaning::EraseModem => self.erase(&mut c, ImageType::Modem, before)?,
            Meaning::Start(s) => self.start(&mut c, s, before)?,
        };
        c.done()?;
        Ok(ok)
    }

    fn start(
        &mut self,
        c: &mut Cur<'_>,
        s: &grammar::StartCmd<'_>,
        before: &Fota,
    ) -> Result<bool, String> {
        if self.phase != Phase::Idle {
            c.out(ERROR)?;
            return ensure(self.fota == *before, || {
                "busy start changed the core".into()
            })
            .map(|()| false);
        }
        if !self.modem_up {
            self.seen.modem_down_refused += 1;
            c.log(Log::ModemDown, 0)?;
            c.out(ERROR)?;
            return ensure(self.fota == *before, || {
                "refused start changed the core".into()
            })
            .map(|()| false);
        }
        let (session, result) = match c.next("start_download")? {
            Ev::Start {
                image,
                session,
                host,
                file,
                sec_tag,
                apn,
                result,
            } => {
                // What reaches the downloader is exactly the validated URL, split.
                let mut want_host = s.host.clone();
                want_host.push(0);
                let mut want_file = s.file.to_vec();
                want_file.push(0);
                ensure(
                    *image == image_of(s.modem)
                        && *host == want_host
                        && *file == want_file
                        && *sec_tag == s.sec_tag
                        && apn.as_deref() == s.apn,
                    || format!("download request differs from the command {s:?}"),
                )?;
                (*session, *result)
            }
            other => return Err(format!("wanted start_download, got {other:?}")),
        };
        match result {
            Ok(()) => {
                ensure(session != 0 && !self.sessions.contains(&session), || {
                    format!("session number {session} reused")
                })?;
                c.out(OK)?;
                self.sessions.push(session);
                self.prev_started = self.last_started;
                self.last_started = session;
                let mut host = s.host.clone();
                host.push(0);
                let mut file = s.file.to_vec();
                file.push(0);
                self.phase = Phase::Downloading(Running {
                    session,
                    image: image_of(s.modem),
                    host,
                    file,
                    stage: Stage::Download,
                    percent: None,
                });
                Ok(true)
            }
            Err(e) => {
                c.out(&urc(1, 1, Some(e)))?;
                c.out(ERROR)?;
                Ok(false)
            }
        }
    }

    fn cancel(&mut self, c: &mut Cur<'_>, before: &Fota) -> Result<bool, String> {
        let Phase::Downloading(r) = self.phase.clone() else {
            c.out(ERROR)?;
            return ensure(self.fota == *before, || "cancel changed the core".into())
                .map(|()| false);
        };
        match c.next("cancel_download")? {
            Ev::Cancel(Ok(())) => {}
            Ev::Cancel(Err(e)) => {
                c.log(Log::CancelFailed, *e)?;
                c.out(ERROR)?;
                return ensure(self.fota == *before, || {
                    "failed cancel changed the core".into()
                })
                .map(|()| false);
            }
            other => return Err(format!("wanted cancel_download, got {other:?}")),
        }
        c.discard(r.image)?;
        c.out(&urc(1, 2, Some(0)))?;
        c.out(OK)?;
        self.phase = Phase::Idle;
        self.echoes.push(r.session);
        self.last_cancelled = r.session;
        Ok(true)
    }

    fn erase(&mut self, c: &mut Cur<'_>, which: ImageType, before: &Fota) -> Result<bool, String> {
        if matches!(self.phase, Phase::Downloading(_)) {
            c.out(ERROR)?;
            return ensure(self.fota == *before, || "erase during a download".into())
                .map(|()| false);
        }
        if which == ImageType::Modem && !self.modem_up {
            self.seen.modem_down_refused += 1;
            c.log(Log::ModemDown, 0)?;
            c.out(ERROR)?;
            return ensure(self.fota == *before, || {
                "refused erase changed the core".into()
            })
            .map(|()| false);
        }
        let erased = match which {
            ImageType::App => match c.next("erase_app_slot")? {
                Ev::EraseApp(Ok(())) => true,
                Ev::EraseApp(Err(e)) => {
                    c.log(Log::EraseFailed, *e)?;
                    false
                }
                other => return Err(format!("wanted erase_app_slot, got {other:?}")),
            },
            ImageType::Modem => self.modem_erase(c)?,
        };
        if !erased {
            c.out(ERROR)?;
            return Ok(false);
        }
        if self.phase == Phase::Downloaded(which) {
            // The waiting image is gone, and so must be its record (until then it still waits).
            if !c.clear()? {
                c.out(ERROR)?;
                return Ok(false);
            }
            self.phase = Phase::Idle;
        }
        c.out(OK)?;
        Ok(true)
    }

    /// The modem scratch erase: polled until done, bounded by the configured time ("pending"
    /// means wait). Returns whether it completed.
    fn modem_erase(&self, c: &mut Cur<'_>) -> Result<bool, String> {
        let timeout = self.config.modem_erase_timeout_ms;
        let poll = self.config.modem_erase_poll_ms;
        let mut answer = match c.next("modem_erase_start")? {
            Ev::ModemEraseStart(r) => *r,
            other => return Err(format!("wanted modem_erase_start, got {other:?}")),
        };
        let mut slept: u32 = 0;
        loop {
            match answer {
                Ok(ErasePoll::Done) => return Ok(true),
                Err(e) => {
                    c.log(Log::EraseFailed, e)?;
                    return Ok(false);
                }
                Ok(ErasePoll::Pending) => {}
            }
            match c.next("sleep or timeout")? {
                Ev::Log(Log::EraseTimeout, 0) => {
                    // Gave up: not before the configured time, not a poll later.
                    ensure(
                        slept >= timeout && slept < timeout.saturating_add(poll),
                        || format!("gave up after {slept} ms (timeout {timeout}, poll {poll})"),
                    )?;
                    c.log(Log::EraseFailed, -116)?;
                    return Ok(false);
                }
                Ev::Sleep(ms) => {
                    ensure(*ms == poll && slept < timeout, || {
                        format!("slept {ms} after {slept} ms (timeout {timeout}, poll {poll})")
                    })?;
                    slept = slept.saturating_add(*ms);
                }
                other => return Err(format!("wanted sleep, got {other:?}")),
            }
            answer = match c.next("modem_erase_poll")? {
                Ev::ModemErasePoll(r) => *r,
                other => return Err(format!("wanted modem_erase_poll, got {other:?}")),
            };
        }
    }

    // --------------------------------------------------------------------------------------
    // Download events

    /// Delivers a download event tagged with `session`.
    pub fn event(&mut self, session: u16, event: DownloadEvent) -> Check {
        let before = self.fota.clone();
        let running = match &self.phase {
            Phase::Downloading(r) if r.session == session => Some(r.clone()),
            _ => None,
        };
        self.downloader_writes(session, event);
        let verdict = mcuboot::validate(&self.world.secondary);
        self.run(|f, p, o| f.on_download_event(session, event, p, o));
        let trace = self.last_trace.clone();
        let ctx =
            |m: String| format!("event {event:?} for session {session}: {m}\ntrace {trace:?}");
        self.event_effects(session, event, running, &verdict, &trace, &before)
            .map_err(ctx)?;
        self.check_common().map_err(ctx)
    }

    fn event_effects(
        &mut self,
        session: u16,
        event: DownloadEvent,
        running: Option<Running>,
        verdict: &Verdict,
        trace: &[Ev],
        before: &Fota,
    ) -> Check {
        let mut c = Cur::new(trace);
        let terminal = matches!(
            event,
            DownloadEvent::Finished | DownloadEvent::Error(_) | DownloadEvent::Cancelled
        );
        let state_kept = |f: &Fota| ensure(f.state() == before.state(), || "state changed".into());
        if terminal {
            if let Some(at) = self.echoes.iter().position(|&s| s == session) {
                // The first terminal event of a cancelled session is its echo (issue 10.5).
                // For an older cancel whose echo was still due when a newer cancel came, the
                // core may call it stale instead (it keeps the newest cancel's echo only): on
                // the wire both are nothing.
                let newest = session == self.last_cancelled;
                match c.next("echo")? {
                    Ev::Log(Log::CancelEcho, s) if *s == i32::from(session) => {}
                    Ev::Log(Log::StaleEvent, s) if *s == i32::from(session) && !newest => {}
                    other => return Err(format!("echo not swallowed: {other:?}")),
                }
                c.done()?;
                state_kept(&self.fota)?;
                self.echoes.remove(at);
                self.echoed.push(session);
                match event {
                    DownloadEvent::Cancelled => self.seen.echo_cancelled += 1,
                    DownloadEvent::Error(_) => self.seen.echo_error += 1,
                    _ => self.seen.echo_finished += 1,
                }
                if running.is_none() && matches!(self.phase, Phase::Downloading(_)) {
                    self.seen.echo_after_new_start += 1;
                }
                return Ok(());
            }
        }
        let Some(r) = running else {
            // Stale, forged or late: only logged.
            c.log(Log::StaleEvent, i32::from(session))?;
            c.done()?;
            if terminal && self.echoed.contains(&session) {
                self.seen.second_terminal += 1;
            }
            return ensure(self.fota == *before, || {
                "a stale event had an effect".into()
            });
        };
        if terminal && !self.echoes.is_empty() {
            self.seen.newer_session_kept += 1;
        }
        let Phase::Downloading(m) = &mut self.phase else {
            return Err("running session without a download".into());
        };
        match event {
            DownloadEvent::Progress(p) => match u8::try_from(p) {
                Ok(p @ 0..=100) => {
                    m.stage = Stage::Download;
                    progress(&mut c, m, p)?;
                }
                _ => {
                    c.log(Log::BadProgress, p)?;
                    c.done()?;
                    return ensure(self.fota == *before, || "bad progress had an effect".into());
                }
            },
            DownloadEvent::ErasePending | DownloadEvent::Erased => {
                let stage = if event == DownloadEvent::Erased {
                    Stage::Erased
                } else {
                    Stage::ErasePending
                };
                if r.image == ImageType::App {
                    // An application session has no modem scratch: not its event.
                    c.log(Log::StaleEvent, i32::from(session))?;
                } else if stage != m.stage {
                    // On change only (NCS repeats "erase pending" on its timeout).
                    m.stage = stage;
                    c.out(&urc(stage as u8, 0, None))?;
                }
            }
            DownloadEvent::Error(cause) => {
                // NCS causes: INVALID_UPDATE (3) is "rejected" (2), TYPE_MISMATCH (4) is
                // "mismatch" (3), anything else "failed" (1).
                let code = match cause {
                    3 => 2,
                    4 => 3,
                    _ => 1,
                };
                let stage = m.stage;
                c.discard(r.image)?;
                c.out(&urc(stage as u8, 1, Some(code)))?;
                self.phase = Phase::Idle;
            }
            DownloadEvent::Cancelled => {
                // Not asked for by op 0 (no echo due for this session): reported.
                self.seen.unasked_cancel += 1;
                c.discard(r.image)?;
                c.out(&urc(1, 2, Some(0)))?;
                self.phase = Phase::Idle;
            }
            DownloadEvent::Finished => {
                progress(&mut c, m, 100)?;
                self.finished(&mut c, r.image, verdict, trace)?;
            }
        }
        c.done()
    }

    /// FINISHED of the running session, after the progress: verify (application), save,
    /// schedule, release, `4,0`; any failure discards the image.
    fn finished(&mut self, c: &mut Cur<'_>, image: ImageType, v: &Verdict, trace: &[Ev]) -> Check {
        let mut id = None;
        if image == ImageType::App {
            ensure(
                trace
                    .iter()
                    .all(|e| !matches!(e, Ev::Read(Slot::Primary, ..))),
                || "the running image was read while verifying the download".into(),
            )?;
            let read_fault = trace.iter().find_map(|e| match e {
                Ev::Read(Slot::Secondary, _, _, Err(e)) => Some(*e),
                _ => None,
            });
            let hash = match c.peek() {
                Some(Ev::Hash(len, sha, r)) => {
                    c.i += 1;
                    Some((*len, *sha, *r))
                }
                _ => None,
            };
            if let Some(Ev::Log(Log::ImageRejected, value)) = c.peek() {
                c.i += 1;
                // Rejected: a read or hash error (reported with its errno), or an image MCUboot
                // refuses too; a stricter walk may also refuse an odd one MCUboot would take.
                let hash_err = match hash {
                    Some((_, _, Err(e))) => Some(e),
                    _ => None,
                };
                match (read_fault, hash_err) {
                    (Some(e), _) | (None, Some(e)) => {
                        ensure(*value == e, || {
                            format!("rejected with {value}, fault was {e}")
                        })?;
                        self.seen.verify_fault += 1;
                    }
                    (None, None) => {
                        ensure(v.accepted.is_none() || !v.plain, || {
                            format!("a good image rejected ({value}): {v:?}")
                        })?;
                        self.seen.verify_rejected += 1;
                        if v.divergence.is_some() {
                            self.seen.divergence += 1;
                        }
                    }
                }
                c.discard(image)?;
                c.out(&urc(1, 1, Some(2)))?;
                self.phase = Phase::Idle;
                return Ok(());
            }
            // Accepted: the core hashed exactly what MCUboot hashes and it matched; MCUboot
            // takes the image too.
            ensure(read_fault.is_none(), || {
                "accepted despite a read error".into()
            })?;
            let Some((len, sha, Ok(true))) = hash else {
                return Err(format!("accepted without a matching hash: {hash:?}"));
            };
            ensure(Some(len) == v.hashed_len, || {
                format!("hashed {len} bytes, MCUboot hashes {:?}", v.hashed_len)
            })?;
            match v.accepted {
                Some(h) => ensure(h == sha, || "accepted with another hash".into())?,
                None => return Err(format!("accepted an image MCUboot refuses: {v:?}")),
            }
            let mut i = [0u8; ID_LEN];
            i.copy_from_slice(&sha[..ID_LEN]);
            id = Some(i);
        }
        let want = rec::MRec {
            image,
            result: None,
            id,
        };
        let saved = match c.next("save_record")? {
            Ev::Save(b, r) => {
                ensure(rec::decode(b) == Some(want), || {
                    format!("saved {:?}, want {want:?}", rec::decode(b))
                })?;
                *r
            }
            other => return Err(format!("wanted save_record, got {other:?}")),
        };
        if let Err(e) = saved {
            c.log(Log::SaveFailed, e)?;
            c.discard(image)?;
            c.out(&urc(1, 1, Some(1)))?;
            self.seen.save_failed += 1;
            self.phase = Phase::Idle;
            return Ok(());
        }
        self.results = 0;
        self.failed_clears = 0;
        self.forged = false;
        // Scheduled only once the record exists (the port checks the storage at the call).
        let scheduled = match c.next("schedule_update")? {
            Ev::Schedule {
                image: i, result, ..
            } if *i == image => *result,
            other => return Err(format!("wanted schedule_update, got {other:?}")),
        };
        if let Err(e) = scheduled {
            c.log(Log::ScheduleFailed, e)?;
            c.clear()?;
            c.discard(image)?;
            c.out(&urc(1, 1, Some(1)))?;
            self.seen.schedule_failed += 1;
            self.phase = Phase::Idle;
            return Ok(());
        }
        c.ev(Ev::End)?;
        c.out(&urc(4, 0, None))?;
        match image {
            ImageType::App => self.seen.app_downloaded += 1,
            ImageType::Modem => self.seen.modem_downloaded += 1,
        }
        self.phase = Phase::Downloaded(image);
        Ok(())
    }

    // --------------------------------------------------------------------------------------
    // Boots

    /// Power cycle: the process dies (with any download), the world keeps its flash and
    /// storage, MCUboot and the modem do their part, a fresh core boots.
    pub fn power_cycle(&mut self, stored: &StoredGen, boot: &BootGen) -> Check {
        let report = self.prepare_boot(stored, boot);
        self.new_process()?;
        let raw = self.world.stored.clone();
        self.boot(raw, report)
    }

    /// What happens to the world at a power cycle (the stored bytes as `stored` says, MCUboot's
    /// and the modem's part): returns the boot report.
    fn prepare_boot(&mut self, stored: &StoredGen, boot: &BootGen) -> BootReport {
        if !self.echoes.is_empty() {
            self.seen.echo_never += 1;
        }
        let served_id = identity(&self.world.served).unwrap_or([0x11; ID_LEN]);
        match stored {
            StoredGen::Keep => {}
            StoredGen::Empty => self.world.stored = None,
            StoredGen::Waiting(modem, id) => {
                let id = match (modem, id) {
                    (true, _) | (_, IdGen::None) => None,
                    (_, IdGen::Served) => Some(served_id),
                    (_, IdGen::Primary) => identity(&self.world.primary),
                    (_, IdGen::Raw(r)) => Some(*r).filter(|r| *r != [0; ID_LEN]),
                };
                self.world.stored = Some(rec::encode(&rec::MRec {
                    image: image_of(*modem),
                    result: None,
                    id,
                }));
            }
            StoredGen::V1(modem) => {
                self.world.stored = Some(rec::encode_v1(image_of(*modem), None))
            }
            StoredGen::Flipped(modem, bit) => {
                let mut b = rec::encode(&rec::MRec {
                    image: image_of(*modem),
                    result: None,
                    id: (!modem).then_some(served_id),
                });
                let bit = usize::from(*bit) % (RECORD_LEN * 8);
                b[bit / 8] ^= 1 << (bit % 8);
                self.world.stored = Some(b);
            }
            StoredGen::Result(modem, status, code) => {
                let result = Some(match status % 3 {
                    0 => Outcome::Ok,
                    1 => Outcome::Error(*code),
                    _ => Outcome::Reverted, // not valid for a modem image: corrupt
                });
                let (image, stage, status, info) = match result {
                    Some(Outcome::Ok) => (image_of(*modem), 5, 0, 0),
                    Some(Outcome::Error(c)) => (image_of(*modem), 5, 1, c),
                    _ => (image_of(*modem), 5, 3, 0),
                };
                self.world.stored = Some(rec::raw_v2(image as u8, stage, status, info, [0; 16]));
            }
            StoredGen::Raw(b) => self.world.stored = Some(b.clone()),
        }
        if *stored != StoredGen::Keep {
            self.forged = true;
        }
        match *boot {
            BootGen::Model(modem, init) => self.model_boot(modem, init.code()),
            BootGen::Forced(swap, modem, primary, init) => {
                self.forged = true;
                match primary {
                    PrimaryGen::Keep => {}
                    PrimaryGen::Served => {
                        // A malformed image is left to the walk tests: here the primary holds
                        // an image whose identity every walk agrees on.
                        let served = &self.world.served;
                        let img = if mcuboot::validate(&mcuboot::slot_with(served)).plain {
                            served.clone()
                        } else {
                            new_image()
                        };
                        self.world.primary = mcuboot::slot_with(&img);
                        self.world.primary_unreadable = false;
                    }
                    PrimaryGen::Factory => {
                        self.world.primary = mcuboot::slot_with(&factory_image());
                        self.world.primary_unreadable = false;
                    }
                    PrimaryGen::Unreadable => self.world.primary_unreadable = true,
                    PrimaryGen::Erased => {
                        self.world.primary = mcuboot::erased();
                        self.world.primary_unreadable = false;
                    }
                }
                report(SwapType::from_raw(swap.raw()), modem.get(), init.code())
            }
        }
    }

    /// A fresh process: a new core, nothing running.
    fn new_process(&mut self) -> Check {
        self.fota = Fota::new(self.config).ok_or("config")?;
        self.phase = Phase::Idle;
        self.booted = false;
        self.modem_up = true;
        self.echoes.clear();
        self.echoed.clear();
        self.sessions.clear();
        self.last_started = 0;
        self.prev_started = 0;
        self.last_cancelled = 0;
        Ok(())
    }

    /// A power cut inside `step`, after `at % 24` of its trace entries (effects and writes):
    /// what the core did up to there stays done, nothing after it happens; then a power cycle
    /// with `then`. The interrupted step itself is not checked (the device is off); the boot
    /// after it is, with the cross-boot rules (a result may repeat only if its clear was cut).
    pub fn power_cut(&mut self, step: &CutStep, at: u8, then: &BootGen) -> Check {
        self.cut = Some(usize::from(at % 24));
        match step {
            CutStep::Line(l) => {
                let line = l.bytes();
                self.run(|f, p, o| f.handle_line(&line, p, o));
            }
            CutStep::Event(sel, ev) => {
                let session = self.select(*sel);
                let event = ev.get();
                self.downloader_writes(session, event);
                self.run(|f, p, o| f.on_download_event(session, event, p, o));
            }
            CutStep::Boot(b) => {
                let report = self.prepare_boot(&StoredGen::Keep, b);
                self.new_process()?;
                let raw = self.world.stored.clone();
                self.run(|f, p, o| f.on_boot(raw.as_deref(), &report, p, o));
            }
        }
        self.cut = None;
        let mut unclear = false;
        for e in &self.last_trace {
            match e {
                Ev::Save(b, Ok(())) if rec::decode(b).is_some_and(|r| r.result.is_none()) => {
                    self.results = 0;
                    self.failed_clears = 0;
                    self.forged = false;
                }
                // A new report (see boot_effects).
                Ev::Log(Log::RevertWithoutRecord, _) => {
                    self.results = 0;
                    self.failed_clears = 0;
                }
                Ev::Out(w) if matches!(classify(w), Some(Wire::Urc(5, ..))) => {
                    self.results += 1;
                    unclear = true;
                }
                Ev::Clear(Ok(())) => unclear = false,
                _ => {}
            }
        }
        if unclear {
            self.failed_clears += 1;
        }
        self.seen.power_cut += 1;
        self.power_cycle(&StoredGen::Keep, then)
    }

    fn select(&self, sel: SessionSel) -> u16 {
        match sel {
            SessionSel::Current => self.last_started,
            SessionSel::Previous => self.prev_started,
            SessionSel::Cancelled => self.last_cancelled,
            SessionSel::Raw(s) => s,
        }
    }

    /// The downloader has written the whole image before it says FINISHED.
    fn downloader_writes(&mut self, session: u16, event: DownloadEvent) {
        let app = matches!(&self.phase, Phase::Downloading(r) if r.session == session && r.image == ImageType::App);
        if event == DownloadEvent::Finished && app {
            self.world.secondary = mcuboot::slot_with(&self.world.served);
        }
    }

    /// What MCUboot and the modem do at a boot; returns the report the shell would give.
    fn model_boot(&mut self, modem: ModemGen, init: i32) -> BootReport {
        let w = &mut self.world;
        // boot_swap_tables (bootutil_public.c): a pending test request in the secondary slot
        // (TEST) comes before the revert of an unconfirmed primary (REVERT).
        // boot_validated_swap_type (loader.c) validates the secondary slot for every upgrade
        // type, REVERT included (BOOT_IS_UPGRADE): boot_validate_slot scrambles an invalid
        // image (boot_scramble_slot) and the swap type becomes NONE, so MCUboot never swaps a
        // refused image into the primary, not even the "old" image of a revert (the app may
        // have downloaded over it during the test boot).
        let mut swapped = false;
        if w.swap_requested {
            w.swap_requested = false;
            if mcuboot::validate(&w.secondary).accepted.is_some() {
                std::mem::swap(&mut w.primary, &mut w.secondary);
                w.in_test = true;
                swapped = true;
                self.seen.model_swap += 1;
            } else {
                // Refused: not swapped, scrambled.
                w.secondary = mcuboot::erased();
            }
        }
        let swap = if swapped {
            SwapType::Revert
        } else if w.in_test {
            if mcuboot::validate(&w.secondary).accepted.is_some() {
                // Not confirmed during the test boot: MCUboot swaps the old image back.
                std::mem::swap(&mut w.primary, &mut w.secondary);
                w.in_test = false;
                self.seen.model_revert += 1;
                SwapType::None
            } else {
                // Nothing valid to revert to: the slot is scrambled, the unconfirmed image
                // keeps running in test mode (its trailer unchanged: the app still reads REVERT).
                w.secondary = mcuboot::erased();
                SwapType::Revert
            }
        } else {
            SwapType::None
        };
        let result = if w.modem_scheduled && init == 0 {
            let r = modem.get();
            if r != Some(MODEM_DFU_VOLTAGE_LOW) {
                w.modem_scheduled = false;
            }
            r
        } else {
            None
        };
        report(swap, result, init)
    }

    /// The boot report, on a core that may already have handled lines (or been booted).
    pub fn boot(&mut self, raw: Option<Vec<u8>>, report: BootReport) -> Check {
        let before = self.fota.clone();
        let primary = self.world.clone();
        self.run(|f, p, o| f.on_boot(raw.as_deref(), &report, p, o));
        let trace = self.last_trace.clone();
        let ctx = |m: String| format!("boot {raw:?} {report:?}: {m}\ntrace {trace:?}");
        self.boot_effects(raw.as_deref(), &report, &primary, &trace, &before)
            .map_err(ctx)?;
        self.check_common().map_err(ctx)
    }

    fn boot_effects(
        &mut self,
        raw: Option<&[u8]>,
        report: &BootReport,
        world: &World,
        trace: &[Ev],
        before: &Fota,
    ) -> Check {
        let mut c = Cur::new(trace);
        if self.booted {
            // Runs once; a repeated report does nothing at all.
            c.done()?;
            return ensure(self.fota == *before, || "second boot report acted".into());
        }
        self.booted = true;
        c.out(READY)?;
        if report.modem_init != 0 {
            c.out(format!("\r\n#XMODEM: INIT,{}\r\n", report.modem_init).as_bytes())?;
        }
        self.modem_up = report.modem_init == 0;
        if self.phase != Phase::Idle {
            // A report after work started is not acted on: the record may describe an image
            // that never ran, and the downloader holds pointers into the running session.
            self.seen.boot_late += 1;
            c.log(Log::LateBoot, 0)?;
            return c.done();
        }
        ensure(
            trace
                .iter()
                .all(|e| !matches!(e, Ev::Read(Slot::Secondary, ..))),
            || "the download slot was read at boot".into(),
        )?;
        let mut record = match raw {
            None => None,
            Some(b) => match rec::decode(b) {
                Some(r) => {
                    if b.len() == 12 {
                        self.seen.boot_v1_record += 1;
                    }
                    Some(r)
                }
                None => {
                    // Dropped with a log line, cleared, then as if there were none.
                    self.seen.boot_corrupt += 1;
                    c.log_any(Log::CorruptRecord)?;
                    c.clear()?;
                    None
                }
            },
        };
        if record.is_none() {
            if report.app_swap != SwapType::Revert {
                return c.done();
            }
            // MCUboot runs a new image in test mode and nothing says whose: only this command
            // downloads images, so it is confirmed and reported like a waiting app image.
            c.log(Log::RevertWithoutRecord, 0)?;
            // A report of its own at every such boot: while MCUboot has nothing valid to
            // revert to, the image stays in test mode (model_boot) and every boot's confirm
            // is a new attempt, whose result is said again.
            self.results = 0;
            self.failed_clears = 0;
            record = Some(rec::MRec {
                image: ImageType::App,
                result: None,
                id: None,
            });
        }
        let Some(r) = record else {
            return c.done();
        };
        let outcome = match r.result {
            Some(o) => {
                // A result whose notification a power cut may have cut short: said again.
                self.seen.boot_stored_result += 1;
                o
            }
            None => {
                let o = if r.image == ImageType::Modem {
                    self.modem_result(&mut c, report)?
                } else {
                    Some(self.app_result(&mut c, &r, report, world)?)
                };
                let Some(o) = o else {
                    // Still waiting.
                    self.phase = Phase::Downloaded(r.image);
                    return c.done();
                };
                // Stored before the notification, cleared after it: at-least-once.
                match c.next("save of the result")? {
                    Ev::Save(b, res) => {
                        let want = rec::MRec {
                            image: r.image,
                            result: Some(o),
                            id: None,
                        };
                        ensure(rec::decode(b) == Some(want), || {
                            format!("result saved as {:?}, want {want:?}", rec::decode(b))
                        })?;
                        c.logged(*res, Log::SaveFailed)?;
                    }
                    other => return Err(format!("wanted the result's save, got {other:?}")),
                }
                o
            }
        };
        let (status, info) = match outcome {
            Outcome::Ok => (0, None),
            Outcome::Error(code) => (1, Some(code)),
            Outcome::Reverted => (3, None),
        };
        c.out(&urc(5, status, info))?;
        self.results += 1;
        if !c.clear()? {
            self.failed_clears += 1;
        }
        // At most one result per completed report: only a failed clear (a power cut between
        // the notification and the clear) may repeat it.
        if !self.forged {
            ensure(self.results <= 1 + self.failed_clears, || {
                format!(
                    "{} results for one report ({} failed clears)",
                    self.results, self.failed_clears
                )
            })?;
        }
        c.done()
    }

    /// A waiting modem image at this boot; `None` if it still waits.
    fn modem_result(
        &mut self,
        c: &mut Cur<'_>,
        report: &BootReport,
    ) -> Result<Option<Outcome>, String> {
        if report.modem_init != 0 {
            // The modem library is down: nothing can be concluded.
            self.seen.boot_modem_down_keeps += 1;
            return Ok(None);
        }
        Ok(match report.modem_result {
            Some(MODEM_DFU_OK) => {
                self.seen.boot_modem_ok += 1;
                Some(Outcome::Ok)
            }
            Some(MODEM_DFU_VOLTAGE_LOW) => {
                // Not applied; retried at the next boot; said as Nordic's Serial Modem does.
                self.seen.boot_modem_voltage_low += 1;
                c.log(Log::ModemVoltageLow, 0)?;
                c.out(&urc(4, 1, Some(MODEM_DFU_VOLTAGE_LOW)))?;
                None
            }
            Some(code) => Some(Outcome::Error(code)),
            None => {
                // A working modem and no result: the outcome is unknown; never wait forever.
                self.seen.boot_modem_no_result += 1;
                c.log(Log::NoModemResult, 0)?;
                Some(Outcome::Error(NO_MODEM_RESULT))
            }
        })
    }

    /// A waiting application image at this boot (issue 13): the running image's identity
    /// decides; the swap type where it cannot be known.
    fn app_result(
        &mut self,
        c: &mut Cur<'_>,
        r: &rec::MRec,
        report: &BootReport,
        world: &World,
    ) -> Result<Outcome, String> {
        let same = match r.id {
            None => None,
            Some(want) => {
                // One validation (a SHA-256 of the slot) for both the identity and `odd`.
                let verdict = (!world.primary_unreadable)
                    .then(|| mcuboot::validate(&mcuboot::slot_with(&world.primary)));
                let have = verdict.as_ref().and_then(id_of);
                // An odd image (not `plain`, yet accepted by MCUboot: e.g. two equal SHA-256
                // TLVs, or a header below 32 bytes; a served image the app downloaded during a
                // test boot is swapped in by the revert) may be refused by a walk stricter than
                // the identity this model reads, as in verification: the core then says the
                // identity is unknown and the swap type decides. A `plain` image's identity
                // must be read.
                let odd = verdict.as_ref().is_some_and(|v| !v.plain);
                let have = have.filter(|_| {
                    !(odd && matches!(c.peek(), Some(Ev::Log(Log::IdentityUnknown, _))))
                });
                match have {
                    Some(have) => Some(have == want),
                    None => {
                        self.seen.boot_identity_unknown += 1;
                        c.log_any(Log::IdentityUnknown)?;
                        None
                    }
                }
            }
        };
        let outcome = match (same, report.app_swap) {
            (Some(true) | None, SwapType::Revert) => {
                // Ours, in test mode: confirmed (once).
                let res = match c.next("confirm")? {
                    Ev::Confirm(res) => *res,
                    other => return Err(format!("wanted confirm, got {other:?}")),
                };
                match res {
                    Ok(()) => {
                        self.seen.boot_confirmed += 1;
                        Outcome::Ok
                    }
                    Err(e) => {
                        self.seen.boot_confirm_failed += 1;
                        Outcome::Error(e)
                    }
                }
            }
            (Some(true), _) => {
                self.seen.boot_same_no_confirm += 1;
                Outcome::Ok
            }
            (Some(false), SwapType::Revert) => {
                // Never confirm a foreign image.
                self.seen.boot_foreign_revert += 1;
                Outcome::Reverted
            }
            (_, SwapType::None) => {
                self.seen.boot_reverted += 1;
                Outcome::Reverted
            }
            // As Nordic's Serial Modem: the swap type (or the errno reading it) is the info.
            (_, SwapType::Test) => Outcome::Error(2),
            (_, SwapType::Perm) => Outcome::Error(3),
            (_, SwapType::Fail) => Outcome::Error(5),
            (_, SwapType::Other(code)) => Outcome::Error(code),
        };
        Ok(outcome)
    }

    // --------------------------------------------------------------------------------------
    // Modem faults

    /// A modem fault (`nrf_modem_fault_handler`).
    pub fn modem_fault(&mut self, reason: u32, pc: u32) -> Check {
        let before = self.fota.state();
        self.run(|f, _, o| f.on_modem_fault(reason, pc, o));
        let trace = self.last_trace.clone();
        let ctx = |m: String| format!("modem fault: {m}\ntrace {trace:?}");
        let mut c = Cur::new(&trace);
        c.out(format!("\r\n#XMODEM: FAULT,0x{reason:x},0x{pc:x}\r\n").as_bytes())
            .map_err(ctx)?;
        c.done().map_err(ctx)?;
        ensure(self.fota.state() == before, || {
            "a fault changed the state".into()
        })
        .map_err(ctx)?;
        self.modem_up = false;
        self.seen.modem_fault += 1;
        self.check_common().map_err(ctx)
    }

    /// The modem library was shut down and initialised again.
    pub fn modem_reinit(&mut self, shutdown: i32, init: i32) -> Check {
        let before = self.fota.state();
        self.run(|f, _, o| f.on_modem_reinit(shutdown, init, o));
        let trace = self.last_trace.clone();
        let ctx = |m: String| format!("modem reinit: {m}\ntrace {trace:?}");
        let mut c = Cur::new(&trace);
        c.out(format!("\r\n#XMODEM: SHUTDOWN,{shutdown}\r\n").as_bytes())
            .map_err(ctx)?;
        c.out(format!("\r\n#XMODEM: INIT,{init}\r\n").as_bytes())
            .map_err(ctx)?;
        c.done().map_err(ctx)?;
        ensure(self.fota.state() == before, || {
            "a re-init changed the state".into()
        })
        .map_err(ctx)?;
        self.modem_up = init == 0;
        self.check_common().map_err(ctx)
    }

    // --------------------------------------------------------------------------------------
    // Scenarios

    /// Runs one action.
    pub fn apply(&mut self, action: &Action) -> Check {
        match action {
            Action::Line(l) => self.line(&l.bytes()).map(|_| ()),
            Action::Event(sel, ev) => {
                let session = self.select(*sel);
                self.event(session, ev.get())
            }
            Action::CancelRace(race) => self.cancel_race(race),
            Action::Serve(img) => {
                self.world.served = img.bytes();
                Ok(())
            }
            Action::PowerCycle(stored, boot) => self.power_cycle(stored, boot),
            Action::PowerCut(step, at, then) => self.power_cut(step, *at, then),
            Action::BootAgain(swap, modem) => {
                let raw = self.world.stored.clone();
                self.boot(raw, report(SwapType::from_raw(swap.raw()), modem.get(), 0))
            }
            Action::ModemFault(reason, pc) => self.modem_fault(*reason, *pc),
            Action::ModemReinit(shutdown, init) => self.modem_reinit(shutdown.code(), init.code()),
            Action::Faults(f) => {
                self.faults = *f;
                Ok(())
            }
        }
    }

    /// Runs a [`CancelRace`].
    pub fn cancel_race(&mut self, race: &CancelRace) -> Check {
        let start = if race.modem { CANNED[1] } else { CANNED[0] };
        if !matches!(self.phase, Phase::Downloading(_)) {
            self.line(start)?;
        }
        self.line(b"AT#XFOTA=0")?;
        let cancelled = self.last_cancelled;
        let echo = |h: &mut Self| match race.echo.get() {
            Some(e) => h.event(cancelled, e),
            None => Ok(()),
        };
        let restart = |h: &mut Self| {
            if race.restart {
                h.line(start).map(|_| ())
            } else {
                Ok(())
            }
        };
        let newer = |h: &mut Self| match race.newer.get() {
            Some(e) if race.restart => {
                let s = h.last_started;
                h.event(s, e)
            }
            _ => Ok(()),
        };
        match race.order % 3 {
            0 => {
                echo(self)?;
                restart(self)?;
                newer(self)?;
            }
            1 => {
                restart(self)?;
                echo(self)?;
                newer(self)?;
            }
            _ => {
                restart(self)?;
                newer(self)?;
                echo(self)?;
            }
        }
        match race.second.get() {
            Some(e) => self.event(cancelled, e),
            None => Ok(()),
        }
    }

    /// Runs a whole scenario, stopping at the first violation; returns the harness.
    pub fn run_scenario(s: &Scenario) -> Result<Harness, String> {
        let config = s.config.map_or(DEFAULT_CONFIG, ConfigGen::get);
        let mut h = Harness::new(config, s.faults).ok_or("config")?;
        if s.boot_first {
            h.boot(None, report(SwapType::None, None, 0))?;
        }
        for (i, a) in s.actions.iter().enumerate() {
            h.apply(a).map_err(|e| format!("action {i} {a:?}: {e}"))?;
        }
        Ok(h)
    }

    /// Runs a whole scenario, stopping at the first violation.
    pub fn scenario(s: &Scenario) -> Check {
        Self::run_scenario(s).map(|_| ())
    }
}

/// Reports the progress of the running session up to `p`: only increases, 0 always first.
fn progress(c: &mut Cur<'_>, m: &mut Running, p: u8) -> Check {
    if m.percent.is_none() {
        c.out(&urc(1, 0, Some(0)))?;
        m.percent = Some(0);
    }
    if m.percent.is_some_and(|last| p > last) {
        c.out(&urc(1, 0, Some(i32::from(p))))?;
        m.percent = Some(p);
    }
    Ok(())
}

/// The core's parse of a line agrees with the model's meaning.
fn check_grammar(parsed: &Parsed<'_>, meaning: &Meaning<'_>) -> Check {
    use xfota_core::at::Command;
    let agree = match (parsed, meaning) {
        (Parsed::NotMine, Meaning::NotMine) => true,
        (Parsed::Invalid(reason), Meaning::Refused { lexing }) => {
            // Only a lexical refusal may be called one.
            *lexing || *reason != Reject::Field
        }
        (Parsed::Command(Command::Test), Meaning::Test)
        | (Parsed::Command(Command::Cancel), Meaning::Cancel)
        | (Parsed::Command(Command::EraseApp), Meaning::EraseApp)
        | (Parsed::Command(Command::EraseModem), Meaning::EraseModem) => true,
        (Parsed::Command(Command::Start(s)), Meaning::Start(m)) => {
            s.image == image_of(m.modem)
                && s.url.raw == m.url
                && s.url.https == m.https
                && s.sec_tag == m.sec_tag
                && s.apn == m.apn
        }
        _ => false,
    };
    ensure(agree, || {
        format!("core parses {parsed:?}, the rules say {meaning:?}")
    })
}

/// A boot report.
pub fn report(swap: SwapType, modem: Option<i32>, init: i32) -> BootReport {
    BootReport {
        app_swap: swap,
        modem_result: modem,
        modem_init: init,
    }
}

/// A valid encoded waiting record (an app record carries the served image's identity).
pub fn record(modem: bool) -> Vec<u8> {
    rec::encode(&rec::MRec {
        image: image_of(modem),
        result: None,
        id: (!modem).then(|| identity(&new_image()).unwrap_or([1; ID_LEN])),
    })
}
