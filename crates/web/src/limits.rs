//! Request rate limits per client address: one for every request, a
//! stricter one for the doors where passwords and codes are tried (the
//! domain throttles per account too). Answers `429 too_many_requests` with
//! `Retry-After`.
//!
//! One instance keeps them in memory (a token bucket per address). Several
//! instances behind a load balancer share them instead: each request adds
//! one to its address's count for the current minute in the database, so
//! the limit holds however requests are spread. A fixed minute may let
//! twice the allowance through around its boundary, and a database that
//! does not answer lets requests through rather than refusing everyone.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::Method;
use domain::clock::Timestamp;
use domain::ports::RateCountStore;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// Requests checked between sweeps of addresses not seen lately.
const SWEEP_EVERY: u64 = 10_000;
/// The shared counters' window.
const WINDOW_MS: i64 = 60_000;

/// Counters in the database, for instances sharing their limits.
struct Shared {
    store: Arc<dyn RateCountStore>,
    clock: Arc<dyn domain::clock::Clock>,
    general: u32,
    auth: u32,
}

/// The limits in force.
pub struct RateLimits {
    general: Option<DefaultKeyedRateLimiter<IpAddr>>,
    auth: Option<DefaultKeyedRateLimiter<IpAddr>>,
    seen: AtomicU64,
    shared: Option<Shared>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits").finish_non_exhaustive()
    }
}

fn limiter(per_minute: u32) -> Option<DefaultKeyedRateLimiter<IpAddr>> {
    // A whole minute's allowance may come at once, then it refills.
    NonZeroU32::new(per_minute).map(|n| governor::RateLimiter::keyed(Quota::per_minute(n)))
}

/// Where passwords, codes and device secrets are tried.
fn is_auth(method: &Method, path: &str) -> bool {
    // The provider's way back carries a code to redeem, on a GET.
    if path == "/auth/oidc/callback" || path == "/auth/oidc/start" {
        return true;
    }
    *method == Method::POST
        && matches!(
            path,
            "/api/v1/sessions"
                | "/api/v1/sessions/by-code"
                | "/api/v1/sessions/second-factor"
                | "/api/v1/login-codes"
                | "/api/v1/accounts"
                | "/api/v1/device/token"
                | "/signin"
                | "/signin/code"
                | "/signin/code-request"
                | "/signin/second-factor"
                | "/signup"
                | "/verify"
        )
}

impl RateLimits {
    /// Limits per minute and address, in this process; 0 turns one off.
    pub fn new(general_per_minute: u32, auth_per_minute: u32) -> RateLimits {
        RateLimits {
            general: limiter(general_per_minute),
            auth: limiter(auth_per_minute),
            seen: AtomicU64::new(0),
            shared: None,
        }
    }

    /// Limits per minute and address counted in `store`, shared with every
    /// instance on it; 0 turns one off.
    pub fn shared(
        general_per_minute: u32,
        auth_per_minute: u32,
        store: Arc<dyn RateCountStore>,
        clock: Arc<dyn domain::clock::Clock>,
    ) -> RateLimits {
        RateLimits {
            general: None,
            auth: None,
            seen: AtomicU64::new(0),
            shared: Some(Shared {
                store,
                clock,
                general: general_per_minute,
                auth: auth_per_minute,
            }),
        }
    }

    /// None if the request may go on, else the seconds to wait.
    pub async fn check(&self, ip: IpAddr, method: &Method, path: &str) -> Option<u64> {
        match &self.shared {
            Some(shared) => shared.check(ip, is_auth(method, path)).await,
            None => self.check_local(ip, method, path),
        }
    }

    fn check_local(&self, ip: IpAddr, method: &Method, path: &str) -> Option<u64> {
        if self.seen.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for l in [&self.general, &self.auth].into_iter().flatten() {
                l.retain_recent();
            }
        }
        let auth = is_auth(method, path)
            .then_some(&self.auth)
            .into_iter()
            .flatten();
        for l in auth.chain(self.general.iter()) {
            if let Err(not_until) = l.check_key(&ip) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Some(wait.as_secs().max(1));
            }
        }
        None
    }
}

impl Shared {
    async fn check(&self, ip: IpAddr, auth: bool) -> Option<u64> {
        let now = self.clock.now().ms();
        let window = now - now.rem_euclid(WINDOW_MS);
        let wait = u64::try_from((window + WINDOW_MS - now + 999) / 1000).unwrap_or(1);
        let doors = [
            ("auth", auth.then_some(self.auth)),
            ("all", Some(self.general)),
        ];
        for (door, limit) in doors {
            let Some(limit) = limit.filter(|l| *l > 0) else {
                continue;
            };
            let key = format!("{door}:{ip}");
            match self.store.count_request(&key, Timestamp(window)).await {
                Ok(n) if n > i64::from(limit) => return Some(wait.max(1)),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "shared rate limit not counted; letting the request through");
                    return None;
                }
            }
        }
        None
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new(0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_allowance_and_sign_in_a_smaller_one() {
        let l = RateLimits::new(5, 2);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let post = Method::POST;
        assert!(l.check_local(a, &post, "/api/v1/sessions").is_none());
        assert!(l.check_local(a, &post, "/api/v1/sessions").is_none());
        assert!(
            l.check_local(a, &post, "/api/v1/sessions").is_some(),
            "third sign-in"
        );
        assert!(
            l.check_local(b, &post, "/api/v1/sessions").is_none(),
            "another address"
        );
        for _ in 0..3 {
            assert!(l.check_local(a, &Method::GET, "/api/v1/me").is_none());
        }
        let wait = l
            .check_local(a, &Method::GET, "/api/v1/me")
            .expect("sixth request");
        assert!((1..=60).contains(&wait));
        let off = RateLimits::default();
        for _ in 0..1000 {
            assert!(off.check_local(a, &post, "/signin").is_none());
        }
    }
}
