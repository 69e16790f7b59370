//! The W3C "perfect negotiation" decisions, as plain state: what to do with a
//! remote description or candidate, given who is polite and what is in flight.
//! The call task asks and carries out; tests step it directly.

/// The kind of a remote session description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DescriptionKind {
    Offer,
    Answer,
}

/// What to do with a remote description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Glare, and we are impolite: keep our offer, drop theirs.
    Ignore,
    /// Apply it. `rollback_first`: the polite side withdraws its own pending
    /// offer first. `answer`: an offer needs our answer afterwards.
    Apply { rollback_first: bool, answer: bool },
}

#[derive(Debug, Clone)]
pub struct Negotiator {
    polite: bool,
    making_offer: bool,
    ignore_offer: bool,
    /// Our local offer is set and waits for its answer.
    have_local_offer: bool,
}

impl Negotiator {
    pub fn new(polite: bool) -> Negotiator {
        Negotiator {
            polite,
            making_offer: false,
            ignore_offer: false,
            have_local_offer: false,
        }
    }

    pub fn polite(&self) -> bool {
        self.polite
    }

    /// An offer of ours is being made (not yet set locally).
    pub fn making_offer(&self) -> bool {
        self.making_offer
    }

    /// We start creating an offer.
    pub fn offer_started(&mut self) {
        self.making_offer = true;
    }

    /// Our offer is set locally (or failed: `set` false).
    pub fn offer_finished(&mut self, set: bool) {
        self.making_offer = false;
        self.have_local_offer = set;
    }

    /// A remote description arrived; `stable` is the signaling state.
    pub fn on_remote_description(&mut self, kind: DescriptionKind, stable: bool) -> Decision {
        let collision = kind == DescriptionKind::Offer && (self.making_offer || !stable);
        self.ignore_offer = !self.polite && collision;
        if self.ignore_offer {
            return Decision::Ignore;
        }
        match kind {
            DescriptionKind::Offer => {
                let rollback_first = collision && self.have_local_offer;
                self.have_local_offer = false;
                Decision::Apply {
                    rollback_first,
                    answer: true,
                }
            }
            DescriptionKind::Answer => {
                self.have_local_offer = false;
                Decision::Apply {
                    rollback_first: false,
                    answer: false,
                }
            }
        }
    }

    /// Whether a failure to add a remote candidate is expected (it belonged
    /// to an offer we ignored) rather than worth reporting.
    pub fn candidate_error_expected(&self) -> bool {
        self.ignore_offer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_glare_offers_are_answered_and_answers_applied() {
        let mut n = Negotiator::new(false);
        assert_eq!(
            n.on_remote_description(DescriptionKind::Offer, true),
            Decision::Apply {
                rollback_first: false,
                answer: true
            }
        );
        n.offer_started();
        n.offer_finished(true);
        assert_eq!(
            n.on_remote_description(DescriptionKind::Answer, false),
            Decision::Apply {
                rollback_first: false,
                answer: false
            }
        );
    }

    #[test]
    fn on_glare_the_impolite_side_keeps_its_offer() {
        let mut impolite = Negotiator::new(false);
        impolite.offer_started();
        impolite.offer_finished(true);
        assert_eq!(
            impolite.on_remote_description(DescriptionKind::Offer, false),
            Decision::Ignore
        );
        assert!(impolite.candidate_error_expected());
        // Its own answer still lands.
        assert_eq!(
            impolite.on_remote_description(DescriptionKind::Answer, false),
            Decision::Apply {
                rollback_first: false,
                answer: false
            }
        );
        assert!(!impolite.candidate_error_expected());
    }

    #[test]
    fn on_glare_the_polite_side_rolls_back_and_answers() {
        let mut polite = Negotiator::new(true);
        polite.offer_started();
        polite.offer_finished(true);
        assert_eq!(
            polite.on_remote_description(DescriptionKind::Offer, false),
            Decision::Apply {
                rollback_first: true,
                answer: true
            }
        );
    }

    #[test]
    fn an_offer_arriving_while_ours_is_being_made_is_glare_too() {
        let mut impolite = Negotiator::new(false);
        impolite.offer_started();
        assert_eq!(
            impolite.on_remote_description(DescriptionKind::Offer, true),
            Decision::Ignore
        );
        let mut polite = Negotiator::new(true);
        polite.offer_started();
        assert_eq!(
            polite.on_remote_description(DescriptionKind::Offer, true),
            Decision::Apply {
                rollback_first: false,
                answer: true
            }
        );
    }
}
