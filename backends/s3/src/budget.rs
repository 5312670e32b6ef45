//! [`PartBudget`]: how many part buffers all writers of one opened bucket may hold at once.
//!
//! Each writer bounds its own parts in flight (`max_concurrency`), but a load uploads many files
//! at once (`[load] workers`, 20 by default), so per-writer bounds alone add up to
//! `workers × (max_concurrency + 1) × part size` — over half a GiB with the defaults. The budget
//! caps the sum: a writer takes a permit when its buffer grows past [`SMALL_OBJECT`] (so small
//! objects, the common case, never wait), and the permit is returned when that part's upload ends.
//! A writer waiting for a permit holds none, and every held permit belongs to a buffer that its
//! writer keeps filling or to an upload that finishes, so waiting always ends.

use std::sync::{Arc, Condvar, Mutex};

/// Buffers below this size take no permit.
pub const SMALL_OBJECT: usize = 1 << 20;
/// Part buffers held at once by all writers of a bucket, at least (awscli's default
/// `max_concurrent_requests` is 10).
pub const MIN_PARTS: usize = 10;

/// A counting semaphore of part buffers.
#[derive(Debug)]
pub struct PartBudget {
    free: Mutex<usize>,
    returned: Condvar,
}

/// One part buffer's share of the budget; returned on drop.
#[derive(Debug)]
pub struct Permit {
    budget: Arc<PartBudget>,
}

impl PartBudget {
    /// A budget of `parts` part buffers.
    pub fn new(parts: usize) -> Arc<PartBudget> {
        Arc::new(PartBudget {
            free: Mutex::new(parts.max(1)),
            returned: Condvar::new(),
        })
    }

    /// Waits for a free part buffer.
    pub fn acquire(self: &Arc<Self>) -> Permit {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.returned.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Permit {
            budget: self.clone(),
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut free = self.budget.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.budget.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_permits_out_than_the_budget() {
        let budget = PartBudget::new(3);
        let (out, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (budget, out, most) = (budget.clone(), out.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let permit = budget.acquire();
                        let now = out.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        out.fetch_sub(1, Ordering::SeqCst);
                        drop(permit);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(most.load(Ordering::SeqCst) <= 3);
        assert_eq!(*budget.free.lock().unwrap(), 3);
    }
}
