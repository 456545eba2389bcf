//! The product rules of camvault, free of HTTP and SQL.
//!
//! `accounts` holds identity: registration, contact verification, sign-in,
//! sessions and API tokens. `ports` declares every storage and delivery
//! dependency as a trait so `store` and `delivery` can implement them and
//! tests can run the same rules on SQLite and PostgreSQL. `privacy` holds the
//! masking helpers every log line and page goes through (promise F4). Time
//! always comes from a [`clock::Clock`], never from the wall clock directly.

pub mod accounts;
pub mod album;
pub mod audit;
pub mod billing;
pub mod cameras;
pub mod clock;
pub mod cluster;
pub mod error;
pub mod events;
pub mod ids;
pub mod notify;
pub mod ports;
pub mod privacy;
pub mod recordings;
pub mod sealed;

pub use error::{Error, Result};
