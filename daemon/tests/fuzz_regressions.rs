//! The fuzz target's pipeline (`fuzz/pipeline.rs`: parse → ingest into a fresh SQLite
//! store as a stakeholder's mail, as a verified staff reply and as an attachment →
//! composed mail read back) on stable Rust, in CI:
//!
//! - every input in `fuzz/regressions/` (the minimized corpus of the fuzzer's runs and
//!   every crash it ever found);
//! - the mail fixtures (the seed corpus);
//! - a seeded mutation run over both, the stable stand-in for libFuzzer where no
//!   nightly toolchain is at hand. Its seed changes every run and is printed;
//!   `LOKETD_FUZZ_SEED=<seed>` replays it, `LOKETD_FUZZ_RUNS=<n>` sets its length.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz/pipeline.rs"]
mod pipeline;

use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !is_documentation(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// READMEs and licences beside the inputs.
fn is_documentation(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    name.ends_with(".md") || ["Apache-2.0.txt", "MIT.txt", "PSF-2.0.txt"].contains(&name.as_ref())
}

fn replay(files: &[PathBuf]) {
    for path in files {
        let data = std::fs::read(path).unwrap();
        let outcome = std::panic::catch_unwind(|| pipeline::run(&data));
        assert!(outcome.is_ok(), "pipeline failed on {}", path.display());
    }
}

fn regressions() -> Vec<PathBuf> {
    inputs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions"))
}

fn fixtures() -> Vec<PathBuf> {
    inputs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"))
}

#[test]
fn fuzzer_findings_stay_fixed() {
    let files = regressions();
    // The minimized corpus is checked in: an empty folder would prove nothing.
    assert!(
        files.len() >= 50,
        "only {} inputs in fuzz/regressions",
        files.len()
    );
    replay(&files);
}

#[test]
fn fixtures_pass_the_fuzzed_pipeline() {
    let files = fixtures();
    assert!(files.len() > 100, "{} fixtures", files.len());
    replay(&files);
}

/// Bytes that steer a mutation towards what the pipeline parses.
const TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"\r\n\r\n",
    b"#selesai\n",
    b"#dokumen\n",
    b"#eskalasi pd\n",
    b"#alihkan cso2@kppn-tanjungselor.example\n",
    b"#catatan ",
    b"#tutup\n",
    b"> ",
    b"On Tue, 17 Mar 2026, Kantor wrote:\n",
    b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n",
    b"Content-Type: text/html\r\n\r\n<p>",
    b"Content-Disposition: attachment; filename=\"../x.pdf\"\r\n",
    b"=?utf-8?b?",
    b"=?iso-8859-1?q?",
    b"Auto-Submitted: auto-replied\r\n",
    b"Subject: [KPPN-TSL #1] ",
    b"In-Reply-To: <seed@satker.example.test>\r\n",
    b"\x00",
    b"\xff\xfe",
];

#[test]
fn seeded_mutations_of_the_corpus_pass_the_pipeline() {
    let seed: u64 = std::env::var("LOKETD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let runs: usize = std::env::var("LOKETD_FUZZ_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    println!("mutation run: seed {seed} (LOKETD_FUZZ_SEED={seed} replays it), {runs} inputs");
    let corpus: Vec<Vec<u8>> = regressions()
        .iter()
        .chain(&fixtures())
        .map(|p| std::fs::read(p).unwrap())
        .filter(|d| !d.is_empty() && d.len() <= 64 * 1024)
        .collect();
    let mut rng = Rng(seed.max(1));
    let started = std::time::Instant::now();
    for run in 0..runs {
        let mut data = corpus[rng.below(corpus.len())].clone();
        for _ in 0..=rng.below(4) {
            mutate(&mut data, &corpus, &mut rng);
        }
        let outcome = std::panic::catch_unwind(|| pipeline::run(&data));
        if outcome.is_err() {
            let path = std::env::temp_dir().join(format!("loketd-fuzz-{seed}-{run}.eml"));
            std::fs::write(&path, &data).unwrap();
            panic!(
                "pipeline failed on mutation {run} of seed {seed}; input saved to {} (add it to fuzz/regressions once fixed)",
                path.display()
            );
        }
    }
    println!(
        "mutation run: {runs} inputs in {:.1?} ({:.0}/s)",
        started.elapsed(),
        runs as f64 / started.elapsed().as_secs_f64()
    );
}

/// xorshift64*
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One libFuzzer-like mutation: flip, erase, insert a token, duplicate, splice.
fn mutate(data: &mut Vec<u8>, corpus: &[Vec<u8>], rng: &mut Rng) {
    let at = rng.below(data.len() + 1);
    match rng.below(6) {
        0 if !data.is_empty() => {
            let i = at.min(data.len() - 1);
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let end = (at + 1 + rng.below(64)).min(data.len());
            data.drain(at.min(end)..end);
        }
        2 => {
            let t = TOKENS[rng.below(TOKENS.len())];
            data.splice(at..at, t.iter().copied());
        }
        3 if !data.is_empty() => {
            let start = rng.below(data.len());
            let end = (start + 1 + rng.below(256)).min(data.len());
            let piece = data[start..end].to_vec();
            data.splice(at..at, piece);
        }
        4 => {
            let other = &corpus[rng.below(corpus.len())];
            let from = rng.below(other.len());
            data.truncate(at);
            data.extend_from_slice(&other[from..]);
        }
        _ => data.truncate(at),
    }
}
