//! The names of things the desk records, each an enum stored by a stable name: what a
//! stored mail was, what an id in a thread is, what happened to a ticket, which mail
//! went out. A name read back that is not here is an error that names its row (see
//! `store`), never a default.

use strum::{Display, EnumString, IntoStaticStr};

/// What a received mail was to the desk (`messages.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum MessageKind {
    /// From a stakeholder (or staff writing as anyone would): a question or a reply.
    Stakeholder,
    /// A verified staff reply: its commands were run.
    Staff,
    /// Automatic mail: stored, never answered.
    Automatic,
    /// Looked like staff work but failed the proof: stored, not run.
    Unverified,
    /// A reply to a staff notification from outside the staff: stored, never relayed.
    Stray,
}

/// How a consultation reached the office (`tickets.channel`): by mail, or recorded by a
/// CSO from the standard's tatap muka procedure or another channel. The stored names are
/// the ids of the standards' channel list (`loket_core::content::CHANNELS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Display, EnumString, IntoStaticStr)]
#[strum(serialize_all = "kebab-case")]
pub enum Channel {
    /// The stakeholder wrote to the office mailbox.
    Email,
    /// At the front desk (`[TATAP MUKA]`).
    TatapMuka,
    /// By telephone (`[TELEPON]`).
    Telepon,
    /// By WhatsApp (`[WA]`); stored as `whatsapp`, the id the standards' channel list uses.
    #[strum(serialize = "whatsapp")]
    Wa,
    /// Through the HAI CSO application (`[HAI CSO]`).
    HaiCso,
}

/// What a Message-ID known to a ticket is (`thread_ids.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ThreadKind {
    /// A mail we received.
    In,
    /// A mail we sent to the stakeholder.
    Out,
    /// A mail we sent to staff: a reply to it comes from staff, never the stakeholder.
    Staff,
}

/// What happened to a ticket (`events.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    Created,
    AutomaticMail,
    UnverifiedStaffMail,
    StrayMail,
    StakeholderReply,
    DocumentsReceived,
    Reopened,
    Rated,
    CommandRejected,
    Assigned,
    Answered,
    DocumentsRequested,
    Escalated,
    ProgressSent,
    Resolved,
    Note,
    Closed,
    AutoClosed,
    /// An automatic reply held back by the per-address hourly limit.
    ReplySuppressed,
    ReminderUnanswered,
    ReminderHalfway,
    ReminderDueday,
    ReminderBreach,
    /// A staff reply was not relayed (see `Hold`); the detail says why.
    Held,
    /// A held reply sent anyway with `#kirim`.
    SentAnyway,
    /// Another ticket was merged into this one (`#gabung`).
    Merged,
    /// The stakeholder's reply after "Resolved" was not clearly a thank-you or a new
    /// question: not reopened, staff asked.
    Unclear,
    /// `[retention]`: the ticket's raw mail, attachments and mail text were removed.
    MailRemoved,
    /// A consultation recorded from a visit or call is open 3 working days after it.
    ReminderVisit,
    /// The owner of a consultation recorded from a visit or call, whose visitor gave no
    /// email, was reminded to give the visitor today's progress by phone.
    ReminderProgress,
    /// An SKM answer (nine scores) was recorded: the stakeholder's reply or a paper form.
    Surveyed,
    /// An SKM answer could not be recorded as written: the stakeholder was told once
    /// what is missing.
    SurveyIncomplete,
}

/// Which mail went out (`outbox.kind`), for logs and `loketd outbox`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum LetterKind {
    /// The acknowledgement of a new question.
    Ack,
    /// A staff member hears of a ticket (new, a reply, documents, hand-over).
    Notify,
    /// The section head receives an escalation.
    Escalation,
    /// Staff on a ticket receive an internal note.
    Note,
    /// A staff answer relayed to the stakeholder.
    Answer,
    Documents,
    DocumentsReminder,
    /// The stakeholder is told of an escalation.
    Escalated,
    Progress,
    Resolved,
    Reminder,
    CommandError,
    Unverified,
    TooLarge,
    Held,
    Stray,
    AnswerWaiting,
    /// A staff reply named a ticket the database does not hold.
    UnknownTicket,
    /// To the staff on duty: a mail waits in the quarantine folder.
    Quarantined,
    /// To the staff on a ticket: a mail to the stakeholder was refused for good.
    Undelivered,
    /// A CSO hears that their form became a ticket (with the receipt when the visitor
    /// has no email).
    Recorded,
    /// A CSO's form could not be read: what to fix.
    FormError,
    /// A staff-started mail waits for its sender's confirmation.
    Confirm,
    /// A staff member's mail was held without a confirmation request (hourly limit).
    ConfirmHeld,
    /// The answer to a desk command (`#antrean`, `#cari`, `#riwayat`).
    DeskAnswer,
    /// The standing "catat konsultasi" mail to a CSO.
    Standing,
    /// An SKM answer that could not be recorded: what is missing, once per ticket.
    SurveyIncomplete,
    /// To a CSO: their paper SKM form was recorded.
    SurveyEntered,
    /// To a CSO: their paper SKM form was not recorded, and what to fix.
    SurveyRefused,
    /// A staff member's daily digest (no ticket; its Message-ID is their desk
    /// capability).
    Digest,
}

/// Where an outgoing mail stands (`outbox.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    Sent,
    Failed,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn stored_names_are_the_ones_in_existing_databases() {
        assert_eq!(
            EventKind::UnverifiedStaffMail.to_string(),
            "unverified_staff_mail"
        );
        assert_eq!(EventKind::ReminderDueday.to_string(), "reminder_dueday");
        assert_eq!(EventKind::AutoClosed.to_string(), "auto_closed");
        assert_eq!(
            LetterKind::DocumentsReminder.to_string(),
            "documents_reminder"
        );
        assert_eq!(LetterKind::TooLarge.to_string(), "too_large");
        assert_eq!(ThreadKind::In.to_string(), "in");
        assert_eq!("stray".parse::<MessageKind>().unwrap(), MessageKind::Stray);
        assert!("strange".parse::<MessageKind>().is_err());
    }

    #[test]
    fn channels_are_stored_by_the_ids_of_the_standards_channel_list() {
        let site: Vec<&str> = loket_core::content::CHANNELS
            .iter()
            .map(|(id, _)| *id)
            .collect();
        for c in [
            Channel::Email,
            Channel::TatapMuka,
            Channel::Telepon,
            Channel::Wa,
            Channel::HaiCso,
        ] {
            let name: &str = c.into();
            assert!(
                site.contains(&name),
                "{name} is not a channel of the standards"
            );
            assert_eq!(name.parse::<Channel>().unwrap(), c);
        }
    }
}
