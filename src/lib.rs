//! loket: builds a KPPN's public service-standard site.
//!
//! Stages, one pass each: [`config`] reads `site.toml`, [`content`] reads and validates
//! the Markdown, [`theme`] loads the templates, then [`site`] renders every page in
//! parallel and writes it (or, for `loket check`, only checks links).

pub mod config;
pub mod content;
pub mod diagnostics;
pub mod jsonld;
mod links;
pub mod markdown;
pub mod opendata;
mod output;
mod render;
pub mod scaffold;
pub mod site;
pub mod sitemap;
pub mod text;
pub mod theme;
mod toml_source;

pub use site::{BuildOptions, BuildReport, build, check};
