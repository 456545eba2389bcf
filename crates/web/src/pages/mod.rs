//! Server-rendered pages: plain HTML forms, no inline script, usable at
//! phone width. Each page handler calls the same domain operations as the
//! JSON API.

pub mod account;
pub mod album;
pub mod auth;
pub mod billing;
pub mod cameras;
pub mod external;
pub mod layout;
pub mod leaving;
pub mod privacy;
pub mod rights;
pub mod second_factor;
pub mod setup;
pub mod support;
pub mod unsubscribe;

use axum::http::StatusCode;

use crate::error::ApiError;

/// A domain error as a status and a sentence for the page.
pub(crate) fn failure(e: domain::Error) -> (StatusCode, String) {
    let api = ApiError::from(e);
    let text = match api.code {
        "unauthenticated" => "Wrong name or password.".to_string(),
        "too_many_requests" => format!(
            "Too many attempts. Try again in {} seconds.",
            api.retry_after.unwrap_or(60)
        ),
        _ => capitalise(&api.message),
    };
    (api.status, text)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}
