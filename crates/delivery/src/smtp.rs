//! Email over SMTP with lettre (rustls for TLS).

use async_trait::async_trait;
use domain::ports::{Message, Sender};
use domain::{Error, Result};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Sends email through one SMTP server.
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpSender")
    }
}

impl SmtpSender {
    /// `url` is `smtp://host:port` (plain, e.g. a local relay),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`;
    /// credentials may be given as `user:pass@`. `from` is a mailbox such as
    /// `camvault <noreply@example.com>`.
    pub fn new(url: &str, from: &str) -> Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| Error::invalid("smtp_url", "is not a valid SMTP URL"))?
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| Error::invalid("smtp_from", "is not a valid mailbox"))?;
        Ok(SmtpSender { transport, from })
    }
}

#[async_trait]
impl Sender for SmtpSender {
    async fn send(&self, message: &Message) -> Result<()> {
        let to = message
            .to
            .expose()
            .parse::<Mailbox>()
            .map_err(|_| Error::Delivery("recipient is not a valid mailbox".into()))?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject);
        if let Some(url) = &message.unsubscribe {
            // RFC 2369 names where to unsubscribe; RFC 8058 says a POST
            // there unsubscribes in one click, without signing in.
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let email = match &message.attachment {
            None => builder.body(message.body.clone()),
            Some(file) => {
                let content_type = ContentType::parse(&file.content_type)
                    .map_err(|_| Error::Delivery("attachment has an invalid MIME type".into()))?;
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(message.body.clone()))
                        .singlepart(
                            Attachment::new(file.file_name.clone())
                                .body(file.bytes.clone(), content_type),
                        ),
                )
            }
        }
        .map_err(|_| Error::Delivery("could not build the email".into()))?;
        self.transport.send(email).await.map_err(|e| {
            // The server's reply text may echo the address, so keep only its code.
            let code = e
                .status()
                .map(|c| c.to_string())
                .unwrap_or_else(|| "none".into());
            Error::Delivery(format!("SMTP send failed (reply code {code})"))
        })?;
        Ok(())
    }
}
