//! Markdown to HTML with heading ids, a table of contents and the links it contains.

use pulldown_cmark::Options;

/// The Markdown dialect of content files: CommonMark plus tables and strikethrough.
pub fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}
