//! How things read for people: Indonesian dates, day names and time zones, the
//! encoding of mailto subjects, and text put into HTML. Shared by the pages and the daemon's mails, so both
//! say a date the same way.

use chrono::{Datelike, FixedOffset, NaiveDate, Weekday};

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// "29 November 2026".
pub fn date_id(d: NaiveDate) -> String {
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("");
    format!("{} {} {}", d.day(), month, d.year())
}

/// "29 November 2026", in English.
pub fn date_en(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// The month number (1–12) from its Indonesian or English name or three-letter
/// abbreviation, any case: `des`, `Desember`, `dec`, `December`.
pub fn parse_month(s: &str) -> Option<u32> {
    const EN: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let s = s.trim().to_lowercase();
    if s.len() < 3 {
        return None;
    }
    let found = MONTHS
        .iter()
        .map(|m| m.to_lowercase())
        .zip(EN)
        .position(|(id, en)| {
            id == s || en == s || (s.len() == 3 && (id.starts_with(&s) || en.starts_with(&s)))
        })?;
    u32::try_from(found + 1).ok()
}

/// "Selasa, 1 Des 2026 14.02 WITA": a moment in the office's time, as staff read it
/// (the Indonesian way: short month, hours and minutes with a dot, the zone's name).
pub fn datetime_id(at: chrono::DateTime<chrono::Utc>, offset: FixedOffset) -> String {
    use chrono::Timelike;
    const SHORT: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
    ];
    let local = at.with_timezone(&offset);
    format!(
        "{}, {} {} {} {:02}.{:02} {}",
        weekday_id(local.weekday()),
        local.day(),
        SHORT.get(local.month0() as usize).copied().unwrap_or(""),
        local.year(),
        local.hour(),
        local.minute(),
        zone_id(offset)
    )
}

/// "Senin" … "Minggu".
pub fn weekday_id(d: Weekday) -> &'static str {
    const DAYS: [&str; 7] = [
        "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
    ];
    DAYS[d.num_days_from_monday() as usize]
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for mailto subjects).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A weekday from its English or Indonesian name or abbreviation, any case:
/// `mon`/`monday`/`sen`/`senin` … `sun`/`sunday`/`min`/`minggu`/`ahad`.
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    let day = match s.trim().to_lowercase().as_str() {
        "mon" | "monday" | "sen" | "senin" => Weekday::Mon,
        "tue" | "tuesday" | "sel" | "selasa" => Weekday::Tue,
        "wed" | "wednesday" | "rab" | "rabu" => Weekday::Wed,
        "thu" | "thursday" | "kam" | "kamis" => Weekday::Thu,
        "fri" | "friday" | "jum" | "jumat" | "jum'at" => Weekday::Fri,
        "sat" | "saturday" | "sab" | "sabtu" => Weekday::Sat,
        "sun" | "sunday" | "min" | "minggu" | "ahad" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

/// "Monday" … "Sunday" (schema.org day names).
pub fn weekday_en(d: Weekday) -> &'static str {
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    DAYS[d.num_days_from_monday() as usize]
}

/// The Indonesian zone name of an offset: "WIB", "WITA", "WIT", else "UTC+05:30".
pub fn zone_id(offset: FixedOffset) -> String {
    match offset.local_minus_utc() {
        25_200 => "WIB".to_string(),
        28_800 => "WITA".to_string(),
        32_400 => "WIT".to_string(),
        _ => format!("UTC{offset}"),
    }
}

/// "Tidak dipungut biaya" for 0, otherwise rupiah with dot thousands separators.
pub fn fee_label_id(fee: u64) -> String {
    if fee == 0 {
        return "Tidak dipungut biaya".to_string();
    }
    let digits = fee.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("Rp{out}")
}

/// "Free of charge" for 0, otherwise rupiah with comma thousands separators ("IDR 50,000").
pub fn fee_label_en(fee: u64) -> String {
    if fee == 0 {
        return "Free of charge".to_string();
    }
    let id = fee_label_id(fee);
    format!("IDR {}", id.trim_start_matches("Rp").replace('.', ","))
}

/// Escapes text for HTML content and attribute values (the site's pages and the
/// daemon's printable receipt).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped_html(&mut out, c);
    }
    out
}

/// [`escape_html`] for one character, for text built a character at a time.
pub fn push_escaped_html(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn indonesian_date() {
        let d = NaiveDate::from_ymd_opt(2026, 8, 17).expect("date");
        assert_eq!(date_id(d), "17 Agustus 2026");
    }

    #[test]
    fn office_local_time() {
        use chrono::TimeZone;
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 6, 2, 59).unwrap();
        let wita = FixedOffset::east_opt(8 * 3600).unwrap();
        assert_eq!(datetime_id(at, wita), "Selasa, 1 Des 2026 14.02 WITA");
        let wib = FixedOffset::east_opt(7 * 3600).unwrap();
        let late = chrono::Utc
            .with_ymd_and_hms(2026, 12, 31, 17, 30, 0)
            .unwrap();
        assert_eq!(datetime_id(late, wib), "Jumat, 1 Jan 2027 00.30 WIB");
    }

    #[test]
    fn weekdays_in_both_languages() {
        assert_eq!(parse_weekday("Sen"), Some(Weekday::Mon));
        assert_eq!(parse_weekday("jumat"), Some(Weekday::Fri));
        assert_eq!(parse_weekday("SUN"), Some(Weekday::Sun));
        assert_eq!(parse_weekday("funday"), None);
    }

    #[test]
    fn zones_and_fees() {
        let east = |h| FixedOffset::east_opt(h * 3600).expect("offset");
        assert_eq!(zone_id(east(8)), "WITA");
        assert_eq!(zone_id(east(3)), "UTC+03:00");
        assert_eq!(fee_label_id(0), "Tidak dipungut biaya");
        assert_eq!(fee_label_id(50_000), "Rp50.000");
        assert_eq!(fee_label_id(1_250_000), "Rp1.250.000");
        assert_eq!(fee_label_en(0), "Free of charge");
        assert_eq!(fee_label_en(1_250_000), "IDR 1,250,000");
        let d = NaiveDate::from_ymd_opt(2026, 8, 7).expect("date");
        assert_eq!(date_en(d), "7 August 2026");
    }

    #[test]
    fn encodes_subject() {
        assert_eq!(percent_encode("[KONS] "), "%5BKONS%5D%20");
    }
}
