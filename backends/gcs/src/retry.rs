//! Bounded retries with exponential backoff and a timeout on every attempt.
//!
//! gcloud-storage retries nothing and has no timeouts of its own, so every request the backend
//! sends goes through [`with_retries`]: an attempt that fails with a retryable [`PluginError`]
//! (throttling, 5xx, network, timeout) is repeated after a growing, jittered pause, up to
//! [`RetryPolicy::max_attempts`] attempts in all.

use std::future::Future;
use std::time::Duration;

use stowage_plugin_sdk::{ErrorKind, PluginError, Result};

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry).
    pub max_attempts: u32,
    /// Pause after the first failed attempt; doubled after each further one.
    pub base_delay: Duration,
    /// Longest pause between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, pauses of about 0.2, 0.4, 0.8, 1.6, 3.2 s (gcsfs also makes 6 attempts).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The pause after `failed` failed attempts (1-based): `base · 2^(failed-1)`, capped, with
    /// jitter in its upper half so parallel writers do not retry in lockstep.
    pub fn delay(&self, failed: u32) -> Duration {
        let exponent = failed.saturating_sub(1).min(20);
        let full = self
            .base_delay
            .saturating_mul(1u32 << exponent)
            .min(self.max_delay);
        let half = full / 2;
        half + half.mul_f64(jitter_fraction())
    }
}

/// A number in `[0, 1)` that differs between calls (no need for a real RNG here).
fn jitter_fraction() -> f64 {
    use std::hash::{BuildHasher, RandomState};
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Runs `attempt` until it succeeds, fails with a non-retryable error, or the policy's attempts
/// are used up. Each attempt gets at most `timeout`; running out of it is a retryable
/// [`ErrorKind::Timeout`]. The final error says how many attempts were made.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    timeout: Duration,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut failed = 0;
    loop {
        let outcome = match tokio::time::timeout(timeout, attempt()).await {
            Ok(outcome) => outcome,
            Err(_) => Err(timed_out(timeout)),
        };
        match outcome {
            Ok(value) => return Ok(value),
            Err(err) => {
                failed += 1;
                if !err.is_retryable() || failed >= policy.max_attempts {
                    return Err(if failed > 1 {
                        err.with_context("attempts", failed.to_string())
                    } else {
                        err
                    });
                }
                tokio::time::sleep(policy.delay(failed)).await;
            }
        }
    }
}

/// The error of an attempt that ran out of time.
pub fn timed_out(timeout: Duration) -> PluginError {
    PluginError::new(
        ErrorKind::Timeout,
        format!("no complete answer within {} s", timeout.as_secs_f64()),
    )
    .with_retryable(true)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn quick() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    fn run<T>(fut: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
            .block_on(fut)
    }

    #[test]
    fn delays_grow_and_stay_capped() {
        let p = RetryPolicy::default();
        for failed in 1..30 {
            let d = p.delay(failed);
            let full = (p.base_delay * 2u32.pow(failed.min(20) - 1)).min(p.max_delay);
            assert!(d >= full / 2 && d <= full, "{failed}: {d:?} vs {full:?}");
        }
    }

    #[test]
    fn retryable_errors_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let out = run(with_retries(&quick(), Duration::from_secs(5), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(PluginError::new(ErrorKind::Io, "503").with_retryable(true))
            } else {
                Ok(7)
            }
        }));
        assert_eq!(out.unwrap(), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn attempts_are_bounded_and_counted() {
        let calls = AtomicU32::new(0);
        let err = run(with_retries(&quick(), Duration::from_secs(5), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(PluginError::new(ErrorKind::Io, "503").with_retryable(true))
        }))
        .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert!(err.is_retryable());
        assert!(err.to_string().contains("attempts=4"), "{err}");
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let err = run(with_retries(&quick(), Duration::from_secs(5), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(PluginError::not_found("404"))
        }))
        .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn a_hanging_attempt_times_out_and_is_retried() {
        let calls = AtomicU32::new(0);
        let err = run(with_retries(
            &quick(),
            Duration::from_millis(20),
            || async {
                calls.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<Result<()>>().await
            },
        ))
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert!(err.is_retryable());
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }
}
