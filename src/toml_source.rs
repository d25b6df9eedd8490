//! Reads a TOML document (site.toml or a front matter block) into a typed value while
//! reporting bad syntax and every unknown key with its line.
//!
//! serde's `deny_unknown_fields` stops at the first unknown key and loses the daemon's
//! tables; walking the spanned document against a key schema reports all of them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, line_col};

/// What may appear under a key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shape {
    /// A plain value (string, number, array of plain values ...).
    Value,
    /// A table whose keys are checked against a schema.
    Table(&'static [(&'static str, Shape)]),
    /// An array of tables, each checked against a schema.
    Tables(&'static [(&'static str, Shape)]),
    /// Anything: owned by another program (the daemon) that validates it itself.
    Any,
}

/// A TOML text and where it sits in its file.
pub(crate) struct TomlText<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    /// Line of the file on which `text` starts (1-based).
    pub first_line: usize,
}

/// Positions of keys by dotted path (`office.email`), in file coordinates.
pub(crate) type KeyPositions = BTreeMap<String, (usize, usize)>;

impl TomlText<'_> {
    /// File position of a byte offset in `text`.
    pub fn pos(&self, offset: usize) -> (usize, usize) {
        let (line, col) = line_col(self.text, offset);
        (line + self.first_line - 1, col)
    }

    fn span_pos(&self, span: Option<Range<usize>>) -> (usize, usize) {
        span.map_or((self.first_line, 1), |s| self.pos(s.start))
    }

    /// Parses the text, checks its keys against `schema` and deserializes it.
    /// Returns the value only when the text is well-formed and types fit.
    pub fn read<T: DeserializeOwned>(
        &self,
        schema: &'static [(&'static str, Shape)],
        what: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(T, KeyPositions)> {
        let table = match DeTable::parse(self.text) {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic::error(
                    self.path,
                    self.span_pos(e.span()),
                    format!("invalid TOML in {what}: {}", e.message().trim()),
                    "fix the syntax (strings need quotes, one `key = value` per line)",
                ));
                return None;
            }
        };
        let mut positions = KeyPositions::new();
        let before = diags.len();
        self.check_table(table.get_ref(), schema, "", what, &mut positions, diags);
        let unknown_keys = diags.len() > before;
        match toml::from_str::<T>(self.text) {
            Ok(v) if !unknown_keys => Some((v, positions)),
            Ok(_) => None,
            Err(e) => {
                diags.push(Diagnostic::error(
                    self.path,
                    self.span_pos(e.span()),
                    format!("invalid value in {what}: {}", e.message().trim()),
                    "see the expected type of this key in docs/site.md",
                ));
                None
            }
        }
    }

    fn check_table(
        &self,
        table: &DeTable<'_>,
        schema: &'static [(&'static str, Shape)],
        prefix: &str,
        what: &str,
        positions: &mut KeyPositions,
        diags: &mut Vec<Diagnostic>,
    ) {
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let dotted = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            let pos = self.pos(key.span().start);
            positions.entry(dotted.clone()).or_insert(pos);
            let Some((_, shape)) = schema.iter().find(|(k, _)| *k == name) else {
                let known: Vec<&str> = schema.iter().map(|(k, _)| *k).collect();
                diags.push(Diagnostic::error(
                    self.path,
                    pos,
                    format!("unknown key `{dotted}` in {what}"),
                    format!(
                        "remove it or use one of: {}",
                        if known.is_empty() {
                            "(none)".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
                continue;
            };
            self.check_value(value, *shape, &dotted, what, positions, diags);
        }
    }

    /// Positions of keys in a table that is not checked here, for diagnostics elsewhere.
    fn record_positions(&self, table: &DeTable<'_>, prefix: &str, positions: &mut KeyPositions) {
        for (key, value) in table.iter() {
            let dotted = format!("{prefix}.{}", key.get_ref());
            positions
                .entry(dotted.clone())
                .or_insert(self.pos(key.span().start));
            if let DeValue::Table(t) = value.get_ref() {
                self.record_positions(t, &dotted, positions);
            }
        }
    }

    fn check_value(
        &self,
        value: &Spanned<DeValue<'_>>,
        shape: Shape,
        dotted: &str,
        what: &str,
        positions: &mut KeyPositions,
        diags: &mut Vec<Diagnostic>,
    ) {
        match (shape, value.get_ref()) {
            (Shape::Table(schema), DeValue::Table(t)) => {
                self.check_table(t, schema, dotted, what, positions, diags)
            }
            (Shape::Tables(schema), DeValue::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let DeValue::Table(t) = item.get_ref() {
                        let p = format!("{dotted}[{i}]");
                        positions.insert(p.clone(), self.pos(item.span().start));
                        self.check_table(t, schema, &p, what, positions, diags);
                    }
                }
            }
            (Shape::Any, DeValue::Table(t)) => self.record_positions(t, dotted, positions),
            // Type mismatches are reported by deserialization, with the value's span.
            _ => {}
        }
    }
}

/// Renders `positions[key]`, falling back to the start of the text.
pub(crate) fn position_of(positions: &KeyPositions, key: &str, fallback: usize) -> (usize, usize) {
    positions.get(key).copied().unwrap_or((fallback, 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        a: i64,
    }

    const SCHEMA: &[(&str, Shape)] = &[
        ("a", Shape::Value),
        ("t", Shape::Table(&[("x", Shape::Value)])),
        ("other", Shape::Any),
    ];

    #[test]
    fn reports_every_unknown_key_with_its_line() {
        let text = "a = 1\nb = 2\n[t]\nx = 1\ny = 2\n[other]\nwhatever = 3\n";
        let doc = TomlText {
            path: Path::new("f.toml"),
            text,
            first_line: 10,
        };
        let mut diags = Vec::new();
        let r = doc.read::<Doc>(SCHEMA, "f", &mut diags);
        assert!(r.is_none());
        let lines: Vec<(usize, String)> =
            diags.iter().map(|d| (d.line, d.message.clone())).collect();
        assert_eq!(
            lines,
            vec![
                (11, "unknown key `b` in f".to_string()),
                (14, "unknown key `t.y` in f".to_string())
            ]
        );
    }

    #[test]
    fn bad_syntax_names_its_line() {
        let text = "a = 1\nb = = 2\n";
        let doc = TomlText {
            path: Path::new("f.toml"),
            text,
            first_line: 1,
        };
        let mut diags = Vec::new();
        assert!(doc.read::<Doc>(SCHEMA, "f", &mut diags).is_none());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, 2);
    }
}
