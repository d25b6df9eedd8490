//! Mail that staff start, rather than replies about a ticket: a consultation recorded
//! from its form (`[TATAP MUKA]`, `[TELEPON]`, `[WA]`, `[HAI CSO]`), a paper SKM entry
//! (`[SKM]`), and the desk commands `#antrean`, `#cari`, `#riwayat`.
//!
//! Trust. A listed From address is trivially forged, so such mail is carried out only
//! when it proves itself like a staff reply does: it answers a daemon mail that carries
//! the sender's desk capability (ticket 0: the standing "catat konsultasi" mail, the
//! digest, an earlier desk answer, a confirmation request) that this database sent, or
//! a ticket notification of theirs; and it passes the configured
//! Authentication-Results check. Where that check is configured, passing it is proof on
//! its own. Anything else is stored, held, and answered to the real staff address with
//! a request to confirm by replying; nothing is created or revealed until that reply
//! (which then carries the desk capability) comes back, and the held mail is carried
//! out once.
//!
//! Mail from outside the staff never comes here: a stakeholder writing `[TELEPON]` asks
//! a question like anyone else.

use chrono::{DateTime, Duration, Utc};
use loket_core::text::escape_html;

use super::letters::{Letter, MailError, Mailer, Sending};
use super::received::{Outcome, Received};
use super::sent;
use super::survey::{self, PaperOutcome};
use super::views::{
    AnswerView, CHEAT_SHEET, ConfirmView, FormErrorView, ProblemView, RecordedView, TicketLine,
};
use crate::mail::compose::FileAttachment;
use crate::mail::relay::{self, Separation};
use crate::mail::subject;
use crate::rules::classify::Facts;
use crate::rules::form::{self, DeskCommand, Form, Started};
use crate::rules::kinds::{Channel, EventKind, MessageKind};
use crate::rules::ticket::{self, Action, Status};
use crate::store::tickets::{self, Event, NewTicket, Ticket};
use crate::store::{Store, StoreError};
use crate::store::{outbox, queue};

/// The standing mail's subject: a reply keeps it, so answering it with the form
/// records a front-desk visit without editing the subject (other channels replace
/// the bracket).
pub(crate) const STANDING_SUBJECT: &str =
    "[TATAP MUKA] Catat konsultasi: balas surel ini dengan formulir";

/// A mail's Date may say the visit was at most this long ago; an older (or future)
/// Date is a wrong clock or a mail sent late, and the visit is taken as now.
const MAX_VISIT_AGE_DAYS: i64 = 3;

/// The dedup key of a confirmation request names the held mail's row.
const CONFIRM_PREFIX: &str = "confirm:";

/// A staff-started mail on its way: who, what, when.
struct Started2<'a> {
    staff: &'a str,
    subject: &'a str,
    /// The new text (quotes of the daemon's own mail cut).
    text: &'a str,
    /// The mail's Date, or when it was received.
    date: Option<DateTime<Utc>>,
    /// The stored mail (`messages` row).
    row: i64,
}

/// Routes a mail from a listed staff address that is staff work (see the module), or
/// returns `None` for the ticket workflow to handle it.
pub(crate) fn route(
    m: &Mailer<'_>,
    r: &Received<'_>,
    facts: &Facts,
) -> Result<Option<Outcome>, MailError> {
    let mail = r.mail;
    if !facts.sender_is_staff || mail.automatic.is_some() {
        return Ok(None);
    }
    let staff = r.sender();
    let mut ids: Vec<String> = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    let desk_cap = match m.desk.key.find_desk_capability(&ids, &staff) {
        Some(id) if queue::desk_mail_sent(m.conn, &id)? => Some(id),
        Some(id) => {
            tracing::warn!(sender = %staff, message_id = %id, "desk capability this database did not send (restored from an older backup?): not trusted");
            None
        }
        None => None,
    };
    let subject_form = matches!(
        form::read(&mail.subject, ""),
        Some(Started::Form(_) | Started::Skm)
    );
    // A reply about a ticket stays with the ticket, unless its subject was changed to
    // a form (a CSO recording a visit from any mail they have at hand).
    if (facts.capability.is_some() || facts.thread.is_some() || facts.tagged.is_some())
        && !subject_form
        && desk_cap.is_none()
    {
        return Ok(None);
    }
    let answered = match &desk_cap {
        Some(id) => sent::sent_text(m.conn, id)?,
        None => None,
    };
    let text = match &answered {
        Some(sent) => match relay::separate(&mail.text, &format!("{sent}\n{CHEAT_SHEET}")) {
            Separation::Clean(t) | Separation::Held { text: t, .. } => t,
        },
        None => mail.text.clone(),
    };
    let started = form::read(&mail.subject, &text);
    if started.is_none() && desk_cap.is_none() {
        return Ok(None);
    }
    // Proof: a capability of ours for this sender (desk, or a ticket's that this
    // database sent), and the configured Authentication-Results check; or that check
    // alone where one is configured.
    let ticket_cap = match &facts.capability {
        Some((t, id)) => sent::sent_here(m.conn, *t, id)?,
        None => false,
    };
    let authres_configured = m.desk.config.helpdesk.trusted_authserv_id.is_some();
    let proven = facts.authenticated && (desk_cap.is_some() || ticket_cap || authres_configured);
    let now = m.now;
    if !proven {
        let row = r.store(
            m.conn,
            None,
            MessageKind::Unverified,
            Some("staff-started mail held until its sender confirms it"),
            now,
        )?;
        request_confirmation(m, &staff, &mail.subject, row, facts.authenticated)?;
        return Ok(Some(Outcome::StoredOnly {
            ticket: None,
            kind: MessageKind::Unverified,
        }));
    }
    // A reply to a confirmation request carries out the mail it holds.
    if let Some(id) = &desk_cap
        && let Some(held) = queue::dedup_of(m.conn, id)?
            .as_deref()
            .and_then(|d| d.strip_prefix(CONFIRM_PREFIX))
            .and_then(|n| n.parse::<i64>().ok())
        // Its subject repeats the held mail's; only new work in the text is not a "yes".
        && form::read("", &text).is_none()
    {
        let row = r.store(
            m.conn,
            None,
            MessageKind::Staff,
            Some("confirms a held staff-started mail"),
            now,
        )?;
        return confirmed(m, &staff, held, row).map(Some);
    }
    // `#tiket N`: the rest is a staff reply about ticket N (the digest's reply link).
    if let Some(Started::Command(DeskCommand::Ticket(n))) = started {
        return on_ticket(m, r, &staff, n, desk_cap.as_deref()).map(Some);
    }
    let row = r.store(m.conn, None, MessageKind::Staff, None, now)?;
    let s = Started2 {
        staff: &staff,
        subject: &mail.subject,
        text: &text,
        date: mail.date,
        row,
    };
    carry_out(m, &s, started).map(Some)
}

/// What a trusted staff-started mail asks for, carried out.
fn carry_out(
    m: &Mailer<'_>,
    s: &Started2<'_>,
    started: Option<Started>,
) -> Result<Outcome, MailError> {
    let done = |ticket| Outcome::StoredOnly {
        ticket,
        kind: MessageKind::Staff,
    };
    match started {
        Some(Started::Form(channel)) => match record(m, s, channel)? {
            Some(ticket) => Ok(Outcome::New { ticket }),
            None => Ok(done(None)),
        },
        // A paper questionnaire: recorded, or the CSO told what to fix.
        Some(Started::Skm) => match survey::paper_form(m, s.staff, s.subject, s.text, Some(s.row))?
        {
            PaperOutcome::Recorded { ticket, .. } => Ok(done(Some(ticket))),
            PaperOutcome::Refused { .. } => Ok(done(None)),
        },
        Some(Started::Command(c)) => {
            command(m, s, &c)?;
            Ok(done(None))
        }
        None => {
            answer(m, s.staff, "help", s.subject, Vec::new(), 0, false, None)?;
            Ok(done(None))
        }
    }
}

/// Stores nothing more: asks `staff` (the real listed address) to confirm the held
/// mail `row` by replying. The request quotes only the held mail's subject.
fn request_confirmation(
    m: &Mailer<'_>,
    staff: &str,
    held_subject: &str,
    row: i64,
    authenticated: bool,
) -> Result<(), MailError> {
    let why = if authenticated {
        "no-capability"
    } else {
        "authentication-results"
    };
    let view = ConfirmView {
        subject: one_line(held_subject, 120),
        received: m.local(m.now),
        why,
    };
    let key = format!("{CONFIRM_PREFIX}{row}");
    let asked = m.to_desk(
        staff,
        // Without brackets: a reply keeps this subject, and must not read as a form.
        format!(
            "Konfirmasi diperlukan: {}",
            one_line(&held_subject.replace('[', "(").replace(']', ")"), 80)
        ),
        &Letter::Confirm(view),
        // Anyone can cause these: they count against the hourly limit per address, so
        // forged mail cannot flood a staff member's inbox through the office.
        Sending::default().automatic().once(key.clone()),
    )?;
    if asked || outbox::has_dedup(m.conn, &key)? {
        tracing::warn!(sender = %staff, row, why, "staff-started mail not proven: held, sender asked to confirm by replying");
        return Ok(());
    }
    // Held back by the hourly limit: the mail waits unconfirmed. Never in silence: the
    // sender hears of it once a day (the key is the limit), with what to do instead.
    let limit = m.desk.config.helpdesk.auto_replies_per_hour;
    let letter = Letter::ConfirmHeld {
        subject: &one_line(held_subject, 120),
        limit,
    };
    let day = m
        .now
        .with_timezone(&m.desk.calendar.utc_offset())
        .date_naive();
    let told = m.to_address_once(
        None,
        staff,
        "Surel atas nama Anda ditahan tanpa permintaan konfirmasi".to_string(),
        &letter,
        &format!("confirm-held:{}:{day}", staff.to_lowercase()),
    )?;
    tracing::warn!(sender = %staff, row, why, told, "staff-started mail not proven: held; no confirmation request (hourly limit for this address reached), sender told once a day");
    Ok(())
}

/// The sender confirmed the held mail `held` (with the mail stored as `row`): it is
/// carried out as if it had been trusted, once.
fn confirmed(m: &Mailer<'_>, staff: &str, held: i64, row: i64) -> Result<Outcome, MailError> {
    let Some(h) = queue::held_mail(m.conn, held)? else {
        answer(m, staff, "gone", "", Vec::new(), 0, false, None)?;
        return Ok(Outcome::StoredOnly {
            ticket: None,
            kind: MessageKind::Staff,
        });
    };
    let unverified: &'static str = MessageKind::Unverified.into();
    if h.kind != unverified || !h.sender.eq_ignore_ascii_case(staff) {
        tracing::info!(sender = %staff, held, "confirmation of a mail already carried out: nothing done again");
        answer(m, staff, "twice", &h.subject, Vec::new(), 0, false, None)?;
        return Ok(Outcome::StoredOnly {
            ticket: None,
            kind: MessageKind::Staff,
        });
    }
    let started = form::read(&h.subject, &h.body);
    let s = Started2 {
        staff,
        subject: &h.subject,
        text: &h.body,
        date: Some(h.received_at),
        row: held,
    };
    let outcome = carry_out(m, &s, started)?;
    let ticket = match outcome {
        Outcome::New { ticket } => Some(ticket),
        _ => None,
    };
    let staff_kind: &'static str = MessageKind::Staff.into();
    let reason = format!("confirmed by its sender (message {row})");
    queue::mark_held(m.conn, held, staff_kind, &reason, ticket)?;
    tracing::info!(sender = %staff, held, ticket, "held staff-started mail confirmed and carried out");
    Ok(outcome)
}

// ----- a ticket from a desk mail ------------------------------------------------------

/// A reply to a desk mail (the digest, most often) that starts with `#tiket N`: the rest
/// runs as this staff member's reply to ticket N's notification would, when they may act
/// on it (see [`may_act`]). Otherwise nothing runs and they are told why.
fn on_ticket(
    m: &Mailer<'_>,
    r: &Received<'_>,
    staff: &str,
    n: i64,
    answering: Option<&str>,
) -> Result<Outcome, MailError> {
    let found = tickets::find(m.conn, n)?;
    let refusal = match &found {
        None => Some(format!("Tiket #{n} tidak ada.")),
        Some(t) if !may_act(m, staff, t)? => Some(format!(
            "Anda bukan petugas pada tiket #{n}; mintalah pemegangnya (atau Kepala Seksi) \
             meneruskan tiket itu kepada Anda dengan #alihkan."
        )),
        Some(_) => None,
    };
    let (Some(mut t), None) = (found, refusal.clone()) else {
        r.store(
            m.conn,
            None,
            MessageKind::Staff,
            Some("#tiket refused"),
            m.now,
        )?;
        answer(
            m,
            staff,
            "ticket",
            &n.to_string(),
            Vec::new(),
            0,
            false,
            refusal,
        )?;
        return Ok(Outcome::StoredOnly {
            ticket: None,
            kind: MessageKind::Staff,
        });
    };
    let row = r.store(m.conn, Some(n), MessageKind::Staff, None, m.now)?;
    let mut mail = r.mail.clone();
    mail.text = without_ticket_line(&mail.text);
    // The quote under the reply is the desk mail's: the relay reads it back by its id.
    super::staff::execute(m, &mut t, &mail, row, answering.unwrap_or_default())?;
    tracing::info!(
        ticket = n,
        staff,
        "staff reply about a ticket from a desk mail (#tiket)"
    );
    Ok(Outcome::Staff { ticket: n })
}

/// Who may act on a ticket from a desk mail: the staff a notification of it would
/// reach (its participants and owner), the head of its section, the head of office,
/// and any CSO while nobody has taken it.
fn may_act(m: &Mailer<'_>, staff: &str, t: &Ticket) -> Result<bool, StoreError> {
    let roster = &m.desk.config.roster;
    let is = |a: &str| a.eq_ignore_ascii_case(staff);
    let head_of_section = t
        .section
        .as_deref()
        .and_then(|c| roster.section(c))
        .is_some_and(|sec| is(&sec.head));
    let head_of_office = roster.head_of_office().is_some_and(|h| is(&h.address));
    let free_for_cso = t.assignee.is_none() && roster.csos().any(|c| is(&c.address));
    Ok(t.assignee.as_deref().is_some_and(is)
        || head_of_section
        || head_of_office
        || free_for_cso
        || tickets::participants(m.conn, t.id)?.iter().any(|p| is(p)))
}

/// The text without its first `#tiket N` line (the commands and answer follow it).
fn without_ticket_line(text: &str) -> String {
    let mut lines = text.lines();
    let mut out = Vec::new();
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            out.push(line);
            continue;
        }
        if !matches!(
            form::read("", line),
            Some(Started::Command(DeskCommand::Ticket(_)))
        ) {
            out.push(line);
        }
        break;
    }
    out.extend(lines);
    out.join("\n")
}

// ----- forms --------------------------------------------------------------------------

/// Records a consultation from its form; `None` (and the CSO told what to fix) when the
/// form cannot be read. Nothing is created then.
fn record(m: &Mailer<'_>, s: &Started2<'_>, channel: Channel) -> Result<Option<i64>, MailError> {
    let desk = m.desk;
    let codes: Vec<&str> = desk.services.iter().map(|sv| sv.code.as_str()).collect();
    let parsed = form::parse(s.text, &codes);
    let f = match parsed {
        Ok(f) => f,
        Err(problems) => {
            let view = FormErrorView {
                subject: one_line(s.subject, 120),
                problems: problems
                    .into_iter()
                    .map(|p| ProblemView {
                        field: p.field,
                        what: p.what,
                    })
                    .collect(),
                form: form::TEMPLATE,
            };
            m.to_desk(
                s.staff,
                format!(
                    "Formulir belum dapat dicatat: {}",
                    one_line(&subject::clean(s.subject), 80)
                ),
                &Letter::FormError(view),
                Sending::default(),
            )?;
            tracing::info!(sender = %s.staff, "consultation form with problems: nothing recorded, CSO told what to fix");
            return Ok(None);
        }
    };
    let (visit, date_note) = visit_time(m, s.date);
    let t = create(m, s, channel, &f, visit, date_note.as_deref())?;
    Ok(Some(t))
}

/// When the consultation took place: the mail's Date, unless it is in the future or
/// more than [`MAX_VISIT_AGE_DAYS`] old (then now, with a note for the CSO).
fn visit_time(m: &Mailer<'_>, date: Option<DateTime<Utc>>) -> (DateTime<Utc>, Option<String>) {
    match date {
        Some(d) if d <= m.now && d >= m.now - Duration::days(MAX_VISIT_AGE_DAYS) => (d, None),
        Some(d) => (
            m.now,
            Some(format!(
                "Tanggal surel ({}) tidak wajar, sehingga waktu konsultasi dicatat saat surel diterima.",
                m.local(d)
            )),
        ),
        None => (m.now, None),
    }
}

fn create(
    m: &Mailer<'_>,
    s: &Started2<'_>,
    channel: Channel,
    f: &Form,
    visit: DateTime<Utc>,
    date_note: Option<&str>,
) -> Result<i64, MailError> {
    let desk = m.desk;
    let service = desk
        .service(&f.service)
        .map_or_else(|| f.service.clone(), |s| s.code.clone());
    let due = desk
        .service(&service)
        .map(|sv| desk.deadline(visit, sv.completion));
    let first_line = f.question.lines().next().unwrap_or_default();
    let subject = format!("{}: {}", channel_label(channel), one_line(first_line, 80));
    let requester = f.contact.requester();
    let mut t = tickets::create(
        m.conn,
        &NewTicket {
            service: &service,
            subject: &subject,
            requester: &requester,
            requester_name: Some(&f.name),
            created_at: visit,
            due_at: due,
            previous_ticket: None,
            root_message_id: None,
            channel,
        },
    )?;
    queue::mark_held(
        m.conn,
        s.row,
        MessageKind::Staff.into(),
        "consultation form",
        Some(t.id),
    )?;
    let detail = format!(
        "{}; instansi: {}; kontak: {}",
        <&str>::from(channel),
        f.institution,
        contact_text(f)
    );
    tickets::log(
        m.conn,
        t.id,
        &Event::new(EventKind::Created, s.staff, visit)
            .on(s.row)
            .detail(&detail),
    )?;
    t.assignee = Some(s.staff.to_string());
    tickets::add_participant(m.conn, t.id, s.staff)?;
    let staff_name = desk
        .config
        .roster
        .staff_by_address(s.staff)
        .map(|st| st.name.clone());
    let email = f.contact.email.clone();
    if let Some(answer) = &f.answer {
        // Answered at the visit: resolved then.
        t.first_response_at = Some(visit);
        t.resolved_at = Some(visit);
        tickets::save(m.conn, &t)?;
        let to = ticket::transition(t.status, &Action::Resolve).unwrap_or(Status::Resolved);
        tickets::set_status(
            m.conn,
            &mut t,
            to,
            &Event::new(EventKind::Resolved, s.staff, visit).on(s.row),
        )?;
        if email.is_some() {
            let letter = Letter::Resolved {
                text: answer,
                staff_name: staff_name.as_deref(),
            };
            m.to_stakeholder(&t, &letter, Sending::default())?;
        }
    } else {
        // The standard's step 6b: confirmation or solution at the latest 3 working days
        // after the visit; promised to the visitor, watched by the scheduler.
        let by = desk.calendar.add_working_days(visit, VISIT_DAYS);
        t.expected_on = Some(desk.calendar.local_date(by));
        tickets::save(m.conn, &t)?;
        if email.is_some() {
            let ack = Letter::Ack {
                service_url: desk.service(&t.service).map(|sv| desk.service_url(sv)),
            };
            m.to_stakeholder(&t, &ack, Sending::default().automatic().unlimited())?;
        }
    }
    let receipt = email.is_none();
    let files = if receipt {
        vec![receipt_file(m, &t, f, visit)]
    } else {
        Vec::new()
    };
    let view = RecordedView {
        channel: channel_label(channel),
        name: f.name.clone(),
        institution: f.institution.clone(),
        contact: contact_text(f),
        question: f.question.clone(),
        answer: f.answer.clone(),
        visit: m.local(visit),
        expected: t.expected_on.map(date_text),
        visitor_mailed: email.is_some(),
        receipt,
        date_note: date_note.map(str::to_string),
    };
    m.to_staff(&t, s.staff, &Letter::Recorded(view), Sending::files(files))?;
    tracing::info!(ticket = t.id, channel = %<&str>::from(channel), staff = %s.staff, resolved = f.answer.is_some(), "consultation recorded from a CSO's form");
    Ok(t.id)
}

/// Working days after a visit within which the visitor gets confirmation or a solution
/// (the standard's tatap muka step 6b).
pub(crate) const VISIT_DAYS: u32 = 3;

fn contact_text(f: &Form) -> String {
    let parts: Vec<&str> = [f.contact.email.as_deref(), f.contact.phone.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(" / ")
    }
}

fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Email => "Surel",
        Channel::TatapMuka => "Tatap muka",
        Channel::Telepon => "Telepon",
        Channel::Wa => "WhatsApp",
        Channel::HaiCso => "HAI CSO",
    }
}

fn date_text(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{}, {}",
        loket_core::text::weekday_id(d.weekday()),
        loket_core::text::date_id(d)
    )
}

/// The printable receipt for a visitor without email: one A4 page, Indonesian.
fn receipt_file(m: &Mailer<'_>, t: &Ticket, f: &Form, visit: DateTime<Utc>) -> FileAttachment {
    let office = &m.desk.config.office;
    let e = escape_html;
    let expect = match (&f.answer, t.expected_on) {
        (Some(a), _) => format!(
            "<h2>Jawaban</h2><p class=\"text\">{}</p><p>Status penyelesaian layanan: <b>Resolved</b></p>",
            e(a)
        ),
        (None, Some(d)) => format!(
            "<h2>Kapan jawaban disampaikan</h2><p>Jawaban atau konfirmasi disampaikan paling lambat \
             <b>{}</b> (3 hari kerja setelah konsultasi) melalui kontak yang Anda berikan: {}.</p>",
            e(&date_text(d)),
            e(&contact_text(f))
        ),
        (None, None) => String::new(),
    };
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">\
<title>Tanda terima konsultasi #{id}</title><style>\
@page {{ size: A4; margin: 20mm; }} \
body {{ font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 11pt; color: #000; max-width: 170mm; margin: 0 auto; }} \
h1 {{ font-size: 15pt; margin: 0 0 2mm; }} h2 {{ font-size: 12pt; margin: 6mm 0 2mm; }} \
.office {{ border-bottom: 1px solid #000; padding-bottom: 3mm; margin-bottom: 5mm; }} \
table {{ border-collapse: collapse; width: 100%; }} td {{ padding: 1.5mm 2mm; vertical-align: top; border: 1px solid #888; }} \
td.k {{ width: 40mm; font-weight: bold; }} .text {{ white-space: pre-wrap; }} \
.no {{ font-size: 20pt; font-weight: bold; }} footer {{ margin-top: 10mm; font-size: 9pt; }} \
@media print {{ body {{ margin: 0; }} }}\
</style></head><body>\
<div class=\"office\"><b>{office}</b><br>{address} · {phone}</div>\
<h1>Tanda Terima Konsultasi</h1><p>Nomor tiket: <span class=\"no\">#{id}</span></p>\
<table><tr><td class=\"k\">Tanggal</td><td>{visit}</td></tr>\
<tr><td class=\"k\">Saluran</td><td>{channel}</td></tr>\
<tr><td class=\"k\">Nama</td><td>{name}</td></tr>\
<tr><td class=\"k\">Instansi</td><td>{inst}</td></tr>\
<tr><td class=\"k\">Layanan</td><td>{service}</td></tr>\
<tr><td class=\"k\">Petugas</td><td>{cso}</td></tr></table>\
<h2>Pertanyaan</h2><p class=\"text\">{question}</p>{expect}\
<footer>Sebutkan nomor tiket #{id} bila menghubungi kami tentang konsultasi ini. \
Layanan ini tidak dipungut biaya.</footer></body></html>\n",
        id = t.id,
        office = e(&office.name),
        address = e(&office.address),
        phone = e(&office.phone),
        visit = e(&m.local(visit)),
        channel = e(channel_label(t.channel)),
        name = e(&f.name),
        inst = e(&f.institution),
        service = e(&m
            .desk
            .service(&t.service)
            .map_or_else(|| t.service.clone(), |s| s.title.clone())),
        cso = e(t.assignee.as_deref().unwrap_or_default()),
        question = e(&f.question),
    );
    FileAttachment::bytes(
        format!("tanda-terima-tiket-{}.html", t.id),
        "text/html; charset=utf-8",
        html.into_bytes(),
    )
}

// ----- commands -----------------------------------------------------------------------

fn command(m: &Mailer<'_>, s: &Started2<'_>, c: &DeskCommand) -> Result<(), MailError> {
    let roster = &m.desk.config.roster;
    match c {
        DeskCommand::Queue => {
            let sections: Vec<String> = roster
                .sections
                .iter()
                .filter(|sec| sec.head.eq_ignore_ascii_case(s.staff))
                .map(|sec| sec.code.clone())
                .collect();
            let cso = roster
                .csos()
                .any(|st| st.address.eq_ignore_ascii_case(s.staff));
            let (list, total) = queue::open_for(m.conn, s.staff, &sections, cso)?;
            let lines = list.iter().map(|t| line(m, t)).collect();
            answer(
                m,
                s.staff,
                "queue",
                "",
                lines,
                total,
                total > queue::MAX_LISTED,
                None,
            )
        }
        DeskCommand::Search(word) => {
            let word = word.trim();
            if word.chars().count() < 3 {
                let problem = Some(
                    "Tulis kata pencarian minimal 3 huruf, misalnya `#cari SP2D 260123`."
                        .to_string(),
                );
                return answer(m, s.staff, "search", word, Vec::new(), 0, false, problem);
            }
            let (list, more) = queue::search(m.conn, word)?;
            let total = list.len();
            let lines = list.iter().map(|t| line(m, t)).collect();
            answer(m, s.staff, "search", word, lines, total, more, None)
        }
        DeskCommand::History(who) => {
            let who = who.trim().trim_matches(['<', '>']);
            let requester = if who.contains('@') {
                who.to_lowercase()
            } else if let Some(phone) = form::phone(who) {
                format!("tel:{phone}")
            } else {
                let problem = Some(
                    "Tulis alamat surel atau nomor telepon pemohon, misalnya `#riwayat siti@satker.example`."
                        .to_string(),
                );
                return answer(m, s.staff, "history", who, Vec::new(), 0, false, problem);
            };
            let (list, total) = queue::history(m.conn, &requester)?;
            let lines = list.iter().map(|t| line(m, t)).collect();
            answer(
                m,
                s.staff,
                "history",
                &requester,
                lines,
                total,
                total > queue::MAX_LISTED,
                None,
            )
        }
        // Only a held mail reaches here (a proven one runs at once): a confirmation
        // carries no quote to tell the reply from, so it does not act on a ticket.
        DeskCommand::Ticket(n) => {
            let problem = Some(format!(
                "Untuk menindaklanjuti tiket #{n}, balas surel ringkasan harian atau \
                 pemberitahuan tiket itu dengan #tiket {n} di baris pertama."
            ));
            answer(
                m,
                s.staff,
                "ticket",
                &n.to_string(),
                Vec::new(),
                0,
                false,
                problem,
            )
        }
    }
}

/// One ticket in a desk answer: what staff need to find it, nothing of its mail.
fn line(m: &Mailer<'_>, t: &Ticket) -> TicketLine {
    let deadline = match t.status {
        Status::Escalated => t.escalation_due_at.or(t.due_at),
        _ => t.due_at,
    };
    let cal = &m.desk.calendar;
    let today = cal.local_date(m.now);
    let open = !matches!(t.status, Status::Resolved | Status::Closed);
    let answered = t.first_response_at.is_some() && t.status != Status::Escalated;
    let flag = if !open {
        ""
    } else if t.status == Status::AwaitingDocuments {
        "MENUNGGU DOKUMEN"
    } else if !answered && deadline.is_some_and(|d| d <= m.now) {
        "TERLAMBAT"
    } else if !answered && deadline.is_some_and(|d| cal.local_date(d) == today) {
        "HARI INI"
    } else if t.channel != Channel::Email && t.expected_on.is_some_and(|d| d <= today) {
        "BATAS 3 HARI KERJA"
    } else {
        ""
    };
    TicketLine {
        id: t.id,
        status: t.status.label_id(),
        flag,
        subject: one_line(&t.subject, 70),
        requester: match &t.requester_name {
            Some(n) => format!("{} <{}>", one_line(n, 40), t.requester),
            None => t.requester.clone(),
        },
        channel: channel_label(t.channel),
        created: m.local(t.created_at),
        deadline: deadline.filter(|_| open).map(|d| m.local(d)),
        tag: format!("[{} #{}]", m.desk.config.mail.tag, t.id),
    }
}

#[allow(clippy::too_many_arguments)]
fn answer(
    m: &Mailer<'_>,
    staff: &str,
    what: &'static str,
    query: &str,
    tickets: Vec<TicketLine>,
    total: usize,
    more: bool,
    problem: Option<String>,
) -> Result<(), MailError> {
    let subject = match what {
        "queue" => format!("Antrean Anda: {total} tiket terbuka"),
        "search" => format!("Hasil pencarian: {}", one_line(query, 60)),
        "history" => format!("Riwayat pemohon: {}", one_line(query, 60)),
        "twice" => "Surel ini sudah dikonfirmasi sebelumnya".to_string(),
        "ticket" => format!("Tiket #{query} tidak dapat ditindaklanjuti dari surel ini"),
        "gone" => "Surel yang dikonfirmasi tidak ditemukan".to_string(),
        _ => "Perintah tidak dikenali".to_string(),
    };
    let view = AnswerView {
        what,
        query: one_line(query, 120),
        tickets,
        total,
        more,
        problem,
    };
    m.to_desk(
        staff,
        subject,
        &Letter::DeskAnswer(view),
        Sending::default(),
    )?;
    tracing::info!(sender = %staff, what, total, "desk command answered");
    Ok(())
}

fn one_line(s: &str, max: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

// ----- the standing mail and the visit clock --------------------------------------------

/// Sends each CSO a fresh standing "catat konsultasi" mail when they have none or
/// theirs is older than `helpdesk.standing_mail_days`, during office hours. Returns how
/// many were queued.
pub fn refresh_standing(
    store: &mut Store,
    desk: &crate::desk::Desk,
    now: DateTime<Utc>,
) -> Result<usize, MailError> {
    let days = desk.config.helpdesk.standing_mail_days;
    if days == 0 || !desk.calendar.is_open(now) {
        return Ok(0);
    }
    let fresh = |conn: &rusqlite::Connection, address: &str| -> Result<bool, StoreError> {
        Ok(queue::last_standing(conn, address)?
            .is_some_and(|at| now - at < Duration::days(i64::from(days))))
    };
    // Read first: on nearly every tick there is nothing to send, and a write
    // transaction would take the database's lock for nothing.
    let mut due = false;
    for cso in desk.config.roster.csos() {
        due |= !fresh(store.conn(), &cso.address)?;
    }
    if !due {
        return Ok(0);
    }
    let tx = store.transaction()?;
    let m = Mailer::new(desk, &tx, now);
    let mut queued = 0;
    for cso in desk.config.roster.csos() {
        if fresh(&tx, &cso.address)? {
            continue;
        }
        let key = format!(
            "standing:{}:{}",
            cso.address.to_lowercase(),
            desk.calendar.local_date(now)
        );
        if m.to_desk(
            &cso.address,
            STANDING_SUBJECT.into(),
            &Letter::Standing {
                form: form::TEMPLATE,
            },
            Sending::default().once(key),
        )? {
            queued += 1;
            tracing::info!(cso = %cso.address, "standing \"catat konsultasi\" mail queued");
        }
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(queued)
}

/// A consultation recorded from a visit or call that nobody has answered yet: the
/// standard's step 6b (a solution within 3 working days, progress meanwhile) applies.
pub(crate) fn visit_waiting(t: &Ticket) -> bool {
    t.channel != Channel::Email
        && t.first_response_at.is_none()
        && !matches!(t.status, Status::Resolved | Status::Closed)
}

/// When the 3 working days after the visit end.
pub(crate) fn visit_deadline_at(m: &Mailer<'_>, t: &Ticket) -> DateTime<Utc> {
    m.desk.calendar.add_working_days(t.created_at, VISIT_DAYS)
}

/// A consultation recorded from a visit or call that nobody has answered: once the 3
/// working days after the visit have passed, its owner and the head of office hear of
/// it, once each (`remind` queues one reminder under a dedup key).
pub(crate) fn visit_deadline(
    m: &Mailer<'_>,
    t: &Ticket,
    remind: impl Fn(&str, String) -> Result<bool, MailError>,
) -> Result<usize, MailError> {
    if !visit_waiting(t) || m.now < visit_deadline_at(m, t) {
        return Ok(0);
    }
    let mut to: Vec<String> = t.assignee.iter().cloned().collect();
    if let Some(k) = m.desk.config.roster.head_of_office() {
        to.push(k.address.clone());
    }
    to.dedup();
    let mut n = 0;
    for staff in to {
        if remind(&staff, format!("visit:{}:{staff}", t.id))? {
            n += 1;
        }
    }
    Ok(n)
}
