//! Decides what a parsed mail is, from the mail and a few facts looked up for it.
//! Pure: the caller does the lookups, so every rule is testable without a database.

use strum::{Display, IntoStaticStr};

use super::kinds::ThreadKind;
use crate::mail::autodetect::AutoReason;

/// What the caller found out about a mail before classifying it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The ticket that In-Reply-To/References lead to, and the kind of the id found
    /// there.
    pub thread: Option<(i64, ThreadKind)>,
    /// The ticket named by the subject tag, when that ticket exists.
    pub tagged: Option<i64>,
    /// The sender is a listed staff address.
    pub sender_is_staff: bool,
    /// The ticket and Message-ID of a valid staff capability among
    /// In-Reply-To/References for this sender.
    pub capability: Option<(i64, String)>,
    /// `Authentication-Results` from the trusted server show an aligned pass, or no
    /// trusted server is configured.
    pub authenticated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Automatic mail: stored (with its ticket when it belongs to one), never answered,
    /// never executed.
    Automatic {
        reason: AutoReason,
        ticket: Option<i64>,
    },
    /// A staff reply that proves itself: its commands are executed. `answering` is the
    /// notification it answers (bare Message-ID).
    Staff { ticket: i64, answering: String },
    /// Looks like staff work but fails the proof: stored, not executed; the real staff
    /// address is told.
    Unverified { ticket: i64, why: Unproven },
    /// A reply to a staff notification from someone who is not staff: stored, never relayed
    /// or executed.
    Stray { ticket: i64 },
    /// The stakeholder writes again in an existing ticket.
    Reply { ticket: i64 },
    /// A new question.
    New,
}

/// Why a staff-looking mail was not trusted. The stored name goes into the message's
/// reason and the event, and the template tells the staff member which it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Display, IntoStaticStr, serde::Serialize)]
pub enum Unproven {
    /// It answers no notification sent to this staff member.
    #[strum(serialize = "no-capability")]
    #[serde(rename = "no-capability")]
    NoCapability,
    /// The trusted server did not vouch for the sender (DKIM/SPF).
    #[strum(serialize = "authentication-results")]
    #[serde(rename = "authentication-results")]
    AuthenticationResults,
}

pub fn classify(automatic: Option<&AutoReason>, facts: &Facts) -> Route {
    let linked = facts.thread.as_ref().map(|(t, _)| *t).or(facts.tagged);
    if let Some(reason) = automatic {
        return Route::Automatic {
            reason: reason.clone(),
            ticket: linked,
        };
    }
    if facts.sender_is_staff {
        if let Some((ticket, answering)) = facts.capability.clone() {
            return if facts.authenticated {
                Route::Staff { ticket, answering }
            } else {
                Route::Unverified {
                    ticket,
                    why: Unproven::AuthenticationResults,
                }
            };
        }
        if let Some(ticket) = linked {
            return Route::Unverified {
                ticket,
                why: Unproven::NoCapability,
            };
        }
        // Staff writing a fresh mail to the office is asking as anyone would.
        return Route::New;
    }
    match (&facts.thread, facts.tagged) {
        (Some((ticket, ThreadKind::Staff)), _) => Route::Stray { ticket: *ticket },
        (Some((ticket, _)), _) => Route::Reply { ticket: *ticket },
        (None, Some(ticket)) => Route::Reply { ticket },
        (None, None) => Route::New,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn facts() -> Facts {
        Facts {
            authenticated: true,
            ..Facts::default()
        }
    }

    #[test]
    fn a_fresh_mail_is_new() {
        assert_eq!(classify(None, &facts()), Route::New);
    }

    #[test]
    fn automatic_wins_even_from_staff_with_a_capability() {
        let f = Facts {
            sender_is_staff: true,
            capability: Some((4, "n@x".into())),
            thread: Some((4, ThreadKind::Staff)),
            ..facts()
        };
        let r = classify(Some(&AutoReason::AutoSubmitted("auto-replied".into())), &f);
        assert_eq!(
            r,
            Route::Automatic {
                reason: AutoReason::AutoSubmitted("auto-replied".into()),
                ticket: Some(4)
            }
        );
    }

    #[test]
    fn staff_with_capability_is_executed() {
        let f = Facts {
            sender_is_staff: true,
            capability: Some((7, "n@x".into())),
            ..facts()
        };
        assert_eq!(
            classify(None, &f),
            Route::Staff {
                ticket: 7,
                answering: "n@x".into()
            }
        );
    }

    #[test]
    fn staff_address_without_capability_is_not_executed() {
        let f = Facts {
            sender_is_staff: true,
            tagged: Some(7),
            ..facts()
        };
        assert_eq!(
            classify(None, &f),
            Route::Unverified {
                ticket: 7,
                why: Unproven::NoCapability
            }
        );
    }

    #[test]
    fn failed_authentication_is_not_executed() {
        let f = Facts {
            sender_is_staff: true,
            capability: Some((7, "n@x".into())),
            authenticated: false,
            ..Facts::default()
        };
        assert!(matches!(classify(None, &f), Route::Unverified { .. }));
    }

    #[test]
    fn outsider_answering_a_notification_is_stray() {
        let f = Facts {
            thread: Some((3, ThreadKind::Staff)),
            ..facts()
        };
        assert_eq!(classify(None, &f), Route::Stray { ticket: 3 });
    }

    #[test]
    fn stakeholder_reply_by_thread_or_tag() {
        let f = Facts {
            thread: Some((3, ThreadKind::Out)),
            ..facts()
        };
        assert_eq!(classify(None, &f), Route::Reply { ticket: 3 });
        let f = Facts {
            tagged: Some(9),
            ..facts()
        };
        assert_eq!(classify(None, &f), Route::Reply { ticket: 9 });
    }
}
