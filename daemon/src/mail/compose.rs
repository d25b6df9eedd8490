//! Turns a decision ("acknowledge ticket 12") into a ready RFC 5322 message: wording
//! from the Tera templates in `themes/<theme>/email/`, headers that thread it and mark
//! it automatic where it is, a Message-ID on our own domain.
//!
//! Templates are plain text: `<name>.txt`. Each gets the office and the complaint
//! channels (global context) plus whatever the caller puts in its context.

use std::path::Path;

use lettre::message::header::ContentTransferEncoding;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use loket_core::config::{ComplaintChannel, Office};
use serde::Serialize;
use tera::{Context, Tera};

use super::attachment::Attachment;
use super::relay::MARKER;
// Header text never carries CR/LF: no header injection from a relayed subject or name.
use super::parse::single_line;

/// The theme whose `email/` templates the daemon writes with.
const THEME: &str = "default";

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("mail templates in {dir}: {message}")]
    Load { dir: String, message: String },
    #[error("mail template {template}: {message}")]
    Render { template: String, message: String },
    #[error("cannot build mail: {0}")]
    Build(String),
}

/// A mail ready for the outbox.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub message_id: String,
    pub recipients: Vec<String>,
    pub raw: Vec<u8>,
    /// Sent by the daemon on its own (acknowledgements, notes), not relayed from a person:
    /// counts against the per-sender limit and carries `Auto-Submitted: auto-replied`.
    pub automatic: bool,
    /// It carries a file as bytes (not as a stored file's name): only then may the
    /// outbox find a body in it that the store keeps, to name instead (`store::detach`).
    pub carries_bytes: bool,
}

/// What to send; `compose` renders it.
pub(crate) struct Draft<'a> {
    pub template: &'a str,
    pub to: Vec<(Option<String>, String)>,
    /// Copies: the stakeholder's colleagues on their ticket.
    pub cc: Vec<(Option<String>, String)>,
    pub subject: String,
    /// The template's data.
    pub context: Context,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub automatic: bool,
    /// A Message-ID chosen by the caller (a staff capability); else a fresh one.
    pub message_id: Option<String>,
    pub attachments: Vec<FileAttachment>,
    /// Open the body with [`MARKER`]: a reply to this mail is cut where it is quoted.
    pub reply_marker: bool,
}

/// Whether mail can be addressed to `address`: the parser accepts some addresses the
/// mail builder refuses (`rekan..kerja@satker.example`), and one of those in a draft
/// would fail the whole transaction it is written in.
pub(crate) fn is_sendable(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok()
}

/// A file to attach to an outgoing mail.
#[derive(Debug, Clone)]
pub(crate) struct FileAttachment {
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    pub content: FileContent,
}

/// Where an outgoing attachment's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum FileContent {
    /// Kept by the store under `attachments/<sha256>`: the composed mail carries one
    /// [`STORED_FILE`] line as the part's body, and the sender streams the file in
    /// (`store::detach`). Forwarding a 9 MB file to two CSOs copies no byte of it.
    Stored(String),
    /// In hand.
    Bytes(Vec<u8>),
}

/// The body of a base64 part whose file the store keeps: this, then the SHA-256.
pub(crate) const STORED_FILE: &str = "loketd-attachment:";

impl FileAttachment {
    /// A file made for this mail (not kept by the store).
    pub(crate) fn bytes(filename: String, content_type: &str, data: Vec<u8>) -> FileAttachment {
        FileAttachment {
            filename,
            content_type: content_type.to_string(),
            size: data.len() as u64,
            content: FileContent::Bytes(data),
        }
    }
}

impl From<&Attachment> for FileAttachment {
    /// An attachment of a received mail, sent on (its name is already safe).
    fn from(a: &Attachment) -> Self {
        FileAttachment {
            filename: a.filename.clone(),
            content_type: a.content_type.clone(),
            size: a.data.len() as u64,
            content: match &a.stored {
                Some(sha) => FileContent::Stored(sha.clone()),
                None => FileContent::Bytes(a.data.clone()),
            },
        }
    }
}

pub struct Composer {
    tera: Tera,
    from: Mailbox,
    domain: String,
}

impl Composer {
    /// Loads `themes/default/email/*.txt` under the site root. Every template sees the
    /// office and the complaint channels.
    pub(crate) fn load(
        root: &Path,
        office: &Office,
        complaints: &[ComplaintChannel],
        address: &str,
    ) -> Result<Composer, ComposeError> {
        let dir = root.join("themes").join(THEME).join("email");
        let load_err = |message: String| ComposeError::Load {
            dir: dir.display().to_string(),
            message,
        };
        let mut tera = Tera::new();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| load_err(e.to_string()))? {
            let path = entry.map_err(|e| load_err(e.to_string()))?.path();
            if path.extension().is_some_and(|e| e == "txt") {
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string();
                files.push((path, name));
            }
        }
        files.sort();
        tera.add_template_files(files.iter().map(|(p, n)| (p.clone(), Some(n.clone()))))
            .map_err(|e| load_err(error_chain(&e)))?;
        let global = tera.global_context();
        global.insert("office", office);
        global.insert("complaints", complaints);
        // The SKM questionnaire, for the "Resolved" mail and the survey notes.
        global.insert("skm", &loket_core::skm::Questionnaire::new(false));
        let from = Mailbox::new(
            Some(office.name.clone()),
            address
                .parse()
                .map_err(|e| ComposeError::Build(format!("official address {address}: {e}")))?,
        );
        let domain = address
            .rsplit('@')
            .next()
            .unwrap_or("localhost")
            .to_string();
        Ok(Composer { tera, from, domain })
    }

    /// The data of a template, from its typed view.
    pub(crate) fn context(view: &impl Serialize) -> Result<Context, ComposeError> {
        Context::from_serialize(view).map_err(|e| ComposeError::Render {
            template: String::new(),
            message: error_chain(&e),
        })
    }

    /// A fresh Message-ID on our domain (without angle brackets).
    pub(crate) fn new_message_id(&self, ticket: Option<i64>) -> String {
        let nonce: u64 = rand::random();
        match ticket {
            Some(t) => format!("loket.t{t}.{nonce:016x}@{}", self.domain),
            None => format!("loket.{nonce:016x}@{}", self.domain),
        }
    }

    /// Renders a template body on its own (tests and previews).
    pub(crate) fn render_body(
        &self,
        template: &str,
        context: &Context,
    ) -> Result<String, ComposeError> {
        self.tera
            .render(template, context)
            .map_err(|e| ComposeError::Render {
                template: template.to_string(),
                message: error_chain(&e),
            })
    }

    pub(crate) fn compose(&self, draft: Draft<'_>) -> Result<Outgoing, ComposeError> {
        let mut body = self.render_body(draft.template, &draft.context)?;
        if draft.reply_marker {
            body = format!("{MARKER}\n\n{body}");
        }
        let message_id = draft
            .message_id
            .clone()
            .unwrap_or_else(|| self.new_message_id(None));
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .subject(single_line(&draft.subject))
            .message_id(Some(format!("<{message_id}>")))
            .date_now();
        // The addressee first, copies after: the outbox's loop guard counts by the first.
        let mut recipients = Vec::new();
        let mut envelope_to = Vec::new();
        for (copy, (name, addr)) in draft
            .to
            .iter()
            .map(|r| (false, r))
            .chain(draft.cc.iter().map(|r| (true, r)))
        {
            let parsed: lettre::Address = addr
                .parse()
                .map_err(|e| ComposeError::Build(format!("recipient {addr}: {e}")))?;
            envelope_to.push(parsed.clone());
            let mailbox = Mailbox::new(name.as_deref().map(single_line), parsed);
            builder = if copy {
                builder.cc(mailbox)
            } else {
                builder.to(mailbox)
            };
            recipients.push(addr.to_lowercase());
        }
        if recipients.is_empty() {
            return Err(ComposeError::Build("no recipient".into()));
        }
        // Given, so that lettre does not parse every address header back to make it.
        let envelope = lettre::address::Envelope::new(Some(self.from.email.clone()), envelope_to)
            .map_err(|e| ComposeError::Build(e.to_string()))?;
        builder = builder.envelope(envelope);
        if let Some(parent) = &draft.in_reply_to {
            builder = builder.in_reply_to(format!("<{parent}>"));
        }
        if !draft.references.is_empty() {
            let refs = draft
                .references
                .iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>()
                .join(" ");
            builder = builder.references(refs);
        }
        if draft.automatic {
            // RFC 3834: an automatic reply; and ask Exchange not to auto-answer it.
            builder = builder
                .raw_header(header("Auto-Submitted", "auto-replied"))
                .raw_header(header("X-Auto-Response-Suppress", "All"));
        } else {
            builder = builder.raw_header(header("X-Auto-Response-Suppress", "All"));
        }
        builder = builder.raw_header(header("X-Mailer", "loketd"));
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(body);
        let carries_bytes = draft
            .attachments
            .iter()
            .any(|a| matches!(a.content, FileContent::Bytes(_)));
        let message = if draft.attachments.is_empty() {
            builder.singlepart(text)
        } else {
            let mut mixed = MultiPart::mixed().singlepart(text);
            for a in draft.attachments {
                // A type lettre cannot read goes out as plain bytes.
                let ct = ContentType::parse(&a.content_type)
                    .or_else(|_| ContentType::parse("application/octet-stream"))
                    .map_err(|e| ComposeError::Build(e.to_string()))?;
                let body = match a.content {
                    FileContent::Bytes(data) => Body::new(data),
                    FileContent::Stored(sha) => Body::dangerous_pre_encoded(
                        format!("{STORED_FILE}{sha}").into_bytes(),
                        ContentTransferEncoding::Base64,
                    ),
                };
                mixed =
                    mixed.singlepart(lettre::message::Attachment::new(a.filename).body(body, ct));
            }
            builder.multipart(mixed)
        }
        .map_err(|e| ComposeError::Build(e.to_string()))?;
        Ok(Outgoing {
            message_id,
            recipients,
            raw: message.formatted(),
            automatic: draft.automatic,
            carries_bytes,
        })
    }
}

fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string())
}

/// Tera's errors nest the useful part in `source()`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn composer() -> Composer {
        let mut tera = Tera::new();
        tera.add_raw_template("note.txt", "Terlampir.").unwrap();
        Composer {
            tera,
            from: "Kantor <loket@kppn.example>".parse().unwrap(),
            domain: "kppn.example".into(),
        }
    }

    fn draft(attachments: Vec<FileAttachment>) -> Draft<'static> {
        Draft {
            template: "note.txt",
            to: vec![(None, "a@satker.example".into())],
            cc: Vec::new(),
            subject: "Lampiran".into(),
            context: Context::new(),
            in_reply_to: None,
            references: Vec::new(),
            automatic: true,
            message_id: None,
            attachments,
            reply_marker: false,
        }
    }

    /// The outbox looks for stored files only in a mail that carries a file in hand:
    /// one that names its stored files, or has none, is queued as composed.
    #[test]
    fn a_mail_says_whether_it_carries_a_file_in_hand() {
        let c = composer();
        let in_hand = FileAttachment::bytes("a.html".into(), "text/html", b"<p>x</p>".to_vec());
        let stored = FileAttachment {
            filename: "spm.pdf".into(),
            content_type: "application/pdf".into(),
            size: 9,
            content: FileContent::Stored("0".repeat(64)),
        };
        assert!(!c.compose(draft(Vec::new())).unwrap().carries_bytes);
        assert!(
            !c.compose(draft(vec![stored.clone()]))
                .unwrap()
                .carries_bytes
        );
        assert!(
            c.compose(draft(vec![stored, in_hand]))
                .unwrap()
                .carries_bytes
        );
    }
}
