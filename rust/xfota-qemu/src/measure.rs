//! Stack high-water marks, state size, progress notification count and instruction counts of
//! the core's entry points, measured on the Cortex-M33 itself.
//!
//! The entry points are called directly (`Fota::handle_line`, `on_download_event`,
//! `on_boot`) with a no-op port and a counting output, through a thin closure that plays the
//! part of the FFI wrapper.

use crate::rt::{self, systick};
use crate::Console;
use core::arch::asm;
use core::hint::black_box;
use core::mem::size_of;
use ufmt::uwriteln;
use xfota_core::record::{Record, RECORD_LEN};
use xfota_core::{
    BootReport, DownloadEvent, DownloadRequest, ErasePoll, Fota, ImageType, LineResult, Log, Out,
    Port, Slot, StateView, SwapType, DEFAULT_CONFIG,
};
use xfota_vectors::{NEW_ID, NEW_IMAGE};

/// Every effect succeeds at once; both slots hold the conformance table's test image, so a
/// finished download verifies and a boot finds the same identity.
struct NullPort;

impl Port for NullPort {
    fn start_download(&mut self, req: &DownloadRequest<'_>) -> Result<(), i32> {
        black_box(req);
        Ok(())
    }
    fn cancel_download(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn reset_dfu_target(&mut self, _: ImageType) -> Result<(), i32> {
        Ok(())
    }
    fn erase_app_slot(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn modem_erase_start(&mut self) -> Result<ErasePoll, i32> {
        Ok(ErasePoll::Done)
    }
    fn modem_erase_poll(&mut self) -> Result<ErasePoll, i32> {
        Ok(ErasePoll::Done)
    }
    fn sleep_ms(&mut self, _: u32) {}
    fn save_record(&mut self, record: &[u8; RECORD_LEN]) -> Result<(), i32> {
        black_box(record);
        Ok(())
    }
    fn clear_record(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn confirm_image(&mut self) -> Result<(), i32> {
        Ok(())
    }
    fn end_download(&mut self) {}
    fn schedule_update(&mut self, _: ImageType) -> Result<(), i32> {
        Ok(())
    }
    fn read_image(&mut self, _: Slot, offset: u32, buf: &mut [u8]) -> Result<(), i32> {
        let start = offset as usize;
        let src = NEW_IMAGE.get(start..start + buf.len()).ok_or(-22)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn image_hash_matches(&mut self, len: u32, sha256: &[u8; 32]) -> Result<bool, i32> {
        black_box((len, sha256));
        Ok(true)
    }
    fn log(&mut self, event: Log, value: i32) {
        black_box((event, value));
    }
}

/// Counts writes, and `#XFOTA: 1,0,<percent>` notifications among them.
#[derive(Default)]
struct CountOut {
    writes: u32,
    progress: u32,
}

impl Out for CountOut {
    fn write(&mut self, bytes: &[u8]) {
        black_box(bytes);
        self.writes += 1;
        if bytes.starts_with(b"\r\n#XFOTA: 1,0,") {
            self.progress += 1;
        }
    }
}

const URL_LEN: usize = xfota_core::at::URL_MAX_LEN;
const APN_LEN: usize = xfota_core::at::APN_MAX_LEN;

/// `AT#XFOTA=1,"https://<63 x h>:65535/fw/<p...>",2147483647,"<a...>"`: a URL of the longest
/// accepted length (255), the largest sec_tag, an APN of the longest accepted length (labels
/// of at most 63 characters). With `bad_apn` the last APN character is `_`, so the whole line
/// is parsed before it is refused.
fn start_line(buf: &mut [u8; 512], bad_apn: bool) -> &[u8] {
    let mut len = 0;
    let mut push = |b: &[u8]| {
        for &c in b {
            if let Some(slot) = buf.get_mut(len) {
                *slot = c;
                len += 1;
            }
        }
    };
    push(b"AT#XFOTA=1,\"https://");
    push(&[b'h'; 63]);
    push(b":65535/fw/");
    let used = "https://".len() + 63 + ":65535/fw/".len();
    for _ in used..URL_LEN {
        push(b"p");
    }
    push(b"\",2147483647,\"");
    for i in 0..APN_LEN {
        let c = if i == APN_LEN - 1 && bad_apn {
            b'_'
        } else if i % 64 == 63 {
            b'.'
        } else {
            b'a'
        };
        push(&[c]);
    }
    push(b"\"");
    buf.get(..len).unwrap_or(&[])
}

const PAINT_BYTES: usize = 16 * 1024;
const PATTERN: u32 = 0x5AC3_E11F;

/// Paints the `PAINT_BYTES` below the current stack pointer, runs `f`, and returns how many
/// bytes below that stack pointer `f` wrote (its frames, including the closure's own).
#[inline(never)]
fn stack_used(f: &mut dyn FnMut()) -> usize {
    let top = rt::sp() & !3;
    let bottom = top - PAINT_BYTES;
    // SAFETY: [bottom, top) lies below the stack pointer (free stack, 16 KiB of a 2 MiB RAM
    // whose .bss ends far lower); the loop itself uses no stack.
    unsafe {
        asm!(
            "2:",
            "str {pat}, [{p}], #4",
            "cmp {p}, {top}",
            "blo 2b",
            p = inout(reg) bottom => _,
            top = in(reg) top,
            pat = in(reg) PATTERN,
            options(nostack),
        );
    }
    f();
    let mut a = bottom;
    // SAFETY: reads the painted words (word aligned, inside RAM).
    while a < top && unsafe { (a as *const u32).read_volatile() } == PATTERN {
        a += 4;
    }
    top - a
}

/// Runs `f` `n` times and returns elapsed SysTick ticks.
#[inline(never)]
fn ticks(n: u32, f: &mut dyn FnMut()) -> u32 {
    let t0 = systick::now();
    for _ in 0..n {
        f();
    }
    let t1 = systick::now();
    t0.wrapping_sub(t1) & systick::MASK
}

/// `2 * n` instructions (`subs` + `bne`), for calibration.
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: register-only loop.
    unsafe {
        asm!("2:", "subs {n}, #1", "bne 2b", n = inout(reg) n => _, options(nomem, nostack));
    }
}

fn session_of(fota: &Fota) -> u16 {
    match fota.state() {
        StateView::Downloading { session, .. } => session,
        _ => 0,
    }
}

fn boot_report() -> BootReport {
    BootReport {
        app_swap: SwapType::Revert,
        modem_result: None,
        modem_init: 0,
    }
}

fn stack_line(con: &mut Console, entry: &str, bytes: usize) {
    let _ = uwriteln!(con, "stack {}: {}", entry, bytes);
}

fn check(con: &mut Console, ok: bool, what: &str) -> i64 {
    if ok {
        0
    } else {
        let _ = uwriteln!(con, "FAIL measure: {}", what);
        1
    }
}

/// Prints the measurements; returns the number of measurements that did not run as intended.
pub fn report(con: &mut Console, bench: bool) -> i64 {
    let mut problems = 0;
    let (mut port, mut out) = (NullPort, CountOut::default());
    let Some(idle) = Fota::new(DEFAULT_CONFIG) else {
        return check(con, false, "Fota::new");
    };
    let mut buf = [0u8; 512];
    let line = start_line(&mut buf, false);
    let mut bad_buf = [0u8; 512];
    let bad = start_line(&mut bad_buf, true);
    let record = Record::waiting(ImageType::App, Some(NEW_ID)).encode();

    let _ = uwriteln!(con, "state size_of::<Fota>(): {}", size_of::<Fota>() as i64);
    let _ = uwriteln!(
        con,
        "start line: {} bytes (URL 255, APN {})",
        line.len(),
        APN_LEN
    );

    // A session to feed events to: the long start command, then progress 0.
    let mut started = idle.clone();
    problems += check(
        con,
        started.handle_line(line, &mut port, &mut out) == LineResult::Ok,
        "long start command refused",
    );
    let session = session_of(&started);
    problems += check(con, session != 0, "no session after start");
    started.on_download_event(session, DownloadEvent::Progress(0), &mut port, &mut out);

    // --- stack high-water marks -------------------------------------------------------
    let mut res = LineResult::NotMine;
    let mut f = idle.clone();
    let used = stack_used(&mut || res = f.handle_line(black_box(line), &mut port, &mut out));
    problems += check(con, res == LineResult::Ok, "start (stack run)");
    stack_line(con, "handle_line(start, longest URL and APN)", used);

    let mut f = idle.clone();
    let used =
        stack_used(&mut || res = f.handle_line(black_box(b"AT#XFOTA=?"), &mut port, &mut out));
    problems += check(con, res == LineResult::Ok, "test command");
    stack_line(con, "handle_line(test)", used);

    let mut f = idle.clone();
    let used = stack_used(&mut || res = f.handle_line(black_box(bad), &mut port, &mut out));
    problems += check(con, res == LineResult::Error, "bad line accepted");
    stack_line(con, "handle_line(bad line)", used);

    let mut f = started.clone();
    let used = stack_used(&mut || {
        f.on_download_event(
            session,
            black_box(DownloadEvent::Progress(50)),
            &mut port,
            &mut out,
        )
    });
    stack_line(con, "on_download_event(progress)", used);

    let mut f = started.clone();
    let used = stack_used(&mut || {
        f.on_download_event(
            session,
            black_box(DownloadEvent::Finished),
            &mut port,
            &mut out,
        )
    });
    problems += check(
        con,
        f.state()
            == StateView::Downloaded {
                image: ImageType::App,
            },
        "finished",
    );
    stack_line(con, "on_download_event(finished)", used);

    let mut f = idle.clone();
    let w0 = out.writes;
    let used = stack_used(&mut || {
        f.on_boot(
            Some(black_box(&record[..])),
            &boot_report(),
            &mut port,
            &mut out,
        )
    });
    problems += check(con, out.writes == w0 + 2, "boot report (Ready + 5,0)");
    stack_line(con, "on_boot(record, REVERT, identity walk)", used);

    // --- progress notifications of a 1 MiB download in 2 KiB fragments ------------------
    // fota_download reports percent = offset * 100 / size after every fragment.
    let (size, frag) = (1u64 << 20, 2048u64);
    let mut f = idle.clone();
    let mut o = CountOut::default();
    f.handle_line(line, &mut port, &mut o);
    let s = session_of(&f);
    let (p0, mut events, mut offset) = (o.progress, 0i64, 0u64);
    while offset < size {
        offset += frag;
        let pct = i32::try_from(offset * 100 / size).unwrap_or(100);
        f.on_download_event(s, DownloadEvent::Progress(pct), &mut port, &mut o);
        events += 1;
    }
    f.on_download_event(s, DownloadEvent::Finished, &mut port, &mut o);
    let urcs = i64::from(o.progress - p0);
    let _ = uwriteln!(
        con,
        "progress urcs (1 MiB in 2 KiB fragments, {} progress events + finished): {}",
        events,
        urcs
    );
    problems += check(con, urcs == 101, "expected 101 progress notifications");

    if bench {
        problems += instructions(con, &idle, &started, session, line, &record);
    }
    problems
}

/// Instruction counts with `-icount shift=0`: SysTick ticks per instruction are calibrated
/// with a register-only loop, then each operation runs `N` times against a baseline that does
/// the same set-up without the operation.
fn instructions(
    con: &mut Console,
    idle: &Fota,
    started: &Fota,
    session: u16,
    line: &[u8],
    record: &[u8],
) -> i64 {
    const N: u32 = 500;
    const SPIN: u32 = 100_000;
    let (mut port, mut out) = (NullPort, CountOut::default());
    systick::start();

    let calib = ticks(1, &mut || spin(black_box(SPIN)));
    let empty = ticks(1, &mut || spin(black_box(1)));
    let per_tick_x100 = (200 * i64::from(SPIN - 1)) / i64::from(calib.saturating_sub(empty)).max(1);
    let _ = uwriteln!(
        con,
        "insns calibration: {} instructions per SysTick tick",
        (per_tick_x100 + 50) / 100
    );
    let per_op = |op: u32, base: u32| -> i64 {
        (i64::from(op) - i64::from(base)) * per_tick_x100 / (100 * i64::from(N))
    };

    let base = ticks(N, &mut || {
        black_box(idle.clone());
    });
    let op = ticks(N, &mut || {
        let mut f = idle.clone();
        black_box(f.handle_line(black_box(line), &mut port, &mut out));
    });
    let _ = uwriteln!(
        con,
        "insns handle_line(start, longest URL and APN): {}",
        per_op(op, base)
    );

    // Breakdown: the grammar alone (includes URL validation), and the copy into the state.
    let parse = ticks(N, &mut || {
        black_box(xfota_core::at::parse(black_box(line)));
    });
    let empty_loop = ticks(N, &mut || {});
    let _ = uwriteln!(
        con,
        "insns   of which at::parse (grammar + URL + APN checks): {}",
        per_op(parse, empty_loop)
    );

    let base = ticks(N, &mut || {
        black_box(started.clone());
    });
    let op = ticks(N, &mut || {
        let mut f = started.clone();
        f.on_download_event(
            session,
            black_box(DownloadEvent::Progress(1)),
            &mut port,
            &mut out,
        );
        black_box(&f);
    });
    let _ = uwriteln!(
        con,
        "insns on_download_event(progress, one URC): {}",
        per_op(op, base)
    );

    let base = ticks(N, &mut || {
        black_box(Fota::new(DEFAULT_CONFIG));
    });
    let op = ticks(N, &mut || {
        if let Some(mut f) = Fota::new(DEFAULT_CONFIG) {
            f.on_boot(Some(black_box(record)), &boot_report(), &mut port, &mut out);
            black_box(&f);
        }
    });
    let _ = uwriteln!(
        con,
        "insns on_boot(record, REVERT, identity walk): {}",
        per_op(op, base)
    );

    // Software SHA-256 per byte (the sha2 crate's portable code): the upper bound of what
    // hashing a downloaded image costs the nRF9161's Cortex-M33 without the CryptoCell.
    use sha2::Digest;
    static BLOCK: [u8; 4096] = [0x5a; 4096];
    const HASH_RUNS: u32 = 8;
    let hash_base = ticks(HASH_RUNS, &mut || {
        black_box(sha2::Sha256::new());
    });
    let hash = ticks(HASH_RUNS, &mut || {
        let mut h = sha2::Sha256::new();
        h.update(black_box(&BLOCK[..]));
        black_box(h.finalize());
    });
    let per_kib_x100 =
        (i64::from(hash) - i64::from(hash_base)) * per_tick_x100 / (4 * i64::from(HASH_RUNS));
    let _ = uwriteln!(
        con,
        "insns sha256 (software, sha2 crate) per KiB: {}",
        per_kib_x100 / 100
    );
    check(con, calib > empty, "SysTick did not advance")
}
