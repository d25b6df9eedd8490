//! What happens to one mail, and on each tick of the clock: every step runs in one
//! SQLite transaction that holds the state it changes, its events and the mails it
//! causes (outbox rows).
//!
//! - [`ingest`]: one mail in: parse → classify → route; [`desk_mail`]: mail staff
//!   start (recorded consultations, desk commands) and its trust.
//! - [`stakeholder`]: a new question, a reply, documents, a rating.
//! - [`survey`]: the SKM answer to the "Resolved" mail, and paper forms CSOs enter.
//! - [`staff`]: a verified staff reply and its commands; [`held`]: the replies it holds;
//!   [`canned`]: the `#templat` answers it inserts.
//! - [`mailbox_answer`]: an answer a person sent from the shared official mailbox, read
//!   from its sent folder.
//! - [`scheduler`]: progress replies, reminders, alerts, auto-close, and (through
//!   [`digest`]) each staff member's daily digest.
//! - [`letters`]: the mails these steps write, each with its typed template data
//!   ([`views`]: the data of the desk's and the digest's mails); [`recipients`]: who
//!   hears of what; [`sent`]: what was sent, read back to tell a reply's new text from
//!   its quote, and whether a capability's mail was sent by this database.

mod canned;
mod desk_mail;
mod digest;
mod held;
pub mod ingest;
pub(crate) mod letters;
pub mod mailbox_answer;
mod received;
mod recipients;
pub mod scheduler;
mod sent;
mod staff;
mod stakeholder;
pub mod survey;
mod views;

pub use desk_mail::refresh_standing;
pub use letters::MailError;
