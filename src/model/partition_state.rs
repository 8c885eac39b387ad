//! Per-partition password-sync state: when cycles ran and how they ended.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::model::enum_names::{NamedEnum, named_enum_serde};

/// A point in time, in milliseconds since the Unix epoch (UTC).
///
/// The model never reads a clock: the host passes "now" in. Milliseconds
/// keep files readable and round-trip exactly through JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The time `millis` milliseconds after the Unix epoch.
    pub const fn from_unix_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn unix_millis(self) -> u64 {
        self.0
    }

    /// A system time, truncated to the millisecond; times before the epoch
    /// become the epoch.
    pub fn from_system_time(time: SystemTime) -> Self {
        let millis = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        Self(millis)
    }

    /// The system time this timestamp names.
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0)
    }

    /// The time in RFC 3339 form, UTC, to the millisecond:
    /// `2023-11-14T22:13:20.000Z`.
    ///
    /// ```
    /// use hashsync::model::Timestamp;
    /// let t = Timestamp::from_unix_millis(1_700_000_000_123);
    /// assert_eq!(t.to_rfc3339(), "2023-11-14T22:13:20.123Z");
    /// ```
    pub fn to_rfc3339(self) -> String {
        let millis = self.0 % 1000;
        let seconds = self.0 / 1000;
        let (hour, minute, second) = (seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
        let (year, month, day) = civil_date(seconds / 86_400);
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
    }
}

/// The proleptic Gregorian date `days` days after 1970-01-01, by counting
/// 400-year eras of 146,097 days from 0000-03-01 (so that the leap day
/// ends a year).
fn civil_date(days: u64) -> (u64, u64, u64) {
    // 719,468 days lie between 0000-03-01 and 1970-01-01.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, each 153 days per 5 months.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

/// How a partition's last password-sync cycle went, numbered as Entra
/// Connect numbers it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PasswordSyncStatus {
    /// No cycle has run (0).
    #[default]
    None = 0,
    /// The last cycle succeeded (1).
    Successful = 1,
    /// The last cycle failed (2).
    Failed = 2,
    /// A cycle is running (3).
    InProgress = 3,
    /// The last cycle was cut short, by a restart or a shutdown (4).
    Interrupted = 4,
}

impl PasswordSyncStatus {
    /// Entra Connect's number for the status.
    pub const fn number(self) -> u8 {
        self as u8
    }
}

impl NamedEnum for PasswordSyncStatus {
    const FIELD: &'static str = "status";
    const ALL: &'static [Self] = &[
        Self::None,
        Self::Successful,
        Self::Failed,
        Self::InProgress,
        Self::Interrupted,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Successful => "Successful",
            Self::Failed => "Failed",
            Self::InProgress => "InProgress",
            Self::Interrupted => "Interrupted",
        }
    }

    fn number(self) -> Option<u64> {
        Some(u64::from(self as u8))
    }
}

named_enum_serde!(PasswordSyncStatus, display);

/// One partition's password-sync state: the last cycle and the last
/// successful one.
///
/// ```
/// use hashsync::model::{PartitionSyncState, PasswordSyncStatus, Timestamp};
/// let mut state = PartitionSyncState::default();
/// state.begin_cycle(Timestamp::from_unix_millis(1_000));
/// state.end_cycle(Timestamp::from_unix_millis(2_500), PasswordSyncStatus::Successful)?;
/// assert_eq!(state.last_successful_cycle_end, Some(Timestamp::from_unix_millis(2_500)));
/// # Ok::<(), hashsync::ConfigError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionSyncState {
    /// When the last cycle began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_cycle_start: Option<Timestamp>,
    /// When the last cycle ended (`None` while it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_cycle_end: Option<Timestamp>,
    /// When the last successful cycle began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_cycle_start: Option<Timestamp>,
    /// When the last successful cycle ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_cycle_end: Option<Timestamp>,
    /// How the last cycle went.
    #[serde(default)]
    pub status: PasswordSyncStatus,
}

impl PartitionSyncState {
    /// Records a cycle starting at `now`. A cycle still marked in progress
    /// (the host stopped without ending it) is simply superseded.
    pub fn begin_cycle(&mut self, now: Timestamp) {
        self.last_cycle_start = Some(now);
        self.last_cycle_end = None;
        self.status = PasswordSyncStatus::InProgress;
    }

    /// Records the running cycle ending at `now` with `outcome`: Successful,
    /// Failed or Interrupted. A successful cycle also becomes the last
    /// successful one. Refuses any other outcome, and a cycle not begun.
    pub fn end_cycle(
        &mut self,
        now: Timestamp,
        outcome: PasswordSyncStatus,
    ) -> Result<(), ConfigError> {
        if !matches!(
            outcome,
            PasswordSyncStatus::Successful
                | PasswordSyncStatus::Failed
                | PasswordSyncStatus::Interrupted
        ) {
            return Err(ConfigError::InvalidCycleOutcome { status: outcome });
        }
        if self.status != PasswordSyncStatus::InProgress {
            return Err(ConfigError::NoCycleInProgress {
                status: self.status,
            });
        }
        self.last_cycle_end = Some(now);
        self.status = outcome;
        if outcome == PasswordSyncStatus::Successful {
            self.last_successful_cycle_start = self.last_cycle_start;
            self.last_successful_cycle_end = Some(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    // Expected values from Python: datetime.fromtimestamp(ms / 1000, timezone.utc).
    #[test]
    fn rfc3339_matches_python_across_leap_days_and_centuries() {
        for (millis, expected) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (4_107_542_399_999, "2100-02-28T23:59:59.999Z"),
            (1_709_210_096_789, "2024-02-29T12:34:56.789Z"),
        ] {
            assert_eq!(Timestamp::from_unix_millis(millis).to_rfc3339(), expected);
        }
    }
}
