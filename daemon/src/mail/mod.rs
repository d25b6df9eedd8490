//! Mail as bytes and text, no network and no database: reading what arrives
//! ([`parse`]: headers, body, attachments, automatic-mail signs) and writing what goes
//! out ([`compose`]).

pub mod attachment;
pub mod authres;
pub mod autodetect;
pub mod compose;
mod html;
pub mod parse;
pub mod relay;
pub mod subject;

pub(crate) use html::html_to_text;
