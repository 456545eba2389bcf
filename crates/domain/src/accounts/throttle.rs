//! Login throttling: exponential back-off per account and per IP (G7).

use std::time::Duration;

use crate::clock::Timestamp;

/// How many failures are free and how the lockout grows after that.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first lockout.
    pub free_failures: i64,
    /// The first lockout; each further failure doubles it.
    pub base_lockout: Duration,
    /// The longest lockout.
    pub max_lockout: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl ThrottlePolicy {
    /// Per sign-in name: five free tries, then 30 s doubling to 15 min.
    pub const PER_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        base_lockout: Duration::from_secs(30),
        max_lockout: Duration::from_secs(15 * 60),
        window: Duration::from_secs(60 * 60),
    };

    /// Per client IP: more room (households share an address), same growth.
    pub const PER_IP: ThrottlePolicy = ThrottlePolicy {
        free_failures: 20,
        base_lockout: Duration::from_secs(30),
        max_lockout: Duration::from_secs(15 * 60),
        window: Duration::from_secs(60 * 60),
    };

    /// When the key unlocks after its `failures`-th failure at `now`, if locked.
    pub fn locked_until(&self, failures: i64, now: Timestamp) -> Option<Timestamp> {
        if failures < self.free_failures {
            return None;
        }
        let doublings = (failures - self.free_failures).min(20) as u32;
        let lock = self
            .base_lockout
            .saturating_mul(1u32 << doublings)
            .min(self.max_lockout);
        Some(now.plus(lock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // promise: G7
    #[test]
    fn lockout_doubles_and_is_capped() {
        let p = ThrottlePolicy::PER_ACCOUNT;
        let t0 = Timestamp(0);
        assert_eq!(p.locked_until(4, t0), None);
        assert_eq!(p.locked_until(5, t0), Some(Timestamp(30_000)));
        assert_eq!(p.locked_until(6, t0), Some(Timestamp(60_000)));
        assert_eq!(p.locked_until(7, t0), Some(Timestamp(120_000)));
        assert_eq!(p.locked_until(60, t0), Some(Timestamp(900_000)));
    }
}
