//! `loketd`: the command line around the library.

mod cli;

use std::io::Write;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};

use cli::say;
use loket_core::config::Config;
use loketd::desk::Desk;
use loketd::rules::kinds::OutboxStatus;
use loketd::rules::ticket::Status;
use loketd::run;
use loketd::store::lock::DataLock;
use loketd::store::{Store, outbox, report};

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
    /// Watch the mailbox (IDLE or polling) and send replies until SIGTERM/SIGINT; SIGHUP reloads.
    Run,
    /// One inbox pass, one scheduler tick and one outbox flush (for cron and tests).
    Once,
    /// List tickets.
    Tickets {
        /// new, in_progress, awaiting_documents, escalated, resolved or closed.
        #[arg(long)]
        status: Option<Status>,
    },
    /// Show one ticket: messages, attachments, mails sent and events.
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
    /// Save an attachment of a ticket (as `show` lists it) to a file.
    Attachment {
        /// Ticket number.
        id: i64,
        /// The attachment's name as `show` lists it, or #N for the N-th.
        name: String,
        /// Where to write it (never overwritten); - for stdout.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// Write a stored mail as it was received, attachments put back, to a file.
    Mail {
        /// Its number as `show` lists it, or its sha256 as `quarantine` lists it.
        mail: String,
        /// Where to write it (never overwritten); - for stdout.
        #[arg(long, short)]
        output: PathBuf,
    },
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
    Prune {
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
    /// Copy the database, raw mail, attachments and key to DIR (safe while running).
    Backup { dir: PathBuf },
    /// Cut the attachments out of raw mail kept whole by an older loketd (each file once).
    Compact {
        /// Only say what would be cut.
        #[arg(long)]
        dry_run: bool,
    },
    /// Service statistics, per staff counts, and the SKM (NRR, IKM, mutu) of PermenPANRB 14/2017.
    Report {
        /// A semester (2026-S2), quarter (2026-Q4) or month (2026-12).
        #[arg(long, value_parser = parse_period, conflicts_with_all = ["from", "to"])]
        period: Option<NamedPeriod>,
        /// First day (YYYY-MM-DD, office time zone), inclusive.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Last day (YYYY-MM-DD), inclusive.
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Write the performance export the site publishes on /kinerja/ (counts and averages, no personal data).
    Export {
        /// Where to write the JSON (replaced atomically), e.g. var/kinerja.json.
        #[arg(long, short)]
        output: PathBuf,
        /// Periods to export (repeatable): 2026-S2, 2026-Q4, 2026-12. Default: every
        /// semester from the first ticket to now.
        #[arg(long, value_parser = parse_period)]
        period: Vec<NamedPeriod>,
    },
}

/// A period named on the command line: its label, first and last day.
#[derive(Clone)]
struct NamedPeriod {
    label: String,
    start: NaiveDate,
    end: NaiveDate,
}

fn parse_period(spec: &str) -> Result<NamedPeriod, String> {
    let (label, start, end) = loket_core::performance::period_of(spec)?;
    Ok(NamedPeriod { label, start, end })
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
    match dispatch(cli).and_then(|code| cli::flush().map(|()| code)) {
        Ok(code) => code,
        // `loketd tickets | head`: the reader has what it wanted.
        Err(e) if cli::broken_pipe(&e) => ExitCode::SUCCESS,
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
        Command::Tickets { status } => cli::view::list_tickets(&root, status)?,
        Command::Show { id } => cli::view::show(&root, id)?,
        Command::Outbox { status, retry } => {
            if retry {
                retry_failed(&root)?;
            }
            cli::view::list_outbox(&root, status)?;
        }
        Command::Quarantine => cli::view::list_quarantine(&root)?,
        Command::Attachment { id, name, output } => {
            cli::view::attachment(&root, id, &name, &output)?;
        }
        Command::Mail { mail, output } => cli::view::mail(&root, &mail, &output)?,
        Command::CheckConfig => return check_config(&root),
        Command::Status {
            warn_seconds,
            crit_seconds,
        } => return Ok(cli::status::status(&root, warn_seconds, crit_seconds)),
        Command::Report {
            period,
            from,
            to,
            format,
        } => report(&root, period, from, to, format)?,
        Command::Export { output, period } => export(&root, &output, period)?,
        Command::Backup { dir } => backup(&root, &dir)?,
        Command::Compact { dry_run } => compact(&root, dry_run)?,
        Command::Prune { dry_run } => prune(&root, dry_run)?,
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
    if let Some(answer) = &r.flushed.refused_us {
        bail!(
            "SMTP refused our login or TLS, not the mail: {answer}; replies stay queued, none is marked failed (check [mail.smtp], `loketd check-config`)"
        );
    }
    Ok(())
}

fn prune(root: &Path, dry_run: bool) -> Result<()> {
    let desk = load(root)?;
    // A dry run only reads (its transaction is rolled back): fine beside the daemon.
    let _lock = if dry_run {
        None
    } else {
        Some(DataLock::acquire(&desk.config.mail.data_dir)?)
    };
    let Some(months) = desk.config.retention.mail_months else {
        say!("no [retention] in site.toml: everything is kept");
        return Ok(());
    };
    let mut store = Store::open(&desk.config.mail.data_dir)?;
    let p = run::prune(&mut store, &desk, dry_run)?;
    say!(
        "retention {months} months{}: {} ticket(s) pruned, {} mail text(s), {} raw mail file(s), {} attachment file(s) {}",
        if dry_run { " (dry run)" } else { "" },
        p.tickets,
        p.texts,
        p.raw_files,
        p.attachment_files,
        if dry_run {
            "would be removed"
        } else {
            "removed"
        }
    );
    Ok(())
}

fn backup(root: &Path, dir: &Path) -> Result<()> {
    let data_dir = data_dir(root)?;
    let c = loketd::store::backup::backup(&data_dir, dir)
        .with_context(|| format!("backup to {}", dir.display()))?;
    say!(
        "backed up {} ticket(s), {} raw mail(s), {} attachment(s) and the key to {} (integrity_check ok)",
        c.tickets,
        c.raw,
        c.attachments,
        dir.display()
    );
    if c.missing > 0 {
        say!(
            "warning: {} file(s) named in the database are no longer on disk (removed by [retention] after closing, or lost); the backup holds their ticket facts only",
            c.missing
        );
    }
    Ok(())
}

fn compact(root: &Path, dry_run: bool) -> Result<()> {
    let data_dir = data_dir(root)?;
    // It replaces raw files: not beside a daemon whose retention may remove them.
    let _lock = if dry_run {
        None
    } else {
        Some(DataLock::acquire(&data_dir)?)
    };
    let c = loketd::store::compact::compact(&data_dir, dry_run)
        .with_context(|| format!("compact {}", data_dir.join("raw").display()))?;
    let mb = |b: u64| b as f64 / 1_000_000.0;
    say!(
        "{} {} raw mail file(s): {:.1} MB -> {:.1} MB; {} already cut, {} left whole (no attachment kept as a file, or not readable as mail)",
        if dry_run { "would cut" } else { "cut" },
        c.files,
        mb(c.before),
        mb(c.after),
        c.already,
        c.whole
    );
    for why in &c.damaged {
        say!("warning: left whole, an attachment file does not give it back: {why}");
    }
    Ok(())
}

fn retry_failed(root: &Path) -> Result<()> {
    let data_dir = data_dir(root)?;
    let _lock = DataLock::acquire(&data_dir)?;
    let store = Store::open(&data_dir)?;
    let n = outbox::retry_failed(store.conn(), Utc::now())?;
    say!("{n} failed mail(s) queued again");
    Ok(())
}

fn report(
    root: &Path,
    period: Option<NamedPeriod>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    format: Format,
) -> Result<()> {
    let desk = load(root)?;
    let store = Store::open(&desk.config.mail.data_dir)?;
    let start = |d: NaiveDate| desk.calendar.at_local(d, chrono::NaiveTime::MIN);
    let (from, to) = match &period {
        Some(p) => (Some(p.start), Some(p.end)),
        None => (from, to),
    };
    let from = from.map(start);
    let to = to.and_then(|d| d.succ_opt()).map(start);
    let mut r = report::build(store.conn(), from, to, Utc::now())?;
    r.period = period.map(|p| p.label);
    if let Some(w) = desk.holiday_warning(Utc::now()) {
        eprintln!("loketd: warning: {w}");
    }
    match format {
        Format::Table => write!(std::io::stdout().lock(), "{}", r.table())?,
        Format::Csv => write!(std::io::stdout().lock(), "{}", r.csv())?,
        Format::Json => say!("{}", serde_json::to_string_pretty(&r)?),
    }
    Ok(())
}

fn export(root: &Path, output: &Path, periods: Vec<NamedPeriod>) -> Result<()> {
    let desk = load(root)?;
    let store = Store::open(&desk.config.mail.data_dir)?;
    let now = Utc::now();
    let periods = if periods.is_empty() {
        semesters_since_first_ticket(&store, &desk, now)?
    } else {
        periods
    };
    let start = |d: NaiveDate| desk.calendar.at_local(d, chrono::NaiveTime::MIN);
    let mut spans = Vec::new();
    for p in periods {
        let next = p
            .end
            .succ_opt()
            .context("a period ending at the end of time")?;
        spans.push(loketd::store::kinerja::PeriodSpan {
            from: start(p.start),
            to: start(next),
            label: p.label,
            start: p.start,
            end: p.end,
        });
    }
    spans.sort_by_key(|s| s.start);
    let loketd::store::kinerja::Exported { export, withheld } =
        loketd::store::kinerja::export(store.conn(), &spans, desk.calendar.utc_offset(), now)?;
    // What is written must read back: the site refuses what this check would.
    let problems = export.problems();
    if !problems.is_empty() {
        bail!(
            "the export would not read on the site: {}",
            problems
                .iter()
                .map(|(at, what)| format!("{at}: {what}"))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let json = serde_json::to_string_pretty(&export)?;
    write_atomically(output, json.as_bytes())
        .with_context(|| format!("cannot write {}", output.display()))?;
    say!(
        "wrote {} ({} period(s): {}; {} SKM respondent(s))",
        output.display(),
        export.periods.len(),
        export
            .periods
            .iter()
            .map(|p| p.label.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        export
            .periods
            .iter()
            .filter_map(|p| p.survey.as_ref().map(|s| s.respondents))
            .sum::<u32>()
    );
    for line in &withheld {
        say!("left out: {line}");
    }
    Ok(())
}

/// Every semester from the one of the first ticket to the current one.
fn semesters_since_first_ticket(
    store: &Store,
    desk: &Desk,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<NamedPeriod>> {
    use chrono::Datelike;
    let first: Option<chrono::DateTime<Utc>> = store
        .conn()
        .query_row("SELECT MIN(created_at) FROM tickets", [], |r| r.get(0))
        .context("reading the first ticket's date")?;
    let offset = desk.calendar.utc_offset();
    let local = |t: chrono::DateTime<Utc>| t.with_timezone(&offset).date_naive();
    let today = local(now);
    let from = first.map_or(today, local);
    let semester = |d: NaiveDate| (d.year(), if d.month() <= 6 { 1 } else { 2 });
    let (mut y, mut s) = semester(from);
    let last = semester(today);
    let mut out = Vec::new();
    while (y, s) <= last {
        out.push(parse_period(&format!("{y}-S{s}")).map_err(anyhow::Error::msg)?);
        (y, s) = if s == 1 { (y, 2) } else { (y + 1, 1) };
    }
    Ok(out)
}

/// Writes `path` through a temporary file in its folder, renamed into place: the site
/// never reads half an export.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("kinerja.json")
    ));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

fn load(root: &Path) -> Result<Desk> {
    Desk::load(root).with_context(|| format!("cannot start with the site in {}", root.display()))
}

fn data_dir(root: &Path) -> Result<PathBuf> {
    let config = Config::load(root)
        .and_then(Config::into_desk)
        .context("site.toml")?;
    Ok(config.mail.data_dir)
}

fn check_config(root: &Path) -> Result<ExitCode> {
    let mut ok = true;
    let desk = match Desk::load(root) {
        Ok(d) => {
            say!(
                "ok    configuration, standards ({}), templates, calendar, key",
                d.services.len()
            );
            d
        }
        Err(e) => {
            say!("FAIL  configuration: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    // Said, never failed: mail is not refused for it.
    if let Some(w) = desk.holiday_warning(Utc::now()) {
        println!("WARN  {w}");
    }
    let imap = &desk.config.mail.imap.server;
    match run::open_mailbox(&desk) {
        Ok(mb) => {
            say!(
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
            say!("FAIL  IMAP {}:{}: {e}", imap.host, imap.port);
        }
    }
    let smtp = &desk.config.mail.smtp;
    match run::sender(&desk)
        .map_err(|e| e.to_string())
        .and_then(|s| s.test())
    {
        Ok(()) => {
            say!("ok    SMTP {}:{}", smtp.host, smtp.port);
        }
        Err(e) => {
            ok = false;
            say!("FAIL  SMTP {}:{}: {e}", smtp.host, smtp.port);
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
