//! Logging that cannot leak contact data (promise F4).
//!
//! The code never logs raw contacts, passwords, codes or tokens: it logs
//! masked addresses and ids. As a second line of defence every log line
//! passes through [`scrub`], which masks anything shaped like an email
//! address or an international phone number before it is written.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

use domain::privacy::masking::{mask_email, mask_phone};
use regex::Regex;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

fn email_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // A constant pattern: compiling it cannot fail.
    RE.get_or_init(|| {
        Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+").expect("valid regex")
    })
}

fn phone_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\+[0-9]{8,15}").expect("valid regex"))
}

/// Masks email addresses and phone numbers in a line of text.
pub fn scrub(line: &str) -> String {
    let once = email_re().replace_all(line, |c: &regex::Captures| mask_email(&c[0]));
    phone_re()
        .replace_all(&once, |c: &regex::Captures| mask_phone(&c[0]))
        .into_owned()
}

/// Writes to standard error through [`scrub`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrubbingStderr;

/// One log write, scrubbed before it reaches stderr.
pub struct ScrubbingWriter;

impl Write for ScrubbingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The formatter hands over one whole event per write, so patterns are
        // never split across calls.
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> MakeWriter<'a> for ScrubbingStderr {
    type Writer = ScrubbingWriter;
    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter
    }
}

/// Installs the global subscriber: `RUST_LOG` filter (default `info`),
/// text or JSON lines on stderr.
pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(ScrubbingStderr)
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests) keeps the first subscriber.
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    // promise: F4
    #[test]
    fn scrub_masks_emails_and_phones() {
        let line = "sent to jane.doe@example.com and +8613812345678 ok";
        let out = scrub(line);
        assert_eq!(out, "sent to j***@example.com and +86138****5678 ok");
    }
}
