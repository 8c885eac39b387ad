//! Where the driver gets the time, how it waits, and how a host stops it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Where the driver gets the time and how it waits.
pub trait Clock {
    /// The current instant.
    fn now(&mut self) -> Instant;
    /// Blocks until `deadline` (or pretends to).
    fn sleep_until(&mut self, deadline: Instant);
    /// The wall-clock time now, for the partitions' sync-state record.
    fn system_time(&mut self) -> SystemTime {
        SystemTime::now()
    }
}

/// The real clock: [`Instant::now`] and [`std::thread::sleep`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&mut self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&mut self, deadline: Instant) {
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        }
    }
}

/// A clock that jumps instead of sleeping: cycles, retries and heartbeats
/// happen at once, in order (tests, examples, replays). Its wall-clock time
/// moves with it.
#[derive(Clone, Copy, Debug)]
pub struct VirtualClock {
    start: Instant,
    start_time: SystemTime,
    now: Instant,
}

impl VirtualClock {
    /// A virtual clock starting at the real current instant and time.
    pub fn new() -> Self {
        Self::starting_at(SystemTime::now())
    }

    /// A virtual clock whose wall-clock time starts at `time`.
    pub fn starting_at(time: SystemTime) -> Self {
        let start = Instant::now();
        Self {
            start,
            start_time: time,
            now: start,
        }
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    /// How far the clock has moved since it was made.
    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for VirtualClock {
    fn now(&mut self) -> Instant {
        self.now
    }

    fn sleep_until(&mut self, deadline: Instant) {
        self.now = self.now.max(deadline);
    }

    fn system_time(&mut self) -> SystemTime {
        self.start_time + (self.now - self.start)
    }
}

impl<K: Clock + ?Sized> Clock for &mut K {
    fn now(&mut self) -> Instant {
        (**self).now()
    }

    fn sleep_until(&mut self, deadline: Instant) {
        (**self).sleep_until(deadline);
    }

    fn system_time(&mut self) -> SystemTime {
        (**self).system_time()
    }
}

/// Stops a running [`Driver`](super::Driver) from another thread, or from
/// inside a transport or observer: the batch in flight finishes, commits
/// and events are flushed, the partitions being read are recorded
/// Interrupted, and the run returns [`RunOutcome::Stopped`](super::RunOutcome::Stopped).
/// Once stopped, the driver's runs return at once.
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    /// Asks the driver to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked for.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
