//! loketd: the office mailbox as a helpdesk.
//!
//! Data path, top to bottom: `mailbox` (IMAP) → `parse` → `classify` → `ingest`
//! (one SQLite transaction in `store`, with events and `outbox` rows) → `smtp`.
//! Pure pieces with no I/O: `calendar`, `quote`, `command`, `capability` (except loading
//! its key file), `authres`, `ikm`, `ticket`, `parse`, `classify`.

pub mod attachment;
pub mod authres;
pub mod autodetect;
pub mod calendar;
pub mod capability;
pub mod classify;
pub mod command;
pub mod compose;
pub mod config;
pub mod desk;
pub mod fetch;
pub mod ikm;
pub mod ingest;
pub mod mailbox;
pub mod mails;
pub mod outbox;
pub mod parse;
pub mod quote;
pub mod report;
pub mod run;
pub mod scheduler;
pub mod smtp;
pub mod staff;
pub mod standards;
pub mod store;
pub mod subject;
pub mod ticket;
pub mod tickets;
