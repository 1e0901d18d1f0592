//! Deterministic fault injection: seeded runs of the app and modem flows, each cut (SIGKILL by
//! the simulator itself, `XFOTA_SIM_POWER_CUT=<name>:<n>`) at the n-th passage of a named cut
//! point, then powered up again. The cuts are spread over every stage: the runs go round the
//! point names a flow passes (UART writes, flash chunks, every step of every atomic state
//! write, schedule, confirm, ...) with a random passage of each. After every run, with no
//! exemption: the result was reported exactly once (twice only when the cut fell between the
//! result URC and the record's deletion, and then the same), it is the right one for the image
//! that runs, the image was activated at most once, nothing is left pending, and the state
//! directory decodes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use std::os::unix::process::ExitStatusExt;
use xfota_sim::image::{hex, verify_app, AppImage, ModemImage};
use xfota_sim::state::{McubootState, ModemState, StateDir};

/// Cut runs per flow (app, modem).
const RUNS_PER_KIND: usize = 110;
const TARGET_UUID: [u8; 16] = *b"xfota-sim-mfw-v2";

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    App,
    Modem,
}

/// Reads the next token; `None` = the process died.
fn tok(sim: &mut Sim, log: &mut Vec<String>) -> Option<String> {
    let t = sim.token()?;
    log.push(t.clone());
    Some(t)
}

fn want(sim: &mut Sim, log: &mut Vec<String>, w: &str) -> Option<()> {
    let t = tok(sim, log)?;
    assert_eq!(t, w, "log {log:?}\nstderr:\n{}", sim.stderr());
    Some(())
}

/// `AT`, then every token up to its `OK` (the boot URCs that came before).
fn drain(sim: &mut Sim, log: &mut Vec<String>) -> Option<()> {
    sim.send("AT");
    loop {
        if tok(sim, log)? == "OK" {
            return Some(());
        }
    }
}

fn reset(sim: &mut Sim, log: &mut Vec<String>) -> Option<()> {
    sim.send("AT#XRESET");
    want(sim, log, "OK")?;
    want(sim, log, "Ready")?;
    drain(sim, log)
}

/// The host's flow: start, download to 4,0, reset (boot report), reset again.
fn flow(sim: &mut Sim, log: &mut Vec<String>, url: &str, op: u8) -> Option<()> {
    want(sim, log, "Ready")?;
    sim.send(&format!("AT#XFOTA={op},\"{url}\""));
    want(sim, log, "OK")?;
    let mut pcts = Vec::new();
    loop {
        let t = tok(sim, log)?;
        if t == "#XFOTA: 4,0" {
            check_progress(&pcts);
            break;
        }
        if let Some(p) = t.strip_prefix("#XFOTA: 1,0,") {
            pcts.push(p.parse::<u32>().unwrap());
            // Progress rules hold for every prefix, even if the power goes now.
            assert_eq!(pcts[0], 0);
            assert!(pcts.windows(2).all(|w| w[0] < w[1]), "{pcts:?}");
        } else {
            assert!(
                pcts.is_empty() && (t == "#XFOTA: 2,0" || t == "#XFOTA: 3,0"),
                "unexpected {t}"
            );
        }
    }
    reset(sim, log)?;
    reset(sim, log)
}

fn recover(dir: &std::path::Path, log: &mut Vec<String>) {
    let mut sim = Sim::start(dir, &["--erase-ms", "5"], &[]);
    want(&mut sim, log, "Ready").unwrap();
    drain(&mut sim, log).unwrap();
    reset(&mut sim, log).unwrap();
    sim.close();
}

fn prepare(dir: &std::path::Path, kind: Kind) {
    if kind == Kind::Modem {
        // A dirty scratch, so the flow includes the erase (2,0/3,0).
        let m = ModemState {
            dirty: true,
            ..ModemState::default()
        };
        StateDir::open(dir).unwrap().save_modem(&m).unwrap();
    }
}

/// The named cut points one complete flow passes, with how often each is passed.
fn count_points(url: &str, kind: Kind) -> Vec<(String, u64)> {
    let dir = TempDir::new("count");
    prepare(dir.path(), kind);
    let mut sim = Sim::start(
        dir.path(),
        &["--erase-ms", "5"],
        &[("XFOTA_SIM_POWER_CUT", "count")],
    );
    let mut log = Vec::new();
    flow(&mut sim, &mut log, url, op(kind)).unwrap();
    sim.close_stdin();
    sim.wait_exit();
    let err = sim.stderr();
    let points: Vec<(String, u64)> = err
        .lines()
        .filter_map(|l| l.strip_prefix("xfota-sim: point "))
        .filter_map(|l| {
            let (name, n) = l.rsplit_once(' ')?;
            Some((name.to_owned(), n.parse().ok()?))
        })
        .collect();
    assert!(points.len() > 10, "{err}");
    points
}

fn op(kind: Kind) -> u8 {
    match kind {
        Kind::App => 1,
        Kind::Modem => 2,
    }
}

#[test]
fn seeded_power_cuts() {
    let srv = Server::http();
    let app = AppImage::new(16 * 1024, 99).build();
    let app_id = hex(&verify_app(&app).unwrap());
    srv.add("app.bin", Route::fast(&app));
    srv.add(
        "modem.bin",
        Route::fast(&ModemImage::new(16 * 1024, 98, TARGET_UUID).build()),
    );
    let mut rng = Rng(0x5eed_f07a);
    let mut cut_runs = 0;
    let mut stages = std::collections::BTreeSet::new();
    let mut lost = 0;
    for (kind, path) in [(Kind::App, "app.bin"), (Kind::Modem, "modem.bin")] {
        let url = srv.url(path);
        let points = count_points(&url, kind);
        for run in 0..RUNS_PER_KIND {
            // Round the names, a random passage of each; a few runs past the last point.
            let (name, passages) = &points[run % points.len()];
            let cut = format!("{name}:{}", 1 + rng.below(*passages));
            let dir = TempDir::new("fault");
            prepare(dir.path(), kind);
            let mut first = Vec::new();
            let mut sim = Sim::start(
                dir.path(),
                &["--erase-ms", "5"],
                &[("XFOTA_SIM_POWER_CUT", &cut)],
            );
            let completed = flow(&mut sim, &mut first, &url, op(kind)).is_some();
            let ctx = format!(
                "run {run} {kind:?} cut at {cut}: {first:?}\nstderr:\n{}",
                sim.stderr()
            );
            if completed {
                sim.close();
            } else {
                let status = sim.wait_exit();
                assert_eq!(status.signal(), Some(9), "{ctx}");
                cut_runs += 1;
                stages.insert(format!("{kind:?} {name}"));
            }
            let st = StateDir::open(dir.path()).unwrap();
            let (_, modem_cut, record_cut) = st
                .check()
                .unwrap_or_else(|e| panic!("undecodable after the cut: {e}; {ctx}"));
            // The modem applied the update at a boot and reported its result once; the cut came
            // before the core stored it: the device cannot know the outcome any more.
            let modem_result_lost = kind == Kind::Modem
                && modem_cut.uuid == TARGET_UUID
                && record_cut.is_some_and(|r| r.result.is_none());
            lost += usize::from(modem_result_lost);
            let mut later = Vec::new();
            if !completed {
                recover(dir.path(), &mut later);
            }
            let (mcu, modem, record) = st
                .check()
                .unwrap_or_else(|e| panic!("undecodable: {e}; {ctx}"));
            check_run(
                kind,
                &app_id,
                &first,
                &later,
                completed,
                modem_result_lost,
                (&mcu, &modem),
                record.is_some(),
                &ctx,
            );
        }
    }
    eprintln!(
        "{cut_runs} of {} runs cut ({lost} between the modem's one-shot result and its record), at {} distinct (flow, point) stages: {stages:?}",
        2 * RUNS_PER_KIND,
        stages.len()
    );
    assert!(cut_runs >= 200, "too few runs were cut: {cut_runs}");
}

/// The invariants of one run (no exemption).
#[allow(clippy::too_many_arguments)]
fn check_run(
    kind: Kind,
    app_id: &str,
    first: &[String],
    later: &[String],
    completed: bool,
    modem_result_lost: bool,
    (mcu, modem): (&McubootState, &ModemState),
    record_left: bool,
    ctx: &str,
) {
    let is_result = |t: &&String| t.starts_with("#XFOTA: 5,");
    let results: Vec<&String> = first.iter().chain(later).filter(is_result).collect();
    let saw_downloaded = first.iter().any(|t| t == "#XFOTA: 4,0");
    let cut_after_result = !completed && first.last().is_some_and(|t| is_result(&t));
    let ctx = format!("{ctx}\nlater: {later:?}");
    if saw_downloaded {
        assert!(!results.is_empty(), "result lost; {ctx}");
    }
    assert!(
        results.len() <= 1 + usize::from(cut_after_result),
        "result repeated; {ctx}"
    );
    if results.len() == 2 {
        assert_eq!(results[0], results[1], "a repeated result changed; {ctx}");
    }
    assert!(!record_left, "record left behind; {ctx}");
    match kind {
        Kind::App => {
            assert!(mcu.activations <= 1, "activated twice; {ctx}");
            assert!(!mcu.test && !mcu.pending, "{ctx}");
            if mcu.primary_id == app_id {
                // The new image runs (confirmed): the host is told exactly that.
                assert!(!results.is_empty(), "{ctx}");
                assert!(results.iter().all(|t| t.as_str() == "#XFOTA: 5,0"), "{ctx}");
            } else if !results.is_empty() {
                // It did not stay (cut before the confirm, or before it was scheduled).
                assert!(results.iter().all(|t| t.as_str() == "#XFOTA: 5,3"), "{ctx}");
            }
        }
        Kind::Modem => {
            assert!(modem.activations <= 1, "activated twice; {ctx}");
            assert!(!modem.pending, "{ctx}");
            if modem_result_lost {
                // Said as "outcome unknown" (docs/wire-contract.md); AT+CGMR tells the host.
                assert!(
                    results.iter().all(|t| t.as_str() == "#XFOTA: 5,1,-2"),
                    "{ctx}"
                );
            } else if modem.uuid == TARGET_UUID {
                assert!(!results.is_empty(), "{ctx}");
                assert!(results.iter().all(|t| t.as_str() == "#XFOTA: 5,0"), "{ctx}");
            } else if !results.is_empty() {
                // Never scheduled (cut between the saved record and the schedule): the modem
                // brought no result, and the core says so.
                assert!(
                    results.iter().all(|t| t.as_str() == "#XFOTA: 5,1,-2"),
                    "{ctx}"
                );
            }
        }
    }
}
