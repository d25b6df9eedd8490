//! The daemon's loops. [`once`]: one inbox pass (and one of a shared mailbox's sent
//! folder), one scheduler tick, one outbox flush.
//! [`run`]: the fetcher (IDLE or polling, reconnecting with backoff) in this thread and
//! the sender/scheduler in another, both stopping cleanly when `stop` is set. On a
//! reload (SIGHUP) the site is loaded again; when it loads, both loops reconnect with
//! it at once (new passwords included), else the old one stays and the log says why.

pub mod pass;
pub mod send;
pub mod sent_folder;
mod settings;

pub use settings::log_settings;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use loket_core::config::DeskConfig;

use crate::desk::Desk;
use crate::net::imap::{Interrupter, Mailbox, MailboxError};
use crate::net::smtp::{Sender, SmtpError};
use crate::net::{SecretError, read_secret};
use crate::store::{Store, StoreError, health, outbox, prune};
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
    pub sent: sent_folder::SentReport,
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

/// How many mails wait in the inbox now (for `loketd status`).
pub fn inbox_waiting(config: &DeskConfig) -> Result<usize, RunError> {
    let imap = &config.mail.imap;
    let password = read_secret(&imap.server.password, "IMAP")?;
    let mut mb = Mailbox::open(imap, password.as_deref())?;
    let n = mb.list()?.len();
    mb.logout();
    Ok(n)
}

/// One pass of everything, for cron and tests.
pub fn once(desk: &Desk) -> Result<OnceReport, RunError> {
    warn_holidays(desk);
    let mut store = Store::open(&desk.config.mail.data_dir)?;
    store.remove_temp_files()?;
    let mut mb = open_mailbox(desk)?;
    let pass = pass::pass(&mut mb, &mut store, desk, Utc::now)?;
    let sent = sent_folder::sent_pass(&mut mb, &mut store, desk, Utc::now)?;
    health::record_pass(store.conn(), Utc::now())?;
    mb.logout();
    let tick = scheduler::tick(&mut store, desk, Utc::now())?;
    prune(&mut store, desk, false)?;
    let flushed = send::flush(&sender(desk)?, store.conn(), Utc::now())?;
    Ok(OnceReport {
        pass,
        sent,
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

/// The desk in use, replaced as a whole by a reload. Each loop takes the current one
/// when it (re)connects and notices a newer generation between steps.
pub struct Live {
    root: PathBuf,
    desk: Mutex<Arc<Desk>>,
    generation: AtomicU64,
}

impl Live {
    pub fn new(root: &Path, desk: Desk) -> Live {
        Live {
            root: root.to_path_buf(),
            desk: Mutex::new(Arc::new(desk)),
            generation: AtomicU64::new(0),
        }
    }

    pub fn desk(&self) -> Arc<Desk> {
        self.desk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Loads the site again. On any problem the desk in use stays and the error says
    /// why; the data folder cannot move under a running daemon (its lock is there).
    pub fn reload(&self) -> Result<(), String> {
        let new = Desk::load(&self.root).map_err(|e| e.to_string())?;
        let old = self.desk();
        if new.config.mail.data_dir != old.config.mail.data_dir {
            return Err(format!(
                "mail.data_dir changed from {} to {}; restart loketd to move the data folder",
                old.config.mail.data_dir.display(),
                new.config.mail.data_dir.display()
            ));
        }
        *self
            .desk
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(new);
        self.generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Runs until `stop` is set (SIGTERM/SIGINT in the binary); `reload` set (SIGHUP) loads
/// the site again.
pub fn run(
    live: &Arc<Live>,
    stop: &Arc<AtomicBool>,
    reload: &Arc<AtomicBool>,
) -> Result<(), RunError> {
    // Fail fast on what an admin must fix before anything runs.
    Store::open(&live.desk().config.mail.data_dir)?.remove_temp_files()?;
    warn_holidays(&live.desk());
    let bell = Arc::new(Bell::default());
    let interrupter: Arc<Mutex<Option<Interrupter>>> = Arc::default();

    let sender_thread = {
        let (live, stop, bell) = (live.clone(), stop.clone(), bell.clone());
        std::thread::Builder::new()
            .name("sender".into())
            .spawn(move || send_loop(&live, &stop, &bell))
            .map_err(RunError::Thread)?
    };
    let interrupt = |i: &Mutex<Option<Interrupter>>| {
        if let Some(i) = i
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
        {
            i.interrupt();
        }
    };
    // Reloads on request, and breaks a blocking IDLE as soon as stop is set or the
    // configuration changed.
    let idling = Arc::new(AtomicBool::new(false));
    let fetching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (live, stop, reload, bell, interrupter, idling, fetching) = (
            live.clone(),
            stop.clone(),
            reload.clone(),
            bell.clone(),
            interrupter.clone(),
            idling.clone(),
            fetching.clone(),
        );
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                if reload.swap(false, Ordering::SeqCst) {
                    match live.reload() {
                        Ok(()) => {
                            log_settings(
                                &live.root,
                                &live.desk(),
                                "configuration reloaded; reconnecting to IMAP and SMTP with it",
                            );
                            if idling.load(Ordering::SeqCst) {
                                interrupt(&interrupter);
                            }
                            bell.ring();
                        }
                        Err(e) => {
                            tracing::error!(
                                error = %e,
                                "reload refused; still running with the previous configuration"
                            );
                            note_error(&live.desk(), &format!("reload refused: {e}"));
                        }
                    }
                }
            }
            // Until the fetcher is done: an IDLE entered just after the stop is broken
            // too (outside IDLE nothing is offered, so nothing is cut).
            while fetching.load(Ordering::SeqCst) {
                interrupt(&interrupter);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    fetch_loop(live, stop, &bell, &interrupter, &idling);
    fetching.store(false, Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    bell.ring();
    let _ = sender_thread.join();
    let _ = watcher.join();
    tracing::info!("stopped");
    Ok(())
}

fn fetch_loop(
    live: &Live,
    stop: &AtomicBool,
    bell: &Bell,
    interrupter: &Mutex<Option<Interrupter>>,
    idling: &AtomicBool,
) {
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
    while !stop.load(Ordering::SeqCst) {
        let desk = live.desk();
        let generation = live.generation();
        let imap = &desk.config.mail.imap;
        let session = (|| -> Result<(), RunError> {
            let mut store = Store::open(&desk.config.mail.data_dir)?;
            let mut mb = open_mailbox(&desk)?;
            tracing::info!(folder = %imap.folder, idle = mb.can_idle() && imap.idle, "connected to IMAP");
            backoff.reset();
            loop {
                let report = pass::pass_until(&mut mb, &mut store, &desk, Utc::now, stop)?;
                let sent = sent_folder::sent_pass(&mut mb, &mut store, &desk, Utc::now)?;
                health::record_pass(store.conn(), Utc::now())?;
                if report.moved() > 0 || sent.answers > 0 {
                    bell.ring();
                }
                if stop.load(Ordering::SeqCst) || live.generation() != generation {
                    mb.logout();
                    return Ok(());
                }
                let wait = Duration::from_secs(imap.poll_seconds);
                if imap.idle && mb.can_idle() {
                    // Only an IDLE wait may be broken by a reload; a pass in progress
                    // finishes and notices the reload above.
                    // The interrupter is offered only for the wait: a stop never cuts
                    // a pass, which finishes its mail and that mail's MOVE first.
                    let offer = |i| {
                        *interrupter
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = i;
                    };
                    offer(Some(mb.interrupter()?));
                    idling.store(true, Ordering::SeqCst);
                    let waited = if live.generation() == generation {
                        mb.wait(wait).map(|_| ())
                    } else {
                        Ok(())
                    };
                    idling.store(false, Ordering::SeqCst);
                    offer(None);
                    waited?;
                } else {
                    sleep_unless(wait, || {
                        stop.load(Ordering::SeqCst) || live.generation() != generation
                    });
                }
            }
        })();
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if live.generation() != generation {
            // A reload broke the session on purpose: reconnect with the new settings now.
            backoff.reset();
            continue;
        }
        if let Err(e) = session {
            let delay = backoff.next();
            let hint = match &e {
                RunError::Mailbox(m) if m.needs_admin() => {
                    "IMAP session ended; check the IMAP settings and password under [mail.imap] (host, port, tls, user, password), then `systemctl reload loketd` (SIGHUP) to retry at once"
                }
                RunError::Secret(_) => {
                    "IMAP session ended; the password cannot be read: fix it, then `systemctl reload loketd` (SIGHUP)"
                }
                _ => "IMAP session ended; reconnecting",
            };
            tracing::error!(error = %e, retry_in = %secs(delay), "{hint}");
            note_error(&desk, &format!("IMAP: {e}"));
            sleep_unless(delay, || {
                stop.load(Ordering::SeqCst) || live.generation() != generation
            });
        }
    }
}

/// "12s", for logs.
fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

/// Applies `[retention]`, when set; logs what it removed. `dry_run` only counts.
pub fn prune(store: &mut Store, desk: &Desk, dry_run: bool) -> Result<prune::Pruned, StoreError> {
    let Some(months) = desk.config.retention.mail_months else {
        return Ok(prune::Pruned::default());
    };
    let p = prune::prune(
        store,
        &desk.config.mail.data_dir,
        months,
        Utc::now(),
        dry_run,
    )?;
    if p != prune::Pruned::default() && !dry_run {
        tracing::info!(
            tickets = p.tickets,
            texts = p.texts,
            raw_files = p.raw_files,
            attachment_files = p.attachment_files,
            months,
            "retention applied"
        );
    }
    Ok(p)
}

/// Logs the holiday file's end, when near or past (refusing no mail).
fn warn_holidays(desk: &Desk) {
    if let Some(w) = desk.holiday_warning(Utc::now()) {
        tracing::warn!("{w}");
    }
}

fn send_loop(live: &Live, stop: &AtomicBool, bell: &Bell) {
    let mut last_tick: Option<Instant> = None;
    let mut warned_on = live.desk().calendar.local_date(Utc::now());
    let mut last_prune: Option<Instant> = None;
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
    // A refused login is retried slowly: servers lock out accounts that keep failing.
    let mut refused_backoff = Backoff::new(Duration::from_secs(10), Duration::from_secs(300));
    while !stop.load(Ordering::SeqCst) {
        let desk = live.desk();
        let generation = live.generation();
        let changed = || stop.load(Ordering::SeqCst) || live.generation() != generation;
        let round = (|| -> Result<(), RunError> {
            let mut store = Store::open(&desk.config.mail.data_dir)?;
            // Made each round: a new round reads the password again.
            let sender = sender(&desk)?;
            loop {
                if last_tick.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                    scheduler::tick(&mut store, &desk, Utc::now())?;
                    last_tick = Some(Instant::now());
                    // Once a day in the log, as at start.
                    let today = desk.calendar.local_date(Utc::now());
                    if today != warned_on {
                        warned_on = today;
                        warn_holidays(&desk);
                    }
                    if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
                        prune(&mut store, &desk, false)?;
                        last_prune = Some(Instant::now());
                    }
                }
                let flushed = send::flush_until(&sender, store.conn(), Utc::now(), stop)?;
                if changed() {
                    return Ok(());
                }
                if let Some(answer) = flushed.refused_us {
                    let delay = refused_backoff.next();
                    let smtp = &desk.config.mail.smtp;
                    tracing::error!(
                        server = %format!("{}:{}", smtp.host, smtp.port),
                        user = smtp.user.as_deref().unwrap_or("-"),
                        answer = %answer,
                        queued = outbox::waiting(store.conn())?,
                        retry_in = %secs(delay),
                        "SMTP refused our login or TLS, not the mail: replies stay queued, none is marked failed. {}",
                        refusal_hint(&answer)
                    );
                    note_error(&desk, &format!("SMTP refused our login or TLS: {answer}"));
                    sleep_unless(delay, changed);
                    // A new round: the password and settings are read again.
                    return Ok(());
                }
                refused_backoff.reset();
                if flushed.unreachable {
                    // Bounded retry: 1 s doubling to a minute, not a busy loop.
                    let delay = backoff.next();
                    tracing::error!(
                        retry_in = %secs(delay),
                        "SMTP server unreachable; replies stay queued (check [mail.smtp])"
                    );
                    note_error(&desk, "SMTP server unreachable");
                    sleep_unless(delay, changed);
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
            tracing::error!(error = %e, retry_in = %secs(delay), "sender round failed");
            note_error(&desk, &format!("sender: {e}"));
            sleep_unless(delay, changed);
        }
    }
}

/// Keeps the error for `loketd status`; best effort (the store may be what failed).
fn note_error(desk: &Desk, text: &str) {
    if let Ok(store) = Store::open(&desk.config.mail.data_dir) {
        let _ = health::record_error(store.conn(), text, Utc::now());
    }
}

/// What to check for an SMTP answer that refused us.
fn refusal_hint(answer: &str) -> &'static str {
    if answer.contains("access token") {
        "Check token_command under [mail.smtp] (run it by hand as the loketd user); loketd asks it again at each try."
    } else if answer.contains("535") || answer.contains("534") || answer.contains("454") {
        "Check user and the password under [mail.smtp] (password_file, password_env or password_command), then `systemctl reload loketd` (SIGHUP) to send at once."
    } else if answer.contains("530") || answer.contains("538") {
        "The server wants TLS or a login first: check tls and user under [mail.smtp], then `systemctl reload loketd` (SIGHUP)."
    } else {
        "Check host, port, tls and ca_file under [mail.smtp] (`loketd check-config` says more), then `systemctl reload loketd` (SIGHUP)."
    }
}

/// Sleeps for `d` unless `wake` turns true first (stop, or a reload).
fn sleep_unless(d: Duration, wake: impl Fn() -> bool) {
    let end = Instant::now() + d;
    while !wake() && Instant::now() < end {
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
