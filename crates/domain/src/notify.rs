//! Routing messages to the right sender by the kind of address.

use std::sync::Arc;

use crate::accounts::contact::ContactKind;
use crate::ports::{Message, Sender};
use crate::Result;

/// Sends each message through the email or SMS sender its address needs.
#[derive(Clone)]
pub struct Outbox {
    email: Arc<dyn Sender>,
    sms: Arc<dyn Sender>,
}

impl Outbox {
    /// An outbox over the two senders.
    pub fn new(email: Arc<dyn Sender>, sms: Arc<dyn Sender>) -> Self {
        Outbox { email, sms }
    }

    /// Delivers one message.
    pub async fn send(&self, message: &Message) -> Result<()> {
        match message.to.kind() {
            ContactKind::Email => self.email.send(message).await,
            ContactKind::Phone => self.sms.send(message).await,
        }
    }
}
