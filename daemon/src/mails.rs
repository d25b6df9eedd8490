//! The mails the desk sends, each queued in the caller's transaction: to the
//! stakeholder in the ticket's thread (from the official address), and to staff with
//! a capability Message-ID that lets their reply act on the ticket.

use chrono::{DateTime, Datelike, Timelike, Utc};
use loket::text;
use rusqlite::Connection;
use serde::Serialize;
use tera::Context;

use crate::compose::{Draft, FileAttachment};
use crate::desk::Desk;
use crate::outbox;
use crate::store::StoreError;
use crate::subject;
use crate::tickets::{self, Ticket};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Compose(#[from] crate::compose::ComposeError),
}

/// What a mail says: its kind (for logs and the CLI), template, context and files.
pub struct Letter<'a> {
    pub kind: &'static str,
    pub template: &'a str,
    pub context: Context,
    pub attachments: Vec<FileAttachment>,
    /// Queue at most once per key: scheduled mail stays idempotent across restarts.
    pub dedup: Option<String>,
}

impl<'a> Letter<'a> {
    pub fn new(kind: &'static str, template: &'a str, context: Context) -> Self {
        Letter {
            kind,
            template,
            context,
            attachments: Vec::new(),
            dedup: None,
        }
    }

    pub fn with_files(mut self, files: Vec<FileAttachment>) -> Self {
        self.attachments = files;
        self
    }

    pub fn once(mut self, key: &str) -> Self {
        self.dedup = Some(key.to_string());
        self
    }
}

/// Queues mail for one transaction.
pub struct Mailer<'a> {
    pub desk: &'a Desk,
    pub conn: &'a Connection,
    pub now: DateTime<Utc>,
}

/// The ticket as templates see it.
#[derive(Serialize)]
struct TicketView<'a> {
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
    section: Option<String>,
    assignee: Option<&'a str>,
    previous_ticket: Option<i64>,
    tag: String,
}

impl<'a> Mailer<'a> {
    /// The context every template gets for a ticket.
    pub fn context(&self, t: &Ticket) -> Context {
        let service = self.desk.site.service(&t.service);
        let view = TicketView {
            id: t.id,
            subject: &t.subject,
            status: t.status.label_id(),
            requester: &t.requester,
            requester_name: t.requester_name.as_deref(),
            service_code: &t.service,
            service_title: service.map_or_else(|| t.service.clone(), |s| s.title.clone()),
            completion: service.map_or_else(String::new, |s| s.completion_label.clone()),
            escalation: service.and_then(|s| s.escalation_label.clone()),
            due: t.due_at.map(|d| self.local(d)),
            escalation_due: t.escalation_due_at.map(|d| self.local(d)),
            section: t.section.as_deref().map(|c| {
                self.desk
                    .config
                    .section(c)
                    .map_or(c, |s| &s.name)
                    .to_string()
            }),
            assignee: t.assignee.as_deref(),
            previous_ticket: t.previous_ticket,
            tag: format!("[{} #{}]", self.desk.config.mail.tag, t.id),
        };
        let mut ctx = Context::new();
        ctx.insert("ticket", &view);
        ctx.insert("service_url", &service.map(|s| s.url.clone()));
        ctx
    }

    /// "Jumat, 27 Maret 2026 pukul 16.00 WITA"
    pub fn local(&self, at: DateTime<Utc>) -> String {
        let offset = self.desk.calendar.utc_offset();
        let l = at.with_timezone(&offset);
        let zone = match offset.local_minus_utc() {
            25200 => " WIB",
            28800 => " WITA",
            32400 => " WIT",
            _ => "",
        };
        format!(
            "{}, {} pukul {:02}.{:02}{zone}",
            text::weekday_id(l.weekday()),
            text::date_id(l.date_naive()),
            l.hour(),
            l.minute(),
        )
    }

    fn subject(&self, t: &Ticket) -> String {
        subject::reply_subject(&self.desk.config.mail.tag, t.id, &t.subject)
    }

    /// A mail to the stakeholder in the ticket's thread, answering `in_reply_to` (else
    /// their first mail). Automatic mail is subject to the per-sender hourly limit;
    /// returns false when that limit or the letter's dedup key held it back.
    pub fn to_stakeholder(
        &self,
        t: &Ticket,
        letter: Letter<'_>,
        automatic: bool,
        in_reply_to: Option<&str>,
    ) -> Result<bool, MailError> {
        let Letter {
            kind,
            template,
            context,
            attachments,
            dedup,
        } = letter;
        let dedup = dedup.as_deref();
        if self.already_queued(dedup)? {
            return Ok(false);
        }
        if automatic && self.over_limit(&t.requester)? {
            tickets::event(
                self.conn,
                t.id,
                self.now,
                "loketd",
                "reply_suppressed",
                None,
                &format!(
                    "{kind}: automatic replies to {} over the hourly limit",
                    t.requester
                ),
            )?;
            return Ok(false);
        }
        let parent = in_reply_to
            .map(str::to_string)
            .or_else(|| t.root_message_id.clone());
        let mut references: Vec<String> = t.root_message_id.iter().cloned().collect();
        if let Some(p) = in_reply_to
            && !references.iter().any(|r| r == p)
        {
            references.push(p.to_string());
        }
        let draft = Draft {
            kind,
            template,
            to: vec![(t.requester_name.clone(), t.requester.clone())],
            subject: self.subject(t),
            context,
            in_reply_to: parent,
            references,
            automatic,
            message_id: Some(self.desk.composer.new_message_id(Some(t.id))),
            attachments,
        };
        self.queue(t.id, draft, "out", dedup)
    }

    /// A mail to one staff member about a ticket. Its Message-ID is their capability
    /// for this ticket; they become a participant (they get its notes).
    pub fn to_staff(&self, t: &Ticket, staff: &str, letter: Letter<'_>) -> Result<bool, MailError> {
        let Letter {
            kind,
            template,
            context: mut ctx,
            attachments,
            dedup,
        } = letter;
        let dedup = dedup.as_deref();
        if self.already_queued(dedup)? {
            return Ok(false);
        }
        let name = self
            .desk
            .config
            .staff_by_address(staff)
            .map(|s| s.name.clone());
        // The key hands out `<id>`; drafts, thread ids and the outbox keep ids bare (the
        // composer adds the brackets), or a reply's In-Reply-To never finds the thread.
        let message_id = self
            .desk
            .key
            .notification_message_id(t.id, staff, self.desk.composer.domain())
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string();
        ctx.insert("staff_name", &name);
        ctx.insert("cheat_sheet", crate::command::cheat_sheet());
        ctx.insert("links", &self.command_links(t, &message_id));
        let draft = Draft {
            kind,
            template,
            to: vec![(name, staff.to_string())],
            subject: self.subject(t),
            context: ctx,
            in_reply_to: t.root_message_id.clone(),
            references: t.root_message_id.iter().cloned().collect(),
            automatic: false,
            message_id: Some(message_id),
            attachments,
        };
        tickets::add_participant(self.conn, t.id, staff)?;
        self.queue(t.id, draft, "staff", dedup)
    }

    /// A mail to a staff address that carries no capability (errors, warnings).
    pub fn to_staff_plain(
        &self,
        ticket: Option<i64>,
        staff: &str,
        kind: &'static str,
        subject: String,
        template: &str,
        ctx: Context,
    ) -> Result<bool, MailError> {
        let draft = Draft {
            kind,
            template,
            to: vec![(None, staff.to_string())],
            subject,
            context: ctx,
            in_reply_to: None,
            references: Vec::new(),
            automatic: true,
            message_id: None,
            attachments: Vec::new(),
        };
        if self.over_limit(staff)? {
            return Ok(false);
        }
        let mail = self.desk.composer.compose(draft)?;
        Ok(outbox::enqueue(self.conn, ticket, &mail, None, self.now)?)
    }

    fn queue(
        &self,
        ticket: i64,
        draft: Draft<'_>,
        thread_kind: &str,
        dedup: Option<&str>,
    ) -> Result<bool, MailError> {
        let mail = self.desk.composer.compose(draft)?;
        let queued = outbox::enqueue(self.conn, Some(ticket), &mail, dedup, self.now)?;
        if queued {
            tickets::add_thread_id(self.conn, &mail.message_id, ticket, thread_kind)?;
        }
        Ok(queued)
    }

    /// A scheduled mail with this key exists: skip before composing it again.
    fn already_queued(&self, dedup: Option<&str>) -> Result<bool, StoreError> {
        match dedup {
            Some(key) => outbox::has_dedup(self.conn, key),
            None => Ok(false),
        }
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

    /// `mailto:` links that pre-fill a command. RFC 6068 allows In-Reply-To in a mailto
    /// URI; clients that drop it produce an unverified mail, and the staff member is told
    /// to use Reply instead.
    fn command_links(&self, t: &Ticket, capability: &str) -> Vec<Link> {
        let subject = format!("Re: {}", self.subject(t));
        [
            ("#selesai", "#selesai\n\n"),
            ("#dokumen", "#dokumen\n\n"),
            ("#eskalasi", "#eskalasi \n\n"),
            ("#progres", "#progres\n\n"),
            ("#catatan", "#catatan\n\n"),
            ("#ambil", "#ambil\n"),
            ("#tutup", "#tutup\n"),
        ]
        .iter()
        .map(|(label, body)| Link {
            label: label.to_string(),
            url: format!(
                "mailto:{}?subject={}&in-reply-to={}&body={}",
                self.desk.config.mail.address,
                text::percent_encode(&subject),
                text::percent_encode(&format!("<{capability}>")),
                text::percent_encode(body)
            ),
        })
        .collect()
    }
}

#[derive(Serialize)]
struct Link {
    label: String,
    url: String,
}
