//! Power-cut injection for crash tests.
//!
//! Every step that changes what survives a power cut (a UART write, a flash chunk, each step of
//! an atomic file update) passes a named *cut point*. With the environment variable
//! `XFOTA_SIM_POWER_CUT` set the process SIGKILLs itself at a chosen point:
//!
//! - `XFOTA_SIM_POWER_CUT=<n>`: at the n-th cut point passed (any name), counting from 1;
//! - `XFOTA_SIM_POWER_CUT=<name>:<n>`: at the n-th passage of the point called `<name>`.
//!
//! With `XFOTA_SIM_POWER_CUT=count` nothing is cut and the number of points passed is logged
//! on stderr at exit (`xfota-sim: passed <n> power-cut points`), followed by one line per point
//! name (`xfota-sim: point <name> <n>`), to calibrate a random choice over every stage.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

enum Plan {
    None,
    Count,
    Nth(u64),
    Named(String, u64),
}

static PLAN: OnceLock<Plan> = OnceLock::new();
static PASSED: AtomicU64 = AtomicU64::new(0);
static NAMED: AtomicU64 = AtomicU64::new(0);
static BY_NAME: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

fn plan() -> &'static Plan {
    PLAN.get_or_init(|| {
        let Ok(v) = std::env::var("XFOTA_SIM_POWER_CUT") else {
            return Plan::None;
        };
        if v == "count" {
            return Plan::Count;
        }
        if let Ok(n) = v.parse::<u64>() {
            return Plan::Nth(n);
        }
        match v.rsplit_once(':') {
            Some((name, n)) => match n.parse::<u64>() {
                Ok(n) => Plan::Named(name.to_owned(), n),
                Err(_) => Plan::None,
            },
            None => Plan::Named(v, 1),
        }
    })
}

/// A cut point: SIGKILLs the process here if the plan says so.
pub fn point(name: &str) {
    let total = PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    let cut = match plan() {
        Plan::None => false,
        Plan::Count => {
            let mut m = BY_NAME.lock().unwrap_or_else(|e| e.into_inner());
            *m.entry(name.to_owned()).or_default() += 1;
            false
        }
        Plan::Nth(n) => total == *n,
        Plan::Named(want, n) => want == name && NAMED.fetch_add(1, Ordering::SeqCst) + 1 == *n,
    };
    if cut {
        eprintln!("xfota-sim: power cut at point {total} ({name})");
        // SAFETY: plain libc calls on our own pid; SIGKILL cannot be caught, like a power cut.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}

/// Logs the count of points passed if the plan is `count`.
pub fn report() {
    if matches!(plan(), Plan::Count) {
        eprintln!(
            "xfota-sim: passed {} power-cut points",
            PASSED.load(Ordering::SeqCst)
        );
        for (name, n) in BY_NAME.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            eprintln!("xfota-sim: point {name} {n}");
        }
    }
}
