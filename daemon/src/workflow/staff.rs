//! What a verified staff reply does: the published procedure's steps 2–6, carried out
//! from the staff member's mail client. Everything is checked before anything changes
//! (`plan`), so a reply with a mistake changes nothing and tells its author what was
//! wrong; then one function per command carries it out.

use loket_core::config::Section;
use loket_core::content::Term;
use rusqlite::Connection;

use super::canned;
use super::held::{self, Answered};
use super::letters::{
    Hold, Letter, MailError, Mailer, NotifyEvent, Sending, ThreadEntry, kept_on_server,
};
use super::sent::{self, Audience};
use crate::desk::Desk;
use crate::mail::compose::{FileAttachment, FileContent};
use crate::mail::parse::ParsedMail;
use crate::mail::relay::{self, Separation};
use crate::rules::command::{self, Command};
use crate::rules::kinds::{EventKind, MessageKind};
use crate::rules::ticket::{self, Action, Status};
use crate::store::tickets::{self, Event, Ticket};
use crate::store::{StoreError, attachment_path, messages};

/// The escalation term when a standard names none: the published 3 working days.
pub(super) const DEFAULT_ESCALATION: Term = Term::WorkingDays(3);

/// What a staff reply does, besides a change of owner.
enum Step {
    /// No command: the text is the answer.
    Answer,
    Documents,
    Escalate(Section),
    Progress(Option<chrono::NaiveDate>),
    Resolve,
    Note,
    Close,
    Merge(i64),
    /// Only `#ambil` (`handover: false`) or `#alihkan`.
    Owner {
        handover: bool,
    },
}

impl Step {
    /// The action of the ticket state machine this step is.
    fn action(&self) -> Action {
        match self {
            Step::Answer => Action::StaffAnswer,
            Step::Documents => Action::RequestDocuments,
            Step::Escalate(_) => Action::Escalate,
            Step::Progress(_) => Action::Progress,
            Step::Resolve => Action::Resolve,
            Step::Note => Action::Note,
            Step::Close | Step::Merge(_) => Action::Close,
            Step::Owner { handover: true } => Action::Assign,
            Step::Owner { handover: false } => Action::Take,
        }
    }

    /// Whether the stakeholder gets an answer that moves the case on (the completion
    /// clock is met by the first one).
    fn moves_case_on(&self) -> bool {
        matches!(
            self,
            Step::Answer | Step::Documents | Step::Escalate(_) | Step::Resolve
        )
    }

    /// Whether the staff member's text goes to the stakeholder.
    fn relays_text(&self) -> bool {
        matches!(
            self,
            Step::Answer | Step::Documents | Step::Progress(_) | Step::Resolve
        )
    }
}

/// A change that passed every check, ready to carry out.
struct Plan {
    /// The ticket's new owner, from `#ambil` or `#alihkan`.
    owner: Option<String>,
    step: Step,
    to: Status,
    text: String,
    /// `#kirim`: send a held reply as it is.
    forced: bool,
}

/// The staff reply being carried out, and what every command needs of it.
struct Reply<'a> {
    m: &'a Mailer<'a>,
    /// The staff member, lower case.
    actor: String,
    staff_name: Option<String>,
    /// The stored mail (`messages` row).
    row: i64,
    text: String,
    /// The reply's own attachments, passed on.
    files: Vec<FileAttachment>,
    /// The stakeholder never saw the staff reply: mail to them answers their own
    /// latest mail.
    reply_to: Option<String>,
}

/// Runs a verified staff reply against ticket `t`. `answering` is the capability it
/// carries: the Message-ID of the mail the daemon sent this staff member, whose text
/// tells the reply's new text apart from what it quotes.
pub(crate) fn execute(
    m: &Mailer<'_>,
    t: &mut Ticket,
    mail: &ParsedMail,
    row: i64,
    answering: &str,
) -> Result<(), MailError> {
    let actor = mail
        .from
        .as_ref()
        .map(|a| a.email.to_lowercase())
        .unwrap_or_default();
    let sent = sent::sent_text(m.conn, answering)?.unwrap_or_default();
    let sent = format!("{sent}\n{}", command::cheat_sheet());
    let theirs = held::their_words(m.conn, t.id)?;
    let (text, below, doubt) = match relay::separate_excluding(&mail.text, &sent, &theirs) {
        Separation::Clean(text) => (text, String::new(), None),
        Separation::Held {
            reason,
            text,
            below,
        } => (text, below, Some(Hold::from(reason))),
    };
    let held = |why: Hold, answered: Option<&Answered>| {
        held::hold(m, t, &actor, row, why, (&text, &below), answered)
    };
    let plan = match (plan(m, t, &actor, &text), doubt) {
        (Ok(plan), _) => plan,
        // Unsure what the new text is (often: written below the quote, nothing above):
        // the hold explains that, and shows what was taken.
        (Err(_), Some(why)) => return held(why, None),
        (Err(problem), None) => return reject(m, t, &actor, row, &problem),
    };
    if plan.step.relays_text() && !plan.forced {
        let second = if matches!(plan.step, Step::Answer | Step::Resolve) {
            held::answered_by_other(m.conn, t, &actor)?
        } else {
            None
        };
        if let Some(why) = doubt {
            return held(why, None);
        }
        if let Some(answered) = second {
            return held(Hold::AlreadyAnswered, Some(&answered));
        }
    }
    let r = Reply {
        m,
        staff_name: m
            .desk
            .config
            .roster
            .staff_by_address(&actor)
            .map(|s| s.name.clone()),
        actor,
        row,
        text: plan.text.clone(),
        files: mail
            .attachments
            .iter()
            // Signature logos from Outlook are part of the look of a mail, not files.
            .filter(|a| !(a.inline && a.content_type.starts_with("image/")))
            .map(FileAttachment::from)
            .collect(),
        reply_to: messages::last_from_stakeholder(m.conn, t.id)?,
    };
    if plan.forced {
        tickets::log(m.conn, t.id, &r.event(EventKind::SentAnyway))?;
    }
    r.change_owner(t, plan.owner.as_deref(), &plan.step)?;
    if plan.step.moves_case_on() && t.first_response_at.is_none() {
        t.first_response_at = Some(m.now);
    }
    match &plan.step {
        Step::Escalate(section) => return r.escalate(t, section, plan.to),
        Step::Merge(into) => return r.merge(t, *into, plan.to),
        // Ownership only: logged by `change_owner`.
        Step::Owner { .. } => {
            tickets::save(m.conn, t)?;
            return Ok(());
        }
        _ => {}
    }
    // The status changes first, so the mail's footer shows where the ticket now stands.
    let kind = match &plan.step {
        Step::Answer => EventKind::Answered,
        Step::Documents => {
            t.paused_at = Some(m.now);
            EventKind::DocumentsRequested
        }
        Step::Progress(expected) => {
            t.last_progress_at = Some(m.now);
            if expected.is_some() {
                t.expected_on = *expected;
            }
            EventKind::ProgressSent
        }
        Step::Resolve => {
            t.resolved_at = Some(m.now);
            t.paused_at = None;
            EventKind::Resolved
        }
        Step::Note => EventKind::Note,
        Step::Close => {
            t.closed_at = Some(m.now);
            EventKind::Closed
        }
        Step::Escalate(_) | Step::Merge(_) | Step::Owner { .. } => unreachable!("handled above"),
    };
    let detail = match &plan.step {
        Step::Note => plan.text.clone(),
        Step::Progress(Some(d)) => format!("expected {d}"),
        _ => String::new(),
    };
    r.finish(t, plan.to, kind, &detail)?;
    match &plan.step {
        Step::Answer => r.answer(t)?,
        Step::Documents => r.request_documents(t)?,
        Step::Progress(_) => r.progress(t)?,
        Step::Resolve => r.resolve(t)?,
        Step::Note => r.note(t)?,
        _ => {}
    }
    tracing::info!(ticket = t.id, staff = %r.actor, action = %kind, "staff reply executed");
    Ok(())
}

/// Checks a staff reply against the ticket; the error is shown to its author.
fn plan(m: &Mailer<'_>, t: &Ticket, actor: &str, text: &str) -> Result<Plan, String> {
    // Canned answers first: a `#templat` line is never a command, and an unknown one
    // stops the reply before anything is decided.
    let text = canned::expand(m.desk, &t.service, text)?;
    let parsed = command::parse(&text).map_err(|e| e.to_string())?;
    if let Some((line, word)) = command::misplaced(&parsed.text) {
        return Err(format!(
            "Perintah `{word}` ada di baris {line} teks, bukan di baris pertama, sehingga tidak dijalankan. \
             Tulis perintah di baris pertama balasan, di atas teks lainnya."
        ));
    }
    let roster = &m.desk.config.roster;
    let mut owner = None;
    let mut handover = false;
    let mut main = None;
    let forced = false;
    for c in parsed.commands {
        match c {
            Command::Take => owner = Some(actor.to_string()),
            Command::Assign { staff } => {
                let found = roster
                    .staff
                    .iter()
                    .find(|s| {
                        s.address.eq_ignore_ascii_case(&staff) || s.name.eq_ignore_ascii_case(&staff)
                    })
                    .ok_or_else(|| {
                        format!(
                            "Petugas `{staff}` tidak ada dalam daftar staf; tulis alamat surelnya, misalnya `#alihkan {}`.",
                            roster.csos().next().map_or("cso@kantor", |s| s.address.as_str())
                        )
                    })?;
                owner = Some(found.address.clone());
                handover = true;
            }
            Command::Escalate { section } => {
                let Some(found) = roster.section(&section) else {
                    let codes: Vec<&str> =
                        roster.sections.iter().map(|s| s.code.as_str()).collect();
                    return Err(format!(
                        "Seksi `{section}` tidak dikenal. Kode seksi yang ada: {}.",
                        codes.join(", ")
                    ));
                };
                main = Some(Step::Escalate(found.clone()));
            }
            Command::Documents => main = Some(Step::Documents),
            Command::Progress { expected } => main = Some(Step::Progress(expected)),
            Command::Resolve => main = Some(Step::Resolve),
            Command::Note => main = Some(Step::Note),
            Command::Close => main = Some(Step::Close),
            Command::Merge { into } => {
                if into == t.id
                    || tickets::find(m.conn, into)
                        .map_err(|e| e.to_string())?
                        .is_none()
                {
                    return Err(format!(
                        "Tiket #{into} tidak ada (atau tiket ini sendiri); tulis nomor tiket tujuan, misalnya `#gabung {}`.",
                        t.previous_ticket.unwrap_or(1)
                    ));
                }
                main = Some(Step::Merge(into));
            }
            Command::Send => {
                if !parsed.text.is_empty() {
                    return Err("`#kirim` mengirim balasan yang ditahan apa adanya: tulis `#kirim` saja, tanpa teks lain. \
                                Untuk mengubah isinya, kirim balasan baru."
                        .into());
                }
                let held = held::held_text(m.conn, t.id, actor)
                    .map_err(|e| e.to_string())?
                    .ok_or("Tidak ada balasan Anda yang ditahan pada tiket ini, jadi tidak ada yang dikirim dengan `#kirim`.")?;
                let mut again = plan(m, t, actor, &held)?;
                again.forced = true;
                return Ok(again);
            }
        }
    }
    let step = match main {
        Some(step) => step,
        // The text under `#alihkan` is a hand-over note for the new owner: it must never
        // reach the stakeholder as an answer.
        None if handover => Step::Owner { handover: true },
        None if parsed.text.is_empty() && owner.is_some() => Step::Owner { handover: false },
        None if parsed.text.is_empty() => {
            return Err("Balasan Anda kosong: tidak ada jawaban maupun perintah.".into());
        }
        None => Step::Answer,
    };
    let to = ticket::transition(t.status, &step.action()).map_err(|e| e.to_string())?;
    Ok(Plan {
        owner,
        step,
        to,
        text: parsed.text,
        forced,
    })
}

/// Nothing is done: the author alone is told why (the reply to this mail is a
/// capability too, so fixing it is one "Reply").
fn reject(
    m: &Mailer<'_>,
    t: &Ticket,
    actor: &str,
    row: i64,
    problem: &str,
) -> Result<(), MailError> {
    tickets::log(
        m.conn,
        t.id,
        &Event::new(EventKind::CommandRejected, actor, m.now)
            .on(row)
            .detail(problem),
    )?;
    m.to_staff(
        t,
        actor,
        &Letter::CommandError { problem },
        Sending::default(),
    )?;
    tracing::info!(ticket = t.id, staff = %actor, %problem, "staff command rejected");
    Ok(())
}

impl Reply<'_> {
    fn event(&self, kind: EventKind) -> Event<'_> {
        Event::new(kind, &self.actor, self.m.now).on(self.row)
    }

    /// `#ambil` / `#alihkan`, and first come first served on an unowned ticket.
    fn change_owner(
        &self,
        t: &mut Ticket,
        owner: Option<&str>,
        step: &Step,
    ) -> Result<(), MailError> {
        let m = self.m;
        if let Some(owner) = owner
            && t.assignee.as_deref() != Some(owner)
        {
            t.assignee = Some(owner.to_string());
            tickets::log(m.conn, t.id, &self.event(EventKind::Assigned).detail(owner))?;
            if owner != self.actor {
                // The new owner joins late: the thread and the stakeholder's documents.
                let (files, listed) =
                    earlier_attachments(m.desk, m.conn, t.id, self.files.clone())?;
                let letter = Letter::Notify {
                    event: NotifyEvent::Assigned,
                    text: &self.text,
                    by: Some(&self.actor),
                    thread: conversation(m.conn, t.id)?,
                    listed_attachments: listed,
                    earlier: None,
                };
                m.to_staff(t, owner, &letter, Sending::files(files))?;
            }
        }
        // Whoever first acts on an unowned ticket owns it.
        if t.assignee.is_none() && !matches!(step, Step::Note) {
            t.assignee = Some(self.actor.clone());
        }
        Ok(())
    }

    /// The text goes to the stakeholder as an answer.
    fn answer(&self, t: &Ticket) -> Result<(), MailError> {
        let letter = Letter::Answer {
            text: &self.text,
            staff_name: self.staff_name.as_deref(),
        };
        self.to_stakeholder(t, &letter)
    }

    /// `#dokumen`: ask for supporting documents; the completion clock pauses.
    fn request_documents(&self, t: &Ticket) -> Result<(), MailError> {
        let letter = Letter::Documents {
            text: &self.text,
            staff_name: self.staff_name.as_deref(),
        };
        self.to_stakeholder(t, &letter)
    }

    /// `#progres`: news for the stakeholder; it counts as today's progress reply.
    fn progress(&self, t: &Ticket) -> Result<(), MailError> {
        let letter = Letter::Progress {
            text: &self.text,
            staff_name: self.staff_name.as_deref(),
            answered_at: None,
        };
        self.to_stakeholder(t, &letter)
    }

    /// `#selesai`: the final answer with status "Resolved".
    fn resolve(&self, t: &Ticket) -> Result<(), MailError> {
        let letter = Letter::Resolved {
            text: &self.text,
            staff_name: self.staff_name.as_deref(),
        };
        self.to_stakeholder(t, &letter)
    }

    /// `#catatan`: to the other staff on the ticket, never the stakeholder.
    fn note(&self, t: &Ticket) -> Result<(), MailError> {
        let m = self.m;
        for other in tickets::participants(m.conn, t.id)? {
            if other != self.actor {
                let letter = Letter::Notify {
                    event: NotifyEvent::Note,
                    text: &self.text,
                    by: Some(&self.actor),
                    thread: Vec::new(),
                    listed_attachments: Vec::new(),
                    earlier: None,
                };
                m.to_staff(t, &other, &letter, Sending::files(self.files.clone()))?;
            }
        }
        Ok(())
    }

    /// `#gabung N`: this ticket (usually opened by a tagged mail from an address that
    /// is not on ticket N) belongs to ticket N: its sender joins N as a colleague, and
    /// this one closes.
    fn merge(&self, t: &mut Ticket, into: i64, to: Status) -> Result<(), MailError> {
        let m = self.m;
        let target = tickets::get(m.conn, into)?;
        tickets::add_copied(m.conn, into, &t.requester, t.requester_name.as_deref())?;
        for (name, address) in tickets::copied(m.conn, t.id)? {
            tickets::add_copied(m.conn, into, &address, name.as_deref())?;
        }
        let here = format!("#{}", t.id);
        tickets::log(
            m.conn,
            target.id,
            &self.event(EventKind::Merged).detail(&here),
        )?;
        t.closed_at = Some(m.now);
        let there = format!("into #{into}");
        tickets::set_status(m.conn, t, to, &self.event(EventKind::Merged).detail(&there))?;
        tickets::save(m.conn, t)?;
        tracing::info!(ticket = t.id, into, staff = %self.actor, "ticket merged");
        Ok(())
    }

    /// `#eskalasi <seksi>`: the section head takes the question, on the standard's
    /// escalation term; the stakeholder is told, the head gets the whole thread and the
    /// stakeholder's documents.
    fn escalate(&self, t: &mut Ticket, section: &Section, to: Status) -> Result<(), MailError> {
        let (m, desk) = (self.m, self.m.desk);
        t.section = Some(section.code.clone());
        let term = desk
            .service(&t.service)
            .and_then(|s| s.escalation)
            .unwrap_or(DEFAULT_ESCALATION);
        t.escalation_due_at = Some(desk.deadline(t.created_at, term));
        // The escalation mail tells the stakeholder where things stand: it is today's
        // progress reply, so the scheduler starts on the next working day.
        t.last_progress_at = Some(m.now);
        tickets::set_status(
            m.conn,
            t,
            to,
            &self.event(EventKind::Escalated).detail(&section.code),
        )?;
        let told = Letter::Escalated {
            staff_name: self.staff_name.as_deref(),
        };
        m.to_stakeholder(
            t,
            &told,
            Sending::default().answering(self.reply_to.clone()),
        )?;
        // The section head joins late: give them the stakeholder's documents too.
        let (files, listed) = earlier_attachments(desk, m.conn, t.id, self.files.clone())?;
        let letter = Letter::Notify {
            event: NotifyEvent::Escalated,
            text: &self.text,
            by: Some(&self.actor),
            thread: conversation(m.conn, t.id)?,
            listed_attachments: listed,
            earlier: None,
        };
        m.to_staff(t, &section.head, &letter, Sending::files(files))?;
        tickets::save(m.conn, t)?;
        tracing::info!(ticket = t.id, staff = %self.actor, section = %section.code, "escalated");
        Ok(())
    }

    /// A mail to the stakeholder with the reply's attachments, in their thread.
    fn to_stakeholder(&self, t: &Ticket, letter: &Letter<'_>) -> Result<(), MailError> {
        self.m.to_stakeholder(
            t,
            letter,
            Sending::files(self.files.clone()).answering(self.reply_to.clone()),
        )?;
        Ok(())
    }

    /// Logs the command (with the status change, if any) and saves the ticket.
    fn finish(
        &self,
        t: &mut Ticket,
        to: Status,
        kind: EventKind,
        detail: &str,
    ) -> Result<(), StoreError> {
        let e = self.event(kind).detail(detail);
        if to == t.status {
            tickets::log(self.m.conn, t.id, &e)?;
        } else {
            tickets::set_status(self.m.conn, t, to, &e)?;
        }
        tickets::save(self.m.conn, t)
    }
}

/// `files` (the staff reply's own attachments) plus the stakeholder's earlier ones, read
/// back from the attachment store, as far as the forwarding limit allows; the names of
/// the rest are listed.
pub(super) fn earlier_attachments(
    desk: &Desk,
    conn: &Connection,
    ticket: i64,
    mut files: Vec<FileAttachment>,
) -> Result<(Vec<FileAttachment>, Vec<String>), StoreError> {
    let max = desk.config.helpdesk.forward_attachments_max_bytes;
    let mut total: u64 = files.iter().map(|f| f.size).sum();
    let mut listed = Vec::new();
    for a in messages::stakeholder_attachments(conn, ticket)? {
        let path = attachment_path(&desk.config.mail.data_dir, &a.sha256);
        match std::fs::metadata(&path) {
            // Named, not read: the sender streams it from the store.
            Ok(m) if m.is_file() && total + a.size <= max => {
                total += a.size;
                files.push(FileAttachment {
                    filename: a.filename,
                    content_type: a.content_type,
                    size: a.size,
                    content: FileContent::Stored(a.sha256),
                });
            }
            // Too large to forward, or missing from the store: name it, never fail the reply.
            _ => listed.push(kept_on_server(&a.filename, a.size)),
        }
    }
    Ok((files, listed))
}

/// The stakeholder's and staff's side of the thread so far, oldest first, for someone
/// who joins the ticket late; what each mail quotes of the daemon's own is left out.
pub(super) fn conversation(conn: &Connection, ticket: i64) -> Result<Vec<ThreadEntry>, StoreError> {
    let to_stakeholder = sent::sent_about(conn, ticket, Audience::Stakeholder)?;
    let to_anyone = sent::sent_about(conn, ticket, Audience::Anyone)?;
    Ok(messages::of_ticket(conn, ticket)?
        .into_iter()
        .filter(|m| matches!(m.kind, MessageKind::Stakeholder | MessageKind::Staff))
        .map(|m| {
            // A stakeholder's words are repeated in staff notifications: compare theirs
            // with what they were sent only.
            let sent = if m.kind == MessageKind::Staff {
                &to_anyone
            } else {
                &to_stakeholder
            };
            ThreadEntry {
                at: m.received_at,
                sender: m.sender,
                body: relay::strip_own(&m.body, sent),
            }
        })
        .collect())
}
