//! The SKM survey (PermenPANRB 14/2017): the stakeholder's answer to the "Resolved" mail,
//! and a paper questionnaire a CSO enters by mail (`[SKM]`).
//!
//! A complete answer is recorded and never reopens the ticket; its comment, when there
//! is one, goes to the staff on the ticket. An answer that cannot be recorded gets ONE
//! friendly reply saying what is missing (once per ticket, by its dedup key, so two
//! auto-answering parties can never loop); after that, staff are told instead.

use chrono::{DateTime, Utc};
use loket_core::skm::{Profile, ProfileValue, Unsur};

use super::letters::{Letter, MailError, Mailer, NotifyEvent, Sending};
use super::received::Received;
use crate::desk::Desk;
use crate::rules::kinds::EventKind;
use crate::rules::skm::{self, Incomplete, SkmAnswer, SkmReading};
use crate::store::skm::{self as answers, Response, Source};
use crate::store::tickets::{self, Event, Ticket};
use crate::store::{Store, StoreError};

/// A stakeholder's reply that [`skm::read`] found to be a survey answer (`reading` is
/// not `None`), on a resolved or closed ticket; `row` is the stored mail.
pub(crate) fn answered(
    m: &Mailer<'_>,
    r: &Received<'_>,
    t: &Ticket,
    reading: SkmReading,
    row: i64,
) -> Result<(), MailError> {
    let actor = r.sender();
    match reading {
        SkmReading::None => {}
        SkmReading::Complete(a) => {
            let replaced = record(m, t, &a, Source::Mail, None, Some(row), &actor)?;
            tracing::info!(ticket = t.id, requester = %actor, scores = %a.scores.digits(), replaced, "SKM answer recorded");
            if !a.comment.is_empty() {
                tell_staff(m, t, &a.comment, NotifyEvent::Surveyed, &actor)?;
            }
        }
        SkmReading::Incomplete(i) => incomplete(m, r, t, &i, row)?,
    }
    Ok(())
}

/// Records an answer and its event; true when it replaced an earlier one.
fn record(
    m: &Mailer<'_>,
    t: &Ticket,
    a: &SkmAnswer,
    source: Source,
    entered_by: Option<&str>,
    row: Option<i64>,
    actor: &str,
) -> Result<bool, StoreError> {
    let replaced = answers::record(
        m.conn,
        t.id,
        &Response {
            scores: a.scores,
            comment: a.comment.clone(),
            profile: a.profile,
            source,
            at: m.now,
            entered_by: entered_by.map(str::to_string),
            message_row: row,
        },
    )?;
    let detail = format!(
        "{source}: {}{}",
        a.scores.digits(),
        if replaced {
            " (replaces the earlier)"
        } else {
            ""
        }
    );
    let mut e = Event::new(EventKind::Surveyed, actor, m.now).detail(&detail);
    if let Some(row) = row {
        e = e.on(row);
    }
    tickets::log(m.conn, t.id, &e)?;
    Ok(replaced)
}

/// The one friendly reply for an answer that cannot be recorded; staff when it was sent
/// already (or the hourly limit holds it).
fn incomplete(
    m: &Mailer<'_>,
    r: &Received<'_>,
    t: &Ticket,
    i: &Incomplete,
    row: i64,
) -> Result<(), MailError> {
    let actor = r.sender();
    let problems: Vec<String> = i.problems.iter().map(skm::Problem::describe_id).collect();
    let read = read_so_far(i);
    let letter = Letter::SurveyIncomplete {
        problems: problems.clone(),
        read: read.clone(),
    };
    let how = Sending::default()
        .automatic()
        .answering(r.mail.message_id.clone())
        .once(format!("survey-incomplete:{}", t.id));
    let told = m.to_stakeholder(t, &letter, how)?;
    let detail = format!(
        "{}{}",
        problems.join(" "),
        if told {
            ""
        } else {
            " [not told again: staff asked]"
        }
    );
    tickets::log(
        m.conn,
        t.id,
        &Event::new(EventKind::SurveyIncomplete, &actor, m.now)
            .on(row)
            .detail(&detail),
    )?;
    if told {
        tracing::info!(ticket = t.id, requester = %actor, "SKM answer incomplete: the stakeholder was told what is missing");
    } else {
        tracing::info!(ticket = t.id, requester = %actor, "SKM answer incomplete again: not answered a second time, staff told");
        let text = format!("{}\n\n{}", problems.join("\n"), r.mail.text);
        tell_staff(m, t, &text, NotifyEvent::SurveyIncomplete, &actor)?;
    }
    Ok(())
}

/// "1. Persyaratan: 4, 2. …: 4" of what was read.
fn read_so_far(i: &Incomplete) -> String {
    Unsur::ALL
        .iter()
        .filter_map(|u| i.found[u.index()].map(|s| format!("{}. {}: {s}", u.number(), u.name_id())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tell_staff(
    m: &Mailer<'_>,
    t: &Ticket,
    text: &str,
    event: NotifyEvent,
    by: &str,
) -> Result<(), MailError> {
    for to in super::recipients::staff_on(m, t)? {
        let letter = Letter::Notify {
            event,
            text,
            by: Some(by),
            thread: Vec::new(),
            listed_attachments: Vec::new(),
            earlier: None,
        };
        m.to_staff(t, &to, &letter, Sending::default())?;
    }
    Ok(())
}

/// What became of a paper questionnaire a CSO sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaperOutcome {
    /// Recorded for the ticket (`replaced`: an earlier answer of it was replaced); the
    /// CSO got a confirmation with the scores as read.
    Recorded { ticket: i64, replaced: bool },
    /// Nothing recorded; the CSO got what to fix (the same sentences).
    Refused { problems: Vec<String> },
}

/// A paper questionnaire entered by a verified staff member: the `[SKM]` mail's subject
/// (`[SKM] #12`) and body (the nine digits in any form a reply may use, the optional
/// profile and comment; the ticket number may also stand in the body as `Tiket: 12` or
/// `#12`). The caller has checked that `staff` is staff and proved it (the trust check of
/// staff-started mail); this function checks nothing of that. `row`: the stored mail.
///
/// Recorded with source `paper` and `entered_by = staff`; the CSO is answered either way
/// (a confirmation with the scores as read, or what to fix), from the office address.
pub(crate) fn paper_form(
    m: &Mailer<'_>,
    staff: &str,
    subject: &str,
    body: &str,
    row: Option<i64>,
) -> Result<PaperOutcome, MailError> {
    let refuse = |problems: Vec<String>, t: Option<&Ticket>| -> Result<PaperOutcome, MailError> {
        let letter = Letter::SurveyRefused {
            problems: problems.clone(),
            subject,
        };
        m.to_staff_address(t, staff, reply_subject(subject), &letter)?;
        tracing::info!(staff, problems = %problems.join(" "), "paper SKM form not recorded; the CSO was told what to fix");
        Ok(PaperOutcome::Refused { problems })
    };
    let Some(id) = ticket_number(subject).or_else(|| ticket_number_in_body(body)) else {
        return refuse(
            vec!["Nomor tiket tidak ditemukan: tulis di subjek, misalnya \"[SKM] #12\".".into()],
            None,
        );
    };
    let Some(t) = tickets::find(m.conn, id)? else {
        return refuse(vec![format!("Tiket #{id} tidak ada.")], None);
    };
    let answer = match skm::read_paper(&strip_ticket_lines(body)) {
        SkmReading::Complete(a) => a,
        SkmReading::Incomplete(i) => {
            return refuse(
                i.problems.iter().map(skm::Problem::describe_id).collect(),
                Some(&t),
            );
        }
        SkmReading::None => {
            return refuse(
                vec![
                    "Tidak ada jawaban survei yang terbaca: tulis sembilan angka 1–4 berurutan, misalnya 4 4 3 4 4 4 4 3 4."
                        .into(),
                ],
                Some(&t),
            );
        }
    };
    let replaced = record(m, &t, &answer, Source::Paper, Some(staff), row, staff)?;
    let letter = Letter::SurveyEntered {
        scores: answer_lines(&answer),
        profile: profile_line(&answer.profile),
        comment: &answer.comment,
        replaced,
    };
    m.to_staff_address(Some(&t), staff, reply_subject(subject), &letter)?;
    tracing::info!(ticket = t.id, staff, scores = %answer.scores.digits(), replaced, "paper SKM form recorded");
    Ok(PaperOutcome::Recorded {
        ticket: t.id,
        replaced,
    })
}

/// [`paper_form`] in its own transaction, for a caller holding the store (and tests).
pub fn enter_paper_form(
    store: &mut Store,
    desk: &Desk,
    staff: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<PaperOutcome, MailError> {
    let tx = store.transaction()?;
    let m = Mailer::new(desk, &tx, now);
    let outcome = paper_form(&m, staff, subject, body, None)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(outcome)
}

fn reply_subject(subject: &str) -> String {
    if subject.to_lowercase().starts_with("re:") {
        subject.to_string()
    } else {
        format!("Re: {subject}")
    }
}

/// `#12`, or the first number after `[SKM]`.
fn ticket_number(subject: &str) -> Option<i64> {
    if let Some(i) = subject.find('#') {
        let digits: String = subject[i + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse() {
            return Some(n);
        }
    }
    let lower = subject.to_lowercase();
    let after = lower.find("[skm]").map(|i| &subject[i + 5..])?;
    let digits: String = after
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// `Tiket: 12`, `Nomor tiket: #12`, `Ticket 12` on a line of the body.
fn ticket_number_in_body(body: &str) -> Option<i64> {
    body.lines().find_map(ticket_line)
}

fn ticket_line(line: &str) -> Option<i64> {
    let l = line.trim().to_lowercase();
    let rest = ["nomor tiket", "no. tiket", "tiket", "ticket"]
        .iter()
        .find_map(|p| l.strip_prefix(p))?;
    let digits: String = rest
        .trim_start_matches([':', ' ', '#', '='])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The body without its ticket line: "Tiket: 12" is not a survey answer.
fn strip_ticket_lines(body: &str) -> String {
    body.lines()
        .filter(|l| ticket_line(l).is_none())
        .collect::<Vec<_>>()
        .join("\n")
}

fn answer_lines(a: &SkmAnswer) -> Vec<String> {
    Unsur::ALL
        .iter()
        .map(|u| {
            let s = a.scores.get(*u);
            format!(
                "{}. {}: {s} ({})",
                u.number(),
                u.name_id(),
                u.answers_id()[usize::from(s) - 1]
            )
        })
        .collect()
}

fn profile_line(p: &Profile) -> String {
    let mut parts = Vec::new();
    if let Some(v) = p.age {
        parts.push(format!("Usia {}", v.label_id()));
    }
    if let Some(v) = p.sex {
        parts.push(v.label_id().to_string());
    }
    if let Some(v) = p.education {
        parts.push(format!("Pendidikan {}", v.label_id()));
    }
    if let Some(v) = p.occupation {
        parts.push(format!("Pekerjaan {}", v.label_id()));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn ticket_numbers_in_subject_and_body() {
        assert_eq!(ticket_number("[SKM] #12"), Some(12));
        assert_eq!(ticket_number("[SKM] 12"), Some(12));
        assert_eq!(ticket_number("Fwd: [skm] tiket 7"), Some(7));
        assert_eq!(ticket_number("[SKM]"), None);
        assert_eq!(
            ticket_number_in_body("Tiket: 31\n4 4 4 4 4 4 4 4 4"),
            Some(31)
        );
        assert_eq!(ticket_number_in_body("Nomor tiket: #5"), Some(5));
        assert_eq!(strip_ticket_lines("Tiket: 31\n4 4 4"), "4 4 4");
    }
}
