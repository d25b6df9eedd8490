//! Reading a TOML text (`site.toml`, a front-matter block) into a typed value, with
//! every problem tied to its file position: all syntax errors, every unknown key (with
//! a "did you mean"), and the first bad value under each top-level key (a table with a
//! bad value is set aside so the others are still read).
//!
//! Unknown keys are what `serde_ignored` reports while the value deserializes; positions
//! come from the toml crate's spanned `DeTable`. The keys a table accepts are read off
//! the type that deserializes it (`serde_aux`'s introspection), never listed by hand.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

use crate::diagnostics::{Diagnostic, Pos, line_col};

/// A TOML text and where it sits in its file.
pub(crate) struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    /// Line of the file on which `text` starts (1-based).
    pub first_line: usize,
    /// How messages name the text: "site.toml", "front matter".
    pub what: &'a str,
}

/// Positions of keys by dotted path (`office.email`, `staff[2].role`), in file
/// coordinates. An array-of-tables item (`staff[2]`) sits at its `[[staff]]` header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyIndex(BTreeMap<String, Pos>);

impl KeyIndex {
    /// Where `key` is written; for a key that is not in the file (a missing key, a
    /// default), where its nearest written parent is; else `fallback`.
    pub(crate) fn pos_or(&self, key: &str, fallback: Pos) -> Pos {
        let mut k = key;
        loop {
            if let Some(p) = self.0.get(k) {
                return *p;
            }
            match k.rfind(['.', '[']) {
                Some(i) => k = &k[..i],
                None => return fallback,
            }
        }
    }

    /// Whether the file writes `key`.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }
}

/// The keys a table accepts, given the table's dotted path without indices (`""` for
/// the top level, `mail.imap`, `staff`): read off the type with [`fields`].
pub(crate) type KnownKeys = fn(&str) -> &'static [&'static str];

/// The field names a struct deserializes (its TOML keys).
pub(crate) fn fields<T: DeserializeOwned>() -> &'static [&'static str] {
    serde_aux::serde_introspection::serde_introspect::<T>()
}

impl Source<'_> {
    /// File position of a byte offset in `text`.
    pub(crate) fn pos(&self, offset: usize) -> Pos {
        let (line, col) = line_col(self.text, offset);
        (line + self.first_line - 1, col)
    }

    fn span_pos(&self, span: Option<Range<usize>>) -> Pos {
        span.map_or((self.first_line, 1), |s| self.pos(s.start))
    }

    /// Parses and deserializes the text. Returns the value built from every top-level
    /// key that deserialized (`None` when the text is not TOML, or a required key is
    /// missing), and the key positions. Problems go to `diags`: when any was pushed, the
    /// value is partial and is only good for finding further problems.
    pub(crate) fn read<T: DeserializeOwned>(
        &self,
        known: KnownKeys,
        diags: &mut Vec<Diagnostic>,
    ) -> (Option<T>, KeyIndex) {
        let (root, errors) = DeTable::parse_recoverable(self.text);
        if !errors.is_empty() {
            for e in errors {
                diags.push(self.syntax_error(&e));
            }
            return (None, KeyIndex::default());
        }
        let mut keys = KeyIndex::default();
        self.index(root.get_ref(), "", &mut keys);

        let mut unknown: BTreeSet<String> = BTreeSet::new();
        let mut pruned: Vec<String> = Vec::new();
        let mut table = root.clone();
        let value = loop {
            let de = toml::de::Deserializer::from(table.clone());
            let result: Result<T, toml::de::Error> = serde_ignored::deserialize(de, |path| {
                unknown.insert(dotted(&path));
            });
            match result {
                Ok(v) => break Some(v),
                Err(e) => {
                    // An error on the whole document (a missing top-level key) has the
                    // document's span; any other lies inside one key's value.
                    let key = e
                        .span()
                        .filter(|s| *s != table.span())
                        .and_then(|s| key_at(table.get_ref(), &s, ""));
                    match (key.as_deref(), missing_field(e.message())) {
                        (None, Some(field)) => {
                            // A key removed below is not missing from the file.
                            if !pruned.iter().any(|p| p == field) {
                                diags.push(self.missing(&keys, None, field));
                            }
                            break None;
                        }
                        (Some(parent), Some(field)) => {
                            diags.push(self.missing(&keys, Some(parent), field));
                        }
                        (_, None) => diags.push(self.bad_value(&e, key.as_deref())),
                    }
                    // Go on without the top-level key that holds the problem, to find
                    // the problems of the others in this same run.
                    let Some(top) = key.as_deref().map(top_level) else {
                        break None;
                    };
                    if pruned.iter().any(|p| p == top) {
                        break None;
                    }
                    table.get_mut().remove(top);
                    pruned.push(top.to_string());
                }
            }
        };
        // A table dropped for a bad value was not read to its end: find its unknown keys
        // by the same lists of known keys.
        for top in &pruned {
            if let Some(v) = root.get_ref().get(top.as_str()) {
                unknown_in(v.get_ref(), top, known, &mut unknown);
            }
        }
        let mut unknown: Vec<Diagnostic> = unknown
            .iter()
            .map(|key| self.unknown_key(&keys, key, known))
            .collect();
        unknown.sort_by_key(|d| (d.line, d.col));
        diags.extend(unknown);
        (value, keys)
    }

    fn syntax_error(&self, e: &toml::de::Error) -> Diagnostic {
        let mut message = e.message().trim().to_string();
        // toml says "duplicate key" without naming it; the span is the key.
        if message.starts_with("duplicate key")
            && let Some(span) = e.span()
            && let Some(key) = self.text.get(span)
            && !key.trim().is_empty()
        {
            message = format!("duplicate key `{}`", key.trim());
        }
        Diagnostic::error(
            self.path,
            self.span_pos(e.span()),
            format!("invalid TOML in {}: {message}", self.what),
            "fix the syntax (strings need quotes, one `key = value` per line, each key once)",
        )
    }

    fn bad_value(&self, e: &toml::de::Error, key: Option<&str>) -> Diagnostic {
        let message = plain_serde_message(e.message());
        let what = match key {
            Some(k) => format!("`{k}` in {}", self.what),
            None => self.what.to_string(),
        };
        Diagnostic::error(
            self.path,
            self.span_pos(e.span()),
            format!("invalid value for {what}: {message}"),
            "write the value in the form the documentation shows (text in quotes, numbers without)",
        )
    }

    fn missing(&self, keys: &KeyIndex, table: Option<&str>, field: &str) -> Diagnostic {
        let full = match table {
            Some(t) => format!("{t}.{field}"),
            None => field.to_string(),
        };
        let place = match table {
            Some(t) => format!("under [{}]", strip_indices(t)),
            None => "at the top of the file".to_string(),
        };
        Diagnostic::error(
            self.path,
            table.map_or((self.first_line, 1), |t| {
                keys.pos_or(t, (self.first_line, 1))
            }),
            format!("`{full}` is missing in {}", self.what),
            format!("add `{field} = …` {place}"),
        )
    }

    fn unknown_key(&self, keys: &KeyIndex, key: &str, known: KnownKeys) -> Diagnostic {
        let (parent, name) = match key.rfind('.') {
            Some(i) => (&key[..i], &key[i + 1..]),
            None => ("", key),
        };
        let candidates = known(&strip_indices(parent));
        let hint = match closest(name, candidates) {
            Some(c) => format!("did you mean `{c}`?"),
            None if candidates.is_empty() => "remove it".to_string(),
            None => format!("remove it; known keys here: {}", candidates.join(", ")),
        };
        Diagnostic::error(
            self.path,
            keys.pos_or(key, (self.first_line, 1)),
            format!("unknown key `{key}` in {}", self.what),
            hint,
        )
    }

    fn index(&self, table: &DeTable<'_>, prefix: &str, keys: &mut KeyIndex) {
        for (key, value) in table {
            let dotted = join(prefix, key.get_ref());
            keys.0
                .entry(dotted.clone())
                .or_insert(self.pos(key.span().start));
            match value.get_ref() {
                DeValue::Table(t) => self.index(t, &dotted, keys),
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let DeValue::Table(t) = item.get_ref() {
                            let p = format!("{dotted}[{i}]");
                            keys.0.insert(p.clone(), self.pos(item.span().start));
                            self.index(t, &p, keys);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Keys under `value` (the value of key `path`) that the type of their table does not
/// know. Only tables with known keys are looked into.
fn unknown_in(value: &DeValue<'_>, path: &str, known: KnownKeys, out: &mut BTreeSet<String>) {
    match value {
        DeValue::Table(t) => {
            let keys = known(&strip_indices(path));
            if keys.is_empty() {
                return;
            }
            for (k, v) in t {
                let here = join(path, k.get_ref());
                if keys.contains(&k.get_ref().as_ref()) {
                    unknown_in(v.get_ref(), &here, known, out);
                } else {
                    out.insert(here);
                }
            }
        }
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                unknown_in(item.get_ref(), &format!("{path}[{i}]"), known, out);
            }
        }
        _ => {}
    }
}

/// `mail.imap.port` → `mail`, `staff[2].role` → `staff`.
fn top_level(key: &str) -> &str {
    key.split(['.', '[']).next().unwrap_or(key)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `staff[2].role` → `staff.role`: the table path that [`KnownKeys`] is asked about.
fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The dotted path of the key an error span points at: the leaf value that holds it, or
/// the table whose span it is (a missing key). Header tables (`[mail]`) span only their
/// header, so every table is searched whatever its span.
fn key_at(table: &DeTable<'_>, span: &Range<usize>, prefix: &str) -> Option<String> {
    for (key, value) in table {
        let here = join(prefix, key.get_ref());
        if value.span() == *span || key.span().contains(&span.start) {
            return Some(here);
        }
        let found = match value.get_ref() {
            DeValue::Table(t) => key_at(t, span, &here),
            DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
                let p = format!("{here}[{i}]");
                match item.get_ref() {
                    _ if item.span() == *span => Some(p),
                    DeValue::Table(t) => key_at(t, span, &p),
                    _ if item.span().contains(&span.start) => Some(here.clone()),
                    _ => None,
                }
            }),
            _ if value.span().contains(&span.start) => Some(here),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// `missing field `tag`` → `tag`.
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// serde's wording in plain words: "invalid type: integer `5`, expected a string" →
/// "found the number 5 where text in quotes belongs"; no Rust type names.
fn plain_serde_message(message: &str) -> String {
    let m = message.trim();
    if m.contains("did not match any variant of untagged enum DateValue") {
        return "expected a date written YYYY-MM-DD".to_string();
    }
    let expected = |e: &str| -> String {
        let e = e.trim();
        for (from, to) in [
            ("u8", "a whole number from 0 to 255"),
            ("u16", "a whole number from 0 to 65535"),
            ("u32", "a whole number (0 or more)"),
            ("u64", "a whole number (0 or more)"),
            ("usize", "a whole number (0 or more)"),
            ("i32", "a whole number"),
            ("i64", "a whole number"),
            ("a string", "text in quotes"),
            ("a borrowed string", "text in quotes"),
            ("a boolean", "true or false"),
            ("a sequence", "a list in [brackets]"),
            ("a map", "a table of keys"),
        ] {
            if e == from {
                return to.to_string();
            }
        }
        e.strip_prefix("struct ")
            .map_or_else(|| e.to_string(), |_| "a table of keys".to_string())
    };
    let found = |f: &str| -> String {
        let f = f.trim();
        let quoted = |p: &str| f.strip_prefix(p).map(|r| r.trim().trim_matches('`'));
        if let Some(n) = quoted("integer").or_else(|| quoted("floating point")) {
            format!("the number {n}")
        } else if let Some(t) = f.strip_prefix("string ") {
            format!("the text {t}")
        } else if let Some(b) = quoted("boolean") {
            b.to_string()
        } else if f == "sequence" {
            "a list".to_string()
        } else if f == "map" {
            "a table".to_string()
        } else {
            f.to_string()
        }
    };
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = m.strip_prefix(prefix)
            && let Some((what, exp)) = rest.split_once(", expected ")
        {
            return format!("found {}, expected {}", found(what), expected(exp));
        }
    }
    m.to_string()
}

/// The known key nearest to a misspelt one, when it is near enough to be meant.
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(name, c), *c))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A serde_ignored path as a dotted key: `mail.imap.tagg`, `staff[2].rol`.
fn dotted(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", dotted(parent)),
        P::Map { parent, key } => join(&dotted(parent), key),
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            dotted(parent)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        #[serde(default)]
        a: Option<i64>,
        #[serde(default)]
        t: Option<Inner>,
        #[serde(default)]
        u: Option<Inner>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        x: i64,
    }

    fn known(table: &str) -> &'static [&'static str] {
        match table {
            "" => fields::<Doc>(),
            "t" | "u" => fields::<Inner>(),
            _ => &[],
        }
    }

    fn read(text: &str) -> (Option<Doc>, Vec<Diagnostic>) {
        let src = Source {
            path: Path::new("f.toml"),
            text,
            first_line: 10,
            what: "f.toml",
        };
        let mut diags = Vec::new();
        let (doc, _) = src.read::<Doc>(known, &mut diags);
        (doc, diags)
    }

    #[test]
    fn every_unknown_key_with_its_line_and_a_suggestion() {
        let (doc, diags) = read("a = 1\nb = 2\n[t]\nx = 1\ny = 2\nxx = 3\n");
        assert!(doc.is_some());
        let got: Vec<(usize, &str, &str)> = diags
            .iter()
            .map(|d| (d.line, d.message.as_str(), d.hint.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    11,
                    "unknown key `b` in f.toml",
                    "remove it; known keys here: a, t, u"
                ),
                (
                    14,
                    "unknown key `t.y` in f.toml",
                    "remove it; known keys here: x"
                ),
                (15, "unknown key `t.xx` in f.toml", "did you mean `x`?"),
            ]
        );
    }

    #[test]
    fn one_bad_value_per_top_level_key() {
        let (_, diags) = read("a = \"one\"\n[t]\nx = \"two\"\n[u]\nx = 3\n");
        let got: Vec<(usize, String)> = diags.iter().map(|d| (d.line, d.message.clone())).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].0, 10);
        assert!(got[0].1.contains("`a`"), "{got:?}");
        assert_eq!(got[1].0, 12);
        assert!(got[1].1.contains("`t.x`"), "{got:?}");
    }

    #[test]
    fn a_table_with_a_bad_value_still_has_its_unknown_keys_found() {
        let (_, diags) = read("[t]\nx = \"two\"\ny = 1\n");
        let got: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].contains("`t.x`"), "{got:?}");
        assert_eq!(got[1], "unknown key `t.y` in f.toml");
    }

    #[test]
    fn a_missing_key_names_its_table() {
        let (_, diags) = read("[t]\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].message, "`t.x` is missing in f.toml");
        assert_eq!(diags[0].line, 10);
    }

    #[test]
    fn syntax_errors_name_their_line_and_a_duplicate_its_key() {
        let (doc, diags) = read("a = 1\na = 2\n");
        assert!(doc.is_none());
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].line, 11);
        assert!(
            diags[0].message.contains("duplicate key `a`"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn index_knows_tables_and_array_items() {
        let src = Source {
            path: Path::new("f.toml"),
            text: "[[s]]\nk = 1\n\n[[s]]\nk = 2\n",
            first_line: 1,
            what: "f",
        };
        let mut keys = KeyIndex::default();
        let (root, _) = DeTable::parse_recoverable(src.text);
        src.index(root.get_ref(), "", &mut keys);
        assert_eq!(keys.pos_or("s[1].k", (0, 0)), (5, 1));
        assert_eq!(keys.pos_or("s[1].missing", (0, 0)).0, 4);
        assert_eq!(keys.pos_or("nothing", (9, 9)), (9, 9));
    }
}
