//! A transport wrapper that injects failures and latency, seeded.

use std::time::Duration;

use crate::sync::transport::{Batch, ItemResult, Transport};

/// How often and how the wrapper fails items.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct FaultConfig {
    /// Probability that an item fails with [`ItemResult::FailedRetry`].
    pub retry_rate: f64,
    /// Probability that an item fails with [`ItemResult::FailedNoRetry`].
    pub no_retry_rate: f64,
    /// Delay added to every batch (real sleep).
    pub latency: Duration,
    /// Seed of the failure draws.
    pub seed: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            retry_rate: 0.0,
            no_retry_rate: 0.0,
            latency: Duration::ZERO,
            seed: 0,
        }
    }
}

/// Counts of what the wrapper did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultStats {
    /// Items passed to the inner transport.
    pub passed: u64,
    /// Items failed with retry.
    pub retry: u64,
    /// Items failed without retry.
    pub no_retry: u64,
}

/// Fails each item with the configured probabilities (drawn from a seeded
/// generator, so runs repeat) and hands the rest to the inner transport,
/// which therefore only ever sees accepted items. An inner answer of the
/// wrong length is passed on with the wrong length (never padded), so the
/// engine sees it. Pings go to the inner transport.
#[derive(Debug)]
pub struct FaultInjectingTransport<T> {
    inner: T,
    config: FaultConfig,
    state: u64,
    stats: FaultStats,
}

impl<T: Transport> FaultInjectingTransport<T> {
    /// Wraps `inner`.
    pub fn new(inner: T, config: FaultConfig) -> Self {
        Self {
            inner,
            state: config.seed,
            config,
            stats: FaultStats::default(),
        }
    }

    /// The inner transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Gives the inner transport back.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// What was injected so far.
    pub fn stats(&self) -> FaultStats {
        self.stats
    }

    fn draw(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl<T: Transport> Transport for FaultInjectingTransport<T> {
    type Error = T::Error;

    fn ping(&mut self) -> Result<(), T::Error> {
        self.inner.ping()
    }

    fn send(&mut self, batch: &Batch) -> Result<Vec<ItemResult>, T::Error> {
        if !self.config.latency.is_zero() {
            std::thread::sleep(self.config.latency);
        }
        let mut results = Vec::with_capacity(batch.updates.len());
        let mut passed = Vec::new();
        for (index, update) in batch.updates.iter().enumerate() {
            let draw = self.draw();
            let result = if draw < self.config.no_retry_rate {
                self.stats.no_retry += 1;
                ItemResult::FailedNoRetry
            } else if draw < self.config.no_retry_rate + self.config.retry_rate {
                self.stats.retry += 1;
                ItemResult::FailedRetry
            } else {
                self.stats.passed += 1;
                passed.push((index, update.clone()));
                ItemResult::Success
            };
            results.push(result);
        }
        if !passed.is_empty() {
            let (indexes, updates): (Vec<usize>, Vec<_>) = passed.into_iter().unzip();
            let forwarded = Batch {
                id: batch.id,
                source_connector: batch.source_connector.clone(),
                target_connector: batch.target_connector.clone(),
                updates,
            };
            let inner = self.inner.send(&forwarded)?;
            if inner.len() != indexes.len() {
                // A short (or long) answer goes on as one, so that the
                // engine's length check sees it: the unanswered items are
                // left out, extra results kept.
                let answered = inner.len().min(indexes.len());
                for (&index, result) in indexes.iter().zip(&inner) {
                    results[index] = *result;
                }
                for &index in indexes[answered..].iter().rev() {
                    results.remove(index);
                }
                results.extend(inner.into_iter().skip(indexes.len()));
                return Ok(results);
            }
            for (index, result) in indexes.into_iter().zip(inner) {
                results[index] = result;
            }
        }
        Ok(results)
    }
}
