//! The daemon's loops. [`once`]: one inbox pass, one scheduler tick, one outbox flush.
//! [`run`]: the fetcher (IDLE or polling, reconnecting with backoff) in this thread and
//! the sender/scheduler in another, both stopping cleanly when `stop` is set.

pub mod pass;
pub mod send;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::desk::Desk;
use crate::net::imap::{Interrupter, Mailbox, MailboxError};
use crate::net::smtp::{Sender, SmtpError};
use crate::net::{SecretError, read_secret};
use crate::store::{Store, StoreError, outbox};
use crate::workflow::MailError;
use crate::workflow::scheduler::{self, TickReport};
use pass::PassReport;
use send::Flushed;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pass(#[from] pass::PassError),
    #[error(transparent)]
    Mailbox(#[from] MailboxError),
    #[error(transparent)]
    Smtp(#[from] SmtpError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("cannot start the sender thread: {0}")]
    Thread(std::io::Error),
}

#[derive(Debug, Default)]
pub struct OnceReport {
    pub pass: PassReport,
    pub tick: TickReport,
    pub flushed: Flushed,
}

pub fn sender(desk: &Desk) -> Result<Sender, RunError> {
    let smtp = &desk.config.mail.smtp;
    let password = read_secret(&smtp.password, "SMTP")?;
    Ok(Sender::new(
        smtp,
        password.as_deref(),
        &desk.config.mail.address,
    )?)
}

pub fn open_mailbox(desk: &Desk) -> Result<Mailbox, RunError> {
    let imap = &desk.config.mail.imap;
    let password = read_secret(&imap.server.password, "IMAP")?;
    Ok(Mailbox::open(imap, password.as_deref())?)
}

/// One pass of everything, for cron and tests.
pub fn once(desk: &Desk) -> Result<OnceReport, RunError> {
    let mut store = Store::open(&desk.config.mail.data_dir)?;
    let mut mb = open_mailbox(desk)?;
    let pass = pass::pass(&mut mb, &mut store, desk, Utc::now)?;
    mb.logout();
    let tick = scheduler::tick(&mut store, desk, Utc::now())?;
    let flushed = send::flush(&sender(desk)?, store.conn(), Utc::now())?;
    Ok(OnceReport {
        pass,
        tick,
        flushed,
    })
}

/// Wakes the sender early when the fetcher queued mail.
#[derive(Default)]
struct Bell {
    rung: Mutex<bool>,
    cv: Condvar,
}

impl Bell {
    fn ring(&self) {
        *self
            .rung
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
        self.cv.notify_all();
    }

    fn wait(&self, timeout: Duration) {
        let guard = self
            .rung
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut guard, _) = self
            .cv
            .wait_timeout_while(guard, timeout, |rung| !*rung)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *guard = false;
    }
}

/// Runs until `stop` is set (SIGTERM/SIGINT in the binary).
pub fn run(desk: &Arc<Desk>, stop: &Arc<AtomicBool>) -> Result<(), RunError> {
    // Fail fast on what an admin must fix before anything runs.
    Store::open(&desk.config.mail.data_dir)?;
    let bell = Arc::new(Bell::default());
    let interrupter: Arc<Mutex<Option<Interrupter>>> = Arc::default();

    let sender_thread = {
        let (desk, stop, bell) = (desk.clone(), stop.clone(), bell.clone());
        std::thread::Builder::new()
            .name("sender".into())
            .spawn(move || send_loop(&desk, &stop, &bell))
            .map_err(RunError::Thread)?
    };
    // Break a blocking IDLE as soon as stop is set.
    let watcher = {
        let (stop, interrupter) = (stop.clone(), interrupter.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
            }
            if let Some(i) = interrupter
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
            {
                i.interrupt();
            }
        })
    };
    fetch_loop(desk, stop, &bell, &interrupter);
    stop.store(true, Ordering::SeqCst);
    bell.ring();
    let _ = sender_thread.join();
    let _ = watcher.join();
    tracing::info!("stopped");
    Ok(())
}

fn fetch_loop(
    desk: &Desk,
    stop: &AtomicBool,
    bell: &Bell,
    interrupter: &Mutex<Option<Interrupter>>,
) {
    let imap = &desk.config.mail.imap;
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
    while !stop.load(Ordering::SeqCst) {
        let session = (|| -> Result<(), RunError> {
            let mut store = Store::open(&desk.config.mail.data_dir)?;
            let mut mb = open_mailbox(desk)?;
            *interrupter
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(mb.interrupter()?);
            tracing::info!(folder = %imap.folder, idle = mb.can_idle() && imap.idle, "connected to IMAP");
            backoff.reset();
            loop {
                let report = pass::pass(&mut mb, &mut store, desk, Utc::now)?;
                if report.moved() > 0 {
                    bell.ring();
                }
                if stop.load(Ordering::SeqCst) {
                    mb.logout();
                    return Ok(());
                }
                let wait = Duration::from_secs(imap.poll_seconds);
                if imap.idle && mb.can_idle() {
                    mb.wait(wait)?;
                } else {
                    sleep_unless(stop, wait);
                }
            }
        })();
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Err(e) = session {
            let delay = backoff.next();
            let hint = match &e {
                RunError::Mailbox(m) if m.needs_admin() => {
                    " (check the IMAP settings and password)"
                }
                RunError::Secret(_) => " (fix the configuration)",
                _ => "",
            };
            tracing::error!(error = %e, retry_in = ?delay, "IMAP session ended{hint}");
            sleep_unless(stop, delay);
        }
    }
}

fn send_loop(desk: &Desk, stop: &AtomicBool, bell: &Bell) {
    let mut last_tick: Option<Instant> = None;
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    while !stop.load(Ordering::SeqCst) {
        let round = (|| -> Result<(), RunError> {
            let mut store = Store::open(&desk.config.mail.data_dir)?;
            let sender = sender(desk)?;
            loop {
                if last_tick.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    scheduler::tick(&mut store, desk, Utc::now())?;
                    last_tick = Some(Instant::now());
                }
                let flushed = send::flush(&sender, store.conn(), Utc::now())?;
                if stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                if flushed.unreachable {
                    // Bounded retry: 1 s doubling to a minute, not a busy loop.
                    let delay = backoff.next();
                    tracing::error!(
                        retry_in = ?delay,
                        "SMTP server unreachable; replies stay queued (check [mail.smtp])"
                    );
                    sleep_unless(stop, delay);
                    continue;
                }
                backoff.reset();
                // Sleep until the next retry is due, a tick, or the fetcher rings.
                let until_due = outbox::next_due(store.conn())?
                    .map_or(Duration::from_secs(60), |d| {
                        (d - Utc::now()).to_std().unwrap_or(Duration::ZERO)
                    });
                bell.wait(until_due.clamp(Duration::from_millis(50), Duration::from_secs(1)));
            }
        })();
        if let Err(e) = round {
            let delay = backoff.next();
            tracing::error!(error = %e, retry_in = ?delay, "sender round failed");
            sleep_unless(stop, delay);
        }
    }
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while !stop.load(Ordering::SeqCst) && Instant::now() < end {
        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(100)));
    }
}

/// Exponential backoff with jitter, capped.
struct Backoff {
    base: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max,
            current: base,
        }
    }

    fn reset(&mut self) {
        self.current = self.base;
    }

    fn next(&mut self) -> Duration {
        let d = self.current;
        self.current = (self.current * 2).min(self.max);
        let jitter = rand::random_range(0..=d.as_millis() as u64 / 4);
        d + Duration::from_millis(jitter)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::Backoff;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(8));
        // Each delay is its base plus at most a quarter of jitter.
        for base in [1000, 2000, 4000, 8000, 8000, 8000] {
            let d = b.next().as_millis() as u64;
            assert!(
                (base..=base + base / 4).contains(&d),
                "{d} ms for base {base} ms"
            );
        }
        b.reset();
        assert!(b.next() <= Duration::from_millis(1250));
    }
}
