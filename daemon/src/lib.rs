//! loketd: the office mailbox as a helpdesk.
//!
//! The folders are the data path, top to bottom:
//!
//! ```text
//! run/       the loops: an inbox pass (IMAP → workflow → MOVE), the scheduler, the sender
//! workflow/  one mail in, one transaction out: ingest, the stakeholder's side, the staff's
//!            commands, the clocks, and the mails each step writes
//! desk.rs    what the workflow runs on: config, standards, calendar, templates, key
//! store/     all SQL and the files beside it: messages, tickets and events, the outbox
//! rules/     pure decisions: ticket states, commands, classification, capability,
//!            office calendar, satisfaction index
//! mail/      mail as bytes and text: parse, HTML, automatic-mail signs, quotes,
//!            subjects, attachments, composing outgoing mail
//! net/       the servers: IMAP in, SMTP out
//! failpoint  named crash points for the crash test (feature `failpoints` only)
//! ```
//!
//! A module imports only from the folders below it; `rules/` and `mail/` do no I/O
//! (except loading templates once), so every decision is tested without a server.

pub mod desk;
pub mod failpoint;
pub mod mail;
pub mod net;
pub mod rules;
pub mod run;
pub mod store;
pub mod workflow;
