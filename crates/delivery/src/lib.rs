//! Senders that deliver one-time codes and notices: implementations of
//! `domain::ports::Sender`.
//!
//! `console` prints to standard output for development (it shows the code,
//! which is its purpose, but masks the address); `smtp` sends email with
//! lettre over rustls; `webhook` POSTs JSON to an SMS gateway. Errors never
//! carry the recipient or the message text, since they end up in logs (F4).

mod console;
mod smtp;
mod webhook;

pub use console::ConsoleSender;
pub use smtp::SmtpSender;
pub use webhook::WebhookSender;
