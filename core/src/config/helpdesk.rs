//! `[helpdesk]`: how the help desk runs. Periods in days; `progress_time` and
//! `digest_time` are local office time.

use chrono::NaiveTime;

use super::Checker;
use super::raw::{RawHelpdesk, RawRetention};

/// Who hears of a new ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyMode {
    /// Every CSO gets every new ticket.
    All,
    /// New tickets go to one CSO at a time, in turn.
    RoundRobin,
}

#[derive(Debug, Clone)]
pub struct Helpdesk {
    pub notify: NotifyMode,
    /// The service a mail without a `[CODE]` in its subject is filed under.
    pub default_service: String,
    /// Local time of day at which escalated tickets get their progress reply.
    pub progress_time: NaiveTime,
    /// Local time of day at which staff get their daily digest (working days only);
    /// `None` (`digest_time = "off"`) sends none.
    pub digest_time: Option<NaiveTime>,
    pub document_reminder_days: u32,
    pub reopen_days: u32,
    pub auto_close_days: u32,
    /// Automatic replies (acknowledgements, notes) to one address per hour.
    pub auto_replies_per_hour: u32,
    /// Staff notifications carry attachments up to this total; larger ones are listed.
    pub forward_attachments_max_bytes: u64,
    /// When set, staff commands need an aligned DKIM/SPF pass from this server's
    /// `Authentication-Results`.
    pub trusted_authserv_id: Option<String>,
    /// Each CSO gets a fresh "catat konsultasi" mail (the form, and their desk
    /// capability to answer it with) when theirs is older than this; 0: never.
    pub standing_mail_days: u32,
}

impl Helpdesk {
    pub(super) fn from_raw(h: RawHelpdesk, c: &mut Checker<'_>) -> Helpdesk {
        let notify = match h.notify.as_deref() {
            None | Some("all") => NotifyMode::All,
            Some("round_robin") => NotifyMode::RoundRobin,
            Some(other) => {
                c.error(
                    "helpdesk.notify",
                    format!("`helpdesk.notify` = {other:?} is not a notify mode"),
                    "use \"all\" or \"round_robin\"",
                );
                NotifyMode::All
            }
        };
        let progress_time = match &h.progress_time {
            Some(t) => c.time("helpdesk.progress_time", t),
            None => NaiveTime::from_hms_opt(9, 0, 0),
        };
        let digest_time = match h.digest_time.as_deref().map(str::trim) {
            Some("off") => None,
            Some(t) => Some(c.time("helpdesk.digest_time", t).unwrap_or(NaiveTime::MIN)),
            None => NaiveTime::from_hms_opt(7, 30, 0),
        };
        Helpdesk {
            notify,
            default_service: h.default_service.unwrap_or_else(|| "KONS".into()),
            progress_time: progress_time.unwrap_or(NaiveTime::MIN),
            digest_time,
            document_reminder_days: h.document_reminder_days.unwrap_or(2),
            reopen_days: h.reopen_days.unwrap_or(7),
            auto_close_days: h.auto_close_days.unwrap_or(5),
            auto_replies_per_hour: h.auto_replies_per_hour.unwrap_or(3),
            forward_attachments_max_bytes: h
                .forward_attachments_max_bytes
                .unwrap_or(10 * 1024 * 1024),
            trusted_authserv_id: h.trusted_authserv_id,
            standing_mail_days: h.standing_mail_days.unwrap_or(30),
        }
    }
}

/// `[retention]`: how long personal data is kept (UU 27/2022). Without it, everything
/// is kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Retention {
    /// Raw mail, attachments and the text of mails of a ticket are removed this many
    /// months after it was closed; the ticket's facts (status, times, events, ratings)
    /// stay for reports.
    pub mail_months: Option<u32>,
}

impl Retention {
    pub(super) fn from_raw(r: RawRetention, c: &mut Checker<'_>) -> Retention {
        if r.mail_months == Some(0) {
            c.error(
                "retention.mail_months",
                "`retention.mail_months` = 0 would remove mail the moment a ticket closes",
                "give at least 1 (months after closing), or leave [retention] out to keep everything",
            );
        }
        Retention {
            mail_months: r.mail_months.filter(|m| *m > 0),
        }
    }
}
