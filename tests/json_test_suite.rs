//! Every file of JSONTestSuite's test_parsing goes through ingest without a
//! panic or hang and gets a clear outcome: `n_` files (invalid JSON) are
//! Rejected with their line and column, `y_` files (valid JSON) parse.
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;
use std::time::{Duration, Instant};
use tally::ledger::{Ledger, Outcome};
use tally::pipeline::normalize::Rejection;

fn suite_dir() -> PathBuf {
    // Carried in the repository (see its README there): a clone needs nothing beside it.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/JSONTestSuite/test_parsing")
}

#[test]
fn every_json_test_suite_file_gets_a_clear_outcome() {
    let dir = suite_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("JSONTestSuite not found at {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    assert!(
        files.len() > 300,
        "expected the whole suite, found {} files",
        files.len()
    );

    let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
    let mut ledger = Ledger::in_memory("suite");
    let (mut y, mut n) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let bytes = std::fs::read(path).expect("read a suite file");
        // Browsers hand Tally text, so bytes that are not UTF-8 never reach it:
        // decode lossily, as the textarea and FileReader.readAsText would.
        let text = String::from_utf8_lossy(&bytes);
        let started = Instant::now();
        let outcome = ledger.submit(&text, now);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{name} took {:?}",
            started.elapsed()
        );
        match (&name[..2], &outcome) {
            (
                "n_",
                Outcome::Rejected {
                    rejection:
                        Rejection::InvalidJson {
                            line,
                            column,
                            message,
                        },
                },
            ) => {
                assert!(*line >= 1 && *column >= 1 && !message.is_empty(), "{name}");
                n += 1;
            }
            ("n_", other) => panic!("{name}: invalid JSON was not rejected as such: {other:?}"),
            (
                "y_",
                Outcome::Rejected {
                    rejection: Rejection::InvalidJson { message, .. },
                },
            ) => {
                panic!("{name}: valid JSON refused: {message}")
            }
            ("y_", Outcome::Rejected { .. }) => y += 1,
            (_, Outcome::Rejected { rejection }) => {
                assert!(!rejection.to_string().is_empty(), "{name}")
            }
            (_, other) => panic!("{name}: no event in the suite should be accepted: {other:?}"),
        }
    }
    assert!(y > 90 && n > 180, "y={y} n={n}");
    assert_eq!(
        ledger.state().submissions().len(),
        files.len(),
        "every submission recorded"
    );
    assert!(ledger.state().events().is_empty());
}
