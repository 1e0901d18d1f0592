//! Whole FOTA flows through the simulator binary against a real local HTTP/HTTPS server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use xfota_sim::image::{hex, verify_app, ModemImage, MODEM_FACTORY_UUID};
use xfota_sim::state::{ModemState, StateDir};

fn state(dir: &TempDir) -> StateDir {
    StateDir::open(dir.path()).unwrap()
}

#[test]
fn app_download_reset_reports_5_0_once() {
    let srv = Server::http();
    let img = app_image(40_000, 1);
    srv.add("app.bin", Route::fast(&img));
    let dir = TempDir::new("app");
    let mut sim = boot(dir.path(), &["--erase-ms", ERASE], b"");
    sim.send("AT#XFOTA=?");
    sim.expect(b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n\r\nOK\r\n");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.quiet();
    // Stage 4: a new start is refused until activation.
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(ERROR);
    assert!(state(&dir).record().unwrap().is_some());
    reset(&mut sim, &urc("5,0"));
    reset(&mut sim, b"");
    let m = state(&dir).mcuboot().unwrap();
    assert_eq!(m.primary_id, hex(&verify_app(&img).unwrap()));
    assert_eq!(
        (m.activations, m.reverts, m.test, m.pending),
        (1, 0, false, false)
    );
    assert!(state(&dir).record().unwrap().is_none());
    sim.close();
}

#[test]
fn op8_then_app_download() {
    let srv = Server::http();
    srv.add("app.bin", Route::fast(&app_image(10_000, 2)));
    let dir = TempDir::new("op8");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send("AT#XFOTA=8");
    sim.expect(OK);
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    // Op 8 at stage 4 (app) discards the waiting image; then download again.
    sim.send("AT#XFOTA=8");
    sim.expect(OK);
    assert!(state(&dir).record().unwrap().is_none());
    assert!(!state(&dir).mcuboot().unwrap().pending);
    reset(&mut sim, b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.close();
}

#[test]
fn op9_then_modem_download_reports_5_0() {
    let srv = Server::http();
    srv.add("modem.bin", Route::fast(&modem_image(20_000, 3)));
    let dir = TempDir::new("op9");
    let mut sim = boot(dir.path(), &["--erase-ms", ERASE], b"");
    sim.send("AT#XFOTA=9");
    sim.expect(OK);
    sim.send(&start(&srv.url("modem.bin"), 2));
    sim.expect(OK);
    // Scratch erased up front: no 2,0/3,0, straight to progress.
    sim.expect(&urc("1,0,0"));
    sim.download_ok_from(vec![0]);
    reset(&mut sim, &urc("5,0"));
    reset(&mut sim, b"");
    let m = state(&dir).modem().unwrap();
    assert_eq!(&m.uuid, b"xfota-sim-mfw-v2");
    assert_eq!(m.activations, 1);
    assert!(m.dirty && !m.pending);
    sim.close();
}

#[test]
fn modem_download_into_dirty_scratch_erases_first() {
    let srv = Server::http();
    srv.add("modem.bin", Route::fast(&modem_image(20_000, 4)));
    let dir = TempDir::new("dirty");
    let mut sim = boot(dir.path(), &["--erase-ms", ERASE], b"");
    sim.send(&start(&srv.url("modem.bin"), 2));
    sim.expect(OK);
    sim.expect(&urc("1,0,0"));
    sim.download_ok_from(vec![0]);
    // Discard it (op 9 at stage 4): the scratch is clean again...
    sim.send("AT#XFOTA=9");
    sim.expect(OK);
    assert!(!state(&dir).modem().unwrap().dirty);
    // ...then a modem download dirties it, a cancel leaves it dirty.
    srv.add("slow.bin", Route::slow(&modem_image(20_000, 4), 512, 10));
    sim.send(&start(&srv.url("slow.bin"), 2));
    sim.expect(OK);
    sim.expect(&urc("1,0,0"));
    sim.send("AT#XFOTA=0");
    loop {
        let t = sim.token_or_panic();
        if t == "#XFOTA: 1,2,0" {
            break;
        }
        assert!(t.starts_with("#XFOTA: 1,0,"), "{t}");
    }
    sim.expect(OK);
    sim.quiet();
    assert!(state(&dir).modem().unwrap().dirty);
    // Next modem download: erase pending, erased, then the download from 0.
    sim.send(&start(&srv.url("modem.bin"), 2));
    sim.expect(&cat(&[OK, &urc("2,0"), &urc("3,0"), &urc("1,0,0")]));
    sim.download_ok_from(vec![0]);
    reset(&mut sim, &urc("5,0"));
    sim.close();
}

#[test]
fn cancel_mid_download_then_fresh_start_completes() {
    let srv = Server::http();
    let img = app_image(100_000, 5);
    srv.add("app.bin", Route::slow(&img, 1024, 10));
    let dir = TempDir::new("cancel");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.expect(&urc("1,0,0"));
    loop {
        let t = sim.token_or_panic();
        let p: u32 = t.strip_prefix("#XFOTA: 1,0,").unwrap().parse().unwrap();
        if p >= 2 {
            break;
        }
    }
    sim.send("AT#XFOTA=0");
    let mut last = 0;
    loop {
        let t = sim.token_or_panic();
        if t == "#XFOTA: 1,2,0" {
            break;
        }
        let p: u32 = t.strip_prefix("#XFOTA: 1,0,").unwrap().parse().unwrap();
        assert!(p > last && p < 100);
        last = p;
    }
    sim.expect(OK);
    std::thread::sleep(std::time::Duration::from_millis(200));
    sim.quiet();
    // Nothing is left behind; cancel again is an error (nothing downloads).
    sim.send("AT#XFOTA=0");
    sim.expect(ERROR);
    assert!(state(&dir).record().unwrap().is_none());
    // A fresh start begins at 0 (no resume) and completes.
    srv.add("app.bin", Route::fast(&img));
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.close();
}

#[test]
fn http_404_fails_1_1_1() {
    let srv = Server::http();
    srv.add("gone.bin", Route::NotFound);
    let dir = TempDir::new("404");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("gone.bin"), 1));
    sim.expect(&cat(&[OK, &urc("1,1,1")]));
    sim.quiet();
    // Idle again: a new start is accepted.
    srv.add("gone.bin", Route::fast(&app_image(5000, 6)));
    sim.send(&start(&srv.url("gone.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.close();
}

#[test]
fn connection_cut_mid_file_fails_1_1_1() {
    let srv = Server::http();
    let img = app_image(50_000, 7);
    srv.add(
        "cut.bin",
        Route::Cut {
            body: std::sync::Arc::new(img),
            after: 20_000,
        },
    );
    let dir = TempDir::new("cut");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("cut.bin"), 1));
    sim.expect(OK);
    sim.expect(&urc("1,0,0"));
    loop {
        let t = sim.token_or_panic();
        if t == "#XFOTA: 1,1,1" {
            break;
        }
        let p: u32 = t.strip_prefix("#XFOTA: 1,0,").unwrap().parse().unwrap();
        assert!(p <= 40, "{p}");
    }
    sim.quiet();
    let st = state(&dir);
    let m = st.mcuboot().unwrap();
    assert!(!m.pending);
    assert!(
        !st.path(m.secondary_file()).exists(),
        "dfu target reset erases the slot"
    );
    reset(&mut sim, b"");
    sim.close();
}

#[test]
fn image_type_mismatch_both_ways_and_unknown() {
    let srv = Server::http();
    srv.add("app.bin", Route::fast(&app_image(5000, 8)));
    srv.add("modem.bin", Route::fast(&modem_image(5000, 8)));
    srv.add("junk.bin", Route::fast(&[0x55; 3000]));
    let dir = TempDir::new("mismatch");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("modem.bin"), 1));
    sim.expect(&cat(&[OK, &urc("1,1,3")]));
    sim.send(&start(&srv.url("app.bin"), 2));
    sim.expect(&cat(&[OK, &urc("1,1,3")]));
    sim.send(&start(&srv.url("junk.bin"), 1));
    sim.expect(&cat(&[OK, &urc("1,1,2")]));
    sim.quiet();
    // The modem scratch was never touched.
    assert!(!state(&dir).modem().unwrap().dirty);
    sim.close();
}

#[test]
fn https_sec_tag_rules() {
    let good = pki();
    let other = pki();
    let srv = Server::https(good.server.clone());
    srv.add("app.bin", Route::fast(&app_image(30_000, 9)));
    let tags = TempDir::new("tags");
    install_ca(tags.path(), 42, &good.ca_pem);
    install_ca(tags.path(), 7, &other.ca_pem);
    let dir = TempDir::new("https");
    let tag_arg = tags.path().to_str().unwrap();
    let mut sim = boot(dir.path(), &["--sec-tag-dir", tag_arg], b"");
    let url = srv.url("app.bin");
    // https without sec_tag: refused by the grammar.
    sim.send(&format!("AT#XFOTA=1,\"{url}\""));
    sim.expect(ERROR);
    // Wrong CA: the TLS handshake fails.
    sim.send(&format!("AT#XFOTA=1,\"{url}\",7"));
    sim.expect(&cat(&[OK, &urc("1,1,1")]));
    // No credentials for the tag: never trust silently.
    sim.send(&format!("AT#XFOTA=1,\"{url}\",99"));
    sim.expect(&cat(&[OK, &urc("1,1,1")]));
    // Right CA.
    sim.send(&format!("AT#XFOTA=1,\"{url}\",42"));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.close();
}

#[test]
fn corrupt_app_image_rejected_before_4_0() {
    // Issue 13: a valid header with a flipped body byte fails the SHA-256 TLV check at the end
    // of the download: 1,1,2 instead of 4,0, nothing to activate, a good image starts next.
    let srv = Server::http();
    let mut img = app_image(20_000, 10);
    img[0x200 + 100] ^= 0xff;
    srv.add("bad.bin", Route::fast(&img));
    srv.add("good.bin", Route::fast(&app_image(20_000, 11)));
    let dir = TempDir::new("bad");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("bad.bin"), 1));
    sim.expect(OK);
    let mut pcts = Vec::new();
    loop {
        let t = sim.token_or_panic();
        if let Some(p) = t.strip_prefix("#XFOTA: 1,0,") {
            pcts.push(p.parse::<u32>().unwrap());
        } else {
            assert_eq!(t, "#XFOTA: 1,1,2", "stderr:\n{}", sim.stderr());
            break;
        }
    }
    assert_eq!(pcts.last(), Some(&100));
    sim.quiet();
    assert!(state(&dir).record().unwrap().is_none());
    let m = state(&dir).mcuboot().unwrap();
    assert!(!m.pending, "nothing scheduled");
    reset(&mut sim, b"");
    sim.send(&start(&srv.url("good.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    let m = state(&dir).mcuboot().unwrap();
    assert_eq!(m.activations, 1);
    sim.close();
}

#[test]
fn image_rejected_by_mcuboot_at_boot_reverts_5_3() {
    // Verified at download time, then corrupted in flash before the reset (a flash fault):
    // MCUboot refuses it at boot, the old image runs, the core says 5,3 by identity.
    let srv = Server::http();
    srv.add("app.bin", Route::fast(&app_image(20_000, 10)));
    let dir = TempDir::new("flashfault");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    let st = state(&dir);
    let slot = st.mcuboot().unwrap().secondary_file();
    let mut bytes = st.read(slot).unwrap().unwrap();
    bytes[0x200 + 7] ^= 1;
    std::fs::write(st.path(slot), bytes).unwrap();
    reset(&mut sim, &urc("5,3"));
    reset(&mut sim, b"");
    let m = state(&dir).mcuboot().unwrap();
    assert_eq!((m.activations, m.primary_id.as_str()), (0, "factory"));
    sim.close();
}

#[test]
fn wrong_uuid_modem_image_5_1_71303172() {
    let srv = Server::http();
    let mut m = ModemImage::new(8000, 11, *b"xfota-sim-mfw-v3");
    m.source_uuid = *b"some-other-mfw-0";
    srv.add("modem.bin", Route::fast(&m.build()));
    let dir = TempDir::new("uuid");
    let mut sim = boot(dir.path(), &["--erase-ms", ERASE], b"");
    sim.send(&start(&srv.url("modem.bin"), 2));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,1,71303172"));
    reset(&mut sim, b"");
    let st = state(&dir).modem().unwrap();
    assert_eq!((st.uuid, st.activations), (MODEM_FACTORY_UUID, 0));
    sim.close();
}

#[test]
fn progress_of_1_mib_in_small_chunks() {
    let srv = Server::http();
    let img = app_image(1024 * 1024, 12);
    srv.add("big.bin", Route::slow(&img, 700, 0));
    let dir = TempDir::new("big");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("big.bin"), 1));
    sim.expect(OK);
    let pcts = sim.download_ok();
    assert!(pcts.len() <= 101 && pcts.len() > 10, "{}", pcts.len());
    let st = state(&dir);
    let m = st.mcuboot().unwrap();
    assert_eq!(std::fs::read(st.path(m.secondary_file())).unwrap(), img);
    reset(&mut sim, &urc("5,0"));
    sim.close();
}

#[test]
fn eof_exits_0_during_a_download() {
    let srv = Server::http();
    srv.add("app.bin", Route::slow(&app_image(100_000, 13), 1024, 20));
    let dir = TempDir::new("eof");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.expect(&urc("1,0,0"));
    sim.close();
    // Restart: idle, nothing activated.
    let sim = boot(dir.path(), &[], b"");
    assert_eq!(state(&dir).mcuboot().unwrap().activations, 0);
    sim.close();
}

#[test]
fn sigkill_during_download_restarts_idle() {
    let srv = Server::http();
    let img = app_image(100_000, 14);
    srv.add("app.bin", Route::slow(&img, 1024, 10));
    let dir = TempDir::new("kill-dl");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.expect(&urc("1,0,0"));
    sim.token_or_panic();
    sim.kill();
    // Power back: Ready, no URC, idle.
    let mut sim = boot(dir.path(), &[], b"");
    sim.send("AT#XFOTA=0");
    sim.expect(ERROR);
    let st = state(&dir);
    assert!(st.record().unwrap().is_none());
    assert!(!st.mcuboot().unwrap().pending);
    // A new start is accepted and completes.
    srv.add("app.bin", Route::fast(&img));
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.close();
}

#[test]
fn sigkill_right_after_4_0_reports_5_0_exactly_once() {
    let srv = Server::http();
    srv.add("app.bin", Route::fast(&app_image(30_000, 15)));
    let dir = TempDir::new("kill-4");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.kill();
    let mut sim = boot(dir.path(), &[], &urc("5,0"));
    reset(&mut sim, b"");
    sim.kill();
    let sim = boot(dir.path(), &[], b"");
    let m = state(&dir).mcuboot().unwrap();
    assert_eq!((m.activations, m.reverts, m.test), (1, 0, false));
    sim.close();
}

#[test]
fn sigkill_right_after_4_0_modem() {
    let srv = Server::http();
    srv.add("modem.bin", Route::fast(&modem_image(30_000, 16)));
    let dir = TempDir::new("kill-4m");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("modem.bin"), 2));
    sim.expect(OK);
    sim.download_ok();
    sim.kill();
    let sim = boot(dir.path(), &[], &urc("5,0"));
    sim.close();
    let sim = boot(dir.path(), &[], b"");
    sim.close();
    assert_eq!(state(&dir).modem().unwrap().activations, 1);
}

/// Power cut after the result URC, before the record is cleared: the only window in which
/// the result repeats. Then never again.
#[test]
fn power_cut_during_modem_boot_report_repeats_once() {
    let srv = Server::http();
    srv.add("modem.bin", Route::fast(&modem_image(10_000, 17)));
    let dir = TempDir::new("cut-report-m");
    let mut sim = Sim::start(
        dir.path(),
        &[],
        &[("XFOTA_SIM_POWER_CUT", "remove:record:1")],
    );
    sim.expect(b"Ready\r\n");
    sim.send(&start(&srv.url("modem.bin"), 2));
    sim.expect(OK);
    sim.download_ok();
    sim.send("AT#XRESET");
    sim.expect(&cat(&[OK, b"Ready\r\n", &urc("5,0")]));
    assert_eq!(sim.token(), None, "power cut expected");
    sim.wait_exit();
    let mut sim = boot(dir.path(), &[], &urc("5,0"));
    reset(&mut sim, b"");
    sim.close();
    assert_eq!(state(&dir).modem().unwrap().activations, 1);
}

/// Power cut after `Ready`, before the test image is confirmed: MCUboot reverts at the next
/// boot and the result is "reverted", reported once; the image was activated once.
#[test]
fn power_cut_during_app_boot_report_before_confirm_reverts() {
    let srv = Server::http();
    srv.add("app.bin", Route::fast(&app_image(10_000, 18)));
    let dir = TempDir::new("cut-report-a");
    let mut sim = Sim::start(dir.path(), &[], &[("XFOTA_SIM_POWER_CUT", "confirm:1")]);
    sim.expect(b"Ready\r\n");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.send("AT#XRESET");
    sim.expect(&cat(&[OK, b"Ready\r\n"]));
    assert_eq!(sim.token(), None, "power cut expected");
    sim.wait_exit();
    let mut sim = boot(dir.path(), &[], &urc("5,3"));
    reset(&mut sim, b"");
    sim.close();
    let m = state(&dir).mcuboot().unwrap();
    assert_eq!(
        (m.activations, m.reverts, m.primary_id.as_str()),
        (1, 1, "factory")
    );
}

#[test]
fn line_terminators_and_other_commands() {
    let dir = TempDir::new("lines");
    let mut sim = Sim::start(dir.path(), &[], &[]);
    sim.expect(b"Ready\r\n");
    let s = "AT\rat#xfota=?\nAT+CFUN?\r\n\r\nAT#XFOTA?\r\n";
    // Write raw bytes (no added terminator) through the same pipe.
    sim.send(s.trim_end());
    sim.expect(OK);
    sim.expect(b"\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n\r\nOK\r\n");
    sim.expect(ERROR);
    sim.expect(ERROR);
    sim.quiet();
    sim.close();
}

#[test]
fn state_files_decode_and_corrupt_record_is_dropped() {
    let dir = TempDir::new("corrupt");
    std::fs::write(dir.path().join("record"), b"garbage!").unwrap();
    StateDir::open(dir.path())
        .unwrap()
        .save_modem(&ModemState::default())
        .unwrap();
    let sim = boot(dir.path(), &[], b"");
    sim.close();
    assert!(state(&dir).check().unwrap().2.is_none());
}

#[test]
fn pty_serves_the_same_bytes() {
    use std::io::{Read, Write};
    let dir = TempDir::new("pty");
    let sim = Sim::start(dir.path(), &["--pty"], &[]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let path = loop {
        // Whole lines only: the simulator may be in the middle of writing this one.
        if let Some(p) = sim
            .stderr()
            .split_inclusive('\n')
            .filter_map(|l| l.strip_suffix('\n'))
            .find_map(|l| l.strip_prefix("xfota-sim: pty ").map(str::to_owned))
        {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "no pty path");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut reader = tty.try_clone().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut b = [0u8; 256];
        while let Ok(n) = reader.read(&mut b) {
            if n == 0 || tx.send(b[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    tty.write_all(b"AT\r\nAT#XFOTA=?\r").unwrap();
    let want: &[u8] =
        b"Ready\r\n\r\nOK\r\n\r\n#XFOTA: (0,1,2,8,9),<file_url>,<sec_tag>,<apn>\r\n\r\nOK\r\n";
    let mut got = Vec::new();
    while got.len() < want.len() {
        let chunk = rx
            .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
            .unwrap_or_else(|_| panic!("pty timeout, got {:?}", String::from_utf8_lossy(&got)));
        got.extend_from_slice(&chunk);
    }
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
    drop(sim);
}
