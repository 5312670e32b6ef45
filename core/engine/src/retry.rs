//! Bounded retries of bucket operations: an error the backend marks retryable (throttling,
//! 5xx, network; [`crate::Error::is_retryable`]) is retried with exponential backoff up to
//! `max_retries` times (dlt's `load.raise_on_max_retries`, default 5); anything else fails at
//! once.

use std::time::Duration;

use crate::progress::{Event, ProgressHandle};
use crate::{Error, Result};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: no retries).
    pub max_retries: u32,
    /// Delay before the first retry; doubled for each next one.
    pub initial_delay: Duration,
    /// Upper bound of one delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// Retries without waiting (tests).
    pub fn immediate(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            initial_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The delay before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        self.initial_delay
            .saturating_mul(factor)
            .min(self.max_delay)
    }

    /// True if `error` on attempt `attempt` (0-based) should be retried.
    pub fn should_retry(&self, error: &Error, attempt: u32) -> bool {
        error.is_retryable() && attempt < self.max_retries
    }
}

/// Runs `op` until it succeeds, fails permanently, or the retries are used up; each retry is
/// reported as [`Event::Retrying`] and waits for the policy's delay.
pub fn with_retries<T>(
    policy: &RetryPolicy,
    progress: &ProgressHandle,
    what: &str,
    mut op: impl FnMut() -> Result<T>,
) -> Result<T> {
    let mut attempt = 0;
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(e) if policy.should_retry(&e, attempt) => {
                attempt += 1;
                let delay = policy.delay(attempt);
                progress.emit(&Event::Retrying {
                    what,
                    retry: attempt,
                    error: &e,
                    delay,
                });
                std::thread::sleep(delay);
            }
            Err(e) if e.is_retryable() => {
                return Err(e.while_doing(format!("{what} (gave up after {attempt} retries)")));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn delays_double_up_to_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1), Duration::from_millis(500));
        assert_eq!(p.delay(2), Duration::from_secs(1));
        assert_eq!(p.delay(5), Duration::from_secs(8));
        assert_eq!(p.delay(40), Duration::from_secs(8));
    }

    #[test]
    fn transient_errors_are_retried_and_permanent_ones_are_not() {
        let policy = RetryPolicy::immediate(3);
        let progress = ProgressHandle::none();
        let mut calls = 0;
        let out = with_retries(&policy, &progress, "x", || {
            calls += 1;
            match calls {
                1 | 2 => Err(Error::new(ErrorKind::Io, "reset")),
                _ => Ok(calls),
            }
        });
        assert_eq!(out.unwrap(), 3);
        let mut calls = 0;
        let err = with_retries(&policy, &progress, "x", || -> Result<()> {
            calls += 1;
            Err(Error::new(ErrorKind::PermissionDenied, "no"))
        });
        assert!(err.is_err());
        assert_eq!(calls, 1);
        let mut calls = 0;
        let err = with_retries(&policy, &progress, "upload", || -> Result<()> {
            calls += 1;
            Err(Error::new(ErrorKind::Timeout, "slow"))
        })
        .unwrap_err();
        assert_eq!(calls, 4);
        assert!(err.message().contains("gave up after 3 retries"), "{err}");
    }
}
