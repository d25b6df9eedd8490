//! `loketd` as a subprocess (`--root <test site>`), for tests where a crash, an outage or
//! the log is the point; its stderr is appended to a file the test can read.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::desk::TestSite;

pub(crate) struct Daemon {
    child: Option<Child>,
    root: PathBuf,
    log: PathBuf,
    pub starts: usize,
}

impl Daemon {
    /// Starts `loketd run` for `site`; stderr goes to `<site>/loketd.log`.
    pub(crate) fn run(site: &TestSite) -> Daemon {
        let mut d = Daemon {
            child: None,
            root: site.root().to_path_buf(),
            log: site.root().join("loketd.log"),
            starts: 0,
        };
        d.start();
        d
    }

    /// Starts `loketd run` for `site` with extra environment.
    pub(crate) fn run_with(site: &TestSite, env: &[(&str, &str)]) -> Daemon {
        let mut d = Daemon {
            child: None,
            root: site.root().to_path_buf(),
            log: site.root().join("loketd.log"),
            starts: 0,
        };
        d.start_with(env);
        d
    }

    pub(crate) fn start(&mut self) {
        self.start_with(&[]);
    }

    /// Starts `loketd run` with extra environment (e.g. `LOKETD_FAILPOINT`).
    pub(crate) fn start_with(&mut self, env: &[(&str, &str)]) {
        assert!(self.child.is_none(), "loketd already runs");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_loketd"))
            .arg("--root")
            .arg(&self.root)
            .arg("run")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn loketd");
        self.child = Some(child);
        self.starts += 1;
    }

    /// SIGKILL: no clean-up of any kind, as a power cut or the OOM killer.
    pub(crate) fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait for the clean stop (SIGKILL after 20 s).
    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let end = Instant::now() + Duration::from_secs(20);
            while Instant::now() < end {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
            panic!(
                "loketd did not stop within 20 s of SIGTERM; log:\n{}",
                self.log_text()
            );
        }
    }

    /// Process id of the running loketd.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends `signal` (e.g. "HUP") to the running loketd.
    pub(crate) fn signal(&self, signal: &str) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .status();
        }
    }

    /// Waits up to `timeout` for loketd to exit on its own; its exit status, or `None`
    /// (still running) after the timeout.
    pub(crate) fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + timeout;
        loop {
            let c = self.child.as_mut()?;
            if let Ok(Some(status)) = c.try_wait() {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Whether the process is still alive (it did not exit on its own).
    pub(crate) fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub(crate) fn log_path(&self) -> &Path {
        &self.log
    }

    pub(crate) fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Lines of the log that contain `needle`.
    pub(crate) fn log_lines(&self, needle: &str) -> usize {
        self.log_text()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `loketd --root ROOT ARGS…` to its end: exit code, stdout, stderr.
pub(crate) fn loketd(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loketd"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .output()
        .expect("run loketd");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A small deterministic generator (xorshift64*) for seeded test schedules.
pub(crate) struct Seeded(u64);

impl Seeded {
    pub(crate) fn new(seed: u64) -> Seeded {
        Seeded(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// Waits until `check` holds, polling; panics with `what` after `timeout`.
pub(crate) fn wait_until(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let end = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < end, "waited {timeout:?} for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
