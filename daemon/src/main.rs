//! `loketd`: the command line around the library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use loket_core::config::Config;
use loket_core::text;
use loketd::desk::Desk;
use loketd::rules::kinds::OutboxStatus;
use loketd::rules::ticket::Status;
use loketd::run;
use loketd::store::lock::DataLock;
use loketd::store::{Store, health, messages, outbox, report, tickets};

#[derive(Parser)]
#[command(
    name = "loketd",
    version,
    about = "The office mailbox as a helpdesk: IMAP in, tickets in SQLite, SMTP out"
)]
struct Cli {
    /// Site folder holding site.toml, content/ and themes/.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    /// Log lines as text (key=value fields) or one JSON object per line.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Watch the mailbox (IDLE or polling) and send replies until SIGTERM/SIGINT.
    Run,
    /// One inbox pass, one scheduler tick and one outbox flush (for cron and tests).
    Once,
    /// List tickets.
    Tickets {
        /// new, in_progress, awaiting_documents, escalated, resolved or closed.
        #[arg(long)]
        status: Option<Status>,
    },
    /// Show one ticket with its messages and events.
    Show { id: i64 },
    /// List outgoing mail (e.g. --status failed); --retry puts failed mail back in the queue.
    Outbox {
        /// pending, sent or failed.
        #[arg(long)]
        status: Option<OutboxStatus>,
        #[arg(long)]
        retry: bool,
    },
    /// List mail that was quarantined and why.
    Quarantine,
    /// Parse the configuration and log in to IMAP and SMTP; print each result.
    CheckConfig,
    /// Health for monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL (Nagios convention).
    Status {
        /// WARNING when the last inbox pass or the oldest queued mail is older (seconds).
        #[arg(long, default_value_t = 600)]
        warn_seconds: u64,
        /// CRITICAL when older than this (seconds).
        #[arg(long, default_value_t = 3600)]
        crit_seconds: u64,
    },
    /// Apply [retention] now (the running daemon does it hourly by itself).
    Prune,
    /// Copy the database, raw mail, attachments and key to DIR (safe while running).
    Backup { dir: PathBuf },
    /// Service statistics and the satisfaction index (IKM).
    Report {
        /// First day (YYYY-MM-DD, office time zone), inclusive.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day (YYYY-MM-DD), inclusive.
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

fn main() -> ExitCode {
    // Everything loketd writes holds personal data: for its own user only.
    loketd::store::private::set_umask();
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match cli.log_format {
        // One JSON object per line, fields at the top level: for journald, Loki, jq.
        LogFormat::Json => log.json().flatten_event(true).init(),
        // Colour codes only on a terminal: a log file or the journal gets plain text.
        LogFormat::Text => log
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loketd: {}", explain(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line. Our error types already include their cause's
/// text in their own message, so a cause that adds nothing new is skipped.
fn explain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
    }
    out
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    let root = cli.root;
    match cli.command {
        Command::Run => run_until_stopped(&root)?,
        Command::Once => once(&root)?,
        Command::Tickets { status } => list_tickets(&root, status)?,
        Command::Show { id } => show(&root, id)?,
        Command::Outbox { status, retry } => list_outbox(&root, status, retry)?,
        Command::Quarantine => list_quarantine(&root)?,
        Command::CheckConfig => return check_config(&root),
        Command::Status {
            warn_seconds,
            crit_seconds,
        } => return Ok(status(&root, warn_seconds, crit_seconds)),
        Command::Report { from, to, format } => report(&root, from, to, format)?,
        Command::Backup { dir } => backup(&root, &dir)?,
        Command::Prune => prune(&root)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn run_until_stopped(root: &Path) -> Result<()> {
    let desk = load(root)?;
    let _lock = DataLock::acquire(&desk.config.mail.data_dir)?;
    run::log_settings(root, &desk, "loketd started");
    close_data_dir(&desk);
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).context("installing signal handler")?;
    }
    // SIGHUP reloads site.toml and the secrets (it would otherwise end the process).
    let reload = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, reload.clone())
        .context("installing signal handler")?;
    run::run(&Arc::new(run::Live::new(root, desk)), &stop, &reload)?;
    Ok(())
}

/// A data folder that others can read (an older loketd, a copy) is closed, and said.
fn close_data_dir(desk: &Desk) {
    let dir = &desk.config.mail.data_dir;
    match loketd::store::private::tighten(dir) {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            data_dir = %dir.display(),
            changed = n,
            "the data folder was readable by others; made it private (folders 0700, files 0600)"
        ),
        Err(e) => tracing::error!(
            data_dir = %dir.display(),
            error = %e,
            "cannot make the data folder private; check its owner"
        ),
    }
}

fn once(root: &Path) -> Result<()> {
    let desk = load(root)?;
    let _lock = DataLock::acquire(&desk.config.mail.data_dir)?;
    close_data_dir(&desk);
    let r = run::once(&desk)?;
    eprintln!(
        "fetched {} · new tickets {} · replies {} · staff {} · stored only {} · duplicates {} · quarantined {} · recovered {} · sent {} · retry {} · failed {}",
        r.pass.fetched,
        r.pass.new_tickets,
        r.pass.replies,
        r.pass.staff,
        r.pass.stored_only,
        r.pass.duplicates,
        r.pass.quarantined,
        r.pass.recovered,
        r.flushed.sent,
        r.flushed.retried,
        r.flushed.failed
    );
    Ok(())
}

fn list_tickets(root: &Path, status: Option<Status>) -> Result<()> {
    let store = open_store(root)?;
    for t in tickets::list(store.conn(), status)? {
        println!(
            "#{:<5} {:<18} {:<5} {:<32} {}",
            t.id,
            t.status.as_str(),
            t.service,
            t.requester,
            t.subject
        );
    }
    Ok(())
}

fn show(root: &Path, id: i64) -> Result<()> {
    let store = open_store(root)?;
    let Some(t) = tickets::find(store.conn(), id)? else {
        bail!("no ticket #{id}");
    };
    println!("Ticket #{} [{}] {}", t.id, t.status.as_str(), t.subject);
    println!(
        "  service {} · requester {} · assignee {}",
        t.service,
        t.requester,
        t.assignee.as_deref().unwrap_or("-")
    );
    println!(
        "  created {} · due {} · escalation due {}",
        t.created_at,
        opt(t.due_at),
        opt(t.escalation_due_at)
    );
    println!("Messages:");
    for m in messages::of_ticket(store.conn(), id)? {
        println!("  [{}] {} {} {}", m.id, m.received_at, m.kind, m.sender);
        for line in m.body.lines().take(20) {
            println!("      {line}");
        }
    }
    println!("Events:");
    for e in tickets::events(store.conn(), id)? {
        let change = match (&e.from_status, &e.to_status) {
            (Some(f), Some(t)) => format!(" {f} → {t}"),
            _ => String::new(),
        };
        println!("  {} {} {}{} {}", e.at, e.actor, e.kind, change, e.detail);
    }
    Ok(())
}

fn list_outbox(root: &Path, status: Option<OutboxStatus>, retry: bool) -> Result<()> {
    let store = open_store(root)?;
    if retry {
        let _lock = DataLock::acquire(&data_dir(root)?)?;
        let n = outbox::retry_failed(store.conn(), Utc::now())?;
        println!("{n} failed mail(s) queued again");
    }
    for r in outbox::list(store.conn(), status)? {
        println!(
            "{:<5} #{:<5} {:<18} {:<8} {:<3} {:<36} {}",
            r.id,
            r.ticket_id.map_or("-".into(), |t| t.to_string()),
            r.kind.to_string(),
            r.status.to_string(),
            r.attempts,
            r.recipients,
            r.last_error.unwrap_or_default()
        );
    }
    Ok(())
}

fn list_quarantine(root: &Path) -> Result<()> {
    let store = open_store(root)?;
    for q in messages::quarantined(store.conn())? {
        println!(
            "{} {} uid {} from {} ({} bytes): {} {}",
            q.at,
            q.folder,
            q.uid,
            q.sender.as_deref().unwrap_or("-"),
            q.size,
            q.reason,
            q.raw_sha256.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}

fn prune(root: &Path) -> Result<()> {
    let desk = load(root)?;
    let _lock = DataLock::acquire(&desk.config.mail.data_dir)?;
    let Some(months) = desk.config.retention.mail_months else {
        println!("no [retention] in site.toml: everything is kept");
        return Ok(());
    };
    let mut store = Store::open(&desk.config.mail.data_dir)?;
    let p = run::prune(&mut store, &desk)?;
    println!(
        "retention {months} months: {} ticket(s) pruned, {} mail text(s), {} raw mail file(s), {} attachment file(s) removed",
        p.tickets, p.texts, p.raw_files, p.attachment_files
    );
    Ok(())
}

fn backup(root: &Path, dir: &Path) -> Result<()> {
    let data_dir = data_dir(root)?;
    let c = loketd::store::backup::backup(&data_dir, dir)
        .with_context(|| format!("backup to {}", dir.display()))?;
    println!(
        "backed up {} ticket(s), {} raw mail(s), {} attachment(s) and the key to {} (integrity_check ok)",
        c.tickets,
        c.raw,
        c.attachments,
        dir.display()
    );
    Ok(())
}

fn report(
    root: &Path,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: Format,
) -> Result<()> {
    let desk = load(root)?;
    let store = Store::open(&desk.config.mail.data_dir)?;
    let start = |d: NaiveDate| desk.calendar.at_local(d, chrono::NaiveTime::MIN);
    let from = from.map(start);
    let to = to.and_then(|d| d.succ_opt()).map(start);
    let r = report::build(store.conn(), from, to, Utc::now())?;
    match format {
        Format::Table => print!("{}", r.table()),
        Format::Csv => print!("{}", r.csv()),
        Format::Json => println!("{}", serde_json::to_string_pretty(&r)?),
    }
    Ok(())
}

fn load(root: &Path) -> Result<Desk> {
    Desk::load(root).with_context(|| format!("cannot start with the site in {}", root.display()))
}

/// The store alone, for the commands that only read it (no calendar, key or templates).
fn open_store(root: &Path) -> Result<Store> {
    Ok(Store::open(&data_dir(root)?)?)
}

fn data_dir(root: &Path) -> Result<PathBuf> {
    let config = Config::load(root)
        .and_then(Config::into_desk)
        .context("site.toml")?;
    Ok(config.mail.data_dir)
}

fn opt(d: Option<chrono::DateTime<Utc>>) -> String {
    d.map_or("-".into(), |d| d.to_string())
}

fn check_config(root: &Path) -> Result<ExitCode> {
    let mut ok = true;
    let desk = match Desk::load(root) {
        Ok(d) => {
            println!(
                "ok    configuration, standards ({}), templates, calendar, key",
                d.services.len()
            );
            d
        }
        Err(e) => {
            println!("FAIL  configuration: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let imap = &desk.config.mail.imap.server;
    match run::open_mailbox(&desk) {
        Ok(mb) => {
            println!(
                "ok    IMAP {}:{} as {} (UIDVALIDITY {}, IDLE {})",
                imap.host,
                imap.port,
                imap.user.as_deref().unwrap_or("-"),
                mb.uidvalidity(),
                mb.can_idle()
            );
            mb.logout();
        }
        Err(e) => {
            ok = false;
            println!("FAIL  IMAP {}:{}: {e}", imap.host, imap.port);
        }
    }
    let smtp = &desk.config.mail.smtp;
    match run::sender(&desk)
        .map_err(|e| e.to_string())
        .and_then(|s| s.test())
    {
        Ok(()) => println!("ok    SMTP {}:{}", smtp.host, smtp.port),
        Err(e) => {
            ok = false;
            println!("FAIL  SMTP {}:{}: {e}", smtp.host, smtp.port);
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Nagios levels, in order of gravity.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Ok,
    Warning,
    Critical,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }
}

/// "45 s", "12 min", "3 h 5 min", "2 d 4 h".
fn age(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

fn status(root: &Path, warn: u64, crit: u64) -> ExitCode {
    let (level, text) = match health_report(root, warn, crit) {
        Ok(r) => r,
        Err(e) => (
            Level::Critical,
            format!("LOKETD CRITICAL - {}", explain(&e)),
        ),
    };
    println!("{text}");
    ExitCode::from(level as u8)
}

fn health_report(root: &Path, warn: u64, crit: u64) -> Result<(Level, String)> {
    let config = Config::load(root)
        .and_then(Config::into_desk)
        .context("site.toml")?;
    let store = Store::open(&config.mail.data_dir)?;
    let h = health::read(store.conn())?;
    let inbox = run::inbox_waiting(&config);
    let now = Utc::now();
    let zone = config.office_hours.utc_offset;
    let when =
        |t: chrono::DateTime<Utc>| format!("{} ({} ago)", text::datetime_id(t, zone), age(now - t));
    let mut problems: Vec<(Level, String)> = Vec::new();
    let by_age = |secs: i64| {
        if secs > crit as i64 {
            Level::Critical
        } else if secs > warn as i64 {
            Level::Warning
        } else {
            Level::Ok
        }
    };
    match h.last_pass_at {
        None => problems.push((Level::Critical, "no inbox pass yet".into())),
        Some(t) => {
            let l = by_age((now - t).num_seconds());
            if l > Level::Ok {
                problems.push((l, format!("last inbox pass {} ago", age(now - t))));
            }
        }
    }
    if let Err(e) = &inbox {
        problems.push((Level::Critical, format!("IMAP: {e}")));
    }
    if let Some(t) = h.oldest_queued_at {
        let l = by_age((now - t).num_seconds());
        if l > Level::Ok {
            problems.push((
                l,
                format!(
                    "{} mail(s) queued, the oldest for {}",
                    h.queued,
                    age(now - t)
                ),
            ));
        }
    }
    if h.failed > 0 {
        problems.push((
            Level::Warning,
            format!(
                "{} mail(s) failed (loketd outbox --status failed)",
                h.failed
            ),
        ));
    }
    let level = problems.iter().map(|(l, _)| *l).max().unwrap_or(Level::Ok);
    let summary = if problems.is_empty() {
        "all well".to_string()
    } else {
        problems
            .iter()
            .map(|(_, p)| p.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let secs = |t: Option<chrono::DateTime<Utc>>| t.map_or(-1, |t| (now - t).num_seconds());
    let inbox_n = inbox.as_ref().map_or(-1, |n| *n as i64);
    let mut out = format!(
        "LOKETD {} - {summary} | last_pass_age={}s inbox={inbox_n} queued={} failed={} oldest_queued_age={}s\n",
        level.word(),
        secs(h.last_pass_at),
        h.queued,
        h.failed,
        secs(h.oldest_queued_at),
    );
    let line = |out: &mut String, k: &str, v: String| out.push_str(&format!("{k:<28}{v}\n"));
    line(
        &mut out,
        "last successful inbox pass:",
        h.last_pass_at.map_or("never".into(), when),
    );
    line(
        &mut out,
        "mails waiting in the inbox:",
        match &inbox {
            Ok(n) => n.to_string(),
            Err(e) => format!("unknown ({e})"),
        },
    );
    line(
        &mut out,
        "outbox:",
        format!("{} queued, {} failed", h.queued, h.failed),
    );
    line(
        &mut out,
        "oldest queued mail:",
        h.oldest_queued_at.map_or("-".into(), when),
    );
    line(
        &mut out,
        "last error:",
        h.last_error
            .map_or("-".into(), |(t, e)| format!("{}: {e}", when(t))),
    );
    Ok((level, out.trim_end().to_string()))
}
