//! loket-core: what the site builder (`loket`) and the daemon (`loketd`) share.
//!
//! - [`config`]: the one model of `site.toml`, every table, read by one parser.
//! - [`content`]: the service standards and pages under `content/`.
//! - [`diagnostics`]: problems tied to a file position, reported all at once.
//! - [`text`]: how dates, times and amounts read in Indonesian.
//! - [`performance`]: the help desk's performance export, which the site publishes.
//! - [`skm`]: the satisfaction survey of PermenPANRB 14/2017: questions and formulas.
//!
//! Nothing here renders pages or touches the network; it reads files and validates them.

pub mod config;
pub mod content;
pub mod diagnostics;
mod document;
pub mod performance;
pub mod skm;
pub mod text;

pub use config::Config;
pub use diagnostics::{Diagnostic, Diagnostics, Pos};
