//! Problems found in a site's sources, each tied to a file position.
//!
//! Every stage collects diagnostics instead of stopping at the first problem, so
//! one run of `loket check` reports everything that is wrong.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors fail a build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A position in a file: 1-based line and column (in characters).
pub type Pos = (usize, usize);

/// One problem at a position in a source file (line and column are 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub severity: Severity,
    pub message: String,
    pub hint: String,
}

impl Diagnostic {
    pub fn error(
        path: impl Into<PathBuf>,
        (line, col): Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Diagnostic {
            path: path.into(),
            line,
            col,
            severity: Severity::Error,
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn warning(
        path: impl Into<PathBuf>,
        pos: Pos,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, pos, message, hint)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.col,
            self.message
        )?;
        if !self.hint.is_empty() {
            write!(f, " — {}", self.hint)?;
        }
        Ok(())
    }
}

/// A list of problems; as an error it means "at least one of these is an error".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.0.len() - self.error_count()
    }

    /// Orders by file, then position, so output does not depend on thread scheduling.
    pub fn sort(&mut self) {
        // Stable: problems at one position keep the order they were found in.
        self.0
            .sort_by(|a, b| (&a.path, a.line, a.col).cmp(&(&b.path, b.line, b.col)));
        self.0.dedup();
    }

    /// `Ok(())` when nothing here is an error (warnings are kept by the caller).
    pub fn into_result(self) -> Result<(), Diagnostics> {
        if self.has_errors() { Err(self) } else { Ok(()) }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Where each line of a text starts, built once per file so that finding the position of
/// every link, heading and key costs a binary search instead of a count from the top.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of each line; the first is 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters) of a byte offset, as [`line_col`].
    pub fn pos(&self, offset: usize) -> Pos {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`. For many
/// positions in one text, build a [`LineIndex`] instead.
pub fn line_col(text: &str, offset: usize) -> Pos {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Reads a text file. A file that is not UTF-8 is an error at the first byte that is
/// not, with its byte offset, line and column (text saved as Windows-1252 or Latin-1 is
/// the usual cause).
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or("");
        let (line, col) = line_col(valid, valid.len());
        Diagnostic::error(
            path,
            (line, col),
            format!(
                "the file is not UTF-8 text: byte {at} (0x{:02X}, line {line}, column {col}) is not UTF-8",
                bytes.get(at).copied().unwrap_or(0)
            ),
            "save the file as UTF-8 (in most editors: Save As, Encoding: UTF-8); letters such as é typed in another encoding are the usual cause",
        )
    })
}

/// A diagnostic for a file that could not be read.
pub fn io_error(path: &Path, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        path,
        (1, 1),
        format!("cannot read file: {err}"),
        "check that the file exists and is readable",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn display_is_path_line_col_message_hint() {
        let d = Diagnostic::error("site.toml", (3, 5), "unknown key `foo`", "remove it");
        assert_eq!(
            d.to_string(),
            "site.toml:3:5: unknown key `foo` — remove it"
        );
    }

    #[test]
    fn line_col_counts_lines_and_chars() {
        let text = "a\nbé\ncd";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 2), (2, 1));
        assert_eq!(line_col(text, 6), (3, 1));
        assert_eq!(line_col(text, 5), (2, 3));
        assert_eq!(line_col(text, 4), (2, 2));
    }

    #[test]
    fn line_index_agrees_with_line_col() {
        let text = "a\nbé\n\ncd\n";
        let idx = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            assert_eq!(idx.pos(offset), line_col(text, offset), "offset {offset}");
        }
        assert_eq!(LineIndex::new("").pos(0), (1, 1));
    }

    #[test]
    fn non_utf8_is_located() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.md");
        std::fs::write(&path, b"+++\ntitle = \"Caf\xe9\"\n+++\n").expect("write");
        let d = read_text(&path).expect_err("not UTF-8");
        assert_eq!((d.line, d.col), (2, 13));
        assert!(
            d.message.contains("byte 16 (0xE9, line 2, column 13)"),
            "{d}"
        );
        assert!(!d.hint.contains("exists"), "{d}");
    }

    #[test]
    fn warnings_alone_are_not_errors() {
        let ds: Diagnostics = vec![Diagnostic::warning("a", (1, 1), "w", "")]
            .into_iter()
            .collect();
        assert!(!ds.has_errors());
        assert!(ds.into_result().is_ok());
    }
}
