//! Replays every input the fuzzer ever crashed or hung on (`fuzz/regressions/`), and
//! the seed corpus (the mail fixtures), through the fuzz target's pipeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/pipeline.rs"]
mod pipeline;

use std::path::Path;

fn replay(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| pipeline::run(&data));
            assert!(outcome.is_ok(), "pipeline panicked on {}", path.display());
            n += 1;
        }
    }
    n
}

#[test]
fn fuzzer_findings_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    // The folder always holds at least its README.
    assert!(replay(&dir) >= 1);
}

#[test]
fn fixtures_pass_the_fuzzed_pipeline() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    assert!(replay(&dir) > 100);
}
