//! loket: builds a KPPN's public service-standard site.
//!
//! Stages, one pass each: [`config`] reads `site.toml`, [`content`] reads and validates
//! the Markdown, then the site is rendered in parallel and written out.

pub mod config;
pub mod content;
pub mod diagnostics;
pub mod markdown;
mod toml_source;
