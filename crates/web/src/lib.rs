//! Everything HTTP about camvault and nothing else.
//!
//! `router` is the table of every route; `api` holds the JSON handlers under
//! `/api/v1`, `pages` the server-rendered pages; `extract` turns requests into
//! authenticated callers and typed bodies; `error` is the single place where
//! domain errors become HTTP statuses and stable error codes. Handlers stay
//! thin: they parse, call `domain`, and render.

pub mod api;
pub mod error;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod pages;
pub mod router;
pub mod state;
pub mod time_fmt;

pub use router::router;
pub use state::{AppState, WebSettings};
