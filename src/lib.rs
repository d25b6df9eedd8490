//! loket: builds a KPPN's public service-standard site.
//!
//! Stages, one pass each: `loket_core` reads `site.toml` and the content (and checks
//! both), [`theme`] loads the templates, then [`site`] renders every page in parallel and
//! writes it (or, for `loket check`, only checks links).

mod build;
pub mod chart;
pub mod i18n;
pub mod jsonld;
pub mod kinerja;
mod links;
pub mod markdown;
pub mod opendata;
mod output;
pub mod poster;
mod qr;
mod render;
pub mod scaffold;
pub mod schema;
pub mod serve;
pub mod site;
pub mod sitemap;
pub mod skm;
mod texts;
pub mod theme;
pub mod urls;

pub use loket_core::{config, content, diagnostics, text};

pub use build::{BuildOptions, BuildReport, build, check};
