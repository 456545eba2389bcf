//! Privacy rules shared by every layer.

pub mod breach;
pub mod closure;
pub mod consent;
pub mod export;
pub mod held;
pub mod inventory;
pub mod marketing;
pub mod masking;
pub mod requests;
pub mod residency;
pub mod retention;
pub mod statistics;
pub mod support;
pub mod support_console;
pub mod usage;
