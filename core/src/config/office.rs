//! The office: its identity on every page, its complaint channels, its opening hours.

use std::path::PathBuf;

use chrono::{FixedOffset, NaiveTime, Weekday};
use serde::Serialize;

use super::raw::{RawComplaint, RawOffice, RawOfficeHours};
use super::{Checker, is_http_url, valid_address};
use crate::text;

/// The office's identity, as printed in every page header and mail signature.
#[derive(Debug, Clone, Serialize)]
pub struct Office {
    pub name: String,
    pub short_name: String,
    /// Office class, e.g. "A1".
    #[serde(rename = "type")]
    pub kind: String,
    pub address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
    pub phone: String,
    pub website: String,
    pub email: String,
    /// Organisational path from the ministry down to this office.
    pub hierarchy: Vec<String>,
}

/// One way to file a complaint, suggestion or feedback.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComplaintChannel {
    pub name: String,
    pub description: String,
    pub url: Option<String>,
}

/// Opening hours on working days, in the office's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHours {
    /// Open weekdays, Monday first, each once.
    pub days: Vec<Weekday>,
    pub open: NaiveTime,
    pub close: NaiveTime,
    /// Local time minus UTC (Indonesia has no daylight saving).
    pub utc_offset: FixedOffset,
    /// National holidays and cuti bersama (`data/hari-libur.toml`), resolved against the
    /// site root. The daemon needs it; the site does not.
    pub holidays: Option<PathBuf>,
}

impl Office {
    pub(super) fn from_raw(r: RawOffice, c: &mut Checker<'_>) -> Office {
        for (key, value) in [
            ("office.name", &r.name),
            ("office.short_name", &r.short_name),
            ("office.address", &r.address),
            ("office.phone", &r.phone),
        ] {
            if value.trim().is_empty() {
                c.error(key, format!("`{key}` is empty"), "give it a value");
            }
        }
        if !is_http_url(&r.website) {
            c.error(
                "office.website",
                format!("`office.website` is not an http(s) URL: {:?}", r.website),
                "write the office's web address starting with https://",
            );
        }
        if !valid_address(&r.email) {
            c.error(
                "office.email",
                format!("`office.email` is not an email address: {:?}", r.email),
                "write it as name@domain",
            );
        }
        Office {
            name: r.name,
            short_name: r.short_name,
            kind: r.kind,
            address: r.address,
            locality: r.locality,
            region: r.region,
            postal_code: r.postal_code,
            phone: r.phone,
            website: r.website,
            email: r.email,
            hierarchy: r.hierarchy,
        }
    }

    /// `tel:` URI in international form (Indonesian numbers: leading 0 → +62).
    pub fn tel_uri(&self) -> String {
        let digits: String = self.phone.chars().filter(char::is_ascii_digit).collect();
        match digits.strip_prefix('0') {
            Some(rest) if !self.phone.trim_start().starts_with('+') => format!("tel:+62{rest}"),
            _ => format!("tel:+{digits}"),
        }
    }
}

impl ComplaintChannel {
    pub(super) fn from_raw(i: usize, r: RawComplaint, c: &mut Checker<'_>) -> ComplaintChannel {
        if let Some(url) = &r.url
            && !is_http_url(url)
        {
            c.error(
                &format!("complaints[{i}].url"),
                format!(
                    "complaint channel {:?} has a URL that is not http(s)",
                    r.name
                ),
                "write the full address starting with https://, or remove `url`",
            );
        }
        ComplaintChannel {
            name: r.name,
            description: r.description,
            url: r.url,
        }
    }
}

impl OfficeHours {
    pub(super) fn from_raw(r: RawOfficeHours, c: &mut Checker<'_>) -> Option<OfficeHours> {
        let mut days = Vec::new();
        for d in &r.days {
            match text::parse_weekday(d) {
                Some(day) if !days.contains(&day) => days.push(day),
                Some(_) => {}
                None => c.error(
                    "office_hours.days",
                    format!("unknown day {d:?} in `office_hours.days`"),
                    "use mon, tue, wed, thu, fri, sat, sun (or sen, sel, rab, kam, jum, sab, min)",
                ),
            }
        }
        if r.days.is_empty() {
            c.error(
                "office_hours.days",
                "`office_hours.days` lists no day: deadlines could never fall",
                "list the working days, e.g. days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]",
            );
        }
        days.sort_by_key(Weekday::num_days_from_monday);
        let open = c.time("office_hours.open", &r.open);
        let close = c.time("office_hours.close", &r.close);
        if let (Some(o), Some(cl)) = (open, close)
            && o >= cl
        {
            c.error(
                "office_hours.close",
                "`office_hours.close` must be later than `office_hours.open`",
                "write the closing time of the same day, e.g. \"16:00\"",
            );
        }
        let offset = parse_offset(&r.utc_offset);
        if offset.is_none() {
            c.error(
                "office_hours.utc_offset",
                format!(
                    "`office_hours.utc_offset` is not a UTC offset: {:?}",
                    r.utc_offset
                ),
                "write it like \"+08:00\" (WITA); WIB is \"+07:00\", WIT \"+09:00\"",
            );
        }
        let holidays = r.holidays.map(|h| {
            let path = c.root.join(&h);
            if !path.is_file() {
                c.error(
                    "office_hours.holidays",
                    format!("`office_hours.holidays`: {} does not exist", path.display()),
                    "ship the holiday list (see data/hari-libur.toml) or fix the path",
                );
            }
            path
        });
        Some(OfficeHours {
            days,
            open: open?,
            close: close?,
            utc_offset: offset?,
            holidays,
        })
    }

    /// Indonesian label, e.g. "Senin–Jumat, 08.00–16.00 WITA".
    pub fn label_id(&self) -> String {
        self.label(text::weekday_id)
    }

    /// English label, e.g. "Monday–Friday, 08.00–16.00 WITA" (the zone keeps its
    /// Indonesian name, as on the office's signs).
    pub fn label_en(&self) -> String {
        self.label(text::weekday_en)
    }

    fn label(&self, day_name: fn(Weekday) -> &'static str) -> String {
        let idx: Vec<u32> = self
            .days
            .iter()
            .map(Weekday::num_days_from_monday)
            .collect();
        let contiguous = idx.windows(2).all(|w| w[1] == w[0] + 1);
        let days = match (self.days.first(), self.days.last()) {
            (Some(first), Some(last)) if contiguous && self.days.len() > 2 => {
                format!("{}–{}", day_name(*first), day_name(*last))
            }
            _ => self
                .days
                .iter()
                .map(|d| day_name(*d))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let time = format!(
            "{}–{} {}",
            self.open.format("%H.%M"),
            self.close.format("%H.%M"),
            text::zone_id(self.utc_offset)
        );
        if days.is_empty() {
            time
        } else {
            format!("{days}, {time}")
        }
    }

    /// schema.org day names (`Monday` …) of the open days.
    pub fn schema_days(&self) -> Vec<&'static str> {
        self.days.iter().map(|d| text::weekday_en(*d)).collect()
    }
}

/// `+HH:MM` / `-HH:MM` (WIB `+07:00`, WITA `+08:00`, WIT `+09:00`).
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let t = s.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn hours_label_lists_scattered_days() {
        let h = OfficeHours {
            days: vec![Weekday::Mon, Weekday::Wed],
            open: t(7, 30),
            close: t(15, 0),
            utc_offset: parse_offset("+07:00").unwrap(),
            holidays: None,
        };
        assert_eq!(h.label_id(), "Senin, Rabu, 07.30–15.00 WIB");
        assert_eq!(h.label_en(), "Monday, Wednesday, 07.30–15.00 WIB");
        assert_eq!(h.schema_days(), vec!["Monday", "Wednesday"]);
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+08:00").unwrap().local_minus_utc(), 8 * 3600);
        assert_eq!(
            parse_offset("-03:30").unwrap().local_minus_utc(),
            -(3 * 3600 + 1800)
        );
        for bad in ["08:00", "+8:00", "+08", "+15:00", "+08:60", ""] {
            assert!(parse_offset(bad).is_none(), "{bad}");
        }
    }
}
