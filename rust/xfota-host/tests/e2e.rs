//! xfota-host end to end: the binary as a child process against the simulator's pty and a
//! local HTTP server (and, for outcomes the simulator cannot produce on demand, a scripted peer
//! speaking the wire contract's exact bytes).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use serialport::SerialPort;
use std::process::Stdio;
use std::time::Duration;

fn app_image() -> Vec<u8> {
    make_image("app", &["--size", "60000"])
}

/// Device and server with `path` served.
fn setup(path: &str, route: Route) -> (Sim, Server) {
    let sim = Sim::start();
    let server = Server::http();
    server.add(path, route);
    (sim, server)
}

fn percentages(stderr: &str) -> Vec<u32> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("xfota-host: downloaded "))
        .filter_map(|l| l.strip_suffix('%'))
        .map(|p| p.parse().unwrap())
        .collect()
}

#[test]
fn app_update_succeeds_with_progress() {
    let (sim, server) = setup("app.bin", Route::slow(&app_image(), 4096, 5));
    let r = host(&["--port", &sim.pty, "app", &server.url("app.bin")]);
    r.assert(0, "(#XFOTA: 5,0)");
    assert!(r.line().starts_with("updated: "), "{r:#?}");
    // stderr is not a terminal: one progress line per 10 %, 0 first, 100 last.
    let p = percentages(&r.stderr);
    assert_eq!(p.first(), Some(&0), "{r:#?}");
    assert_eq!(p.last(), Some(&100), "{r:#?}");
    assert!(p.windows(2).all(|w| w[1] / 10 > w[0] / 10), "{p:?}");
    assert!(r.stderr.contains("AT#XRESET"), "{r:#?}");
    // The device is idle and reports nothing more: the result was consumed, not repeated.
    let mut t = Term::open(&sim.pty);
    t.exchange("AT", &["OK"]);
}

#[test]
fn progress_bar_only_on_a_terminal() {
    let (sim, server) = setup("app.bin", Route::slow(&app_image(), 4096, 5));
    let (mut master, slave) = serialport::TTYPort::pair().unwrap();
    let tty = std::fs::OpenOptions::new()
        .write(true)
        .open(slave.name().unwrap())
        .unwrap();
    let h = Host::spawn_with_stderr(
        &["--port", &sim.pty, "app", &server.url("app.bin")],
        Stdio::from(tty),
    );
    let mut seen = Vec::new();
    let reader = std::thread::spawn(move || {
        let mut b = [0u8; 4096];
        let end = std::time::Instant::now() + TIMEOUT;
        while std::time::Instant::now() < end {
            match std::io::Read::read(&mut master, &mut b) {
                Ok(n) => seen.extend_from_slice(&b[..n]),
                Err(_) if String::from_utf8_lossy(&seen).contains("restarted") => break,
                Err(_) => {}
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let r = h.wait();
    r.assert(0, "(#XFOTA: 5,0)");
    let term = reader.join().unwrap();
    drop(slave);
    assert!(term.contains("] 100%"), "no bar on the terminal: {term:?}");
    assert!(term.contains("[===="), "no bar on the terminal: {term:?}");
    assert!(
        !term.contains("downloaded 10%"),
        "text progress on a terminal: {term:?}"
    );
    // --quiet: nothing but what the device says on its own (here: nothing).
    let (sim, server) = setup("app.bin", Route::fast(&app_image()));
    let r = host(&["--port", &sim.pty, "--quiet", "app", &server.url("app.bin")]);
    r.assert(0, "(#XFOTA: 5,0)");
    assert_eq!(r.stderr, "", "{r:#?}");
}

#[test]
fn modem_updates_succeed_and_show_the_erase() {
    let sim = Sim::start();
    let server = Server::http();
    server.add(
        "v2.bin",
        Route::fast(&make_image("modem", &["--size", "30000"])),
    );
    let r = host(&["--port", &sim.pty, "modem", &server.url("v2.bin")]);
    r.assert(0, "(#XFOTA: 5,0)");
    assert!(
        r.line().contains("the modem runs the new firmware"),
        "{r:#?}"
    );
    // The scratch area now holds the previous delta: the next download erases it first.
    server.add(
        "v3.bin",
        Route::fast(&make_image(
            "modem",
            &[
                "--size",
                "20000",
                "--source-uuid",
                "xfota-sim-mfw-v2",
                "--target-uuid",
                "xfota-sim-mfw-v3",
            ],
        )),
    );
    let r = host(&["--port", &sim.pty, "modem", &server.url("v3.bin")]);
    r.assert(0, "(#XFOTA: 5,0)");
    let erasing = r
        .stderr
        .find("xfota-host: erasing")
        .expect("no erase stage");
    let erased = r
        .stderr
        .find("xfota-host: erased")
        .expect("no erased stage");
    let first = r.stderr.find("downloaded 0%").unwrap();
    assert!(erasing < erased && erased < first, "{r:#?}");
}

#[test]
fn modem_failures_at_boot_exit_6() {
    let sim = Sim::start();
    let server = Server::http();
    // A delta for a firmware the modem does not run.
    server.add(
        "foreign.bin",
        Route::fast(&make_image(
            "modem",
            &["--size", "3000", "--source-uuid", "some-other-mfw-0"],
        )),
    );
    let r = host(&["--port", &sim.pty, "modem", &server.url("foreign.bin")]);
    r.assert(6, "(#XFOTA: 5,1,71303172)");
    assert!(r.line().starts_with("update failed at boot: "), "{r:#?}");
    // Voltage low: postponed, the update still waits.
    server.add(
        "low.bin",
        Route::fast(&make_image(
            "modem",
            &["--size", "3000", "--result", "0x4400005"],
        )),
    );
    let r = host(&["--port", &sim.pty, "modem", &server.url("low.bin")]);
    r.assert(6, "(#XFOTA: 4,1,71303173)");
    assert!(r.line().starts_with("update postponed: "), "{r:#?}");
}

#[test]
fn not_found_exits_3() {
    let (sim, server) = setup("app.bin", Route::NotFound);
    let r = host(&["--port", &sim.pty, "app", &server.url("app.bin")]);
    r.assert(3, "(#XFOTA: 1,1,1)");
    assert!(r.line().starts_with("download failed: "), "{r:#?}");
}

#[test]
fn corrupt_image_exits_4() {
    let img = make_image("app", &["--size", "20000", "--corrupt"]);
    let (sim, server) = setup("bad.bin", Route::fast(&img));
    let r = host(&["--port", &sim.pty, "app", &server.url("bad.bin")]);
    r.assert(4, "(#XFOTA: 1,1,2)");
    assert!(r.line().starts_with("image rejected: "), "{r:#?}");
}

#[test]
fn mismatch_exits_4() {
    let (sim, server) = setup("modem.bin", Route::fast(&make_image("modem", &[])));
    server.add("app.bin", Route::fast(&app_image()));
    let r = host(&["--port", &sim.pty, "app", &server.url("modem.bin")]);
    r.assert(4, "(#XFOTA: 1,1,3)");
    assert!(r.line().starts_with("image mismatch: "), "{r:#?}");
    let r = host(&["--port", &sim.pty, "modem", &server.url("app.bin")]);
    r.assert(4, "(#XFOTA: 1,1,3)");
}

#[test]
fn stalled_server_times_out_and_leaves_the_device_idle() {
    let img = app_image();
    let (sim, server) = setup(
        "stall.bin",
        Route::Stall {
            body: std::sync::Arc::new(img.clone()),
            after: 10_000,
        },
    );
    let r = host(&[
        "--port",
        &sim.pty,
        "--timeout",
        "1",
        "app",
        &server.url("stall.bin"),
    ]);
    r.assert(7, "(#XFOTA: 1,2,0)");
    assert!(
        r.line()
            .starts_with("timeout: no progress from the device for 1 s"),
        "{r:#?}"
    );
    assert!(r.line().contains("cancelled on the device"), "{r:#?}");
    assert!(r.took < Duration::from_secs(6), "{r:#?}");
    // Idle: a new update goes through.
    server.add("app.bin", Route::fast(&img));
    let r = host(&["--port", &sim.pty, "app", &server.url("app.bin")]);
    r.assert(0, "(#XFOTA: 5,0)");
}

#[test]
fn no_reset_stops_at_4_0_and_the_image_waits() {
    let (sim, server) = setup("app.bin", Route::fast(&app_image()));
    let r = host(&[
        "--port",
        &sim.pty,
        "app",
        &server.url("app.bin"),
        "--no-reset",
    ]);
    r.assert(0, "(#XFOTA: 4,0)");
    assert!(r.line().starts_with("downloaded: "), "{r:#?}");
    assert!(!r.stderr.contains("AT#XRESET"), "{r:#?}");
    // A waiting image: the device refuses a new start (ERROR -> exit 2).
    let r = host(&["--port", &sim.pty, "app", &server.url("app.bin")]);
    r.assert(2, "(ERROR)");
    assert!(r.line().starts_with("refused: "), "{r:#?}");
    // No reset was sent: the image is still waiting and activates at this one.
    let mut t = Term::open(&sim.pty);
    t.exchange("AT#XRESET", &["OK", "Ready", "#XFOTA: 5,0"]);
}

#[test]
fn erase_discards_a_waiting_image() {
    let (sim, server) = setup("app.bin", Route::fast(&app_image()));
    host(&[
        "--port",
        &sim.pty,
        "app",
        &server.url("app.bin"),
        "--no-reset",
    ])
    .assert(0, "4,0");
    let r = host(&["--port", &sim.pty, "erase", "app"]);
    r.assert(0, "(OK)");
    assert!(r.line().starts_with("erased: "), "{r:#?}");
    // Nothing activates at the next reset.
    let mut t = Term::open(&sim.pty);
    t.exchange("AT#XRESET", &["OK", "Ready"]);
    drop(t);
    host(&["--port", &sim.pty, "erase", "modem"]).assert(0, "(OK)");
}

#[test]
fn cancel_from_another_shell_stops_the_running_update() {
    let (sim, server) = setup("slow.bin", Route::slow(&app_image(), 1024, 50));
    let update = Host::spawn(&["--port", &sim.pty, "app", &server.url("slow.bin")]);
    server.wait_hit("slow.bin");
    // The port is held: another update cannot talk to it.
    let r = host(&["--port", &sim.pty, "erase", "app"]);
    r.assert(7, "another xfota-host is using");
    let c = host(&["--port", &sim.pty, "cancel"]);
    let u = update.wait();
    u.assert(8, "(#XFOTA: 1,2,0)");
    assert!(u.line().starts_with("cancelled: "), "{u:#?}");
    c.assert(0, "(#XFOTA: 1,2,0)");
    assert!(c.line().starts_with("cancelled: "), "{c:#?}");
    // Nothing runs any more.
    let r = host(&["--port", &sim.pty, "cancel"]);
    r.assert(2, "(ERROR)");
    assert!(r.line().starts_with("nothing to cancel: "), "{r:#?}");
}

#[test]
fn cancel_a_download_nobody_drives() {
    let (sim, server) = setup("slow.bin", Route::slow(&app_image(), 1024, 50));
    let mut t = Term::open(&sim.pty);
    t.send(&format!("AT#XFOTA=1,\"{}\"", server.url("slow.bin")));
    assert_eq!(t.line(), "OK");
    drop(t);
    server.wait_hit("slow.bin");
    let r = host(&["--port", &sim.pty, "cancel"]);
    r.assert(0, "(#XFOTA: 1,2,0)");
}

#[test]
fn ctrl_c_cancels_on_the_device() {
    let (sim, server) = setup("slow.bin", Route::slow(&app_image(), 1024, 50));
    let update = Host::spawn(&["--port", &sim.pty, "app", &server.url("slow.bin")]);
    server.wait_hit("slow.bin");
    std::thread::sleep(Duration::from_millis(200));
    update.interrupt();
    let r = update.wait();
    r.assert(8, "(#XFOTA: 1,2,0)");
    let r = host(&["--port", &sim.pty, "cancel"]);
    r.assert(2, "(ERROR)");
}

#[test]
fn refused_url_exits_2_without_opening_the_port() {
    // The port does not exist: exit 2 (not 7) shows it was never opened.
    let port = "/dev/xfota-host-test-no-such-port";
    for (args, reason) in [
        (vec!["app", "ftp://h/a.bin"], "http:// or https://"),
        (vec!["app", "http://user:pw@h/a.bin"], "user:password@"),
        (vec!["modem", "https://h/m.bin"], "--sec-tag"),
        (vec!["app", "http://h"], "file path"),
        (vec!["app", "http://h/a.bin", "--apn", "bad apn"], "--apn"),
        (
            vec!["app", "https://h/a.bin", "--sec-tag", "-1"],
            "--sec-tag",
        ),
        (vec!["app", "http://h/a\",1,\"x"], "'\"'"),
    ] {
        let mut a = vec!["--port", port];
        a.extend(args.iter().copied());
        let r = host(&a);
        r.assert(2, reason);
        assert!(r.line().contains("nothing was sent"), "{r:#?}");
    }
}

#[test]
fn unopenable_port_exits_7_with_one_line() {
    let r = host(&[
        "--port",
        "/dev/xfota-host-test-no-such-port",
        "erase",
        "app",
    ]);
    r.assert(7, "cannot open /dev/xfota-host-test-no-such-port");
    assert_eq!(r.stderr, "", "{r:#?}");
    let d = TempDir::new("notatty");
    let f = d.path().join("file");
    std::fs::write(&f, b"").unwrap();
    let r = host(&["--port", f.to_str().unwrap(), "app", "http://h/a.bin"]);
    r.assert(7, "cannot open");
}

#[test]
fn device_gone_mid_download_exits_7() {
    let (mut sim, server) = setup("slow.bin", Route::slow(&app_image(), 1024, 50));
    let update = Host::spawn(&["--port", &sim.pty, "app", &server.url("slow.bin")]);
    server.wait_hit("slow.bin");
    sim.kill();
    let r = update.wait();
    r.assert(7, "");
    assert!(r.line().starts_with("port closed: "), "{r:#?}");
}

#[test]
fn usage_errors_exit_1() {
    assert_eq!(host(&["app", "http://h/a.bin"]).code, 1);
    assert_eq!(host(&["--port", "/dev/null", "erase", "both"]).code, 1);
    assert_eq!(
        host(&["--port", "/dev/null", "--timeout", "0", "cancel"]).code,
        1
    );
    let h = host(&["--help"]);
    assert_eq!(h.code, 0);
    for s in [
        "Exit status:",
        "  7  timeout",
        "--no-flow-control",
        "erase app|modem",
    ] {
        assert!(h.stdout.contains(s), "--help lacks {s:?}");
    }
}

// ---------------------------------------------------------------- scripted peer

fn ok() -> String {
    framed("OK")
}

/// Answers `AT` and the start, then `download`, then on `AT#XRESET` the `boot` chunks.
fn device(download: Vec<String>, boot: Vec<String>) -> Scripted {
    Scripted::start(move |l| {
        if l == "AT" {
            vec![ok()]
        } else if l.starts_with("AT#XFOTA=1,") || l.starts_with("AT#XFOTA=2,") {
            let mut v = vec![ok()];
            v.extend(download.iter().cloned());
            v
        } else if l == "AT#XRESET" {
            let mut v = vec![ok(), "Ready\r\n".to_owned()];
            v.extend(boot.iter().cloned());
            v
        } else {
            vec![framed("ERROR")]
        }
    })
}

fn fota(s: &str) -> String {
    framed(&format!("#XFOTA: {s}"))
}

fn downloaded() -> Vec<String> {
    vec![fota("1,0,0"), fota("1,0,50"), fota("1,0,100"), fota("4,0")]
}

#[test]
fn other_notifications_are_shown_never_lost() {
    let d = device(
        vec![
            fota("1,0,0"),
            framed("+CEREG: 5,\"4E2C\",\"0123ABCD\",7"),
            fota("1,0,60"),
            framed("#XMODEM: FAULT,0x1,0x2"),
            fota("1,0,100"),
            fota("4,0"),
        ],
        vec![framed("#XMODEM: INIT,0"), fota("5,0")],
    );
    let r = host(&["--port", &d.path, "--quiet", "app", "http://h/a.bin"]);
    r.assert(0, "(#XFOTA: 5,0)");
    assert_eq!(
        r.stderr.lines().collect::<Vec<_>>(),
        [
            "+CEREG: 5,\"4E2C\",\"0123ABCD\",7",
            "#XMODEM: FAULT,0x1,0x2",
            "#XMODEM: INIT,0"
        ]
    );
    assert_eq!(
        d.sent(),
        ["AT", "AT#XFOTA=1,\"http://h/a.bin\"", "AT#XRESET"]
    );
}

#[test]
fn boot_outcomes_the_simulator_cannot_produce() {
    for (image, boot, code, raw) in [
        ("app", "5,3", 5, "(#XFOTA: 5,3)"),
        ("app", "5,1,2", 6, "(#XFOTA: 5,1,2)"),
        ("modem", "5,1,-2", 6, "(#XFOTA: 5,1,-2)"),
    ] {
        let d = device(downloaded(), vec![fota(boot)]);
        let r = host(&["--port", &d.path, image, "http://h/x.bin"]);
        r.assert(code, raw);
    }
    let d = device(downloaded(), vec![fota("5,1,-2")]);
    let r = host(&["--port", &d.path, "modem", "http://h/x.bin"]);
    assert!(r.line().contains("outcome unknown"), "{r:#?}");
}

#[test]
fn start_refused_by_the_downloader_exits_2() {
    // `1,1,<errno>` then ERROR: the downloader could not start.
    let d = Scripted::start(|l| {
        if l == "AT" {
            vec![ok()]
        } else {
            vec![fota("1,1,-12"), framed("ERROR")]
        }
    });
    let r = host(&["--port", &d.path, "app", "http://h/a.bin"]);
    r.assert(2, "(#XFOTA: 1,1,-12)");
}

#[test]
fn restart_during_download_exits_3() {
    let d = device(vec![fota("1,0,0"), "Ready\r\n".to_owned()], vec![]);
    let r = host(&["--port", &d.path, "app", "http://h/a.bin"]);
    r.assert(3, "(Ready)");
    assert!(r.line().contains("restarted"), "{r:#?}");
}

#[test]
fn cancel_before_the_start_sends_nothing() {
    // A device that does not answer AT (yet): the update waits in its first step.
    let d = Scripted::start(|_| vec![]);
    let update = Host::spawn(&["--port", &d.path, "app", "http://h/a.bin"]);
    let deadline = std::time::Instant::now() + TIMEOUT;
    while d.sent().is_empty() {
        assert!(std::time::Instant::now() < deadline, "nothing sent");
        std::thread::sleep(Duration::from_millis(10));
    }
    let c = host(&["--port", &d.path, "cancel"]);
    let u = update.wait();
    u.assert(8, "nothing was sent");
    c.assert(0, "nothing was sent");
    assert_eq!(d.sent(), ["AT"]);
}

#[test]
fn probe_waits_out_a_boot() {
    // The first AT reaches a booting device: lost, then `Ready`. xfota-host asks again.
    let mut first = true;
    let d = Scripted::start(move |l| match l {
        "AT" if first => {
            first = false;
            vec!["Ready\r\n".to_owned()]
        }
        "AT" => vec![ok()],
        "AT#XFOTA=8" => vec![ok()],
        _ => vec![framed("ERROR")],
    });
    let r = host(&["--port", &d.path, "erase", "app"]);
    r.assert(0, "(OK)");
    assert_eq!(d.sent(), ["AT", "AT", "AT#XFOTA=8"]);
    assert!(r.took >= Duration::from_millis(900), "{r:#?}");
}
