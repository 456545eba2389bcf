//! The development sender: prints messages to standard output.

use async_trait::async_trait;
use domain::ports::{Message, Sender};
use domain::Result;

/// Prints each message as one line on standard output, address masked.
#[derive(Debug, Default)]
pub struct ConsoleSender;

#[async_trait]
impl Sender for ConsoleSender {
    async fn send(&self, message: &Message) -> Result<()> {
        let body = message.body.replace(['\r', '\n'], " ");
        // stdout on purpose: this is the developer's inbox, not a log.
        println!("console sender -> {}: {body}", message.to.masked());
        Ok(())
    }
}
