//! tmp
#![allow(clippy::unwrap_used)]
#[path = "api/masking.rs"]
mod masking;
