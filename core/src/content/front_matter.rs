//! Splits a content file into its `+++` TOML front matter and Markdown body.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::diagnostics::Diagnostic;

/// A content file cut in two, with the file line on which each part starts.
pub(crate) struct Split<'a> {
    pub front: &'a str,
    pub front_line: usize,
    pub body: &'a str,
    pub body_line: usize,
}

pub(crate) fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let missing = || {
        Diagnostic::error(
            path,
            (1, 1),
            "missing front matter",
            "start the file with a `+++` line, the TOML keys, and a closing `+++` line",
        )
    };
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().ok_or_else(missing)?;
    if first.trim_end() != "+++" {
        return Err(missing());
    }
    let front_start = first.len();
    let mut offset = front_start;
    for (line_no, line) in (2..).zip(lines) {
        if line.trim_end() == "+++" {
            return Ok(Split {
                front: &text[front_start..offset],
                front_line: 2,
                body: &text[offset + line.len()..],
                body_line: line_no + 1,
            });
        }
        offset += line.len();
    }
    Err(Diagnostic::error(
        path,
        (1, 1),
        "front matter is not closed",
        "add a line with only `+++` after the last front-matter key",
    ))
}

/// A TOML date (`updated = 2026-11-29`) or a string holding one.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum DateValue {
    Toml(toml::value::Datetime),
    Text(String),
}

impl DateValue {
    pub(super) fn to_date(&self) -> Option<NaiveDate> {
        match self {
            DateValue::Toml(dt) => {
                let d = dt.date?;
                if dt.time.is_some() {
                    return None;
                }
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            DateValue::Text(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn splits_with_lines() {
        let s = split(Path::new("a.md"), "+++\ntitle = \"x\"\n+++\nbody\n").expect("split");
        assert_eq!(s.front, "title = \"x\"\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(s.body_line, 4);
    }

    #[test]
    fn unclosed_is_an_error() {
        assert!(split(Path::new("a.md"), "+++\ntitle = 1\n").is_err());
        assert!(split(Path::new("a.md"), "no front matter").is_err());
    }
}
