//! loketd: the office mailbox as a helpdesk.
//!
//! Data path, top to bottom: `mailbox` (IMAP) → `parse` → `classify` → `ingest`
//! (one SQLite transaction in `store`, with events and `outbox` rows) → `smtp`.
//! Pure pieces with no I/O: `calendar`, `quote`, `command`, `capability` (except loading
//! its key file), `authres`, `ikm`, `ticket`, `parse`, `classify`.

pub mod authres;
pub mod calendar;
pub mod capability;
pub mod command;
pub mod ikm;
pub mod parse;
pub mod quote;
pub mod ticket;
