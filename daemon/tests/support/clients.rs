//! Replies written the way real mail clients write them: the attribution wording and
//! date format of each client (English and Indonesian where it has both), its quote
//! style (`> `, TAB, a space, none at all under an Outlook header block, the attribution
//! inside the quote), its footers, its line wrapping (hard, or format=flowed) and its
//! MIME shape (plain, plain + HTML alternative, HTML only as quoted-printable or base64).
//!
//! `reply_as` takes a mail the author received (a notification or an acknowledgement,
//! read back with `desk::read`) and the author's new text and returns the raw RFC 5322
//! reply: From the author, To the address the mail came from, `Re:` subject (`RE:` from
//! Outlook), In-Reply-To the received Message-ID and References its chain plus that id.
//!
//! The shapes follow what these clients produce with their default settings; where a
//! client can be set up either way (Thunderbird, Roundcube top or bottom posting) the
//! placement is chosen by the caller.

use super::desk::Received;

/// The language of the author's client (attribution lines, header labels, footers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    En,
    Id,
}

impl Lang {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Id => "id",
        }
    }
}

/// Where the author writes the new text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Above the quote (top-posting; what nearly every client does by default).
    Above,
    /// Below the whole quote (bottom-posting).
    Below,
    /// Inside the quote, after the stakeholder's question, and the quote continues.
    Inline,
    /// The first paragraph above the quote, the rest inside it (an author who answers
    /// on top and then point by point).
    AboveAndInline,
}

impl Placement {
    /// The new text split into what goes above, inside and below the quote.
    fn split(self, text: &str) -> (String, String, String) {
        let none = String::new;
        match self {
            Placement::Above => (text.to_string(), none(), none()),
            Placement::Below => (none(), none(), text.to_string()),
            Placement::Inline => (none(), text.to_string(), none()),
            Placement::AboveAndInline => match text.split_once("\n\n") {
                Some((top, rest)) => (top.to_string(), rest.to_string(), none()),
                None => (text.to_string(), text.to_string(), none()),
            },
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Client {
    /// Gmail in a browser: plain + HTML, attribution wrapped at 78 columns, `> `.
    GmailWeb,
    /// The Gmail app on Android.
    GmailAndroid,
    /// Outlook for Windows/Mac: no quote prefix, underscores, then a header block.
    OutlookDesktop,
    /// Outlook composing plain text: `-----Original Message-----` and a header block.
    OutlookOriginalMessage,
    /// Outlook on the web (plain + HTML alternative).
    OutlookWeb,
    /// Outlook for Android/iOS: "Get Outlook for Android", then the header block.
    OutlookMobile,
    /// Thunderbird: format=flowed at 72 columns, "On 12/1/26 10:00, Name wrote:".
    Thunderbird,
    /// Apple Mail on macOS: the attribution is the first line of the quote.
    AppleMail,
    /// Mail on iOS: "Sent from my iPhone", attribution inside the quote.
    Ios,
    /// Yahoo Mail: indented attribution, quote indented by one space, no `>`.
    Yahoo,
    /// Roundcube: format=flowed, "On 2026-12-01 10:00, Name wrote:".
    Roundcube,
    /// Zimbra: `----- Original Message -----` header block, then `> ` quote.
    Zimbra,
    /// K-9 Mail / FairEmail on Android: long attribution, `-- ` footer.
    K9,
    /// mutt/neomutt: `* Name <addr> [2026-12-01 10:00]:` then `> ` quote.
    Mutt,
    /// s-nail / mailx: `"Name" <addr> wrote:` then TAB-indented lines.
    SNail,
    /// Gmail web sending HTML only (`<div class="gmail_quote">…<blockquote>`), QP.
    GmailHtml,
    /// Outlook on the web sending HTML only (`<hr>`, `<div id="divRplyFwdMsg">`), base64.
    OutlookWebHtml,
}

impl Client {
    pub(crate) const ALL: [Client; 17] = [
        Client::GmailWeb,
        Client::GmailAndroid,
        Client::OutlookDesktop,
        Client::OutlookOriginalMessage,
        Client::OutlookWeb,
        Client::OutlookMobile,
        Client::Thunderbird,
        Client::AppleMail,
        Client::Ios,
        Client::Yahoo,
        Client::Roundcube,
        Client::Zimbra,
        Client::K9,
        Client::Mutt,
        Client::SNail,
        Client::GmailHtml,
        Client::OutlookWebHtml,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Client::GmailWeb => "gmail-web",
            Client::GmailAndroid => "gmail-android",
            Client::OutlookDesktop => "outlook-desktop",
            Client::OutlookOriginalMessage => "outlook-original-message",
            Client::OutlookWeb => "outlook-web",
            Client::OutlookMobile => "outlook-mobile",
            Client::Thunderbird => "thunderbird",
            Client::AppleMail => "apple-mail",
            Client::Ios => "ios-mail",
            Client::Yahoo => "yahoo",
            Client::Roundcube => "roundcube",
            Client::Zimbra => "zimbra",
            Client::K9 => "k9-fairemail",
            Client::Mutt => "mutt",
            Client::SNail => "s-nail",
            Client::GmailHtml => "gmail-html-only",
            Client::OutlookWebHtml => "outlook-web-html-only",
        }
    }

    /// The languages this client writes its attribution in.
    pub(crate) fn languages(self) -> &'static [Lang] {
        match self {
            // Their attribution is a configured format, not a translation.
            Client::Mutt | Client::SNail => &[Lang::En],
            _ => &[Lang::En, Lang::Id],
        }
    }
}

/// Who writes the reply.
pub(crate) struct Author<'a> {
    pub(crate) name: &'a str,
    pub(crate) address: &'a str,
}

/// The received mail as the author's client sees it.
struct Original {
    from_name: String,
    from_addr: String,
    to_name: String,
    to_addr: String,
    subject: String,
    message_id: String,
    references: Vec<String>,
    text: String,
}

impl Original {
    fn of(r: &Received) -> Original {
        let msg = mail_parser::MessageParser::default()
            .parse(r.raw.as_bytes())
            .expect("the received mail parses");
        let first = |a: Option<&mail_parser::Address>| {
            let a = a.and_then(|a| a.first());
            (
                a.and_then(|a| a.name()).unwrap_or_default().to_string(),
                a.and_then(|a| a.address()).unwrap_or_default().to_string(),
            )
        };
        let (from_name, from_addr) = first(msg.reply_to().or(msg.from()));
        let (to_name, to_addr) = first(msg.to());
        let mut references: Vec<String> = msg
            .references()
            .as_text_list()
            .map(|l| l.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        let id = bare(&r.message_id).to_string();
        references.push(id.clone());
        Original {
            from_name,
            from_addr,
            to_name,
            to_addr,
            subject: r.subject.clone(),
            message_id: id,
            references,
            text: r.text.replace("\r\n", "\n").trim_end().to_string(),
        }
    }

    fn sender(&self) -> String {
        if self.from_name.is_empty() {
            self.from_addr.clone()
        } else {
            self.from_name.clone()
        }
    }

    /// The recipient as Outlook and Zimbra show it: `Name <addr>`, or the address.
    fn recipient(&self) -> String {
        if self.to_name.is_empty() {
            self.to_addr.clone()
        } else {
            format!("{} <{}>", self.to_name, self.to_addr)
        }
    }

    fn sender_quoted(&self) -> String {
        format!("\"{}\"", self.sender().replace('"', ""))
    }

    fn lines(&self) -> Vec<&str> {
        self.text.lines().collect()
    }

    /// Where an inline answer goes: after the quoted question (the second dashed rule
    /// of a notification, the first blank line after line 3 otherwise).
    fn inline_point(&self) -> usize {
        let lines = self.lines();
        let rules: Vec<usize> = (0..lines.len())
            .filter(|&i| lines[i].trim().starts_with("-----"))
            .collect();
        if rules.len() >= 2 {
            return rules[1];
        }
        (3..lines.len())
            .find(|&i| lines[i].trim().is_empty())
            .unwrap_or(lines.len() / 2)
    }
}

fn bare(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

/// The raw reply `client` writes when `author` answers `to` with `new_text`.
pub(crate) fn reply_as(
    client: Client,
    lang: Lang,
    author: &Author<'_>,
    to: &Received,
    message_id: &str,
    new_text: &str,
    placement: Placement,
) -> Vec<u8> {
    let o = Original::of(to);
    let new_text = new_text.replace("\r\n", "\n");
    let body = compose(client, lang, &o, new_text.trim_end(), placement);
    assemble(client, lang, author, &o, message_id, body)
}

// ----- the text of each client ---------------------------------------------------------

/// What goes into the body: plain text, HTML, or both.
struct Body {
    plain: Option<Plain>,
    html: Option<Html>,
}

struct Plain {
    text: String,
    flowed: bool,
    encoding: Encoding,
}

struct Html {
    text: String,
    encoding: Encoding,
}

#[derive(Clone, Copy)]
enum Encoding {
    EightBit,
    QuotedPrintable,
    Base64,
}

/// How a client marks the quoted lines of a plain text reply.
struct Quoting {
    /// The text above the quoted lines: an attribution line or a header block.
    head: String,
    /// Whether `head` itself is inside the quote (Apple, iOS).
    head_quoted: bool,
    /// The prefix of each quoted line ("" when the client quotes without markers).
    prefix: &'static str,
    /// Hard wrap width of the whole text (0: no wrapping), and whether it is flowed.
    wrap: usize,
    flowed: bool,
    /// A footer the client puts under the new text.
    footer: Option<String>,
}

const DATE_EN_LONG: &str = "Tuesday, December 1, 2026 10:00 AM";
const DATE_ID_LONG: &str = "Selasa, 01 Desember 2026 10.00";

fn header_block(
    lang: Lang,
    o: &Original,
    sent_en: &str,
    sent_id: &str,
    subject_id: &str,
) -> String {
    match lang {
        Lang::En => format!(
            "From: {} <{}>\nSent: {sent_en}\nTo: {}\nSubject: {}",
            o.sender(),
            o.from_addr,
            o.recipient(),
            o.subject
        ),
        Lang::Id => format!(
            "Dari: {} <{}>\n{sent_id}\nKepada: {}\n{subject_id}: {}",
            o.sender(),
            o.from_addr,
            o.recipient(),
            o.subject
        ),
    }
}

fn quoting(client: Client, lang: Lang, o: &Original) -> Quoting {
    let name = o.sender();
    let addr = &o.from_addr;
    let en = lang == Lang::En;
    let q = |head: String, prefix: &'static str| Quoting {
        head,
        head_quoted: false,
        prefix,
        wrap: 0,
        flowed: false,
        footer: None,
    };
    match client {
        Client::GmailWeb | Client::GmailHtml => Quoting {
            wrap: 78,
            ..q(
                if en {
                    format!("On Tue, Dec 1, 2026 at 10:00 AM {name} <{addr}> wrote:\n")
                } else {
                    format!("Pada tanggal Sel, 1 Des 2026 pukul 10.00 {name} <{addr}> menulis:\n")
                },
                "> ",
            )
        },
        Client::GmailAndroid => Quoting {
            wrap: 78,
            ..q(
                if en {
                    format!("On Tue, 1 Dec 2026, 10:00 {name}, <{addr}> wrote:\n")
                } else {
                    format!("Pada Sel, 1 Des 2026 10.00, {name} <{addr}> menulis:\n")
                },
                "> ",
            )
        },
        Client::OutlookDesktop | Client::OutlookWeb | Client::OutlookWebHtml => {
            let sent_id = if client == Client::OutlookDesktop {
                format!("Dikirim: {DATE_ID_LONG}")
            } else {
                format!("Terkirim: {DATE_ID_LONG}")
            };
            let block = header_block(lang, o, DATE_EN_LONG, &sent_id, "Subjek");
            q(format!("________________________________\n{block}\n"), "")
        }
        Client::OutlookOriginalMessage => {
            let block = header_block(
                lang,
                o,
                DATE_EN_LONG,
                &format!("Dikirim: {DATE_ID_LONG}"),
                "Perihal",
            );
            let sep = if en {
                "-----Original Message-----"
            } else {
                "-----Pesan Asli-----"
            };
            q(format!("{sep}\n{block}\n"), "")
        }
        Client::OutlookMobile => {
            let block = header_block(
                lang,
                o,
                "Tuesday, December 1, 2026 10:00:00 AM",
                "Dikirim: Selasa, 01 Desember 2026 10.00.00",
                "Subjek",
            );
            Quoting {
                footer: Some(
                    if en {
                        "Get Outlook for Android<https://aka.ms/AAb9ysg>"
                    } else {
                        "Dapatkan Outlook untuk Android<https://aka.ms/AAb9ysg>"
                    }
                    .to_string(),
                ),
                ..q(format!("________________________________\n{block}\n"), "")
            }
        }
        Client::Thunderbird => Quoting {
            wrap: 72,
            flowed: true,
            ..q(
                if en {
                    format!("On 12/1/26 10:00, {name} wrote:")
                } else {
                    format!("Pada 01/12/26 10.00, {name} menulis:")
                },
                "> ",
            )
        },
        Client::AppleMail | Client::Ios => Quoting {
            head_quoted: true,
            footer: (client == Client::Ios).then(|| {
                if en {
                    "Sent from my iPhone".to_string()
                } else {
                    "Dikirim dari iPhone saya".to_string()
                }
            }),
            ..q(
                if en {
                    format!("On 1 Dec 2026, at 10:00, {name} <{addr}> wrote:\n")
                } else {
                    format!("Pada 1 Des 2026, pukul 10.00, {name} <{addr}> menulis:\n")
                },
                "> ",
            )
        },
        Client::Yahoo => Quoting {
            footer: Some(
                if en {
                    "Sent from Yahoo Mail on Android"
                } else {
                    "Dikirim dari Yahoo Mail di Android"
                }
                .to_string(),
            ),
            ..q(
                if en {
                    format!(
                        "    On Tuesday, December 1, 2026 at 10:00:00 AM GMT+8, {name} <{addr}> wrote:  \n \n"
                    )
                } else {
                    format!(
                        "    Pada Selasa, 1 Desember 2026 10.00.00 GMT+8, {name} <{addr}> menulis:  \n \n"
                    )
                },
                " ",
            )
        },
        Client::Roundcube => Quoting {
            wrap: 72,
            flowed: true,
            ..q(
                if en {
                    format!("On 2026-12-01 10:00, {name} wrote:")
                } else {
                    format!("Pada 2026-12-01 10:00, {name} menulis:")
                },
                "> ",
            )
        },
        Client::Zimbra => {
            let head = if en {
                format!(
                    "----- Original Message -----\nFrom: \"{name}\" <{addr}>\nTo: {}\n\
                     Sent: Tuesday, December 1, 2026 10:00:00 AM\nSubject: {}\n",
                    o.recipient(),
                    o.subject
                )
            } else {
                format!(
                    "----- Pesan Asli -----\nDari: \"{name}\" <{addr}>\nKepada: {}\n\
                     Terkirim: Selasa, 1 Desember 2026 10:00:00\nSubjek: {}\n",
                    o.recipient(),
                    o.subject
                )
            };
            q(head, "> ")
        }
        Client::K9 => Quoting {
            footer: Some(if en {
                "-- \nSent from my Android device with K-9 Mail. Please excuse my brevity."
                    .to_string()
            } else {
                "-- \nDikirim dari perangkat Android saya dengan K-9 Mail. Mohon maaf atas singkatnya."
                    .to_string()
            }),
            ..q(
                if en {
                    format!("On December 1, 2026 10:00:00 AM GMT+08:00, {name} <{addr}> wrote:")
                } else {
                    format!("Pada 1 Desember 2026 10:00:00 GMT+08:00, {name} <{addr}> menulis:")
                },
                "> ",
            )
        },
        Client::Mutt => q(format!("* {name} <{addr}> [2026-12-01 10:00]:"), "> "),
        Client::SNail => q(format!("\"{name}\" <{addr}> wrote:\n"), "\t"),
    }
}

/// Splits `line` at spaces so that `prefix` + each piece fits `width` (a word longer
/// than that stays whole). Flowed pieces keep their trailing space (a soft break).
fn wrap(prefix: &str, line: &str, width: usize, flowed: bool) -> Vec<String> {
    let room = width.saturating_sub(prefix.len());
    if width == 0 || prefix.len() + line.len() <= width || room == 0 {
        return vec![format!("{prefix}{line}")];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.len() + 1 + word.len() > room {
            if flowed {
                current.push(' ');
            }
            out.push(format!("{prefix}{current}"));
            current.clear();
        } else if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    out.push(format!("{prefix}{current}"));
    out
}

fn wrap_all(prefix: &str, text: &str, width: usize, flowed: bool) -> Vec<String> {
    text.lines()
        .flat_map(|l| {
            if l.is_empty() {
                vec![prefix.trim_end().to_string()]
            } else {
                wrap(prefix, l, width, flowed)
            }
        })
        .collect()
}

fn plain_text(
    client: Client,
    lang: Lang,
    o: &Original,
    new_text: &str,
    placement: Placement,
) -> Plain {
    let qs = quoting(client, lang, o);
    let (w, fl) = (qs.wrap, qs.flowed);
    let lines = o.lines();
    let cut = o.inline_point();
    let quote = |from: usize, to: usize| -> Vec<String> {
        lines[from..to]
            .iter()
            .flat_map(|l| {
                if l.is_empty() {
                    vec![qs.prefix.trim_end_matches(' ').to_string()]
                } else {
                    wrap(qs.prefix, l, w, fl)
                }
            })
            .collect()
    };
    let head: Vec<String> = if qs.head_quoted {
        wrap_all(qs.prefix, qs.head.trim_end_matches('\n'), w, fl)
            .into_iter()
            .chain(
                qs.head
                    .ends_with('\n')
                    .then(|| qs.prefix.trim_end().to_string()),
            )
            .collect()
    } else {
        let mut h = wrap_all("", qs.head.trim_end_matches('\n'), w, fl);
        if qs.head.ends_with('\n') || qs.prefix.is_empty() {
            h.push(String::new());
        }
        h
    };
    let (above, inside, below) = placement.split(new_text);
    let mut footer = qs.footer.clone();
    let mut mine = |text: &str| -> Vec<String> {
        let mut v = wrap_all("", text, w, fl);
        if let Some(f) = footer.take() {
            v.push(String::new());
            v.extend(f.lines().map(str::to_string));
        }
        v
    };
    let mut out: Vec<String> = Vec::new();
    if !above.is_empty() {
        out.extend(mine(&above));
        out.push(String::new());
        if !qs.head_quoted {
            out.push(String::new());
        }
    }
    out.extend(head);
    if inside.is_empty() {
        out.extend(quote(0, lines.len()));
    } else {
        out.extend(quote(0, cut));
        out.push(String::new());
        out.extend(mine(&inside));
        out.push(String::new());
        out.extend(quote(cut, lines.len()));
    }
    if !below.is_empty() {
        out.push(String::new());
        out.extend(mine(&below));
    }
    let mut text = out.join("\n");
    text.push('\n');
    let encoding = match client {
        Client::OutlookDesktop
        | Client::OutlookOriginalMessage
        | Client::OutlookWeb
        | Client::OutlookMobile
        | Client::AppleMail
        | Client::Ios
        | Client::GmailWeb
        | Client::GmailAndroid
        | Client::Yahoo => Encoding::QuotedPrintable,
        _ => Encoding::EightBit,
    };
    Plain {
        text,
        flowed: fl,
        encoding,
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_lines(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                String::new()
            } else {
                esc(l)
            }
        })
        .collect::<Vec<_>>()
        .join("<br>\r\n")
}

fn html_divs(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                "<div><br></div>".to_string()
            } else {
                format!("<div>{}</div>", esc(l))
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The HTML a client writes for the same reply (its own quote container).
fn html_text(
    client: Client,
    lang: Lang,
    o: &Original,
    new_text: &str,
    placement: Placement,
) -> String {
    let qs = quoting(client, lang, o);
    let lines = o.lines();
    let cut = o.inline_point();
    let part = |from: usize, to: usize| html_lines(&lines[from..to].join("\n"));
    let (above, inside, below) = placement.split(new_text);
    let mut footer = qs.footer.clone();
    let mut divs = |text: &str| {
        let mut d = html_divs(text);
        if let Some(f) = footer.take() {
            d.push_str(&format!("\r\n<div><br></div><div>{}</div>", html_lines(&f)));
        }
        d
    };
    let (above, inside, below) = (divs(&above), divs(&inside), divs(&below));
    let head = qs.head.trim().to_string();
    match client {
        Client::OutlookDesktop
        | Client::OutlookOriginalMessage
        | Client::OutlookWeb
        | Client::OutlookMobile
        | Client::OutlookWebHtml => {
            let fields: String = head
                .lines()
                .filter(|l| !l.starts_with("____") && !l.starts_with("-----"))
                .map(|l| match l.split_once(':') {
                    Some((k, v)) => format!("<b>{}:</b>{}<br>\r\n", esc(k), esc(v)),
                    None => format!("{}<br>\r\n", esc(l)),
                })
                .collect();
            let header = format!(
                "<div id=\"appendonsend\"></div>\r\n<hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">\r\n\
                 <div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" style=\"font-size:11pt\" color=\"#000000\">{fields}</font>\r\n<div>&nbsp;</div>\r\n</div>\r\n"
            );
            let quoted = |from, to| {
                format!(
                    "<div class=\"BodyFragment\"><font size=\"2\"><span style=\"font-size:11pt;\">\r\n<div class=\"PlainText\">{}</div>\r\n</span></font></div>\r\n",
                    part(from, to)
                )
            };
            let mine = |new: &str| {
                if new.is_empty() {
                    String::new()
                } else {
                    format!(
                        "<div style=\"font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);\">\r\n{new}\r\n</div>\r\n"
                    )
                }
            };
            let quote = if inside.is_empty() {
                quoted(0, lines.len())
            } else {
                format!(
                    "{}{}{}",
                    quoted(0, cut),
                    mine(&inside),
                    quoted(cut, lines.len())
                )
            };
            let body = format!("{}{header}{quote}{}", mine(&above), mine(&below));
            format!(
                "<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n\
                 <style type=\"text/css\" style=\"display:none;\"> P {{margin-top:0;margin-bottom:0;}} </style>\r\n</head>\r\n\
                 <body dir=\"ltr\">\r\n{body}</body>\r\n</html>\r\n"
            )
        }
        _ => {
            // Gmail's markup; Apple, Yahoo and the rest quote in a blockquote too.
            let attr = format!(
                "<div dir=\"ltr\" class=\"gmail_attr\">{}<br></div>",
                esc(&head)
            );
            let bq = |from, to| {
                format!(
                    "<blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex\">{}</blockquote>",
                    part(from, to)
                )
            };
            let mine = |new: &str| {
                if new.is_empty() {
                    String::new()
                } else {
                    format!("<div dir=\"ltr\">{new}</div>")
                }
            };
            let quote = if inside.is_empty() {
                bq(0, lines.len())
            } else {
                format!("{}{}{}", bq(0, cut), mine(&inside), bq(cut, lines.len()))
            };
            let top = if above.is_empty() {
                String::new()
            } else {
                format!("{}<br>", mine(&above))
            };
            let bottom = if below.is_empty() {
                String::new()
            } else {
                format!("<br>{}", mine(&below))
            };
            let body = format!("{top}<div class=\"gmail_quote\">{attr}{quote}</div>{bottom}");
            format!("{body}\r\n")
        }
    }
}

fn compose(client: Client, lang: Lang, o: &Original, new_text: &str, placement: Placement) -> Body {
    let plain = || Some(plain_text(client, lang, o, new_text, placement));
    let html = |encoding| {
        Some(Html {
            text: html_text(client, lang, o, new_text, placement),
            encoding,
        })
    };
    match client {
        Client::GmailHtml => Body {
            plain: None,
            html: html(Encoding::QuotedPrintable),
        },
        Client::OutlookWebHtml => Body {
            plain: None,
            html: html(Encoding::Base64),
        },
        Client::GmailWeb
        | Client::GmailAndroid
        | Client::OutlookDesktop
        | Client::OutlookWeb
        | Client::OutlookMobile
        | Client::AppleMail
        | Client::Ios
        | Client::Yahoo => Body {
            plain: plain(),
            html: html(Encoding::QuotedPrintable),
        },
        Client::OutlookOriginalMessage
        | Client::Thunderbird
        | Client::Roundcube
        | Client::Zimbra
        | Client::K9
        | Client::Mutt
        | Client::SNail => Body {
            plain: plain(),
            html: None,
        },
    }
}

// ----- the mail around it --------------------------------------------------------------

fn subject(client: Client, o: &Original) -> String {
    let base = o.subject.trim();
    let outlook = matches!(
        client,
        Client::OutlookDesktop
            | Client::OutlookOriginalMessage
            | Client::OutlookWeb
            | Client::OutlookMobile
            | Client::OutlookWebHtml
    );
    let lower = base.to_lowercase();
    if lower.starts_with("re:") {
        base.to_string()
    } else if outlook {
        format!("RE: {base}")
    } else {
        format!("Re: {base}")
    }
}

fn client_headers(client: Client, lang: Lang) -> Vec<String> {
    let lang_tag = match lang {
        Lang::En => "en-US",
        Lang::Id => "id-ID",
    };
    match client {
        Client::OutlookDesktop | Client::OutlookOriginalMessage => vec![
            "X-Mailer: Microsoft Outlook 16.0".into(),
            "Thread-Index: AQHbQ0xkZbXvL1u3kE2u9m7yZ1x2Ag==".into(),
            format!("Content-Language: {lang_tag}"),
        ],
        Client::OutlookWeb | Client::OutlookWebHtml | Client::OutlookMobile => vec![
            "Thread-Topic: reply".into(),
            "Thread-Index: AQHbQ0xkZbXvL1u3kE2u9m7yZ1x2Ag==".into(),
            format!("Content-Language: {lang_tag}"),
            "X-MS-Has-Attach:".into(),
            "X-MS-TNEF-Correlator:".into(),
        ],
        Client::Thunderbird => vec![
            "User-Agent: Mozilla Thunderbird".into(),
            format!("Content-Language: {lang_tag}"),
        ],
        Client::AppleMail => vec!["X-Mailer: Apple Mail (2.3826.300.87.4.3)".into()],
        Client::Ios => vec!["X-Mailer: iPhone Mail (22B91)".into()],
        Client::Roundcube => vec!["User-Agent: Roundcube Webmail/1.6.9".into()],
        Client::Zimbra => vec![
            "X-Mailer: Zimbra 10.0.9_GA_4675 (ZimbraWebClient - GC131 (Win)/10.0.9_GA_4675)".into(),
        ],
        Client::K9 => vec!["User-Agent: K-9 Mail for Android".into()],
        Client::Mutt => vec!["User-Agent: NeoMutt/20240425".into()],
        Client::SNail => vec!["User-Agent: s-nail v14.9.24".into()],
        Client::Yahoo => vec!["X-Mailer: WebService/1.1.22876 YMailNorrin".into()],
        Client::GmailWeb | Client::GmailAndroid | Client::GmailHtml => vec![],
    }
}

fn encode(text: &str, encoding: Encoding) -> (String, &'static str) {
    let text = &text.replace("\r\n", "\n");
    match encoding {
        Encoding::EightBit => (text.replace('\n', "\r\n"), "8bit"),
        Encoding::QuotedPrintable => (quoted_printable(text), "quoted-printable"),
        Encoding::Base64 => (base64(text.replace('\n', "\r\n").as_bytes()), "base64"),
    }
}

fn plain_part(p: &Plain) -> String {
    let (body, cte) = encode(&p.text, p.encoding);
    let flowed = if p.flowed { "; format=flowed" } else { "" };
    format!(
        "Content-Type: text/plain; charset=\"UTF-8\"{flowed}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}"
    )
}

fn html_part(h: &Html) -> String {
    let (body, cte) = encode(&h.text, h.encoding);
    format!(
        "Content-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{body}"
    )
}

fn assemble(
    client: Client,
    lang: Lang,
    author: &Author<'_>,
    o: &Original,
    message_id: &str,
    body: Body,
) -> Vec<u8> {
    let refs: Vec<String> = o.references.iter().map(|r| format!("<{r}>")).collect();
    let mut head = vec![
        format!("From: {} <{}>", author.name, author.address),
        format!("To: {} <{}>", o.sender_quoted(), o.from_addr),
        format!("Subject: {}", subject(client, o)),
        "Date: Tue, 01 Dec 2026 10:05:00 +0800".to_string(),
        format!("Message-ID: <{message_id}>"),
        format!("In-Reply-To: <{}>", o.message_id),
        format!("References: {}", refs.join("\r\n ")),
        "MIME-Version: 1.0".to_string(),
    ];
    head.extend(client_headers(client, lang));
    let mut s = head.join("\r\n");
    s.push_str("\r\n");
    match (body.plain, body.html) {
        (Some(p), Some(h)) => {
            let b = "000000000000a1b2c3d4e5f60718";
            s.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\n{}\r\n--{b}\r\n{}\r\n--{b}--\r\n",
                plain_part(&p),
                html_part(&h)
            ));
        }
        (Some(p), None) => {
            s.push_str(&plain_part(&p));
            s.push_str("\r\n");
        }
        (None, Some(h)) => {
            s.push_str(&html_part(&h));
            s.push_str("\r\n");
        }
        (None, None) => unreachable!("every client writes a body"),
    }
    s.into_bytes()
}

/// Quoted-printable as mail clients write it: `=XX` for non-ASCII, `=` and trailing
/// blanks, soft line breaks so no line exceeds 76 characters, CRLF line ends.
pub(crate) fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push_str("\r\n");
        }
        let bytes = line.as_bytes();
        let mut col = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let token = if b == b'='
                || b >= 0x7f
                || (b < 0x20 && b != b'\t')
                || (last && (b == b' ' || b == b'\t'))
            {
                format!("={b:02X}")
            } else {
                (b as char).to_string()
            };
            if col + token.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            out.push_str(&token);
            col += token.len();
        }
    }
    out
}

pub(crate) fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (n, chunk) in data.chunks(3).enumerate() {
        if n > 0 && n % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(T[((v >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
