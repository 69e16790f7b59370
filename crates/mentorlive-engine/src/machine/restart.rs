//! When the engine restarts ICE after the media path drops, and when it
//! makes a connection that never came up afresh: every timing of the
//! policy, named, in one place.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// The impolite side restarts once the path has been down this long:
    /// soon enough that a changed network (Wi-Fi to cable) costs seconds,
    /// late enough that a blip ICE recovers from alone costs nothing.
    pub impolite_after: Duration,
    /// The polite side restarts only after this long, as a fallback for a
    /// partner that never does: two restarts racing each other cost more
    /// than they save.
    pub polite_after: Duration,
    /// At most one restart in this long, so that a restart's own offer and
    /// gathering have time to finish.
    pub min_interval: Duration,
    /// A connection that has not come up this long after it was made is
    /// made again, with a new offer; the polite side waits twice as long,
    /// as a fallback for a partner that never does. An ICE restart cannot
    /// help there: DTLS starts once per connection, and its handshake can
    /// stall for good (rtc-dtls 0.21's server stops retransmitting its
    /// flight once the client repeats its own, so one lost flight is
    /// fatal; docs/reliability.md).
    pub rebuild_after: Duration,
}

impl Default for RestartPolicy {
    fn default() -> RestartPolicy {
        RestartPolicy {
            impolite_after: Duration::from_secs(2),
            polite_after: Duration::from_secs(12),
            min_interval: Duration::from_secs(4),
            // A connection comes up in a tenth of a second on a LAN and in
            // about 2 s over TURN at a 200 ms round trip with 3 % loss;
            // the DTLS client itself gives up after 8 s.
            rebuild_after: Duration::from_secs(10),
        }
    }
}

impl RestartPolicy {
    /// When to restart, the path down since `down_since`.
    pub fn due_at(
        &self,
        polite: bool,
        down_since: Instant,
        last_restart: Option<Instant>,
    ) -> Instant {
        let wait = if polite {
            self.polite_after
        } else {
            self.impolite_after
        };
        let first = down_since + wait;
        match last_restart {
            Some(last) => first.max(last + self.min_interval),
            None => first,
        }
    }

    /// When to make anew a connection made at `made_at` that has not come up.
    pub fn rebuild_at(&self, polite: bool, made_at: Instant) -> Instant {
        made_at
            + if polite {
                self.rebuild_after * 2
            } else {
                self.rebuild_after
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_impolite_side_restarts_first_and_not_twice_in_a_row() {
        let p = RestartPolicy::default();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(p.due_at(false, t0, None), at(2));
        assert_eq!(p.due_at(false, t0, Some(at(2))), at(6));
        assert_eq!(p.due_at(true, t0, None), at(12));
        // A restart long ago does not hold up a new outage.
        assert_eq!(p.due_at(false, at(100), Some(at(2))), at(102));
    }
}
