//! Timestamps as RFC 3339 text for JSON and pages.

use domain::clock::Timestamp;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `2026-11-26T08:00:00Z` for a timestamp (UTC, second precision).
pub fn rfc3339(t: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp(t.ms().div_euclid(1000))
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| "-".to_string())
}
