//! Senders that deliver one-time codes and notices: implementations of
//! `domain::ports::Sender`.
//!
//! `console` prints to standard output for development (it shows the code,
//! which is its purpose, but masks the address); `smtp` sends email with
//! lettre over rustls; `webhook` POSTs JSON to an SMS gateway. Errors never
//! carry the recipient or the message text, since they end up in logs (F4).
//!
//! `http_poster` POSTs signed event webhooks (`domain::ports::WebhookPoster`).
//!
//! `push` sends Web Push alerts to browsers (`domain::ports::PushSender`).
//!
//! `mqtt` is an integration rather than a sender: it publishes events and
//! camera state to the household's broker for Home Assistant.

mod console;
mod http_poster;
pub mod mqtt;
mod push;
mod smtp;
mod webhook;

pub use console::ConsoleSender;
pub use http_poster::HttpPoster;
pub use mqtt::MqttPublisher;
pub use push::WebPushSender;
pub use smtp::SmtpSender;
pub use webhook::WebhookSender;
