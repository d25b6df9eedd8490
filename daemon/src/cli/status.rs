//! `loketd status`: health for cron and monitoring, exit 0/1/2.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::Utc;
use loket_core::config::Config;
use loket_core::text;
use loketd::run;
use loketd::store::{Store, health};

use super::age;

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

pub(crate) fn status(root: &Path, warn: u64, crit: u64) -> ExitCode {
    let (level, text) = match health_report(root, warn, crit) {
        Ok(r) => r,
        Err(e) => (
            Level::Critical,
            format!("LOKETD CRITICAL - {}", crate::explain(&e)),
        ),
    };
    let _ = writeln!(std::io::stdout().lock(), "{text}");
    ExitCode::from(level as u8)
}

fn health_report(root: &Path, warn: u64, crit: u64) -> Result<(Level, String)> {
    let config = Config::load(root)
        .and_then(Config::into_desk)
        .context("site.toml")?;
    let store = Store::open(&config.mail.data_dir)?;
    let now = Utc::now();
    let h = health::read(store.conn(), now)?;
    let inbox = run::inbox_waiting(&config);
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
    if h.quarantined_recently > 0 {
        problems.push((
            Level::Warning,
            format!(
                "{} mail(s) quarantined in the last 24 h (loketd quarantine; in the folder {})",
                h.quarantined_recently, config.mail.imap.quarantine_folder
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
        "LOKETD {} - {summary} | last_pass_age={}s inbox={inbox_n} queued={} failed={} oldest_queued_age={}s quarantined={}\n",
        level.word(),
        secs(h.last_pass_at),
        h.queued,
        h.failed,
        secs(h.oldest_queued_at),
        h.quarantined,
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
        "quarantined mail:",
        format!(
            "{} ({} in the last 24 h)",
            h.quarantined, h.quarantined_recently
        ),
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
