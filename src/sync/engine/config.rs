//! How a channel is configured, and the configurations the engine refuses.

use std::time::Duration;

use uuid::Uuid;

use crate::crypto::Iterations;
use crate::model::ManagedDomainSettings;

use super::super::delivery::LegacyDelivery;

use super::super::scope::ScopePolicy;

/// Entra Connect's largest upload batch.
pub const MAX_BATCH_SIZE: usize = 50;

/// Entra Connect's bound on the retry queue.
pub const DEFAULT_RETRY_QUEUE_LIMIT: usize = 2000;

/// Exponential backoff with jitter for failed items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay before the first retry (must not be zero).
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(2),
            max: Duration::from_secs(300),
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (1-based): `initial * 2^(attempt-1)`
    /// capped at `max`, then "equal jitter": half fixed, half drawn from
    /// `unit` (a number in `[0, 1)`).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let base = self.initial.saturating_mul(1u32 << exponent).min(self.max);
        let half = base / 2;
        half + half.mul_f64(unit.clamp(0.0, 1.0))
    }
}

/// How a channel is configured. [`ChannelConfig::new`] gives Entra Connect's
/// defaults; [`ChannelConfig::from_configuration`] reads them from the
/// service's configuration.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChannelConfig {
    /// Source (AD) connector name.
    pub source_connector: String,
    /// Source (AD) connector identifier, carried by every event.
    pub source_connector_id: Uuid,
    /// Target (Entra ID) connector name.
    pub target_connector: String,
    /// Which accounts are synced.
    pub scope: ScopePolicy,
    /// The tenant's Domain Services managed domain, if it has one. Legacy
    /// credentials (NT hash, Kerberos keys) leave only when it does and its
    /// `sync_on_prem_passwords` is on; otherwise an update carries the
    /// OrgId hash alone (Entra Connect's default). Within it,
    /// `sync_ntlm_passwords` off sends a random NT hash and
    /// `sync_kerberos_passwords` off sends no Kerberos keys.
    pub domain_services: Option<ManagedDomainSettings>,
    /// How legacy credentials reach the transport when they are sent:
    /// sealed to the managed domain's certificate (Entra Connect's way) or,
    /// by explicit choice, in the clear. Must be set whenever
    /// [`domain_services`](Self::domain_services) sends legacy credentials;
    /// [`validate`](Self::validate) refuses the channel otherwise.
    pub legacy_delivery: Option<LegacyDelivery>,
    /// Items per batch, 1 to [`MAX_BATCH_SIZE`].
    pub batch_size: usize,
    /// Items that may wait for a retry at once (2000 in Entra Connect); at
    /// least one batch.
    pub retry_queue_limit: usize,
    /// Retry backoff.
    pub backoff: Backoff,
    /// Idle time before a heartbeat ping (30 minutes in Entra Connect).
    pub heartbeat_interval: Duration,
    /// A full-sync progress event every this many accounts read.
    pub progress_interval: u64,
    /// OrgId hash iteration count (1000).
    pub org_id_iterations: Iterations,
    /// Seed of the retry jitter.
    pub seed: u64,
}

impl ChannelConfig {
    /// A channel between two connectors with Entra Connect's defaults:
    /// every rule of the default scope, no Domain Services (OrgId hash
    /// only), batches of 50, a retry queue of 2000, a 30-minute heartbeat.
    /// The connector identifier is nil until set with
    /// [`with_source_connector_id`](Self::with_source_connector_id).
    pub fn new(source_connector: impl Into<String>, target_connector: impl Into<String>) -> Self {
        Self {
            source_connector: source_connector.into(),
            source_connector_id: Uuid::nil(),
            target_connector: target_connector.into(),
            scope: ScopePolicy::default(),
            domain_services: None,
            legacy_delivery: None,
            batch_size: MAX_BATCH_SIZE,
            retry_queue_limit: DEFAULT_RETRY_QUEUE_LIMIT,
            backoff: Backoff::default(),
            heartbeat_interval: Duration::from_secs(30 * 60),
            progress_interval: 1000,
            org_id_iterations: Iterations::ORG_ID_DEFAULT,
            seed: 0,
        }
    }

    /// Sets the source connector's identifier.
    pub fn with_source_connector_id(mut self, identifier: Uuid) -> Self {
        self.source_connector_id = identifier;
        self
    }

    /// Sets the tenant's Domain Services settings (legacy credentials).
    pub fn with_domain_services(mut self, settings: Option<ManagedDomainSettings>) -> Self {
        self.domain_services = settings;
        self
    }

    /// Sets how legacy credentials reach the transport.
    pub fn with_legacy_delivery(mut self, delivery: LegacyDelivery) -> Self {
        self.legacy_delivery = Some(delivery);
        self
    }

    /// Whether updates carry legacy credentials (Domain Services with
    /// `sync_on_prem_passwords` on).
    pub fn sends_legacy_credentials(&self) -> bool {
        self.domain_services
            .is_some_and(|settings| settings.sync_on_prem_passwords)
    }

    /// Checks that the engine can run this configuration.
    pub fn validate(&self) -> Result<(), ChannelConfigError> {
        if self.sends_legacy_credentials() && self.legacy_delivery.is_none() {
            return Err(ChannelConfigError::LegacyDeliveryUnset);
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return Err(ChannelConfigError::BatchSize {
                batch_size: self.batch_size,
            });
        }
        if self.retry_queue_limit < self.batch_size {
            return Err(ChannelConfigError::RetryQueueSmallerThanBatch {
                retry_queue_limit: self.retry_queue_limit,
                batch_size: self.batch_size,
            });
        }
        if self.backoff.initial.is_zero() {
            return Err(ChannelConfigError::ZeroBackoff);
        }
        if self.heartbeat_interval.is_zero() {
            return Err(ChannelConfigError::ZeroHeartbeatInterval);
        }
        Ok(())
    }
}

/// A channel configuration the engine cannot run, refused when the channel
/// is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelConfigError {
    /// The batch size is not between 1 and [`MAX_BATCH_SIZE`].
    #[error("batch size {batch_size} is not between 1 and {MAX_BATCH_SIZE}")]
    BatchSize {
        /// The configured batch size.
        batch_size: usize,
    },
    /// The retry queue cannot take one batch's failures: nothing would
    /// ever be read.
    #[error(
        "retry queue limit {retry_queue_limit} is smaller than the batch size {batch_size}; \
         raise it to at least one batch"
    )]
    RetryQueueSmallerThanBatch {
        /// The configured retry queue bound.
        retry_queue_limit: usize,
        /// The configured batch size.
        batch_size: usize,
    },
    /// A zero initial backoff would retry a failing item without pause.
    #[error("the retry backoff's initial delay is zero; give it at least a millisecond")]
    ZeroBackoff,
    /// A zero heartbeat interval would ping without pause.
    #[error("the heartbeat interval is zero")]
    ZeroHeartbeatInterval,
    /// The tenant has Domain Services, so NT hashes and Kerberos keys
    /// would be sent, but nothing says how they may leave the engine.
    #[error(
        "the tenant has Domain Services but no legacy delivery is set: configure the \
         managed domain's certificate (LegacyDelivery::Sealed), or choose \
         LegacyDelivery::Plaintext for a target you trust"
    )]
    LegacyDeliveryUnset,
}
