//! The partner's sound in sending order, by RTP sequence number.
//!
//! Under jitter packets overtake each other (20 ms apart, ±20 ms each way
//! is enough). In arrival order the app's decoder made up the first of two
//! swapped packets as lost and skipped it when it came: 13-15 % of the
//! sound concealed under ±20 ms of jitter and 3 % loss. So a packet that
//! arrives while the one before it is missing is held until that one comes,
//! or until the next packet shows it lost. A real loss then costs one
//! packet's time (20 ms) before the sound after it plays, which the
//! player's 60 ms buffer absorbs.
//!
//! Sans-IO: packets in, packets out, no clock. A held packet waits for the
//! next one however long that takes (a mute just after a swap: 20 ms of
//! sound played late). A packet far behind the order is dropped, unless
//! the next one follows it: the sender's numbers started again.

/// A jump this far ahead is a restart or a long pause, not a gap to wait
/// out: passed on at once (1 s of 20 ms packets).
const RESTART_AHEAD: i16 = 50;

#[derive(Debug)]
pub struct AudioOrder<T> {
    /// The sequence number the next packet in order carries.
    next: Option<u16>,
    /// A packet that came while the one before it is missing.
    held: Option<(u16, T)>,
    /// A packet far behind the order: stale, or the first of a sender's
    /// numbers started again, which the next packet would follow.
    far_behind: Option<(u16, T)>,
}

impl<T> Default for AudioOrder<T> {
    fn default() -> Self {
        AudioOrder {
            next: None,
            held: None,
            far_behind: None,
        }
    }
}

impl<T> AudioOrder<T> {
    /// A packet with sequence number `seq`: the packets to pass on now, in
    /// sending order (none while one is held, none for a packet whose turn
    /// has passed).
    pub fn push(&mut self, seq: u16, packet: T) -> Vec<T> {
        let Some(next) = self.next else {
            self.next = Some(seq.wrapping_add(1));
            return vec![packet];
        };
        let ahead = seq.wrapping_sub(next) as i16;
        let mut out = Vec::with_capacity(2);
        let far_behind = self.far_behind.take();
        if ahead <= -RESTART_AHEAD {
            // A stale packet, unless the next one follows it: then the
            // sender's numbers started again.
            match far_behind {
                Some((before, first)) if before.wrapping_add(1) == seq => {
                    out.extend(self.held.take().map(|(_, p)| p));
                    out.push(first);
                    out.push(packet);
                    self.next = Some(seq.wrapping_add(1));
                }
                _ => self.far_behind = Some((seq, packet)),
            }
            return out;
        }
        if ahead >= RESTART_AHEAD {
            // A long pause or a burst lost: whatever was held first, then
            // on from here.
            out.extend(self.held.take().map(|(_, p)| p));
            out.push(packet);
            self.next = Some(seq.wrapping_add(1));
            return out;
        }
        if ahead < 0 {
            // Its turn has passed: made up already, or a repeat.
            return out;
        }
        match self.held.take() {
            None if ahead == 0 => {
                out.push(packet);
                self.next = Some(seq.wrapping_add(1));
            }
            None => self.held = Some((seq, packet)),
            Some((held_seq, held)) => {
                let held_ahead = held_seq.wrapping_sub(seq) as i16;
                if held_ahead > 0 {
                    // It comes before the held one (a gap before it, if
                    // any, is lost now: a second packet is past it).
                    self.pass_then((seq, packet), (held_seq, held), &mut out);
                } else if held_ahead == 0 {
                    // A repeat of the held one.
                    self.held = Some((held_seq, held));
                } else {
                    // A second packet past the gap: what is missing before
                    // the held one is lost.
                    self.pass_then((held_seq, held), (seq, packet), &mut out);
                }
            }
        }
        out
    }

    /// Passes `first` on; `then` follows it, or waits in its turn for what
    /// is missing between them.
    fn pass_then(&mut self, first: (u16, T), then: (u16, T), out: &mut Vec<T>) {
        out.push(first.1);
        let after = first.0.wrapping_add(1);
        if then.0 == after {
            out.push(then.1);
            self.next = Some(after.wrapping_add(1));
        } else {
            self.next = Some(after);
            self.held = Some(then);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(order: &mut AudioOrder<u16>, seqs: &[u16]) -> Vec<u16> {
        seqs.iter().flat_map(|s| order.push(*s, *s)).collect()
    }

    #[test]
    fn in_order_passes_at_once() {
        let mut order = AudioOrder::default();
        assert_eq!(order.push(7, 7), vec![7]);
        assert_eq!(order.push(8, 8), vec![8]);
    }

    #[test]
    fn swapped_packets_come_out_in_order() {
        let mut order = AudioOrder::default();
        assert_eq!(run(&mut order, &[1, 2]), vec![1, 2]);
        assert_eq!(order.push(4, 4), Vec::<u16>::new(), "held for 3");
        assert_eq!(order.push(3, 3), vec![3, 4]);
        assert_eq!(run(&mut order, &[5, 7, 6, 8]), vec![5, 6, 7, 8]);
    }

    #[test]
    fn a_lost_packet_is_given_up_at_the_next_one() {
        let mut order = AudioOrder::default();
        assert_eq!(run(&mut order, &[1, 2, 4]), vec![1, 2]);
        assert_eq!(order.push(5, 5), vec![4, 5], "3 is lost");
        // It comes after all: its turn has passed.
        assert_eq!(order.push(3, 3), Vec::<u16>::new());
        assert_eq!(order.push(6, 6), vec![6]);
    }

    #[test]
    fn two_gaps_in_a_row_and_a_repeat() {
        let mut order = AudioOrder::default();
        assert_eq!(run(&mut order, &[1, 3, 3]), vec![1], "3 held once");
        // 2 lost; 4 missing before 5: 5 waits.
        assert_eq!(order.push(5, 5), vec![3]);
        assert_eq!(order.push(4, 4), vec![4, 5]);
    }

    #[test]
    fn a_packet_that_fills_part_of_a_gap_leaves_the_rest_waiting() {
        let mut order = AudioOrder::default();
        assert_eq!(
            run(&mut order, &[1, 2, 5]),
            vec![1, 2],
            "5 held for 3 and 4"
        );
        assert_eq!(order.push(3, 3), vec![3], "5 still waits for 4");
        assert_eq!(order.push(4, 4), vec![4, 5]);
    }

    #[test]
    fn a_stale_packet_is_dropped_and_numbers_that_start_again_are_followed() {
        let mut order = AudioOrder::default();
        assert_eq!(run(&mut order, &[5_000, 5_001]), vec![5_000, 5_001]);
        assert_eq!(order.push(4_000, 4_000), Vec::<u16>::new(), "stale");
        assert_eq!(order.push(5_002, 5_002), vec![5_002]);
        assert_eq!(order.push(100, 100), Vec::<u16>::new());
        assert_eq!(order.push(101, 101), vec![100, 101], "started again");
        assert_eq!(order.push(102, 102), vec![102]);
    }

    #[test]
    fn sequence_numbers_wrap_and_a_jump_ahead_passes_at_once() {
        let mut order = AudioOrder::default();
        assert_eq!(
            run(&mut order, &[65_534, 0, 65_535, 1]),
            vec![65_534, 65_535, 0, 1]
        );
        assert_eq!(order.push(3, 3), Vec::<u16>::new());
        assert_eq!(order.push(9_000, 9_000), vec![3, 9_000]);
        assert_eq!(order.push(9_001, 9_001), vec![9_001]);
    }
}
