//! The device's download against real servers: nginx (HTTP/1.1 and HTTPS reference), Python's
//! stock http.server (HTTP/1.0) and the in-process test server's misbehaviours. The simulator
//! runs as a child process; `--check-server` is run against the same servers and its verdict
//! and exit status checked.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use std::time::{Duration, Instant};
use xfota_sim::image::{foreign_uuid, AppImage, ModemImage, MODEM_DELTA_MAGIC};

const TAG: u32 = 42;

fn start_tls(url: &str, op: u8) -> String {
    format!("AT#XFOTA={op},\"{url}\",{TAG}")
}

/// Progress URCs until the next non-progress token, which is returned.
fn until_not_progress(sim: &mut Sim) -> String {
    loop {
        let t = sim.token_or_panic();
        if !t.starts_with("#XFOTA: 1,0,") {
            return t;
        }
    }
}

fn tags_for(ca_pem: &str) -> TempDir {
    let tags = TempDir::new("tags");
    install_ca(tags.path(), TAG, ca_pem);
    tags
}

fn cgmr(sim: &mut Sim) -> String {
    sim.send("AT+CGMR");
    let t = sim.token_or_panic();
    sim.expect(b"OK\r\n");
    t
}

#[test]
fn nginx_http_app_and_modem_one_get_each() {
    let app = app_image(60_000, 1);
    let modem = modem_image(30_000, 2);
    let ngx = Nginx::start("", &[("app.bin", &app), ("modem.bin", &modem)]);
    let dir = TempDir::new("ngx-http");
    let mut sim = boot(dir.path(), &["--erase-ms", ERASE], b"");
    sim.send(&start(&ngx.url(false, "app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.send(&start(&ngx.url(false, "modem.bin"), 2));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    assert_eq!(cgmr(&mut sim), "mfw_nrf91x1_xfota-sim-mfw-v2");
    sim.close();
    // Plain HTTP: one GET for the whole file, 200, no Range.
    for (path, len) in [("/app.bin", app.len()), ("/modem.bin", modem.len())] {
        let log = ngx.access_to(path);
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!((log[0].status, log[0].range.as_deref()), (200, None));
        assert_eq!(log[0].body_bytes, len as u64);
        assert_eq!(log[0].request, format!("GET {path} HTTP/1.1"));
    }
    let (ok, out) = check_server(&ngx.url(false, "app.bin"), &["--image", "app"]);
    assert!(ok, "{out}");
    assert_eq!(
        verdict(&out),
        format!(
            "OK: a device would download {} bytes in 1 requests",
            app.len()
        )
    );
    assert!(
        out.contains("> GET /app.bin HTTP/1.1 | Host: 127.0.0.1 | Connection: keep-alive\n"),
        "{out}"
    );
}

/// Checks nginx's log of one HTTPS download: ranged GETs of at most 2048 bytes, each answered
/// 206, together covering the file once, on keep-alive connections.
fn assert_ranged(log: &[Access], len: usize) {
    assert!(!log.is_empty());
    let mut next = 0u64;
    let mut prev_lo = None;
    for a in log.iter().filter(|a| a.status == 206) {
        let (lo, hi) = a
            .range_bounds()
            .unwrap_or_else(|| panic!("no range: {a:?}"));
        let hi = hi.unwrap();
        assert!(
            hi - lo < 2048,
            "a request spans more than 2048 bytes: {a:?}"
        );
        assert!(a.body_bytes <= 2048, "{a:?}");
        if prev_lo == Some(lo) {
            // The same offset again: the device's retry with a shorter range after EMSGSIZE
            // (nginx's 206 headers plus 2048 bytes exceed the modem's 2303-byte TLS buffer).
            next = lo;
        }
        assert_eq!(lo, next, "ranges must be contiguous: {log:?}");
        prev_lo = Some(lo);
        next = hi + 1;
    }
    assert_eq!(next, len as u64);
    for a in log {
        assert!(a.range.is_some(), "every HTTPS request is ranged: {a:?}");
        let (lo, hi) = a.range_bounds().unwrap();
        assert!(hi.unwrap() - lo < 2048, "{a:?}");
    }
    let conns: std::collections::BTreeSet<u64> = log.iter().map(|a| a.connection).collect();
    assert!(conns.len() * 4 < log.len(), "keep-alive: {log:?}");
}

#[test]
fn nginx_https_app_and_modem_in_ranges_of_at_most_2048() {
    let app = app_image(40_000, 3);
    let modem = modem_image(20_000, 4);
    let ngx = Nginx::start("", &[("app.bin", &app), ("modem.bin", &modem)]);
    let tags = tags_for(&ngx.ca_pem);
    let dir = TempDir::new("ngx-https");
    let tag_dir = tags.path().to_str().unwrap();
    let mut sim = boot(
        dir.path(),
        &["--erase-ms", ERASE, "--sec-tag-dir", tag_dir],
        b"",
    );
    sim.send(&start_tls(&ngx.url(true, "app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.send(&start_tls(&ngx.url(true, "modem.bin"), 2));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.close();
    assert_ranged(&ngx.access_to("/app.bin"), app.len());
    assert_ranged(&ngx.access_to("/modem.bin"), modem.len());
    let tag = TAG.to_string();
    let (ok, out) = check_server(
        &ngx.url(true, "app.bin"),
        &[
            "--sec-tag-dir",
            tag_dir,
            "--sec-tag",
            &tag,
            "--image",
            "app",
        ],
    );
    assert!(ok, "{out}");
    assert!(
        verdict(&out).starts_with(&format!(
            "OK: a device would download {} bytes in ",
            app.len()
        )),
        "{out}"
    );
    eprintln!("{out}");
    assert!(out.contains("| Range: bytes=0-2047 |"), "{out}");
    assert!(
        out.contains("the device fell back to 1920-byte ranges"),
        "{out}"
    );
    assert!(out.contains("| Range: bytes=1920-3839 |"), "{out}");
    // The wrong image type is refused.
    let (ok, out) = check_server(
        &ngx.url(true, "app.bin"),
        &[
            "--sec-tag-dir",
            tag_dir,
            "--sec-tag",
            &tag,
            "--image",
            "modem",
        ],
    );
    assert!(!ok);
    assert!(verdict(&out).ends_with("-> #XFOTA: 1,1,3"), "{out}");
}

#[test]
fn python_http_server_answers_http_1_0_and_fails_1_1_1() {
    let www = TempDir::new("py-www");
    std::fs::write(www.path().join("app.bin"), app_image(20_000, 5)).unwrap();
    let py = PyServer::start(www.path());
    let dir = TempDir::new("py");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&py.url("app.bin"), 1));
    sim.expect(&cat(&[OK, &urc("1,1,1")]));
    sim.quiet();
    sim.close();
    let (ok, out) = check_server(&py.url("app.bin"), &[]);
    assert!(!ok);
    assert!(
        verdict(&out).starts_with("answers HTTP/1.0: an nRF91 refuses it"),
        "{out}"
    );
    assert!(verdict(&out).ends_with("-> #XFOTA: 1,1,1"));
}

#[test]
fn https_server_ignoring_range_fails_1_1_1() {
    let app = app_image(30_000, 6);
    let small = app_image(600, 7);
    let ngx = Nginx::start("location /norange/ { max_ranges 0; }", &[("app.bin", &app)]);
    std::fs::create_dir_all(ngx.root().join("norange")).unwrap();
    std::fs::write(ngx.root().join("norange/app.bin"), &app).unwrap();
    std::fs::write(ngx.root().join("norange/small.bin"), &small).unwrap();
    let tags = tags_for(&ngx.ca_pem);
    let tag_dir = tags.path().to_str().unwrap();
    let dir = TempDir::new("norange");
    let mut sim = boot(dir.path(), &["--sec-tag-dir", tag_dir], b"");
    for file in ["norange/app.bin", "norange/small.bin"] {
        sim.send(&start_tls(&ngx.url(true, file), 1));
        sim.expect(&cat(&[OK, &urc("1,1,1")]));
    }
    sim.quiet();
    // The same file with Range honoured downloads.
    sim.send(&start_tls(&ngx.url(true, "app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.close();
    let log = ngx.access_to("/norange/app.bin");
    assert!(
        log.iter().all(|a| a.status == 200 && a.range.is_some()),
        "{log:?}"
    );
    let tag = TAG.to_string();
    for file in ["norange/app.bin", "norange/small.bin"] {
        let (ok, out) = check_server(
            &ngx.url(true, file),
            &["--sec-tag-dir", tag_dir, "--sec-tag", &tag],
        );
        assert!(!ok);
        assert!(
            verdict(&out).starts_with("ignores Range over HTTPS"),
            "{file}: {out}"
        );
    }
}

#[test]
fn redirect_302_is_followed_and_a_loop_fails() {
    let app = app_image(20_000, 8);
    let ngx = Nginx::start(
        "location = /moved.bin { return 302 $scheme_name://127.0.0.1:$scheme_port/app.bin; }
         location = /loop.bin { return 302 $scheme_name://127.0.0.1:$scheme_port/loop.bin; }",
        &[("app.bin", &app)],
    );
    let tags = tags_for(&ngx.ca_pem);
    let tag_dir = tags.path().to_str().unwrap();
    let dir = TempDir::new("redirect");
    let mut sim = boot(dir.path(), &["--sec-tag-dir", tag_dir], b"");
    sim.send(&start(&ngx.url(false, "moved.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.send("AT#XFOTA=8");
    sim.expect(OK);
    sim.send(&start_tls(&ngx.url(true, "moved.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.send("AT#XFOTA=8");
    sim.expect(OK);
    sim.send(&start(&ngx.url(false, "loop.bin"), 1));
    sim.expect(&cat(&[OK, &urc("1,1,1")]));
    sim.wait_stderr("cause 5 (INTERNAL), last error -EMLINK");
    sim.close();
    // 1 request + 10 redirects followed; the 11th Location is refused.
    assert_eq!(ngx.access_to("/loop.bin").len(), 11);
    assert_eq!(
        ngx.access_to("/moved.bin")
            .iter()
            .map(|a| a.status)
            .collect::<Vec<_>>(),
        vec![302, 302]
    );
    let (ok, out) = check_server(&ngx.url(false, "moved.bin"), &[]);
    assert!(ok, "{out}");
    assert!(
        out.contains("redirect, the device parses the Location as"),
        "{out}"
    );
    let (ok, out) = check_server(&ngx.url(false, "loop.bin"), &[]);
    assert!(!ok);
    assert!(verdict(&out).starts_with("more than 10 redirects"), "{out}");
}

#[test]
fn connection_dropped_once_mid_file_resumes_with_range() {
    let app = app_image(50_000, 9);
    let srv = Server::http();
    srv.add("app.bin", Route::drop_once(&app, 20_000));
    let dir = TempDir::new("drop-once");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.close();
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(!reqs[0].contains("Range"));
    assert!(
        reqs[1]
            .ends_with("Host: 127.0.0.1\r\nRange: bytes=20000-\r\nConnection: keep-alive\r\n\r\n"),
        "{reqs:?}"
    );
    srv.add("again.bin", Route::drop_once(&app, 20_000));
    let (ok, out) = check_server(&srv.url("again.bin"), &[]);
    assert!(ok, "{out}");
    assert_eq!(
        verdict(&out),
        format!(
            "OK: a device would download {} bytes in 2 requests",
            app.len()
        )
    );
}

#[test]
fn stalled_on_every_response_fails_after_the_socket_retries() {
    let app = app_image(50_000, 10);
    let srv = Server::http();
    srv.add(
        "app.bin",
        Route::Stall {
            body: std::sync::Arc::new(app),
            after: 5000,
        },
    );
    let dir = TempDir::new("stall");
    let mut sim = boot(dir.path(), &["--recv-timeout-ms", "300"], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    assert_eq!(until_not_progress(&mut sim), "#XFOTA: 1,1,1");
    sim.wait_stderr("cause 5 (INTERNAL), last error -EAGAIN");
    sim.close();
    // The first request and CONFIG_FOTA_SOCKET_RETRIES = 2 resumed ones.
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 3, "{reqs:?}");
    assert!(reqs[1].contains("Range: bytes=5000-\r\n"), "{reqs:?}");
    assert!(reqs[2].contains("Range: bytes=10000-\r\n"), "{reqs:?}");
    let (ok, out) = check_server(&srv.url("app.bin"), &["--recv-timeout-ms", "300"]);
    assert!(!ok);
    assert!(
        verdict(&out).starts_with("the server stopped sending"),
        "{out}"
    );
}

#[test]
fn closed_without_answer_every_time_the_device_reconnects_forever() {
    let srv = Server::http();
    srv.add("app.bin", Route::CloseSilently);
    let dir = TempDir::new("close");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    // No URC: the device keeps reconnecting; the host's only way out is a cancel.
    let deadline = Instant::now() + Duration::from_secs(10);
    while srv.requests().len() < 15 {
        assert!(Instant::now() < deadline, "{}", srv.requests().len());
        std::thread::sleep(Duration::from_millis(20));
    }
    sim.send("AT#XFOTA=0");
    sim.expect(&cat(&[&urc("1,2,0"), OK]));
    sim.quiet();
    sim.close();
    let (ok, out) = check_server(&srv.url("app.bin"), &[]);
    assert!(!ok);
    assert!(
        verdict(&out).starts_with("the server closes every connection without answering"),
        "{out}"
    );
}

#[test]
fn headers_too_large_for_the_modem_tls_buffer() {
    let app = app_image(20_000, 11);
    let pad = "x".repeat(2400);
    let ngx = Nginx::start(
        &format!("location /big/ {{ add_header X-Pad {pad}; }}"),
        &[("app.bin", &app)],
    );
    let root = ngx.root();
    std::fs::create_dir_all(root.join("big")).unwrap();
    std::fs::write(root.join("big/app.bin"), &app).unwrap();
    let tags = tags_for(&ngx.ca_pem);
    let tag_dir = tags.path().to_str().unwrap();
    let dir = TempDir::new("bighead");
    let mut sim = boot(dir.path(), &["--sec-tag-dir", tag_dir], b"");
    sim.send(&start_tls(&ngx.url(true, "big/app.bin"), 1));
    sim.expect(&cat(&[OK, &urc("1,1,1")]));
    sim.wait_stderr("cause 5 (INTERNAL), last error -EMSGSIZE");
    // Over plain HTTP the modem's TLS limit does not apply.
    sim.send(&start(&ngx.url(false, "big/app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    sim.close();
    // http.c:630-642: 2048, then 128 less down to 256, then 8 less, until 8.
    let ranges: Vec<u64> = ngx
        .access_to("/big/app.bin")
        .iter()
        .filter_map(|a| a.range_bounds().map(|(lo, hi)| hi.unwrap() - lo + 1))
        .collect();
    let mut want = vec![];
    let mut r = 2048u64;
    while r > 8 {
        want.push(r);
        r -= if r > 256 { 128 } else { 8 };
    }
    assert_eq!(ranges, want);
    let tag = TAG.to_string();
    let (ok, out) = check_server(
        &ngx.url(true, "big/app.bin"),
        &["--sec-tag-dir", tag_dir, "--sec-tag", &tag],
    );
    assert!(!ok);
    assert!(
        verdict(&out).starts_with("response headers of ")
            && verdict(&out).contains("exceed the modem's TLS buffer"),
        "{out}"
    );
    let (ok, out) = check_server(&ngx.url(false, "big/app.bin"), &[]);
    assert!(ok, "{out}");
}

#[test]
fn modem_identity_and_foreign_deltas() {
    let srv = Server::http();
    // A delta dfu_target accepts (magic at offset 4) that is not in the test format.
    let mut foreign = AppImage::new(9000, 12).build();
    foreign[..4].copy_from_slice(&[0x2a, 0, 0, 0]);
    foreign[4..8].copy_from_slice(&MODEM_DELTA_MAGIC.to_le_bytes());
    srv.add("foreign.bin", Route::fast(&foreign));
    let mut named = ModemImage::new(5000, 13, [0; 16]);
    named.target_uuid[..5].copy_from_slice(b"2.0.4");
    srv.add("named.bin", Route::fast(&named.build()));
    let dir = TempDir::new("identity");
    let mut sim = boot(dir.path(), &["--erase-ms", ERASE], b"");
    sim.send("AT+CGMI");
    sim.expect(b"\r\nNordic Semiconductor ASA\r\nOK\r\n");
    sim.send("at+cgmm");
    sim.expect(b"\r\nnRF9161-LACA\r\nOK\r\n");
    sim.send("AT+CGMR");
    sim.expect(b"\r\nmfw_nrf91x1_xfota-sim-mfw-v1\r\nOK\r\n");
    sim.send("AT+CGSN");
    sim.expect(ERROR);
    // The test format names its target.
    sim.send(&start(&srv.url("named.bin"), 2));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    sim.send("AT+CGMR");
    sim.expect(b"\r\nmfw_nrf91x1_2.0.4\r\nOK\r\n");
    // A foreign delta is applied; its name comes from its content.
    sim.send(&start(&srv.url("foreign.bin"), 2));
    sim.expect(OK);
    sim.download_ok();
    reset(&mut sim, &urc("5,0"));
    let u = foreign_uuid(&foreign);
    sim.send("AT+CGMR");
    sim.expect(
        format!(
            "\r\nmfw_nrf91x1_delta-{:02x}{:02x}{:02x}{:02x}\r\nOK\r\n",
            u[0], u[1], u[2], u[3]
        )
        .as_bytes(),
    );
    sim.close();
}

#[test]
fn progress_bar_only_on_a_terminal_never_on_stdout() {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let srv = Server::http();
    let img = app_image(200_000, 14);
    srv.add("app.bin", Route::slow(&img, 4096, 5));
    // stderr a pipe (Sim's default): no bar drawn.
    let dir = TempDir::new("bar-pipe");
    let mut sim = boot(dir.path(), &[], b"");
    sim.send(&start(&srv.url("app.bin"), 1));
    sim.expect(OK);
    sim.download_ok();
    let err = sim.close_stderr();
    assert!(!err.contains('\u{1b}') && !err.contains("[#"), "{err}");
    // stderr a terminal: the bar is drawn there; stdout carries exactly the UART bytes.
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: openpty fills two fds; null name/termios/winsize are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0);
    // SAFETY: both fds are ours.
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    let dir = TempDir::new("bar-tty");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_xfota-sim"))
        .arg("--state-dir")
        .arg(dir.path())
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(slave)
        .spawn()
        .unwrap();
    let tty = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut b = [0u8; 4096];
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match master.read(&mut b) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&b[..n]),
            }
            if String::from_utf8_lossy(&all).contains("download 1 [") {
                break;
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    });
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{}\r\n", start(&srv.url("app.bin"), 1)).as_bytes())
            .unwrap();
    }
    let drawn = tty.join().unwrap();
    // Read stdout until the download is over, then end the simulator.
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stdout = Vec::new();
    let mut b = [0u8; 4096];
    while !String::from_utf8_lossy(&stdout).contains("#XFOTA: 4,0\r\n") {
        let n = stdout_pipe.read(&mut b).unwrap();
        assert!(n > 0, "{:?}", String::from_utf8_lossy(&stdout));
        stdout.extend_from_slice(&b[..n]);
    }
    drop(child.stdin.take());
    stdout_pipe.read_to_end(&mut stdout).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(drawn.contains("download 1 ["), "{drawn:?}");
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(
        stdout.starts_with("Ready\r\n\r\nOK\r\n\r\n#XFOTA: 1,0,0\r\n"),
        "{stdout:?}"
    );
    assert!(
        stdout.ends_with("\r\n#XFOTA: 1,0,100\r\n\r\n#XFOTA: 4,0\r\n"),
        "{stdout:?}"
    );
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('['),
        "{stdout:?}"
    );
}
