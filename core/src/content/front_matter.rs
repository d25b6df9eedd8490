//! Splits a content file into its `+++` TOML front matter and Markdown body.

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::diagnostics::Diagnostic;
use crate::document::{KeyIndex, Source, fields};

/// A content file read: its two parts, and its front matter as `T`, built from every key
/// that read (keys with a bad value are left out, so `T` should default every key).
pub(crate) struct Read<'a, T> {
    pub parts: Split<'a>,
    pub front: Option<T>,
    /// Whether the front matter read without an error.
    pub ok: bool,
    /// Where each front-matter key is written, in file lines.
    pub keys: KeyIndex,
}

/// Splits a content file and reads its front matter; every problem goes to `diags`.
/// `None` when the file has no front matter block at all.
pub(crate) fn read<'a, T: DeserializeOwned>(
    path: &Path,
    text: &'a str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Read<'a, T>> {
    let parts = match split(path, text) {
        Ok(p) => p,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let before = diags.len();
    let src = Source {
        path,
        text: parts.front,
        first_line: parts.front_line,
        what: "front matter",
    };
    let (front, keys) = src.read::<T>(|_| fields::<T>(), diags);
    let ok = !diags[before..].iter().any(Diagnostic::is_error);
    Some(Read {
        parts,
        front,
        ok,
        keys,
    })
}

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
