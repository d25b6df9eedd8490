//! The daily digest: on each working day at `helpdesk.digest_time` every staff member
//! with something to report gets one mail: a CSO their open tickets (overdue, due today,
//! waiting on them, escalated, awaiting documents), a section head the escalations to
//! their section and their deadlines, the head of office the office's summary (new,
//! resolved, late, open, the satisfaction index so far this semester) and the holiday
//! file's warning. No mail when there is nothing to report.
//!
//! Exactly once per person and day: the day is recorded (`kv` row `digest_day`) in the
//! transaction that queues the mails, and each mail has the dedup key
//! `digest:<date>:<address>`. A daemon that was down at the digest time sends it on its
//! first tick of the same day; a day it was down all day gets none (never a stale one).
//!
//! Each digest's Message-ID is the staff member's *desk capability* (ticket number 0),
//! so a reply to it is trusted staff mail; it is queued without a ticket (kind `digest`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use loket_core::config::{Role, Staff};
use loket_core::text;

use super::letters::{Letter, MailError, Mailer, Sending};
use super::views::{Group, Line, Summary};
use crate::rules::ticket::Status;
use crate::store::report;
use crate::store::tickets::{self, Ticket};
use crate::store::{Store, StoreError, health};

/// The `kv` key naming the last day whose digests were made.
const DAY_KEY: &str = "digest_day";

/// At most this many tickets are listed in one group of the head of office's digest;
/// the rest are counted.
const OFFICE_LIST_MAX: usize = 10;

/// Queues today's digests when it is time and they were not made yet; how many went
/// out. One transaction for all of them, with the day's mark.
pub(crate) fn run(
    store: &mut Store,
    desk: &crate::desk::Desk,
    now: DateTime<Utc>,
) -> Result<usize, MailError> {
    let cal = &desk.calendar;
    let today = cal.local_date(now);
    let Some(at) = desk.config.helpdesk.digest_time else {
        return Ok(0);
    };
    if !cal.is_working_day(today) || now < cal.at_local(today, at) {
        return Ok(0);
    }
    let day = today.to_string();
    if tickets::kv_get(store.conn(), DAY_KEY)?.as_deref() == Some(day.as_str()) {
        return Ok(0);
    }
    let tx = store.transaction()?;
    let m = Mailer::new(desk, &tx, now);
    let open = tickets::open(m.conn)?;
    let mut sent = 0;
    for staff in &desk.config.roster.staff {
        let heads: Vec<&str> = desk
            .config
            .roster
            .sections
            .iter()
            .filter(|s| s.head == staff.address)
            .map(|s| s.code.as_str())
            .collect();
        let mut groups = own_groups(&m, &open, staff, &heads)?;
        if !heads.is_empty() {
            groups.extend(section_groups(&m, &open, &heads));
        }
        let (summary, warning) = if staff.role == Role::Kepala {
            let (summary, late) = office(&m, &open, today)?;
            groups.extend(late);
            (summary, desk.holiday_warning(now))
        } else {
            (None, None)
        };
        groups.retain(|g| !g.tickets.is_empty());
        if groups.is_empty() && summary.is_none() && warning.is_none() {
            continue;
        }
        let count: usize = groups.iter().map(|g| g.tickets.len() + g.more).sum();
        let date = format!(
            "{}, {}",
            text::weekday_id(today.weekday()),
            text::date_id(today)
        );
        let subject = if count > 0 {
            format!("Ringkasan harian {date}: {count} tiket")
        } else {
            format!("Ringkasan harian {date}")
        };
        let letter = Letter::Digest {
            staff_name: &staff.name,
            at: m.local(now),
            count,
            groups,
            summary,
            warning,
            tag: &desk.config.mail.tag,
        };
        let key = format!("digest:{day}:{}", staff.address);
        match m.to_desk(
            &staff.address,
            subject,
            &letter,
            Sending::default().once(key),
        ) {
            Ok(true) => sent += 1,
            Ok(false) => {}
            // A digest that cannot be written must not hold the clocks and the outbox
            // behind it (the tick runs every minute): said at ERROR, the others go out.
            Err(MailError::Compose(e)) => {
                tracing::error!(to = %staff.address, error = %e, "daily digest not written");
                let text = format!("daily digest to {} not written: {e}", staff.address);
                health::record_error(m.conn, &text, now)?;
            }
            Err(e) => return Err(e),
        }
    }
    tickets::kv_set(m.conn, DAY_KEY, &day)?;
    tx.commit().map_err(StoreError::from)?;
    if sent > 0 {
        tracing::info!(day, digests = sent, "daily digests queued");
    }
    Ok(sent)
}

/// The deadline that matters now: the escalation's while escalated, the completion
/// time's until the first answer.
fn deadline(t: &Ticket) -> Option<(DateTime<Utc>, &'static str)> {
    match t.status {
        Status::Escalated => t.escalation_due_at.map(|d| (d, "batas eskalasi")),
        Status::New | Status::InProgress if t.first_response_at.is_none() => {
            t.due_at.map(|d| (d, "batas penyelesaian"))
        }
        _ => None,
    }
}

fn is_late(t: &Ticket, now: DateTime<Utc>) -> bool {
    deadline(t).is_some_and(|(d, _)| d <= now)
}

fn line(m: &Mailer<'_>, t: &Ticket) -> Line {
    let roster = &m.desk.config.roster;
    Line {
        id: t.id,
        tag: format!("[{} #{}]", m.desk.config.mail.tag, t.id),
        subject: t.subject.clone(),
        requester: match &t.requester_name {
            Some(n) => format!("{n} <{}>", t.requester),
            None => t.requester.clone(),
        },
        status: t.status.label_id(),
        deadline: deadline(t).map(|(d, what)| format!("{what}: {}", m.local(d))),
        section: t
            .section
            .as_deref()
            .map(|c| roster.section(c).map_or(c, |s| &s.name).to_string()),
        assignee: t.assignee.as_ref().map(|a| {
            roster
                .staff_by_address(a)
                .map_or_else(|| a.clone(), |s| s.name.clone())
        }),
    }
}

/// The tickets a staff member holds, or that wait for the first line and were sent to
/// them: overdue, due today, waiting on them, escalated, awaiting documents. An
/// escalation to a section they head is listed with their section's (`heads`).
fn own_groups(
    m: &Mailer<'_>,
    open: &[Ticket],
    staff: &Staff,
    heads: &[&str],
) -> Result<Vec<Group>, StoreError> {
    let today = m.desk.calendar.local_date(m.now);
    let mut mine = Vec::new();
    for t in open {
        if t.status == Status::Resolved || to_section_of(t, heads) {
            continue;
        }
        let theirs = match &t.assignee {
            Some(a) => *a == staff.address,
            None => tickets::participants(m.conn, t.id)?.contains(&staff.address),
        };
        if theirs {
            mine.push(t);
        }
    }
    let (mut late, mut due_today, mut waiting, mut escalated, mut documents) =
        (vec![], vec![], vec![], vec![], vec![]);
    for t in mine {
        let l = line(m, t);
        match deadline(t) {
            Some((d, _)) if d <= m.now => late.push(l),
            Some((d, _)) if m.desk.calendar.local_date(d) == today => due_today.push(l),
            _ => match t.status {
                Status::AwaitingDocuments => documents.push(l),
                Status::Escalated => escalated.push(l),
                _ => waiting.push(l),
            },
        }
    }
    Ok(vec![
        group("TERLAMBAT", late),
        group("JATUH TEMPO HARI INI", due_today),
        group("MENUNGGU TINDAKAN ANDA", waiting),
        group("DIESKALASI (menunggu Kepala Seksi)", escalated),
        group("MENUNGGU DOKUMEN DARI STAKEHOLDER", documents),
    ])
}

/// Whether `t` is escalated to one of the sections `heads`.
fn to_section_of(t: &Ticket, heads: &[&str]) -> bool {
    t.status == Status::Escalated
        && t.section
            .as_deref()
            .is_some_and(|c| heads.iter().any(|h| h.eq_ignore_ascii_case(c)))
}

/// A section head: the escalations to their sections, by deadline.
fn section_groups(m: &Mailer<'_>, open: &[Ticket], heads: &[&str]) -> Vec<Group> {
    let today = m.desk.calendar.local_date(m.now);
    let (mut late, mut due_today, mut later) = (vec![], vec![], vec![]);
    for t in open {
        if !to_section_of(t, heads) {
            continue;
        }
        let l = line(m, t);
        match deadline(t) {
            Some((d, _)) if d <= m.now => late.push(l),
            Some((d, _)) if m.desk.calendar.local_date(d) == today => due_today.push(l),
            _ => later.push(l),
        }
    }
    vec![
        group("ESKALASI TERLAMBAT", late),
        group("ESKALASI JATUH TEMPO HARI INI", due_today),
        group("ESKALASI LAINNYA", later),
    ]
}

/// The head of office: the office's figures, and the late tickets listed.
fn office(
    m: &Mailer<'_>,
    open: &[Ticket],
    today: NaiveDate,
) -> Result<(Option<Summary>, Option<Group>), StoreError> {
    let cal = &m.desk.calendar;
    let mut since = today;
    loop {
        since = since.pred_opt().unwrap_or(since);
        if cal.is_working_day(since) || today - since > chrono::Duration::days(30) {
            break;
        }
    }
    let from = cal.at_local(since, chrono::NaiveTime::MIN);
    let until = cal.at_local(today, chrono::NaiveTime::MIN);
    let all = tickets::list(m.conn, None)?;
    let new = all
        .iter()
        .filter(|t| t.created_at >= from && t.created_at < until)
        .count();
    let resolved = all
        .iter()
        .filter(|t| t.resolved_at.is_some_and(|r| r >= from && r < until))
        .count();
    let unresolved: Vec<&Ticket> = open
        .iter()
        .filter(|t| t.status != Status::Resolved)
        .collect();
    let late: Vec<&Ticket> = unresolved
        .iter()
        .copied()
        .filter(|t| is_late(t, m.now))
        .collect();
    // The satisfaction index so far this semester: the SKM (PermenPANRB 14/2017) of the
    // answers given since it began, and the quick single ratings apart.
    let first_half = today.month() <= 6;
    let semester =
        NaiveDate::from_ymd_opt(today.year(), if first_half { 1 } else { 7 }, 1).unwrap_or(today);
    let start = Some(cal.at_local(semester, chrono::NaiveTime::MIN));
    let skm = report::skm(m.conn, start, None)?;
    let ikm = skm.result.map(|v| {
        format!(
            "{} (mutu {}, {}) dari {} responden",
            decimal(v.ikm),
            v.mutu,
            v.mutu_label,
            v.respondents
        )
    });
    let r = report::build(m.conn, start, None, m.now)?;
    let quick = r.ikm.map(|i| {
        format!(
            "{} ({}, {}) dari {} penilaian",
            decimal(i.value),
            i.grade,
            i.label,
            r.ratings
        )
    });
    let ikm_basis = format!(
        "SKM PermenPANRB 14/2017, Semester {} {}",
        if first_half { "I" } else { "II" },
        today.year()
    );
    if new == 0 && resolved == 0 && unresolved.is_empty() {
        return Ok((None, None));
    }
    let listed = group(
        "TIKET TERLAMBAT DI KANTOR",
        late.iter()
            .take(OFFICE_LIST_MAX)
            .map(|t| line(m, t))
            .collect(),
    );
    let listed = Group {
        more: late.len().saturating_sub(OFFICE_LIST_MAX),
        ..listed
    };
    let summary = Summary {
        since: format!(
            "{}, {}",
            text::weekday_id(since.weekday()),
            text::date_id(since)
        ),
        new,
        resolved,
        open: unresolved.len(),
        late: late.len(),
        ikm,
        ikm_basis,
        quick,
    };
    Ok((Some(summary), Some(listed)))
}

/// "87,50": two decimals with the Indonesian comma.
fn decimal(x: f64) -> String {
    format!("{x:.2}").replace('.', ",")
}

fn group(title: &'static str, tickets: Vec<Line>) -> Group {
    Group {
        title,
        tickets,
        more: 0,
    }
}
