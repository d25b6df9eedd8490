//! The ticket state machine of the design's "Ticket life" (drawn below), pure: which
//! status an action leads to, or why it is refused. Side effects (mail, clocks, events)
//! are the caller's.
//!
//! ```text
//!  new ──► in_progress ──► resolved ──► closed
//!   │         │  ▲   │                   ▲
//!   │         ▼  │   └──► escalated ─────┤ (section head answers; deadline: N working days)
//!   │   awaiting_documents               │
//!   └─────────────────────────────────────┘  (spam/auto-reply/duplicate: closed, never acked)
//! ```
//!
//! Readings of the diagram made here:
//! - A staff action on a `new` ticket first makes it `in_progress`, so `#dokumen`,
//!   `#eskalasi` and `#selesai` on a new ticket land directly in their target status.
//! - The escalated branch ends when the section head answers with `#selesai`
//!   (→ resolved, the standard's "Resolved" reply) or `#tutup` (→ closed).
//! - `awaiting_documents` → `escalated` is allowed (the CSO stops waiting and
//!   escalates); `escalated` → `awaiting_documents` is not, because a returning document
//!   would drop the ticket out of escalation: the section head asks for documents in a
//!   `#progres` message instead, and the stakeholder's reply stays on the escalated ticket.
//! - A stakeholder's 1–4 rating of a resolved ticket is not a `StakeholderReply`; the
//!   caller records it without a transition.

use std::fmt;
use std::str::FromStr;

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    New,
    InProgress,
    AwaitingDocuments,
    Escalated,
    Resolved,
    Closed,
}

impl Status {
    pub(crate) const ALL: [Status; 6] = [
        Status::New,
        Status::InProgress,
        Status::AwaitingDocuments,
        Status::Escalated,
        Status::Resolved,
        Status::Closed,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InProgress => "in_progress",
            Status::AwaitingDocuments => "awaiting_documents",
            Status::Escalated => "escalated",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// The label shown to stakeholders and staff; "Resolved" is the standard's own word.
    pub(crate) fn label_id(self) -> &'static str {
        match self {
            Status::New => "Baru",
            Status::InProgress => "Diproses",
            Status::AwaitingDocuments => "Menunggu Dokumen",
            Status::Escalated => "Dieskalasi",
            Status::Resolved => "Resolved",
            Status::Closed => "Ditutup",
        }
    }

    /// Whether the completion clock runs (it pauses while documents are awaited and stops
    /// once resolved or closed).
    pub fn clock_runs(self) -> bool {
        matches!(self, Status::New | Status::InProgress | Status::Escalated)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a ticket status (new, in_progress, awaiting_documents, escalated, resolved, closed)"
)]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// Something that happens to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// A staff reply without a command, relayed as an answer.
    StaffAnswer,
    RequestDocuments,
    Escalate,
    Progress,
    Resolve,
    Note,
    Take,
    Assign,
    Close,
    StakeholderReply {
        has_attachments: bool,
    },
    /// The quiet period after "Resolved" has passed.
    AutoClose,
    /// A resolved ticket is opened again (the reopen period check is the caller's).
    Reopen,
}

impl Action {
    /// How the action is named to staff: the command word, or a description.
    pub(crate) fn name_id(self) -> &'static str {
        match self {
            Action::StaffAnswer => "balasan jawaban",
            Action::RequestDocuments => "#dokumen",
            Action::Escalate => "#eskalasi",
            Action::Progress => "#progres",
            Action::Resolve => "#selesai",
            Action::Note => "#catatan",
            Action::Take => "#ambil",
            Action::Assign => "#alihkan",
            Action::Close => "#tutup",
            Action::StakeholderReply { .. } => "balasan stakeholder",
            Action::AutoClose => "penutupan otomatis",
            Action::Reopen => "pembukaan kembali",
        }
    }
}

/// Why an action does not apply to a ticket in its current status (shown to staff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TransitionError {
    /// A stakeholder wrote to a closed ticket: the caller opens a new ticket that
    /// references the old one.
    #[error("tiket sudah ditutup; balasan stakeholder membuka tiket baru")]
    ClosedOpensNewTicket,
    #[error("tiket sudah ditutup; {} tidak dapat dijalankan", .action.name_id())]
    Closed { action: Action },
    #[error("{} tidak dapat dijalankan pada tiket berstatus {}", .action.name_id(), .from.label_id())]
    NotAllowed { from: Status, action: Action },
}

/// The status after `action` on a ticket in status `from`.
pub(crate) fn transition(from: Status, action: &Action) -> Result<Status, TransitionError> {
    use Action as A;
    use Status as S;
    let not_allowed = Err(TransitionError::NotAllowed {
        from,
        action: *action,
    });
    if from == S::Closed {
        return match action {
            A::Note => Ok(S::Closed),
            A::StakeholderReply { .. } => Err(TransitionError::ClosedOpensNewTicket),
            _ => Err(TransitionError::Closed { action: *action }),
        };
    }
    // From here on the ticket is open.
    let to = match (action, from) {
        (A::Note | A::Take | A::Assign, s) => s,
        (A::Close, _) => S::Closed,

        (A::StaffAnswer, S::New | S::InProgress | S::AwaitingDocuments) => S::InProgress,
        // An interim answer while escalated, or a follow-up after "Resolved", is relayed
        // without changing the status.
        (A::StaffAnswer, s @ (S::Escalated | S::Resolved)) => s,

        (A::RequestDocuments, S::New | S::InProgress | S::AwaitingDocuments) => {
            S::AwaitingDocuments
        }
        (A::RequestDocuments, S::Escalated | S::Resolved) => return not_allowed,

        (A::Escalate, S::New | S::InProgress | S::AwaitingDocuments | S::Escalated) => S::Escalated,
        (A::Escalate, S::Resolved) => return not_allowed,

        (A::Progress, S::New) => S::InProgress,
        (A::Progress, s @ (S::InProgress | S::AwaitingDocuments | S::Escalated)) => s,
        (A::Progress, S::Resolved) => return not_allowed,

        (A::Resolve, S::New | S::InProgress | S::AwaitingDocuments | S::Escalated) => S::Resolved,
        (A::Resolve, S::Resolved) => return not_allowed,

        (A::StakeholderReply { has_attachments }, S::AwaitingDocuments) => {
            if *has_attachments {
                S::InProgress
            } else {
                S::AwaitingDocuments
            }
        }
        (A::StakeholderReply { .. }, S::Resolved) => S::InProgress,
        (A::StakeholderReply { .. }, s) => s,

        (A::AutoClose, S::Resolved) => S::Closed,
        (A::Reopen, S::Resolved) => S::InProgress,
        (A::AutoClose | A::Reopen, _) => return not_allowed,

        // Handled above; kept so the match stays exhaustive without a panic.
        (_, S::Closed) => return Err(TransitionError::Closed { action: *action }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const ACTIONS: [Action; 13] = [
        Action::StaffAnswer,
        Action::RequestDocuments,
        Action::Escalate,
        Action::Progress,
        Action::Resolve,
        Action::Note,
        Action::Take,
        Action::Assign,
        Action::Close,
        Action::StakeholderReply {
            has_attachments: true,
        },
        Action::StakeholderReply {
            has_attachments: false,
        },
        Action::AutoClose,
        Action::Reopen,
    ];

    /// One row per action (same order as ACTIONS), one column per status in
    /// `Status::ALL` order: N(ew) I(n progress) D(ocuments awaited) E(scalated)
    /// R(esolved) C(losed), `-` refused, `*` closed: opens a new ticket.
    const TABLE: [&str; 13] = [
        //N I D E R C
        "I I I E R -", // StaffAnswer
        "D D D - - -", // RequestDocuments
        "E E E E - -", // Escalate
        "I I D E - -", // Progress
        "R R R R - -", // Resolve
        "N I D E R C", // Note
        "N I D E R -", // Take
        "N I D E R -", // Assign
        "C C C C C -", // Close
        "N I I E I *", // StakeholderReply with attachments
        "N I D E I *", // StakeholderReply without
        "- - - - C -", // AutoClose
        "- - - - I -", // Reopen
    ];

    fn status_of(c: char) -> Status {
        match c {
            'N' => Status::New,
            'I' => Status::InProgress,
            'D' => Status::AwaitingDocuments,
            'E' => Status::Escalated,
            'R' => Status::Resolved,
            'C' => Status::Closed,
            _ => panic!("bad table cell {c}"),
        }
    }

    #[test]
    fn transition_table_is_exhaustive() {
        for (action, row) in ACTIONS.iter().zip(TABLE) {
            let cells: Vec<char> = row.split(' ').filter_map(|c| c.chars().next()).collect();
            assert_eq!(cells.len(), 6, "{row}");
            for (from, cell) in Status::ALL.into_iter().zip(cells) {
                let got = transition(from, action);
                match cell {
                    '-' => assert!(
                        matches!(
                            got,
                            Err(TransitionError::NotAllowed { .. } | TransitionError::Closed { .. })
                        ),
                        "{action:?} from {from}: {got:?}"
                    ),
                    '*' => assert_eq!(got, Err(TransitionError::ClosedOpensNewTicket)),
                    c => assert_eq!(got, Ok(status_of(c)), "{action:?} from {from}"),
                }
            }
        }
    }

    #[test]
    fn documents_round_trip_pauses_the_clock() {
        let s = transition(Status::InProgress, &Action::RequestDocuments).unwrap();
        assert!(!s.clock_runs());
        let with = Action::StakeholderReply {
            has_attachments: true,
        };
        let back = transition(s, &with).unwrap();
        assert_eq!(back, Status::InProgress);
        assert!(back.clock_runs());
    }

    #[test]
    fn status_strings_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
        }
        assert!("open".parse::<Status>().is_err());
        assert_eq!(Status::Resolved.label_id(), "Resolved");
        assert_eq!(Status::AwaitingDocuments.label_id(), "Menunggu Dokumen");
    }

    #[test]
    fn errors_name_the_command_and_status() {
        let err = transition(Status::Resolved, &Action::RequestDocuments).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("#dokumen") && msg.contains("Resolved"),
            "{msg}"
        );
        let err = transition(Status::Closed, &Action::Resolve).unwrap_err();
        assert!(err.to_string().contains("ditutup"));
    }
}
