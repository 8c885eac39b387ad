//! One clock for the driver and the diagnostics record.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use super::super::driver::Clock;

/// A clock shared by clones: the driver moves it, the [`Diagnostics`](super::Diagnostics)
/// record reads the same time. Meant for a [`VirtualClock`](super::super::VirtualClock)
/// (its waits are instant); a [`SystemClock`](super::super::SystemClock)
/// needs no sharing, and would hold the lock while it sleeps.
///
/// ```
/// use std::time::Duration;
/// use hashsync::sync::{Clock, SharedClock, VirtualClock};
/// let mut driver_side = SharedClock::new(VirtualClock::new());
/// let mut record_side = driver_side.clone();
/// let before = record_side.now();
/// driver_side.with(|clock| clock.advance(Duration::from_secs(3600)));
/// assert_eq!(record_side.now() - before, Duration::from_secs(3600));
/// ```
#[derive(Debug, Default)]
pub struct SharedClock<K> {
    clock: Arc<Mutex<K>>,
}

impl<K> Clone for SharedClock<K> {
    fn clone(&self) -> Self {
        Self {
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<K: Clock> SharedClock<K> {
    /// Shares `clock`.
    pub fn new(clock: K) -> Self {
        Self {
            clock: Arc::new(Mutex::new(clock)),
        }
    }

    /// Runs `f` on the shared clock (to advance a virtual one).
    pub fn with<R>(&self, f: impl FnOnce(&mut K) -> R) -> R {
        f(&mut self.clock.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<K: Clock> Clock for SharedClock<K> {
    fn now(&mut self) -> Instant {
        self.with(Clock::now)
    }

    fn sleep_until(&mut self, deadline: Instant) {
        self.with(|clock| clock.sleep_until(deadline));
    }

    fn system_time(&mut self) -> SystemTime {
        self.with(Clock::system_time)
    }
}
