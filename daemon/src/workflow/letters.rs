//! The mails the desk writes, each queued in the caller's transaction: to the
//! stakeholder in the ticket's thread (from the official address), to staff with a
//! capability Message-ID that lets their reply act on the ticket, and short notes to one
//! address. [`Letter`] lists every mail with exactly the data its template reads.

use chrono::{DateTime, Datelike, Timelike, Utc};
use loket_core::text;
use rusqlite::Connection;
use serde::Serialize;

use super::canned;
use super::views;
use crate::desk::Desk;
use crate::mail::compose::{ComposeError, Composer, Draft, FileAttachment, is_sendable};
use crate::mail::relay::HoldReason;
use crate::mail::subject;
use crate::rules::capability::DESK;
use crate::rules::classify::Unproven;
use crate::rules::command;
use crate::rules::kinds::{EventKind, LetterKind, ThreadKind};
use crate::store::StoreError;
use crate::store::outbox::{self, Queued};
use crate::store::tickets::{self, Event, Ticket};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

/// Every mail the desk writes, with exactly the data its template reads. Templates
/// also see `ticket` (a [`TicketView`]) when the mail is about one, the office and
/// the complaint channels; mails to staff also see their commands (`cheat_sheet`,
/// `links`).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum Letter<'a> {
    /// The acknowledgement of a new question (`ack.txt`).
    Ack { service_url: Option<String> },
    /// A staff answer, relayed (`answer.txt`).
    Answer {
        text: &'a str,
        staff_name: Option<&'a str>,
    },
    /// A request for supporting documents (`documents.txt`).
    Documents {
        text: &'a str,
        staff_name: Option<&'a str>,
    },
    /// The documents are still awaited (`documents_reminder.txt`).
    DocumentsReminder {},
    /// The question went to a section head (`escalated.txt`). The staff member's note
    /// under `#eskalasi` is for the section head and never appears here.
    Escalated { staff_name: Option<&'a str> },
    /// News while the question is handled (`progress.txt`); `text` is empty for the
    /// scheduled daily one, which says the question is still being handled.
    Progress {
        text: &'a str,
        staff_name: Option<&'a str>,
        /// For the scheduled one: when an answer already went out (the question is
        /// then no longer "being handled" but open until resolved).
        answered_at: Option<String>,
    },
    /// The final answer with status "Resolved" and the satisfaction question
    /// (`resolved.txt`).
    Resolved {
        text: &'a str,
        staff_name: Option<&'a str>,
    },
    /// A staff member hears of a ticket (`notify.txt`).
    Notify {
        event: NotifyEvent,
        text: &'a str,
        /// Who caused it, for hand-overs, escalations and notes.
        by: Option<&'a str>,
        /// The conversation so far, for someone who joins late.
        thread: Vec<ThreadEntry>,
        /// Attachments too large to forward, by name.
        listed_attachments: Vec<String>,
        /// For a new ticket: the requester's earlier tickets.
        earlier: Option<Earlier>,
    },
    /// A clock of the standard needs attention (`reminder.txt`).
    Reminder { what: ReminderKind },
    /// A staff reply was not run (`command_error.txt`).
    CommandError { problem: &'a str },
    /// A staff-looking mail failed the proof (`unverified.txt`).
    Unverified { why: Unproven, subject: &'a str },
    /// A staff reply that was not relayed, back to its author (`held.txt`): why, the
    /// text that would have gone out, and how to send it.
    Held {
        reason: Hold,
        text: &'a str,
        /// What the author wrote below or inside the quote (not sent).
        below: &'a str,
        /// For [`Hold::AlreadyAnswered`]: who answered, and when.
        answered_by: Option<&'a str>,
        answered_at: Option<String>,
    },
    /// A reply to a staff notification from an address that may not answer
    /// (`stray.txt`): not relayed; says how to answer properly. Carries no ticket data.
    Stray { subject: &'a str },
    /// A mail over the size limit (`too_large.txt`).
    TooLarge {
        subject: &'a str,
        size_mb: String,
        limit_mb: String,
    },
    /// A staff reply for a ticket the database does not hold (`unknown_ticket.txt`).
    UnknownTicket { ticket_id: i64, subject: &'a str },
    /// To the staff on a ticket: the mail server refused a mail to the stakeholder for
    /// good (`undelivered.txt`), so someone must answer another way.
    Undelivered {
        recipients: &'a str,
        what: &'static str,
        error: &'a str,
    },
    /// To the staff on duty: a mail could not be processed and waits in the quarantine
    /// folder (`quarantined.txt`); at most one an hour each.
    Quarantined {
        folder: &'a str,
        uid: u32,
        size: usize,
        reason: &'a str,
        /// From the header when it reads: who wrote and about what.
        from: Option<String>,
        subject: Option<String>,
    },
    // ----- staff-started mail (workflow::desk_mail) -----
    /// A consultation recorded from a CSO's form, to that CSO with the ticket's
    /// capability (`recorded.txt`).
    Recorded(super::views::RecordedView),
    /// A form that could not be read, back to the CSO: what to fix (`form_error.txt`).
    FormError(super::views::FormErrorView),
    /// A staff-started mail held until its sender confirms it (`confirm.txt`). Quotes
    /// nothing but the held mail's own subject.
    Confirm(super::views::ConfirmView),
    /// A staff-started mail held without a confirmation request, the hourly limit of
    /// those being reached (`confirm_held.txt`): at most one a day to each address.
    ConfirmHeld { subject: &'a str, limit: u32 },
    /// The answer to `#antrean`, `#cari`, `#riwayat`, or to a desk mail without any
    /// of them (`desk_answer.txt`).
    DeskAnswer(super::views::AnswerView),
    /// The standing "catat konsultasi" mail to a CSO (`standing.txt`).
    Standing { form: &'static str },
    /// An SKM answer that cannot be recorded: what is missing, once per ticket
    /// (`survey_incomplete.txt`).
    SurveyIncomplete {
        problems: Vec<String>,
        /// What was read, "1. Persyaratan: 4, …".
        read: String,
    },
    /// To the CSO: a paper SKM form was recorded (`survey_entered.txt`).
    SurveyEntered {
        scores: Vec<String>,
        profile: String,
        comment: &'a str,
        replaced: bool,
    },
    /// To the CSO: a paper SKM form was not recorded, and what to fix
    /// (`survey_refused.txt`).
    SurveyRefused {
        problems: Vec<String>,
        subject: &'a str,
    },
    /// A staff member's daily digest (`digest.txt`).
    Digest {
        staff_name: &'a str,
        /// When it was made, office time.
        at: String,
        /// Tickets listed or counted in `groups`.
        count: usize,
        groups: Vec<views::Group>,
        /// The head of office's figures.
        summary: Option<views::Summary>,
        /// The holiday file is ending (to the head of office).
        warning: Option<String>,
        /// The subject tag, for "[KPPN-TSL #nomor]".
        tag: &'a str,
    },
}

/// Why a staff member is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NotifyEvent {
    New,
    Reopened,
    DocumentsReceived,
    StakeholderReply,
    Escalated,
    Assigned,
    Note,
    /// An answer came from an address that may not answer (a private address, or a
    /// staff address without proof): it waits, not relayed.
    AnswerWaiting,
    /// After "Resolved", a reply that may be a thank-you or a new question: not
    /// reopened; staff decide.
    Unclear,
    /// The stakeholder answered the SKM survey with a comment: not reopened.
    Surveyed,
    /// An SKM answer still incomplete after the one reply that says so: staff decide.
    SurveyIncomplete,
}

/// Why a staff reply was held back instead of relayed.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    serde::Deserialize,
    strum::Display,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub(crate) enum Hold {
    /// Text below or inside the quoted notification.
    TextBelowQuote,
    /// Lines of the notification would have gone out.
    ReproducesNotification,
    /// Another staff member answered since the stakeholder last wrote.
    AlreadyAnswered,
}

impl From<HoldReason> for Hold {
    fn from(r: HoldReason) -> Self {
        match r {
            HoldReason::TextBelowQuote => Hold::TextBelowQuote,
            HoldReason::ReproducesNotification => Hold::ReproducesNotification,
        }
    }
}

/// Which clock a reminder is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ReminderKind {
    /// The completion time passed without an answer.
    Unanswered,
    /// Half the escalation term has passed.
    Halfway,
    /// The escalation deadline is today.
    Dueday,
    /// The escalation deadline passed (to the head of office).
    Breach,
    /// A consultation recorded from a visit or a call is still open 3 working days
    /// after it (the standard's tatap muka step 6b).
    Visit,
    /// Within those 3 days: today's progress is due to a visitor reachable by phone
    /// only (the standard's "progres ... secara berkala").
    Progress,
}

impl ReminderKind {
    pub(crate) fn event(self) -> EventKind {
        match self {
            ReminderKind::Unanswered => EventKind::ReminderUnanswered,
            ReminderKind::Halfway => EventKind::ReminderHalfway,
            ReminderKind::Dueday => EventKind::ReminderDueday,
            ReminderKind::Breach => EventKind::ReminderBreach,
            ReminderKind::Visit => EventKind::ReminderVisit,
            ReminderKind::Progress => EventKind::ReminderProgress,
        }
    }
}

/// A requester's earlier tickets, for the notification of their new one.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Earlier {
    /// Up to [`tickets::EARLIER_COUNTED`]; `more` when there are more.
    pub count: usize,
    pub more: bool,
    /// The newest few: number, subject, status.
    pub last: Vec<EarlierTicket>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct EarlierTicket {
    pub id: i64,
    pub subject: String,
    pub status: &'static str,
    /// "1 Desember 2026"
    pub opened: String,
}

/// One mail of the conversation, for a section head who joins the ticket late.
#[derive(Debug, Serialize)]
pub(crate) struct ThreadEntry {
    pub at: DateTime<Utc>,
    pub sender: String,
    pub body: String,
}

impl Letter<'_> {
    pub(crate) fn template(&self) -> &'static str {
        match self {
            Letter::Ack { .. } => "ack.txt",
            Letter::Answer { .. } => "answer.txt",
            Letter::Documents { .. } => "documents.txt",
            Letter::DocumentsReminder {} => "documents_reminder.txt",
            Letter::Escalated { .. } => "escalated.txt",
            Letter::Progress { .. } => "progress.txt",
            Letter::Resolved { .. } => "resolved.txt",
            Letter::Notify { .. } => "notify.txt",
            Letter::Reminder { .. } => "reminder.txt",
            Letter::CommandError { .. } => "command_error.txt",
            Letter::Unverified { .. } => "unverified.txt",
            Letter::Held { .. } => "held.txt",
            Letter::Stray { .. } => "stray.txt",
            Letter::TooLarge { .. } => "too_large.txt",
            Letter::UnknownTicket { .. } => "unknown_ticket.txt",
            Letter::Quarantined { .. } => "quarantined.txt",
            Letter::Undelivered { .. } => "undelivered.txt",
            Letter::Recorded(_) => "recorded.txt",
            Letter::FormError(_) => "form_error.txt",
            Letter::Confirm(_) => "confirm.txt",
            Letter::ConfirmHeld { .. } => "confirm_held.txt",
            Letter::DeskAnswer(_) => "desk_answer.txt",
            Letter::Standing { .. } => "standing.txt",
            Letter::SurveyIncomplete { .. } => "survey_incomplete.txt",
            Letter::SurveyEntered { .. } => "survey_entered.txt",
            Letter::SurveyRefused { .. } => "survey_refused.txt",
            Letter::Digest { .. } => "digest.txt",
        }
    }

    /// The staff text this letter relays to the stakeholder, if any.
    fn relayed_text(&self) -> Option<&str> {
        match self {
            Letter::Answer { text, .. }
            | Letter::Documents { text, .. }
            | Letter::Progress { text, .. }
            | Letter::Resolved { text, .. } => Some(text),
            _ => None,
        }
    }

    pub(crate) fn kind(&self) -> LetterKind {
        match self {
            Letter::Ack { .. } => LetterKind::Ack,
            Letter::Answer { .. } => LetterKind::Answer,
            Letter::Documents { .. } => LetterKind::Documents,
            Letter::DocumentsReminder {} => LetterKind::DocumentsReminder,
            Letter::Escalated { .. } => LetterKind::Escalated,
            Letter::Progress { .. } => LetterKind::Progress,
            Letter::Resolved { .. } => LetterKind::Resolved,
            Letter::Notify { event, .. } => match event {
                NotifyEvent::Escalated => LetterKind::Escalation,
                NotifyEvent::Note => LetterKind::Note,
                NotifyEvent::AnswerWaiting => LetterKind::AnswerWaiting,
                _ => LetterKind::Notify,
            },
            Letter::Reminder { .. } => LetterKind::Reminder,
            Letter::CommandError { .. } => LetterKind::CommandError,
            Letter::Unverified { .. } => LetterKind::Unverified,
            Letter::Held { .. } => LetterKind::Held,
            Letter::Stray { .. } => LetterKind::Stray,
            Letter::TooLarge { .. } => LetterKind::TooLarge,
            Letter::UnknownTicket { .. } => LetterKind::UnknownTicket,
            Letter::Quarantined { .. } => LetterKind::Quarantined,
            Letter::Undelivered { .. } => LetterKind::Undelivered,
            Letter::Recorded(_) => LetterKind::Recorded,
            Letter::FormError(_) => LetterKind::FormError,
            Letter::Confirm(_) => LetterKind::Confirm,
            Letter::ConfirmHeld { .. } => LetterKind::ConfirmHeld,
            Letter::DeskAnswer(_) => LetterKind::DeskAnswer,
            Letter::Standing { .. } => LetterKind::Standing,
            Letter::SurveyIncomplete { .. } => LetterKind::SurveyIncomplete,
            Letter::SurveyEntered { .. } => LetterKind::SurveyEntered,
            Letter::SurveyRefused { .. } => LetterKind::SurveyRefused,
            Letter::Digest { .. } => LetterKind::Digest,
        }
    }
}

/// How a notification names an attachment it does not carry.
pub(crate) fn kept_on_server(filename: &str, size: u64) -> String {
    format!(
        "{filename} ({:.1} MB, tersimpan di server loketd)",
        size as f64 / 1_048_576.0
    )
}

/// How a mail goes out, apart from what it says.
#[derive(Default)]
pub(crate) struct Sending {
    pub files: Vec<FileAttachment>,
    /// Queue at most once per key: scheduled mail stays idempotent across restarts.
    pub dedup: Option<String>,
    /// Sent by the daemon on its own (not relayed from a person): marked
    /// `Auto-Submitted` and counted against the per-address hourly limit.
    pub automatic: bool,
    /// The stakeholder mail it answers; their first mail when `None`.
    pub in_reply_to: Option<String>,
    /// Automatic, but not held by the hourly limit (a person's new question is always
    /// acknowledged).
    pub unlimited: bool,
}

impl Sending {
    pub(crate) fn files(files: Vec<FileAttachment>) -> Self {
        Sending {
            files,
            ..Sending::default()
        }
    }

    #[must_use]
    pub(crate) fn once(mut self, key: String) -> Self {
        self.dedup = Some(key);
        self
    }

    #[must_use]
    pub(crate) fn automatic(mut self) -> Self {
        self.automatic = true;
        self
    }

    #[must_use]
    pub(crate) fn unlimited(mut self) -> Self {
        self.unlimited = true;
        self
    }

    #[must_use]
    pub(crate) fn answering(mut self, message_id: Option<String>) -> Self {
        self.in_reply_to = message_id;
        self
    }
}

/// The ticket as templates see it (`ticket.*`).
#[derive(Debug, Serialize)]
pub(crate) struct TicketView<'a> {
    id: i64,
    subject: &'a str,
    status: &'static str,
    requester: &'a str,
    requester_name: Option<&'a str>,
    service_code: &'a str,
    service_title: String,
    completion: String,
    escalation: Option<String>,
    due: Option<String>,
    escalation_due: Option<String>,
    /// The escalation deadline has passed (mails then promise nothing but `expected`).
    overdue: bool,
    /// The new completion date staff set with `#progres <date>`.
    expected: Option<String>,
    section: Option<String>,
    assignee: Option<&'a str>,
    previous_ticket: Option<i64>,
    tag: String,
}

/// What every mail to staff adds: their name and the commands. No link or visible
/// text carries the capability (it is this mail's Message-ID, a header), so nothing
/// quoted from it grants anything if it is ever relayed.
#[derive(Serialize)]
struct StaffFooter<'a> {
    staff_name: Option<&'a str>,
    cheat_sheet: &'static str,
    /// The canned answers (`#templat <slug>`) for the ticket's service.
    canned: Vec<canned::Entry<'a>>,
}

/// Whether the staff text relayed in a letter already opens with a greeting or ends
/// with a sign-off: the daemon then adds none, so the mail reads as one letter.
#[derive(Serialize, Default)]
struct Form {
    own_greeting: bool,
    own_closing: bool,
}

impl Form {
    fn of(text: Option<&str>) -> Form {
        let Some(text) = text else {
            return Form::default();
        };
        let lines: Vec<String> = text
            .lines()
            .map(|l| l.trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        const GREETINGS: [&str; 14] = [
            "yth",
            "kepada yth",
            "dengan hormat",
            "selamat pagi",
            "selamat siang",
            "selamat sore",
            "selamat malam",
            "assalamu",
            "bapak/ibu",
            "dear",
            "hello",
            "halo",
            "hi ",
            "good ",
        ];
        const CLOSINGS: [&str; 10] = [
            "salam",
            "hormat kami",
            "hormat saya",
            "terima kasih",
            "terimakasih",
            "wassalam",
            "regards",
            "best",
            "kind regards",
            "thank you",
        ];
        let own_greeting = lines
            .first()
            .is_some_and(|l| GREETINGS.iter().any(|g| l.starts_with(g)));
        let own_closing = lines
            .iter()
            .rev()
            .take(4)
            .any(|l| CLOSINGS.iter().any(|c| l.starts_with(c)));
        Form {
            own_greeting,
            own_closing,
        }
    }
}

/// A template's whole data.
#[derive(Serialize)]
struct View<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<TicketView<'a>>,
    #[serde(flatten)]
    form: Form,
    #[serde(flatten)]
    letter: &'a Letter<'a>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    staff: Option<StaffFooter<'a>>,
}

/// Queues mail for one transaction.
pub(crate) struct Mailer<'a> {
    pub desk: &'a Desk,
    pub conn: &'a Connection,
    pub now: DateTime<Utc>,
}

impl<'a> Mailer<'a> {
    /// Mail queued in `conn` (a transaction), dated `now`.
    pub(crate) fn new(desk: &'a Desk, conn: &'a Connection, now: DateTime<Utc>) -> Self {
        Mailer { desk, conn, now }
    }

    fn ticket_view(&self, t: &'a Ticket) -> TicketView<'a> {
        let service = self.desk.service(&t.service);
        TicketView {
            id: t.id,
            subject: &t.subject,
            status: t.status.label_id(),
            requester: &t.requester,
            requester_name: t.requester_name.as_deref(),
            service_code: &t.service,
            service_title: service.map_or_else(|| t.service.clone(), |s| s.title.clone()),
            completion: service.map_or_else(String::new, |s| s.completion.label_id()),
            escalation: service.and_then(|s| s.escalation).map(|e| e.label_id()),
            due: t.due_at.map(|d| self.local(d)),
            escalation_due: t.escalation_due_at.map(|d| self.local(d)),
            overdue: t.escalation_due_at.is_some_and(|d| self.now >= d),
            expected: t
                .expected_on
                .map(|d| format!("{}, {}", text::weekday_id(d.weekday()), text::date_id(d))),
            section: t.section.as_deref().map(|c| {
                self.desk
                    .config
                    .roster
                    .section(c)
                    .map_or(c, |s| &s.name)
                    .to_string()
            }),
            assignee: t.assignee.as_deref(),
            previous_ticket: t.previous_ticket,
            tag: format!("[{} #{}]", self.desk.config.mail.tag, t.id),
        }
    }

    /// "Jumat, 27 Maret 2026 pukul 16.00 WITA"
    pub(crate) fn local(&self, at: DateTime<Utc>) -> String {
        let offset = self.desk.calendar.utc_offset();
        let l = at.with_timezone(&offset);
        format!(
            "{}, {} pukul {:02}.{:02} {}",
            text::weekday_id(l.weekday()),
            text::date_id(l.date_naive()),
            l.hour(),
            l.minute(),
            text::zone_id(offset),
        )
    }

    fn subject(&self, t: &Ticket) -> String {
        subject::reply_subject(&self.desk.config.mail.tag, t.id, &t.subject)
    }

    /// A mail to the stakeholder in the ticket's thread. Automatic mail is subject to
    /// the per-address hourly limit; returns false when that limit or the dedup key held
    /// it back.
    pub(crate) fn to_stakeholder(
        &self,
        t: &Ticket,
        letter: &Letter<'_>,
        how: Sending,
    ) -> Result<bool, MailError> {
        if self.already_queued(how.dedup.as_deref())? {
            return Ok(false);
        }
        if !is_sendable(&t.requester) {
            // A consultation recorded without an email (`tel:…`, `tanpa-kontak`): the
            // owner answers by phone (their record of it said so). What a person wrote
            // is noted on the ticket; scheduled mail (with a dedup key, retried every
            // tick) only in the log, or each tick would add an event.
            if how.dedup.is_none() {
                self.suppressed(
                    t,
                    &format!("{}: the requester has no email address", letter.kind()),
                )?;
                tracing::info!(ticket = t.id, requester = %t.requester, kind = %letter.kind(), "not mailed: the requester has no email address");
            }
            return Ok(false);
        }
        if how.automatic && !how.unlimited && self.over_limit(&t.requester)? {
            self.suppressed(
                t,
                &format!(
                    "{}: automatic replies to {} over the hourly limit",
                    letter.kind(),
                    t.requester
                ),
            )?;
            tracing::info!(ticket = t.id, to = %t.requester, kind = %letter.kind(), "automatic reply held back: hourly limit for this address reached");
            return Ok(false);
        }
        let parent = how
            .in_reply_to
            .clone()
            .or_else(|| t.root_message_id.clone());
        let mut references: Vec<String> = t.root_message_id.iter().cloned().collect();
        if let Some(p) = &how.in_reply_to
            && !references.contains(p)
        {
            references.push(p.clone());
        }
        let view = View {
            ticket: Some(self.ticket_view(t)),
            form: Form::of(letter.relayed_text()),
            letter,
            staff: None,
        };
        let draft = Draft {
            template: letter.template(),
            to: vec![(t.requester_name.clone(), t.requester.clone())],
            cc: tickets::copied(self.conn, t.id)?,
            subject: self.subject(t),
            context: Composer::context(&view)?,
            in_reply_to: parent,
            references,
            automatic: how.automatic,
            message_id: Some(self.desk.composer.new_message_id(Some(t.id))),
            attachments: how.files,
            reply_marker: false,
        };
        self.queue(
            t.id,
            letter.kind(),
            draft,
            ThreadKind::Out,
            how.dedup.as_deref(),
        )
    }

    /// A mail to one staff member about a ticket. Its Message-ID is their capability
    /// for this ticket; they become a participant (they get its notes).
    pub(crate) fn to_staff(
        &self,
        t: &Ticket,
        staff: &str,
        letter: &Letter<'_>,
        how: Sending,
    ) -> Result<bool, MailError> {
        if self.already_queued(how.dedup.as_deref())? {
            return Ok(false);
        }
        let (name, message_id) = self.staff_capability(t.id, staff);
        let view = View {
            ticket: Some(self.ticket_view(t)),
            form: Form::default(),
            letter,
            staff: Some(StaffFooter {
                staff_name: name,
                cheat_sheet: command::cheat_sheet(),
                canned: canned::for_service(self.desk, &t.service),
            }),
        };
        let draft = Draft {
            template: letter.template(),
            to: vec![(name.map(str::to_string), staff.to_string())],
            cc: Vec::new(),
            subject: self.subject(t),
            context: Composer::context(&view)?,
            in_reply_to: t.root_message_id.clone(),
            references: t.root_message_id.iter().cloned().collect(),
            automatic: false,
            message_id: Some(message_id),
            attachments: how.files,
            reply_marker: true,
        };
        tickets::add_participant(self.conn, t.id, staff)?;
        self.queue(
            t.id,
            letter.kind(),
            draft,
            ThreadKind::Staff,
            how.dedup.as_deref(),
        )
    }

    /// A mail to one staff member about no ticket: its Message-ID is their desk
    /// capability (ticket 0), so a reply to it is trusted staff-started mail. Queued with
    /// no ticket. Only `automatic` ones (the daemon writing on its own, as a
    /// confirmation request for a mail anyone could have forged) count against the
    /// hourly limit: answers to a staff member's own requests do not.
    pub(crate) fn to_desk(
        &self,
        staff: &str,
        subject: String,
        letter: &Letter<'_>,
        how: Sending,
    ) -> Result<bool, MailError> {
        if self.already_queued(how.dedup.as_deref())? {
            return Ok(false);
        }
        if how.automatic && !how.unlimited && self.over_limit(staff)? {
            tracing::warn!(to = %staff, kind = %letter.kind(), "desk mail held back: hourly limit for this address reached");
            return Ok(false);
        }
        let (name, message_id) = self.staff_capability(DESK, staff);
        let view = View {
            ticket: None,
            form: Form::default(),
            letter,
            staff: Some(StaffFooter {
                staff_name: name,
                cheat_sheet: super::views::CHEAT_SHEET,
                canned: Vec::new(),
            }),
        };
        let draft = Draft {
            template: letter.template(),
            to: vec![(name.map(str::to_string), staff.to_string())],
            cc: Vec::new(),
            subject,
            context: Composer::context(&view)?,
            in_reply_to: how.in_reply_to.clone(),
            references: how.in_reply_to.iter().cloned().collect(),
            automatic: how.automatic,
            message_id: Some(message_id),
            attachments: how.files,
            reply_marker: true,
        };
        let mail = self.desk.composer.compose(draft)?;
        let q = Queued {
            mail: &mail,
            kind: letter.kind(),
            ticket: None,
            dedup: how.dedup.as_deref(),
        };
        Ok(outbox::enqueue(self.conn, &q, self.now)?)
    }

    /// A short automatic note to one address, carrying no capability (a warning to
    /// staff, a note to a sender whose mail was too large).
    pub(crate) fn to_address(
        &self,
        ticket: Option<&Ticket>,
        to: &str,
        subject: String,
        letter: &Letter<'_>,
    ) -> Result<bool, MailError> {
        self.note(ticket, to, subject, letter, true, None)
    }

    /// A note to `to` queued at most once per `dedup` key (not held by the hourly
    /// limit: the key is the limit).
    pub(crate) fn to_address_once(
        &self,
        ticket: Option<&Ticket>,
        to: &str,
        subject: String,
        letter: &Letter<'_>,
        dedup: &str,
    ) -> Result<bool, MailError> {
        self.note(ticket, to, subject, letter, false, Some(dedup))
    }

    /// [`Mailer::to_address`] for an answer to work a staff member sent on purpose (a
    /// paper form entered): one answer per mail they sent, so never held by the hourly
    /// limit, which is there for loops with strangers' auto-replies.
    pub(crate) fn to_staff_address(
        &self,
        ticket: Option<&Ticket>,
        to: &str,
        subject: String,
        letter: &Letter<'_>,
    ) -> Result<bool, MailError> {
        self.note(ticket, to, subject, letter, false, None)
    }

    fn note(
        &self,
        ticket: Option<&Ticket>,
        to: &str,
        subject: String,
        letter: &Letter<'_>,
        limited: bool,
        dedup: Option<&str>,
    ) -> Result<bool, MailError> {
        if limited && self.over_limit(to)? {
            tracing::info!(ticket = ticket.map(|t| t.id), %to, kind = %letter.kind(), "note held back: hourly limit for this address reached");
            return Ok(false);
        }
        let view = View {
            ticket: ticket.map(|t| self.ticket_view(t)),
            form: Form::default(),
            letter,
            staff: None,
        };
        let draft = Draft {
            template: letter.template(),
            to: vec![(None, to.to_string())],
            cc: Vec::new(),
            subject,
            context: Composer::context(&view)?,
            in_reply_to: None,
            references: Vec::new(),
            automatic: true,
            message_id: None,
            attachments: Vec::new(),
            reply_marker: false,
        };
        let mail = self.desk.composer.compose(draft)?;
        let q = Queued {
            mail: &mail,
            kind: letter.kind(),
            ticket: ticket.map(|t| t.id),
            dedup,
        };
        Ok(outbox::enqueue(self.conn, &q, self.now)?)
    }

    fn queue(
        &self,
        ticket: i64,
        kind: LetterKind,
        draft: Draft<'_>,
        thread_kind: ThreadKind,
        dedup: Option<&str>,
    ) -> Result<bool, MailError> {
        let mail = self.desk.composer.compose(draft)?;
        let q = Queued {
            mail: &mail,
            kind,
            ticket: Some(ticket),
            dedup,
        };
        let queued = outbox::enqueue(self.conn, &q, self.now)?;
        if queued {
            tickets::add_thread_id(self.conn, &mail.message_id, ticket, thread_kind)?;
        }
        Ok(queued)
    }

    /// A scheduled mail with this key exists: skip before composing it again.
    /// The staff member's name, and a fresh Message-ID carrying their capability for
    /// `ticket` (their desk for [`DESK`]). The key hands out `<id>`; drafts, thread ids
    /// and the outbox keep ids bare (the composer adds the brackets), or a reply's
    /// In-Reply-To never finds the thread.
    fn staff_capability(&self, ticket: i64, staff: &str) -> (Option<&str>, String) {
        let name = self
            .desk
            .config
            .roster
            .staff_by_address(staff)
            .map(|s| s.name.as_str());
        let message_id = self
            .desk
            .key
            .notification_message_id(ticket, staff, self.desk.config.mail.domain())
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        (name, message_id)
    }

    fn already_queued(&self, dedup: Option<&str>) -> Result<bool, StoreError> {
        match dedup {
            Some(key) => outbox::has_dedup(self.conn, key),
            None => Ok(false),
        }
    }

    /// Puts on the ticket's record that a mail to its requester was not sent, and why.
    fn suppressed(&self, t: &Ticket, detail: &str) -> Result<(), StoreError> {
        tickets::log(
            self.conn,
            t.id,
            &Event::new(EventKind::ReplySuppressed, "loketd", self.now).detail(detail),
        )
    }

    fn over_limit(&self, address: &str) -> Result<bool, StoreError> {
        let limit = self.desk.config.helpdesk.auto_replies_per_hour;
        let sent = outbox::automatic_sent_since(
            self.conn,
            address,
            self.now - chrono::Duration::hours(1),
        )?;
        Ok(sent >= limit)
    }
}
