//! schema.org JSON-LD: a GovernmentService provided by a GovernmentOffice.

use serde_json::{Value, json};

use loket_core::config::Config;
use loket_core::content::{Service, channel_label};

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

/// The JSON-LD document of one standard's page.
pub fn service(config: &Config, s: &Service, url: &str) -> Value {
    let channels: Vec<Value> = s
        .channels
        .iter()
        .map(|c| {
            json!({
                "@type": "ServiceChannel",
                "name": channel_label(c),
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
        "provider": office(config),
        "availableChannel": channels,
        "offers": {
            "@type": "Offer",
            "price": s.fee.to_string(),
            "priceCurrency": "IDR",
            "description": s.fee_label_id(),
        },
        "termsOfService": s.sk,
    });
    if let Some(summary) = &s.summary {
        doc["description"] = json!(summary);
    }
    doc
}

/// Serialises for a `<script>` element: `</` must not close the element early.
pub fn to_script(v: &Value) -> String {
    v.to_string().replace("</", "<\\/")
}
