//! Service deadlines: office minutes (the completion clock) or working days.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A deadline written in front matter as "20m", "1h", "3 working days" or "3 hari kerja".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term {
    /// Minutes counted inside office hours.
    OfficeMinutes(u32),
    /// Days counted on working days (weekends and holidays excluded).
    WorkingDays(u32),
}

/// Why a deadline could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read deadline {input:?}: write e.g. \"20m\", \"1h\", \"3 working days\" or \"3 hari kerja\""
)]
pub struct TermError {
    pub input: String,
}

impl FromStr for Term {
    type Err = TermError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TermError {
            input: s.to_string(),
        };
        let t = s.trim().to_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u32 = num.parse().map_err(|_| err())?;
        if n == 0 {
            return Err(err());
        }
        let unit = unit.split_whitespace().collect::<Vec<_>>().join(" ");
        match unit.as_str() {
            "m" | "min" | "mins" | "minute" | "minutes" | "menit" => Ok(Term::OfficeMinutes(n)),
            "h" | "hour" | "hours" | "jam" => {
                n.checked_mul(60).map(Term::OfficeMinutes).ok_or_else(err)
            }
            "working day" | "working days" | "working-day" | "working-days" | "hari kerja" => {
                Ok(Term::WorkingDays(n))
            }
            _ => Err(err()),
        }
    }
}

impl Term {
    /// Indonesian label: "20 menit", "1 jam", "3 hari kerja".
    pub fn label_id(&self) -> String {
        match *self {
            Term::OfficeMinutes(m) if m % 60 == 0 => format!("{} jam", m / 60),
            Term::OfficeMinutes(m) => format!("{m} menit"),
            Term::WorkingDays(d) => format!("{d} hari kerja"),
        }
    }

    /// English label: "20 minutes", "1 hour", "3 working days".
    pub fn label_en(&self) -> String {
        let plural =
            |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        match *self {
            Term::OfficeMinutes(m) if m % 60 == 0 => plural(m / 60, "hour", "hours"),
            Term::OfficeMinutes(m) => plural(m, "minute", "minutes"),
            Term::WorkingDays(d) => plural(d, "working day", "working days"),
        }
    }

    /// ISO 8601 duration for schema.org (working days approximated as days).
    pub fn iso8601(&self) -> String {
        match *self {
            Term::OfficeMinutes(m) => format!("PT{m}M"),
            Term::WorkingDays(d) => format!("P{d}D"),
        }
    }
}

impl fmt::Display for Term {
    /// The canonical front-matter form, which parses back to the same term.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Term::OfficeMinutes(m) => write!(f, "{m}m"),
            Term::WorkingDays(1) => write!(f, "1 working day"),
            Term::WorkingDays(d) => write!(f, "{d} working days"),
        }
    }
}

impl Serialize for Term {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Term {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_the_written_forms() {
        assert_eq!("20m".parse(), Ok(Term::OfficeMinutes(20)));
        assert_eq!("1h".parse(), Ok(Term::OfficeMinutes(60)));
        assert_eq!("20 menit".parse(), Ok(Term::OfficeMinutes(20)));
        assert_eq!("3 working days".parse(), Ok(Term::WorkingDays(3)));
        assert_eq!("3 hari kerja".parse(), Ok(Term::WorkingDays(3)));
        assert_eq!("1 Working Day".parse(), Ok(Term::WorkingDays(1)));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in [
            "",
            "m",
            "0m",
            "20",
            "3 days",
            "twenty minutes",
            "-1h",
            "99999999999h",
        ] {
            assert!(bad.parse::<Term>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn labels_and_round_trip() {
        assert_eq!(Term::OfficeMinutes(20).label_id(), "20 menit");
        assert_eq!(Term::OfficeMinutes(60).label_id(), "1 jam");
        assert_eq!(Term::WorkingDays(3).label_id(), "3 hari kerja");
        assert_eq!(Term::WorkingDays(1).label_en(), "1 working day");
        assert_eq!(Term::OfficeMinutes(20).iso8601(), "PT20M");
        for t in [
            Term::OfficeMinutes(90),
            Term::WorkingDays(1),
            Term::WorkingDays(3),
        ] {
            assert_eq!(t.to_string().parse(), Ok(t));
        }
    }
}
