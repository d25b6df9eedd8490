//! Pure decisions, no I/O: each takes facts and returns what follows.

pub mod calendar;
pub mod capability;
pub mod classify;
pub mod command;
pub mod form;
pub mod ikm;
pub mod kinds;
pub mod skm;
pub mod ticket;
