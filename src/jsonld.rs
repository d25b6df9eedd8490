//! schema.org JSON-LD: a GovernmentService provided by a GovernmentOffice.

use serde_json::{Value, json};

use loket_core::config::Config;
use loket_core::content::Service;

use crate::i18n::Lang;

/// The office as a schema.org GovernmentOffice, with its contact point.
pub fn office(config: &Config) -> Value {
    let o = &config.office;
    // The organisational path, innermost parent first, as nested parentOrganization.
    let mut parent = Value::Null;
    let parents = o.hierarchy.iter().filter(|h| **h != o.name);
    for name in parents {
        let mut org = json!({ "@type": "GovernmentOrganization", "name": name });
        if !parent.is_null() {
            org["parentOrganization"] = parent;
        }
        parent = org;
    }
    let mut contact = json!({
        "@type": "ContactPoint",
        "contactType": "customer service",
        "email": config.contact_email(),
        "telephone": o.tel_uri().trim_start_matches("tel:"),
        "availableLanguage": "id",
    });
    if let Some(h) = &config.office_hours {
        contact["hoursAvailable"] = json!({
            "@type": "OpeningHoursSpecification",
            "dayOfWeek": h.schema_days(),
            "opens": h.open.format("%H:%M").to_string(),
            "closes": h.close.format("%H:%M").to_string(),
        });
    }
    let mut office = json!({
        "@type": "GovernmentOffice",
        "name": o.name,
        "alternateName": o.short_name,
        "url": o.website,
        "telephone": o.tel_uri().trim_start_matches("tel:"),
        "email": config.contact_email(),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": o.address,
            "addressLocality": o.locality,
            "addressRegion": o.region,
            "postalCode": o.postal_code,
            "addressCountry": "ID",
        },
        "contactPoint": contact,
    });
    if !parent.is_null() {
        office["parentOrganization"] = parent;
    }
    office
}

/// The JSON-LD document of one standard's page; `provider` is [`office`], made once
/// for all pages.
pub fn service(config: &Config, s: &Service, url: &str, lang: Lang, provider: &Value) -> Value {
    let channels: Vec<Value> = s
        .channels
        .iter()
        .map(|c| {
            json!({
                "@type": "ServiceChannel",
                "name": lang.channel(c),
                "processingTime": s.completion.iso8601(),
                "availableLanguage": "id",
            })
        })
        .collect();
    let mut doc = json!({
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": s.title,
        "identifier": s.code,
        "url": url,
        "serviceType": s.title,
        "areaServed": config.office.region,
        "provider": provider,
        "availableChannel": channels,
        "offers": {
            "@type": "Offer",
            "price": s.fee.to_string(),
            "priceCurrency": "IDR",
            "description": lang.fee(s.fee),
        },
        "termsOfService": s.sk,
    });
    if let Some(summary) = &s.summary {
        doc["description"] = json!(summary);
    }
    doc
}

/// A schema.org FAQPage: each (question, answer as HTML) in page order.
pub fn faq_page(url: &str, items: &[(&str, &str)]) -> Value {
    json!({
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "url": url,
        "mainEntity": items
            .iter()
            .map(|(q, a)| json!({
                "@type": "Question",
                "name": q,
                "acceptedAnswer": { "@type": "Answer", "text": a },
            }))
            .collect::<Vec<_>>(),
    })
}

/// Serialises for a `<script>` element. `<`, `>` and `&` become JSON escapes, so no
/// content can close the element, open a comment or a nested script, or be read as a
/// character reference; U+2028/U+2029 are escaped for older JavaScript parsers. These
/// characters only occur inside JSON strings, where the escapes mean the same text.
pub fn to_script(v: &Value) -> String {
    let json = v.to_string();
    let mut out = String::with_capacity(json.len() + 16);
    // The text between the characters replaced is copied in one piece.
    let mut copied = 0;
    for (i, c) in json.char_indices() {
        let escaped = match c {
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            _ => continue,
        };
        out.push_str(&json[copied..i]);
        out.push_str(escaped);
        copied = i + c.len_utf8();
    }
    out.push_str(&json[copied..]);
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn script_text_has_no_markup_characters_and_round_trips() {
        let name = "Konsultasi <!-- <script> x </script> & \u{2028}\u{2029} ]]> \\u003c";
        let v = json!({ "name": name });
        let s = to_script(&v);
        for bad in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
            assert!(!s.contains(bad), "{bad:?} in {s}");
        }
        let back: Value = serde_json::from_str(&s).expect("parses");
        assert_eq!(back["name"], name);
    }
}
