//! The staff capability: a notification's Message-ID carries a keyed MAC of (ticket,
//! staff address), so a reply that answers it proves the sender received that
//! notification. A listed From address alone is trivially forged; this is not.
//!
//! Message-ID shape: `<loket.{ticket}.{nonce}.{mac}@{domain}>`, where `mac` is
//! HMAC-SHA256(key, "{ticket}|{nonce}|{lowercased staff address}") truncated to 16 bytes
//! (32 hex digits). The nonce keeps every notification's Message-ID unique; the domain is
//! not covered, so changing the mail domain does not invalidate open threads.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Length of the key in bytes.
pub(crate) const KEY_LEN: usize = 32;
const MAC_LEN: usize = 16;
const NONCE_LEN: usize = 8;

/// The "ticket" of a desk capability: this staff member's desk, never a ticket (ticket
/// numbers start at 1).
pub(crate) const DESK: i64 = 0;

/// The secret key behind staff capabilities (32 random bytes).
#[cfg_attr(test, derive(PartialEq, Eq))]
pub struct CapabilityKey([u8; KEY_LEN]);

impl fmt::Debug for CapabilityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CapabilityKey(<redacted>)")
    }
}

impl CapabilityKey {
    /// A key from known bytes (tests, or a key kept elsewhere).
    pub(crate) fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh Message-ID for the notification about `ticket` sent to `staff`.
    pub(crate) fn notification_message_id(&self, ticket: i64, staff: &str, domain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let nonce = hex::encode(nonce);
        let tag = self.mac(ticket, &nonce, staff).finalize().into_bytes();
        let mac = hex::encode(&tag[..MAC_LEN]);
        format!("<loket.{ticket}.{nonce}.{mac}@{domain}>")
    }

    /// The ticket, when `message_id` is a notification Message-ID made for `staff`.
    pub(crate) fn verify(&self, message_id: &str, staff: &str) -> Option<i64> {
        let id = message_id.trim();
        let id = id.strip_prefix('<').unwrap_or(id);
        let id = id.strip_suffix('>').unwrap_or(id);
        let (local, _domain) = id.rsplit_once('@')?;
        let mut parts = local.split('.');
        let (prefix, ticket, nonce, mac) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if prefix != "loket" || parts.next().is_some() {
            return None;
        }
        if ticket.is_empty() || !ticket.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let ticket: i64 = ticket.parse().ok()?;
        if nonce.len() != 2 * NONCE_LEN || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let tag = hex::decode(mac).ok()?;
        if tag.len() != MAC_LEN {
            return None;
        }
        let nonce = nonce.to_ascii_lowercase();
        // Constant-time comparison of the truncated tag.
        self.mac(ticket, &nonce, staff)
            .verify_truncated_left(&tag)
            .ok()
            .map(|()| ticket)
    }

    /// The ticket and the bare Message-ID (no angle brackets) of the first valid
    /// ticket capability for `staff` among header values `ids`. Each entry may be one
    /// Message-ID or a whole header value (`References: <a> <b>`); pass `In-Reply-To`
    /// first so it wins over older references. A desk capability (ticket 0) is never
    /// one: it names no ticket (see [`CapabilityKey::find_desk_capability`]).
    pub(crate) fn find_capability_id(&self, ids: &[String], staff: &str) -> Option<(i64, String)> {
        self.capabilities(ids, staff)
            .find(|(ticket, _)| *ticket != DESK)
    }

    /// The bare Message-ID of the first valid desk capability for `staff` among header
    /// values `ids`: a mail the daemon sent this staff member about no ticket (the
    /// standing "catat konsultasi" mail, the digest, an answer to a desk command).
    pub(crate) fn find_desk_capability(&self, ids: &[String], staff: &str) -> Option<String> {
        self.capabilities(ids, staff)
            .find(|(ticket, _)| *ticket == DESK)
            .map(|(_, id)| id)
    }

    fn capabilities<'a>(
        &'a self,
        ids: &'a [String],
        staff: &'a str,
    ) -> impl Iterator<Item = (i64, String)> + 'a {
        ids.iter()
            .flat_map(|value| value.split(|c: char| c.is_whitespace() || c == ','))
            .filter(|token| !token.is_empty())
            .filter_map(move |token| {
                let ticket = self.verify(token, staff)?;
                let bare = token.trim_start_matches('<').trim_end_matches('>');
                Some((ticket, bare.to_string()))
            })
    }

    fn mac(&self, ticket: i64, nonce: &str, staff: &str) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(format!("{ticket}|{nonce}|{}", staff.trim().to_lowercase()).as_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn key() -> CapabilityKey {
        CapabilityKey::from_bytes([7u8; KEY_LEN])
    }

    const CSO: &str = "cso1@kppn-tanjungselor.example";

    #[test]
    fn message_id_round_trips_for_its_staff_only() {
        let k = key();
        let id = k.notification_message_id(1234, CSO, "kppn-tanjungselor.example");
        assert!(id.starts_with("<loket.1234.") && id.ends_with("@kppn-tanjungselor.example>"));
        assert_eq!(k.verify(&id, CSO), Some(1234));
        assert_eq!(k.verify(&id, "CSO1@KPPN-TanjungSelor.example "), Some(1234));
        assert_eq!(k.verify(&id, "cso2@kppn-tanjungselor.example"), None);
        assert_eq!(
            CapabilityKey::from_bytes([8u8; KEY_LEN]).verify(&id, CSO),
            None
        );
    }

    #[test]
    fn nonces_make_ids_unique() {
        let k = key();
        let a = k.notification_message_id(1, CSO, "x.example");
        let b = k.notification_message_id(1, CSO, "x.example");
        assert_ne!(a, b);
    }

    #[test]
    fn tampered_ids_are_rejected() {
        let k = key();
        let id = k.notification_message_id(42, CSO, "x.example");
        let inner = id.trim_matches(['<', '>']);
        let (local, domain) = inner.rsplit_once('@').unwrap();
        let parts: Vec<&str> = local.split('.').collect();
        let other_ticket = format!("<loket.43.{}.{}@{domain}>", parts[2], parts[3]);
        assert_eq!(k.verify(&other_ticket, CSO), None);
        let mut bad_mac = parts[3].to_string();
        let flipped = if bad_mac.ends_with('0') { '1' } else { '0' };
        bad_mac.replace_range(31..32, &flipped.to_string());
        assert_eq!(
            k.verify(&format!("<loket.42.{}.{bad_mac}@{domain}>", parts[2]), CSO),
            None
        );
        for junk in [
            "",
            "<>",
            "<loket.42@x>",
            "<abc@x>",
            "<loket.-1.00.00@x>",
            "loket.42.zz.zz@x",
        ] {
            assert_eq!(k.verify(junk, CSO), None, "{junk}");
        }
        // The domain may change without invalidating the capability; brackets optional.
        assert_eq!(k.verify(&format!("{local}@other.example"), CSO), Some(42));
    }

    #[test]
    fn find_capability_scans_header_values() {
        let k = key();
        let id = k.notification_message_id(7, CSO, "x.example");
        let refs = vec![
            "<CAF=abc@mail.gmail.com>".to_string(),
            format!("<first@x.example> {id}\r\n <other@y>"),
        ];
        let bare = id.trim_start_matches('<').trim_end_matches('>').to_string();
        assert_eq!(k.find_capability_id(&refs, CSO), Some((7, bare)));
        assert_eq!(k.find_capability_id(&refs, "intruder@evil.example"), None);
        assert_eq!(k.find_capability_id(&[], CSO), None);
    }

    #[test]
    fn desk_capabilities_are_apart_from_ticket_ones() {
        let k = key();
        let desk = k.notification_message_id(DESK, CSO, "x.example");
        let ticket = k.notification_message_id(7, CSO, "x.example");
        let bare = |id: &str| id.trim_start_matches('<').trim_end_matches('>').to_string();
        // The desk one comes first and is skipped for the ticket, and the other way round.
        let refs = vec![desk.clone(), ticket.clone()];
        assert_eq!(k.find_capability_id(&refs, CSO), Some((7, bare(&ticket))));
        assert_eq!(k.find_desk_capability(&refs, CSO), Some(bare(&desk)));
        assert_eq!(k.find_capability_id(std::slice::from_ref(&desk), CSO), None);
        assert_eq!(k.find_desk_capability(&[ticket], CSO), None);
        assert_eq!(k.find_desk_capability(&[desk], "cso2@x.example"), None);
    }
}
