//! Benchmark (prints numbers; not a test): how long the simulator takes to verify a downloaded
//! application image before `#XFOTA: 4,0` — the core's MCUboot header/TLV walk plus the port's
//! SHA-256 over header + image + protected TLVs, reading the slot file as the device reads flash.
//!
//! `cargo run --release -p xfota-sim --example verify_cost [size in bytes, default 409600]`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::{Duration, Instant};
use xfota_sim::image::AppImage;
use xfota_sim::sim::{verify_secondary, Options};
use xfota_sim::state::StateDir;

fn main() {
    let size: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("size in bytes"))
        .unwrap_or(400 * 1024);
    let dir = std::env::temp_dir().join(format!("xfota-verify-cost-{}", std::process::id()));
    let st = StateDir::open(&dir).unwrap();
    let image = AppImage::new(size, 7).build();
    let slot = st.mcuboot().unwrap().secondary_file();
    std::fs::write(st.path(slot), &image).unwrap();
    let opts = Options {
        state_dir: dir.clone(),
        sec_tag_dir: None,
        erase_ms: 0,
        // No download runs here; the device's value.
        recv_timeout: Duration::from_secs(30),
        progress: false,
    };
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let t = Instant::now();
            let r = verify_secondary(&opts).unwrap();
            let d = t.elapsed();
            assert!(r.is_ok(), "{r:?}");
            d
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "verify {} B app image (simulator, release): median {:.2} ms of 7 runs ({:.0} MB/s)",
        image.len(),
        median.as_secs_f64() * 1e3,
        image.len() as f64 / median.as_secs_f64() / 1e6
    );
    let _ = std::fs::remove_dir_all(&dir);
}
