//! Deadlines for network work: one per pack and one per run. A request never waits
//! past the earlier of the two (its timeout is cut to the time left), and a pack
//! whose deadline has passed sends nothing more.

use std::time::{Duration, Instant};

use super::error::{DeadlineKind, RegistryError};
use crate::limits::MAX_TIMEOUT_SECS;

/// When the network work of a pack (or of a whole run) must be over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    kind: DeadlineKind,
    total: Duration,
}

// Without the `online` feature only the CLI's run bookkeeping uses deadlines; the HTTP
// client reads the rest.
#[cfg_attr(not(feature = "online"), allow(dead_code))]
impl Deadline {
    /// `total` from now.
    pub fn after(kind: DeadlineKind, total: Duration) -> Self {
        Self::new(Instant::now(), kind, total)
    }

    /// `total` from `start`.
    pub fn new(start: Instant, kind: DeadlineKind, total: Duration) -> Self {
        Self {
            // An unrepresentable instant (a huge `total`): the largest accepted setting.
            at: start
                .checked_add(total)
                .or_else(|| start.checked_add(Duration::from_secs(MAX_TIMEOUT_SECS)))
                .unwrap_or(start),
            kind,
            total,
        }
    }

    /// Whichever of the two comes first.
    pub fn earlier(self, other: Self) -> Self {
        if other.at < self.at {
            other
        } else {
            self
        }
    }

    /// The instant it passes.
    pub fn at(&self) -> Instant {
        self.at
    }

    /// Pack or run.
    pub fn kind(&self) -> DeadlineKind {
        self.kind
    }

    /// Time left (zero once passed).
    pub fn left(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The setting, in whole seconds (at least 1), as error messages quote it.
    pub fn seconds(&self) -> u64 {
        self.total.as_secs().max(1)
    }

    /// The error a request to `registry` reports when this deadline cuts it short.
    pub fn exceeded(&self, registry: &str) -> RegistryError {
        RegistryError::DeadlineExceeded {
            registry: registry.to_owned(),
            kind: self.kind,
            seconds: self.seconds(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_left_and_error() {
        let now = Instant::now();
        let pack = Deadline::new(now, DeadlineKind::Pack, Duration::from_secs(120));
        let run = Deadline::new(now, DeadlineKind::Run, Duration::from_secs(300));
        assert_eq!(pack.earlier(run), pack);
        assert_eq!(run.earlier(pack), pack);
        assert!(!pack.passed() && pack.left() <= Duration::from_secs(120));
        let gone = Deadline::new(now, DeadlineKind::Run, Duration::ZERO);
        assert!(gone.passed());
        assert_eq!(gone.left(), Duration::ZERO);
        let e = gone.exceeded("ghcr.io");
        assert_eq!(e.code(), "registry.deadline-exceeded");
        assert!(e.is_unreachable());
        assert!(e.to_string().contains("ghcr.io"), "{e}");
        // A huge total does not overflow.
        let far = Deadline::after(DeadlineKind::Pack, Duration::MAX);
        assert!(!far.passed());
    }
}
