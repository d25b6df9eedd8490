//! Office hours and working days ("hari kerja") for the service clocks.
//!
//! All instants are `DateTime<Utc>`; the office's local time is a fixed UTC offset
//! (Indonesia has no daylight saving), so every local time maps to exactly one instant.
//! Office hours are the half-open interval `[open, close)` on working days; a working
//! day is a listed weekday that is neither a national holiday nor cuti bersama.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{
    DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc,
    Weekday,
};
use serde::Deserialize;
use toml::Spanned;

/// What can be wrong with the office calendar or its holiday file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CalendarError {
    #[error("{file}:{line}: holiday file is not valid TOML: {message}")]
    HolidayToml {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{file}:{line}: `{value}` is not a date; write it as \"YYYY-MM-DD\"")]
    BadHolidayDate {
        file: PathBuf,
        line: usize,
        value: String,
    },
    #[error("{file}:{line}: date {date} is listed under tahun = {tahun}; move it to its year")]
    HolidayWrongYear {
        file: PathBuf,
        line: usize,
        date: NaiveDate,
        tahun: i32,
    },
    #[error("office hours list no working weekday")]
    NoWorkingDays,
    #[error("office opens at {open} but closes at {close}; the opening time must come first")]
    OpenNotBeforeClose { open: NaiveTime, close: NaiveTime },
}

/// Bounds on clock spans (about 80 years of office time / 40 years of working days), so a
/// corrupt value cannot overflow chrono or loop for ages.
const MAX_MINUTES: i64 = 10_000_000;
const MAX_WORKING_DAYS: u32 = 10_000;

/// Days off on top of weekends: national holidays and cuti bersama alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Holidays {
    dates: BTreeSet<NaiveDate>,
    /// The years the file has a `[[libur]]` block for.
    years: BTreeSet<i32>,
}

impl Holidays {
    pub(crate) fn contains(&self, date: NaiveDate) -> bool {
        self.dates.contains(&date)
    }

    /// When the file's last year is near its end (from 1 November) or past, or the
    /// file lists no year: what an admin must be told. Mail is never refused for it;
    /// deadlines past the last listed year count weekends only.
    pub(crate) fn coverage_warning(&self, today: NaiveDate) -> Option<String> {
        let Some(&last) = self.years.last() else {
            return Some(
                "the holiday file lists no year: working-day deadlines count no holidays"
                    .to_string(),
            );
        };
        let next = last + 1;
        if today.year() > last {
            Some(format!(
                "the holiday file ends with {last}: deadlines in {} count no holidays; add [[libur]] tahun = {next} onward from the SKB",
                today.year()
            ))
        } else if today >= NaiveDate::from_ymd_opt(last, 11, 1)? {
            Some(format!(
                "the holiday file ends with {last}: add [[libur]] tahun = {next} from the SKB before 1 January {next}, or deadlines from then on count no holidays"
            ))
        } else {
            None
        }
    }
}

#[derive(Deserialize)]
struct HolidayFile {
    #[serde(default)]
    libur: Vec<YearBlock>,
}

#[derive(Deserialize)]
struct YearBlock {
    tahun: i32,
    #[serde(default)]
    nasional: Vec<Spanned<String>>,
    #[serde(default)]
    cuti_bersama: Vec<Spanned<String>>,
}

/// Parses the holiday file format (`[[libur]] tahun, nasional = [...], cuti_bersama = [...]`).
/// `file` only names the source in errors; reading the file is the caller's job.
pub(crate) fn parse_holidays(file: &Path, text: &str) -> Result<Holidays, CalendarError> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let parsed: HolidayFile = toml::from_str(text).map_err(|e| CalendarError::HolidayToml {
        file: file.to_path_buf(),
        line: e.span().map_or(1, |s| line_of(s.start)),
        message: e.message().to_string(),
    })?;
    let mut holidays = Holidays::default();
    for block in &parsed.libur {
        holidays.years.insert(block.tahun);
        for entry in block.nasional.iter().chain(&block.cuti_bersama) {
            let line = line_of(entry.span().start);
            let value = entry.get_ref().trim();
            let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
                CalendarError::BadHolidayDate {
                    file: file.to_path_buf(),
                    line,
                    value: value.to_string(),
                }
            })?;
            if date.year() != block.tahun {
                return Err(CalendarError::HolidayWrongYear {
                    file: file.to_path_buf(),
                    line,
                    date,
                    tahun: block.tahun,
                });
            }
            holidays.dates.insert(date);
        }
    }
    Ok(holidays)
}

/// The office's working week, hours, time zone and days off.
#[derive(Debug, Clone)]
pub struct OfficeCalendar {
    days: [bool; 7],
    open: NaiveTime,
    close: NaiveTime,
    offset: FixedOffset,
    holidays: Holidays,
}

impl OfficeCalendar {
    pub(crate) fn new(
        days: impl IntoIterator<Item = Weekday>,
        open: NaiveTime,
        close: NaiveTime,
        utc_offset: FixedOffset,
        holidays: Holidays,
    ) -> Result<Self, CalendarError> {
        let mut set = [false; 7];
        for d in days {
            set[d.num_days_from_monday() as usize] = true;
        }
        if !set.iter().any(|&d| d) {
            return Err(CalendarError::NoWorkingDays);
        }
        if open >= close {
            return Err(CalendarError::OpenNotBeforeClose { open, close });
        }
        Ok(Self {
            days: set,
            open,
            close,
            offset: utc_offset,
            holidays,
        })
    }

    /// See [`Holidays::coverage_warning`].
    pub(crate) fn holiday_warning(&self, today: NaiveDate) -> Option<String> {
        self.holidays.coverage_warning(today)
    }

    pub fn utc_offset(&self) -> FixedOffset {
        self.offset
    }

    /// A listed weekday that is not a holiday or cuti bersama.
    pub(crate) fn is_working_day(&self, date: NaiveDate) -> bool {
        self.days[date.weekday().num_days_from_monday() as usize] && !self.holidays.contains(date)
    }

    /// The office's local calendar date at `instant`.
    pub fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        self.local(instant).date()
    }

    /// The instant of local `time` on local `date`.
    pub fn at_local(&self, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
        self.to_utc(date.and_time(time))
    }

    /// Whether the office is open at `instant` (closing time itself is closed).
    pub fn is_open(&self, instant: DateTime<Utc>) -> bool {
        let t = self.local(instant);
        self.is_working_day(t.date()) && t.time() >= self.open && t.time() < self.close
    }

    /// `instant` itself when the office is open, otherwise the next opening time.
    pub fn next_open(&self, instant: DateTime<Utc>) -> DateTime<Utc> {
        self.add_office_minutes(instant, 0)
    }

    /// The instant `minutes` office minutes after `start`. Time outside office hours does
    /// not count: 20 minutes from 22:00 on a Friday end at 08:20 on Monday. Zero (or a
    /// negative number) gives the next moment the office is open, `start` itself when open.
    pub(crate) fn add_office_minutes(&self, start: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        let mut remaining = TimeDelta::minutes(minutes.clamp(0, MAX_MINUTES));
        let mut t = self.local(start);
        loop {
            let date = t.date();
            if self.is_working_day(date) {
                let open = date.and_time(self.open);
                let close = date.and_time(self.close);
                if t < open {
                    t = open;
                }
                if t < close {
                    let available = close - t;
                    if remaining <= available {
                        return self.to_utc(t + remaining);
                    }
                    remaining -= available;
                }
            }
            t = next_midnight(date);
        }
    }

    /// Office minutes (whole, rounded down) between `a` and `b`; 0 when `b` is not after
    /// `a`. A paused clock's remaining time is its total minus this for the time it ran.
    pub(crate) fn office_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b <= a {
            return 0;
        }
        let (a, b) = (self.local(a), self.local(b));
        let mut total = TimeDelta::zero();
        let mut date = a.date();
        while date <= b.date() {
            if self.is_working_day(date) {
                let from = a.max(date.and_time(self.open));
                let to = b.min(date.and_time(self.close));
                if to > from {
                    total += to - from;
                }
            }
            match date.checked_add_days(Days::new(1)) {
                Some(next) => date = next,
                None => break,
            }
        }
        total.num_minutes()
    }

    /// The deadline `n` working days after `start`: closing time of the `n`th working day
    /// after the local date of `start`. The day of `start` itself never counts, whatever
    /// the hour (the standard: "paling lambat 3 hari kerja setelah konsultasi"), so a
    /// question at 10:00 on Tuesday with 3 days is due at closing time on Friday of a
    /// normal week. `n = 0` gives closing time of the same day, or of the next working
    /// day when `start` falls on a day off.
    pub(crate) fn add_working_days(&self, start: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut date = self.local_date(start);
        let mut left = n.min(MAX_WORKING_DAYS);
        if n == 0 {
            while !self.is_working_day(date) {
                date = next_day(date);
            }
        }
        while left > 0 {
            date = next_day(date);
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        self.at_local(date, self.close)
    }

    fn local(&self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.offset).naive_local()
    }

    fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let utc = local - TimeDelta::seconds(i64::from(self.offset.local_minus_utc()));
        utc.and_utc()
    }
}

fn next_day(date: NaiveDate) -> NaiveDate {
    // Saturating at chrono's maximum date (year 262142) instead of panicking.
    date.checked_add_days(Days::new(1)).unwrap_or(date)
}

fn next_midnight(date: NaiveDate) -> NaiveDateTime {
    next_day(date).and_time(NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const HOLIDAY_FILE: &str = include_str!("../../tests/fixtures/hari-libur.toml");

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn wita_offset() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).expect("offset")
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid test time")
    }

    fn office() -> OfficeCalendar {
        let holidays =
            parse_holidays(Path::new("hari-libur.toml"), HOLIDAY_FILE).expect("shipped file");
        OfficeCalendar::new(
            [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ],
            hm(8, 0),
            hm(16, 0),
            wita_offset(),
            holidays,
        )
        .expect("valid calendar")
    }

    /// An instant given in WITA local time.
    fn wita(cal: &OfficeCalendar, date: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
        cal.at_local(date, hm(h, m))
    }

    #[test]
    fn shipped_holiday_file_parses() {
        let h = parse_holidays(Path::new("x"), HOLIDAY_FILE).expect("parses");
        assert_eq!(h.dates.len(), 17 + 8 + 18 + 8);
        assert!(h.contains(d(2026, 3, 18)));
        assert!(h.contains(d(2026, 3, 19)));
        assert!(!h.contains(d(2026, 3, 17)));
    }

    #[test]
    fn holiday_file_end_is_warned_from_november_of_its_last_year() {
        let h = parse_holidays(
            Path::new("h.toml"),
            "[[libur]]\ntahun = 2026\nnasional = [\"2026-01-01\"]\n[[libur]]\ntahun = 2027\n",
        )
        .unwrap();
        assert_eq!(h.coverage_warning(d(2027, 10, 31)), None);
        assert_eq!(h.coverage_warning(d(2026, 12, 1)), None);
        let nov = h.coverage_warning(d(2027, 11, 1)).unwrap();
        assert!(
            nov.contains("ends with 2027") && nov.contains("tahun = 2028"),
            "{nov}"
        );
        let past = h.coverage_warning(d(2028, 3, 1)).unwrap();
        assert!(
            past.contains("deadlines in 2028 count no holidays"),
            "{past}"
        );
        let empty = parse_holidays(Path::new("h.toml"), "").unwrap();
        assert!(empty.coverage_warning(d(2026, 1, 1)).is_some());
    }

    #[test]
    fn bad_date_names_file_line_and_value() {
        let text =
            "[[libur]]\ntahun = 2026\nnasional = [\n  \"2026-01-01\",\n  \"2026-02-30\",\n]\n";
        let err = parse_holidays(Path::new("data/hari-libur.toml"), text).unwrap_err();
        assert_eq!(
            err,
            CalendarError::BadHolidayDate {
                file: PathBuf::from("data/hari-libur.toml"),
                line: 5,
                value: "2026-02-30".into()
            }
        );
        let msg = err.to_string();
        assert!(
            msg.contains("data/hari-libur.toml:5") && msg.contains("2026-02-30"),
            "{msg}"
        );
    }

    #[test]
    fn date_in_wrong_year_block_is_an_error() {
        let text = "[[libur]]\ntahun = 2026\ncuti_bersama = [\"2027-01-02\"]\n";
        let err = parse_holidays(Path::new("f.toml"), text).unwrap_err();
        assert!(matches!(
            err,
            CalendarError::HolidayWrongYear {
                line: 3,
                tahun: 2026,
                ..
            }
        ));
    }

    #[test]
    fn invalid_toml_names_the_line() {
        let text = "[[libur]]\ntahun = 2026\nnasional = [\"2026-01-01\"\n\n";
        let err = parse_holidays(Path::new("f.toml"), text).unwrap_err();
        assert!(
            matches!(err, CalendarError::HolidayToml { line, .. } if line >= 3),
            "{err:?}"
        );
    }

    #[test]
    fn calendar_rejects_bad_parts() {
        let off = wita_offset();
        let none: [Weekday; 0] = [];
        assert_eq!(
            OfficeCalendar::new(none, hm(8, 0), hm(16, 0), off, Holidays::default()).unwrap_err(),
            CalendarError::NoWorkingDays
        );
        assert!(matches!(
            OfficeCalendar::new(
                [Weekday::Mon],
                hm(16, 0),
                hm(8, 0),
                off,
                Holidays::default()
            ),
            Err(CalendarError::OpenNotBeforeClose { .. })
        ));
    }

    #[test]
    fn idulfitri_2026_three_working_days() {
        let cal = office();
        let asked = wita(&cal, d(2026, 3, 17), 10, 0);
        assert_eq!(
            cal.add_working_days(asked, 3),
            wita(&cal, d(2026, 3, 27), 16, 0)
        );
        assert_eq!(
            cal.add_working_days(asked, 1),
            wita(&cal, d(2026, 3, 25), 16, 0)
        );
        for day in 18..=24 {
            assert!(!cal.is_working_day(d(2026, 3, day)), "March {day}");
        }
        assert!(cal.is_working_day(d(2026, 3, 17)));
    }

    #[test]
    fn working_days_zero_and_from_day_off() {
        let cal = office();
        // Saturday 7 March 2026: n = 0 lands on Monday's closing time, n = 1 as well.
        let sat = wita(&cal, d(2026, 3, 7), 11, 0);
        assert_eq!(
            cal.add_working_days(sat, 0),
            wita(&cal, d(2026, 3, 9), 16, 0)
        );
        assert_eq!(
            cal.add_working_days(sat, 1),
            wita(&cal, d(2026, 3, 9), 16, 0)
        );
        let tue = wita(&cal, d(2026, 3, 10), 9, 0);
        assert_eq!(
            cal.add_working_days(tue, 0),
            wita(&cal, d(2026, 3, 10), 16, 0)
        );
    }

    #[test]
    fn friday_night_mail_is_due_monday_morning() {
        let cal = office();
        let fri = wita(&cal, d(2026, 3, 6), 22, 0);
        assert_eq!(
            cal.add_office_minutes(fri, 20),
            wita(&cal, d(2026, 3, 9), 8, 20)
        );
    }

    #[test]
    fn mail_during_the_day_counts_from_arrival() {
        let cal = office();
        let t = wita(&cal, d(2026, 3, 10), 10, 7);
        assert_eq!(
            cal.add_office_minutes(t, 20),
            wita(&cal, d(2026, 3, 10), 10, 27)
        );
        // Before opening counts from opening.
        let early = wita(&cal, d(2026, 3, 10), 6, 30);
        assert_eq!(
            cal.add_office_minutes(early, 20),
            wita(&cal, d(2026, 3, 10), 8, 20)
        );
    }

    #[test]
    fn span_crosses_closing_time_and_holidays() {
        let cal = office();
        // 15:50 Tuesday 17 March + 20: 10 today, 10 after the Idulfitri break.
        let t = wita(&cal, d(2026, 3, 17), 15, 50);
        assert_eq!(
            cal.add_office_minutes(t, 20),
            wita(&cal, d(2026, 3, 25), 8, 10)
        );
        // Ending exactly at closing time stays on the day.
        assert_eq!(
            cal.add_office_minutes(t, 10),
            wita(&cal, d(2026, 3, 17), 16, 0)
        );
    }

    #[test]
    fn across_year_end_2026_2027() {
        let cal = office();
        // 24 Dec cuti bersama, 25 Dec holiday, 26-27 weekend; Thu 31 Dec works;
        // 1 Jan 2027 holiday, 2-3 weekend.
        let t = wita(&cal, d(2026, 12, 23), 15, 30);
        assert_eq!(
            cal.add_office_minutes(t, 60),
            wita(&cal, d(2026, 12, 28), 8, 30)
        );
        let t = wita(&cal, d(2026, 12, 31), 15, 55);
        assert_eq!(
            cal.add_office_minutes(t, 20),
            wita(&cal, d(2027, 1, 4), 8, 15)
        );
        assert_eq!(cal.add_working_days(t, 2), wita(&cal, d(2027, 1, 6), 16, 0));
    }

    #[test]
    fn zero_minutes() {
        let cal = office();
        let open = wita(&cal, d(2026, 3, 10), 10, 0);
        assert_eq!(cal.add_office_minutes(open, 0), open);
        let closed = wita(&cal, d(2026, 3, 10), 16, 0);
        assert_eq!(
            cal.add_office_minutes(closed, 0),
            wita(&cal, d(2026, 3, 11), 8, 0)
        );
        assert_eq!(cal.next_open(closed), wita(&cal, d(2026, 3, 11), 8, 0));
        assert_eq!(cal.add_office_minutes(open, -5), open);
        // Absurd spans are clamped instead of overflowing.
        assert!(cal.add_office_minutes(open, i64::MAX) > open);
        assert!(cal.add_working_days(open, u32::MAX) > open);
    }

    #[test]
    fn minutes_between_inverts_add_minutes() {
        let cal = office();
        let start = wita(&cal, d(2026, 3, 13), 7, 0);
        for step in 0..200 {
            let a = start + TimeDelta::minutes(step * 97);
            for minutes in [0, 1, 20, 479, 480, 1000] {
                let due = cal.add_office_minutes(a, minutes);
                assert!(cal.is_open(due) || minutes > 0, "{a} + {minutes}");
                assert_eq!(
                    cal.office_minutes_between(a, due),
                    minutes,
                    "{a} + {minutes}"
                );
            }
        }
    }

    #[test]
    fn is_open_and_local_date() {
        let cal = office();
        assert!(cal.is_open(wita(&cal, d(2026, 3, 10), 8, 0)));
        assert!(!cal.is_open(wita(&cal, d(2026, 3, 10), 16, 0)));
        assert!(!cal.is_open(wita(&cal, d(2026, 3, 19), 10, 0)));
        // 23:30 UTC on 9 March is 07:30 WITA on 10 March.
        let late_utc = d(2026, 3, 9).and_time(hm(23, 30)).and_utc();
        assert_eq!(cal.local_date(late_utc), d(2026, 3, 10));
        assert_eq!(
            wita(&cal, d(2026, 3, 10), 9, 0),
            d(2026, 3, 10).and_time(hm(1, 0)).and_utc()
        );
    }

    #[test]
    fn office_minutes_between_and_paused_clock() {
        let cal = office();
        let a = wita(&cal, d(2026, 3, 6), 15, 50);
        let b = wita(&cal, d(2026, 3, 9), 8, 5);
        assert_eq!(cal.office_minutes_between(a, b), 15);
        assert_eq!(cal.office_minutes_between(b, a), 0);
        // Elapsed + remaining re-adds to the original due time.
        let due = cal.add_office_minutes(a, 20);
        let remaining = 20 - cal.office_minutes_between(a, b);
        assert_eq!(cal.add_office_minutes(b, remaining), due);
        // A whole working day is 480 minutes; the Idulfitri week has 1 (Tue 17).
        let mon = wita(&cal, d(2026, 3, 16), 0, 0);
        assert_eq!(
            cal.office_minutes_between(mon, mon + TimeDelta::days(7)),
            2 * 480
        );
    }
}
