//! Reading `Authentication-Results` (RFC 8601) to tell whether the receiving server saw
//! an aligned DKIM or SPF pass for a message's From domain.
//!
//! Only the topmost header carrying the configured authserv-id counts: lower ones may
//! have been written by the sender. This relies on the receiving server adding its
//! header to every message (and, as RFC 8601 §5 asks, removing look-alikes), so a
//! message it did not evaluate never shows a forged header as the topmost one.
//!
//! Alignment (relaxed, without a public-suffix list): the authenticated domain equals the
//! From domain or one is a subdomain of the other. A DKIM `d=` or SPF domain can only
//! pass for whoever controls that domain's DNS, so a parent-domain pass cannot be
//! produced by an outsider.

/// Whether the topmost `Authentication-Results` from `authserv_id` shows `dkim=pass`
/// (by `header.d`, or `header.i` when `d` is missing), `spf=pass` (by `smtp.mailfrom`)
/// or `dmarc=pass` (by `header.from`) for a domain aligned with `from_domain`.
/// `headers` are the field values in message order (top first); a leading
/// `Authentication-Results:` name is tolerated.
pub(crate) fn aligned_pass(headers: &[String], authserv_id: &str, from_domain: &str) -> bool {
    let from = normalise_domain(from_domain);
    if from.is_empty() {
        return false;
    }
    let Some(results) = headers
        .iter()
        .map(|h| parse(h))
        .find(|r| r.authserv_id.eq_ignore_ascii_case(authserv_id.trim()))
    else {
        return false;
    };
    results.methods.iter().any(|m| {
        if m.result != "pass" {
            return false;
        }
        let domain = match m.method.as_str() {
            "dkim" => m
                .property("header.d")
                .or_else(|| m.property("header.i").map(domain_of)),
            "spf" => m.property("smtp.mailfrom").map(domain_of),
            "dmarc" => m.property("header.from").map(domain_of),
            _ => None,
        };
        domain.is_some_and(|d| aligned(&normalise_domain(d), &from))
    })
}

struct Results {
    authserv_id: String,
    methods: Vec<MethodResult>,
}

struct MethodResult {
    method: String,
    result: String,
    properties: Vec<(String, String)>,
}

impl MethodResult {
    fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn parse(header: &str) -> Results {
    let text = strip_comments(header);
    let text = match text.split_once(':') {
        Some((name, rest)) if name.trim().eq_ignore_ascii_case("authentication-results") => {
            rest.to_string()
        }
        _ => text,
    };
    let mut parts = split_outside_quotes(&text, ';').into_iter();
    let authserv_id = parts
        .next()
        .and_then(|p| p.split_whitespace().next().map(str::to_string))
        .unwrap_or_default();
    let methods = parts.filter_map(|p| parse_resinfo(&p)).collect();
    Results {
        authserv_id,
        methods,
    }
}

fn parse_resinfo(part: &str) -> Option<MethodResult> {
    let mut tokens = split_outside_quotes(part, ' ')
        .into_iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let first = tokens.next()?;
    let (method, result) = first.split_once('=')?;
    // "dkim/1=pass": the method version does not matter here.
    let method = method
        .split('/')
        .next()
        .unwrap_or(method)
        .trim()
        .to_lowercase();
    let properties = tokens
        .filter_map(|t| {
            let (k, v) = t.split_once('=')?;
            Some((
                k.trim().to_lowercase(),
                v.trim().trim_matches('"').to_string(),
            ))
        })
        .collect();
    Some(MethodResult {
        method,
        result: result.trim().to_lowercase(),
        properties,
    })
}

/// Removes RFC 5322 comments (nested parentheses) outside quoted strings and unfolds.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in s.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                out.push(' ');
            }
            '\r' | '\n' | '\t' if depth == 0 => out.push(' '),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn split_outside_quotes(s: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c == sep && !quoted {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    parts
}

/// `user@domain` → `domain`; `@domain` → `domain`; `domain` → `domain`.
fn domain_of(value: &str) -> &str {
    value.rsplit_once('@').map_or(value, |(_, d)| d)
}

fn normalise_domain(d: &str) -> String {
    d.trim()
        .trim_matches(['<', '>'])
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn aligned(a: &str, b: &str) -> bool {
    let sub = |x: &str, y: &str| {
        x.len() > y.len() && x.ends_with(y) && x[..x.len() - y.len()].ends_with('.')
    };
    // Single-label names (a TLD such as `example` or `id`) never align.
    a.contains('.') && b.contains('.') && (a == b || sub(a, b) || sub(b, a))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const GMAIL: &str = "mx.google.com;\r\n       dkim=pass header.i=@kemenkeu.go.id header.s=selector1 header.b=Xk3v9Q2a;\r\n       spf=pass (google.com: domain of rina@kemenkeu.go.id designates 203.0.113.7 as permitted sender) smtp.mailfrom=rina@kemenkeu.go.id;\r\n       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=kemenkeu.go.id";

    const OPENDKIM: &str = "Authentication-Results: mail.kppn-tanjungselor.example;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=kppn-tanjungselor.example header.i=@kppn-tanjungselor.example header.a=rsa-sha256 header.s=mail header.b=\"AbC;d12\"";

    const SPF_ONLY: &str = "mail.kppn-tanjungselor.example; spf=pass (sender SPF authorized) smtp.mailfrom=bounce@mail.kppn-tanjungselor.example (client-ip=198.51.100.4; helo=mx1.kppn-tanjungselor.example)";

    const OURS_FAIL: &str = "mail.kppn-tanjungselor.example; dkim=fail (signature verification failed) header.d=kppn-tanjungselor.example; spf=softfail smtp.mailfrom=kppn-tanjungselor.example";

    const FORGED: &str = "mail.kppn-tanjungselor.example; dkim=pass header.d=kppn-tanjungselor.example; spf=pass smtp.mailfrom=kppn-tanjungselor.example";

    fn v(headers: &[&str]) -> Vec<String> {
        headers
            .iter()
            .map(std::string::ToString::to_string)
            .collect()
    }

    #[test]
    fn gmail_dkim_by_header_i_and_spf() {
        assert!(aligned_pass(
            &v(&[GMAIL]),
            "mx.google.com",
            "kemenkeu.go.id"
        ));
        assert!(aligned_pass(
            &v(&[GMAIL]),
            "MX.Google.com",
            "KEMENKEU.go.id."
        ));
        assert!(!aligned_pass(
            &v(&[GMAIL]),
            "mx.google.com",
            "satker.example"
        ));
        assert!(!aligned_pass(
            &v(&[GMAIL]),
            "mail.kppn-tanjungselor.example",
            "kemenkeu.go.id"
        ));
    }

    #[test]
    fn opendkim_with_name_and_quoted_semicolon() {
        let id = "mail.kppn-tanjungselor.example";
        assert!(aligned_pass(
            &v(&[OPENDKIM]),
            id,
            "kppn-tanjungselor.example"
        ));
        // Relaxed alignment: a From subdomain of the signing domain, and the reverse.
        assert!(aligned_pass(
            &v(&[OPENDKIM]),
            id,
            "staff.kppn-tanjungselor.example"
        ));
        assert!(aligned_pass(
            &v(&[SPF_ONLY]),
            id,
            "kppn-tanjungselor.example"
        ));
        // A look-alike suffix is not a subdomain.
        assert!(!aligned_pass(
            &v(&[OPENDKIM]),
            id,
            "evil-kppn-tanjungselor.example"
        ));
        assert!(!aligned_pass(&v(&[OPENDKIM]), id, "example"));
        let tld = "mail.kppn-tanjungselor.example; dkim=pass header.d=example";
        assert!(!aligned_pass(&v(&[tld]), id, "kppn-tanjungselor.example"));
    }

    #[test]
    fn spoofed_lower_header_is_ignored() {
        let id = "mail.kppn-tanjungselor.example";
        let domain = "kppn-tanjungselor.example";
        // Topmost from our server says fail; the sender's forged pass below is ignored.
        assert!(!aligned_pass(&v(&[OURS_FAIL, FORGED]), id, domain));
        // Another server's header above ours does not count either way.
        assert!(!aligned_pass(
            &v(&[FORGED.replace(id, "mx.other.example").as_str(), OURS_FAIL]),
            id,
            domain
        ));
        assert!(aligned_pass(&v(&[GMAIL, OPENDKIM, OURS_FAIL]), id, domain));
    }

    #[test]
    fn no_matching_header_or_no_result_is_no_pass() {
        let id = "mail.kppn-tanjungselor.example";
        assert!(!aligned_pass(&[], id, "kppn-tanjungselor.example"));
        assert!(!aligned_pass(
            &v(&["mail.kppn-tanjungselor.example; none"]),
            id,
            "kppn-tanjungselor.example"
        ));
        assert!(!aligned_pass(
            &v(&["garbage without structure"]),
            id,
            "x.example"
        ));
        assert!(!aligned_pass(&v(&[OPENDKIM]), id, ""));
    }

    #[test]
    fn pass_for_an_unaligned_domain_does_not_count() {
        let id = "mail.kppn-tanjungselor.example";
        let h = "mail.kppn-tanjungselor.example; dkim=pass header.d=mailer.example; spf=pass smtp.mailfrom=bounces@mailer.example; dkim=neutral header.d=kppn-tanjungselor.example";
        assert!(!aligned_pass(&v(&[h]), id, "kppn-tanjungselor.example"));
    }
}
