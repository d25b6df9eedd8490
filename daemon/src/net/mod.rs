//! The only modules that speak to servers: [`imap`] reads the office mailbox,
//! [`smtp`] sends the outbox. Neither knows of tickets.

pub mod imap;
mod secret;
pub mod smtp;
pub mod tls;

pub(crate) use secret::{SecretError, read_secret};
