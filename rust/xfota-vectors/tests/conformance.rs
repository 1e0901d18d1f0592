//! Runs the conformance table on the host and prints the actual trace of any failing case.

use xfota_vectors::{run_case, CASES};

#[test]
fn conformance_table() {
    let mut failed = Vec::new();
    for case in CASES {
        if let Err(m) = run_case(case, &mut |_, _| {}) {
            eprintln!("FAIL {m:?}");
            let _ = run_case(case, &mut |step, ev| {
                if step == m.step {
                    eprintln!("    actual step {step}: {ev:?}");
                }
            });
            if let Some((step, want)) = case.steps.get(m.step) {
                eprintln!("    input: {step:?}\n    expected: {want:?}");
            }
            failed.push(m);
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} cases failed",
        failed.len(),
        CASES.len()
    );
    assert!(CASES.len() >= 20);
}
