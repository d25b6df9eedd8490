//! The path one mail's bytes take before anything is stored: parse → classify →
//! separation of new text → command parse, plus the subject, thread-id and rating helpers the
//! ingest step calls on the same text. Shared by the cargo-fuzz target
//! (`fuzz_targets/pipeline.rs`) and the regression test (`tests/fuzz_regressions.rs`),
//! so every crash the fuzzer finds is replayed in CI.

use loketd::mail::{parse, relay, subject};
use loketd::rules::classify::{self, Facts};
use loketd::rules::kinds::ThreadKind;
use loketd::rules::{command, ikm};
use loketd::workflow::ingest;

/// Runs the pipeline on `data`. Panics only where the daemon would panic.
pub(crate) fn run(data: &[u8]) {
    let _ = ingest::content_hash(data);
    let Ok(mut mail) = parse::parse(data) else {
        return;
    };
    mail.flag_own("kppn-tanjungselor.example");
    let _ = mail.reply_address();
    let _ = subject::ticket_tag(&mail.subject, "KPPN-TSL");
    let _ = subject::service_codes(&mail.subject);
    let clean = subject::clean(&mail.subject);
    let _ = subject::reply_subject("KPPN-TSL", 1, &clean);
    let mut ids = mail.in_reply_to.clone();
    ids.extend(mail.references.iter().rev().cloned());
    for id in &ids {
        let _ = parse::msg_ids(id);
    }
    // Every shape of facts, so each route is reached from the same mail.
    let thread = data.first().map(|b| (i64::from(*b), ThreadKind::Staff));
    for bits in 0u8..16 {
        let facts = Facts {
            thread: (bits & 1 != 0).then_some(thread).flatten(),
            tagged: (bits & 2 != 0).then_some(7),
            sender_is_staff: bits & 4 != 0,
            capability: (bits & 8 != 0).then(|| (7, "n@x".to_string())),
            authenticated: bits & 1 == 0,
        };
        let _ = classify::classify(mail.automatic.as_ref(), &facts);
    }
    // The mail's own text as "what was sent" too: every line then reproduces it.
    let sent = mail.text.lines().rev().collect::<Vec<_>>().join("\n");
    let text = match relay::separate(&mail.text, &sent) {
        relay::Separation::Clean(t) | relay::Separation::Held { text: t, .. } => t,
    };
    let _ = command::parse(&text);
    let _ = command::parse(&mail.text);
    let _ = command::misplaced(&text);
    let _ = ikm::parse_rating(&text);
    let _ = ikm::after_resolved(&text);
    let _ = relay::strip_own(&mail.text, &sent);
    // The text alone, as if it were the whole body (the fuzzer reaches separation and
    // command parsing without having to build a valid mail first).
    let raw_text = String::from_utf8_lossy(data);
    let (half, _) = raw_text.split_at(raw_text.floor_char_boundary(raw_text.len() / 2));
    let stripped = relay::strip_own(&raw_text, half);
    let _ = relay::separate(&raw_text, half);
    let _ = command::parse(&stripped);
    let _ = ikm::parse_rating(&stripped);
    let _ = ikm::after_resolved(&stripped);
    let _ = subject::clean(&raw_text);
}
