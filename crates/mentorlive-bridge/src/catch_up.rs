//! What a page that connects to a running call still gets of the frames
//! that queued while no page was there (the page was still loading, or it
//! was reloaded), free of I/O.
//!
//! The partner's first keyframe often arrives a few milliseconds before the
//! page's socket opens. Dropping it would leave the page with delta frames
//! it cannot decode until it has asked for, and the partner has sent, the
//! next keyframe: a round trip and an encode at best, a second with a
//! partner that only keyframes on a schedule. So each video keeps its
//! frames from its last keyframe on; the sound and older frames are stale
//! (the player would only fall behind).

use crate::wire::ChunkKind;

/// The items of `queued` (oldest first) worth sending to a page that has
/// just connected, in their order. `media` says what an item is: a chunk's
/// kind and keyframe flag, or `None` for anything else (a control message
/// meant for the page that left).
pub fn worth_replaying<T>(
    queued: Vec<T>,
    media: impl Fn(&T) -> Option<(ChunkKind, bool)>,
) -> Vec<T> {
    let last_keyframe = |video: ChunkKind| {
        queued
            .iter()
            .rposition(|item| media(item) == Some((video, true)))
    };
    let starts = [
        (ChunkKind::Video, last_keyframe(ChunkKind::Video)),
        (ChunkKind::Screen, last_keyframe(ChunkKind::Screen)),
    ];
    queued
        .into_iter()
        .enumerate()
        .filter(|(at, item)| {
            let Some((kind, _)) = media(item) else {
                return false;
            };
            starts
                .iter()
                .any(|(video, start)| *video == kind && start.is_some_and(|s| *at >= s))
        })
        .map(|(_, item)| item)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChunkKind::*;

    /// A queued chunk: its kind, keyframe flag and a number to follow it by.
    type Item = (ChunkKind, bool, u32);

    fn replayed(queued: Vec<Option<Item>>) -> Vec<u32> {
        worth_replaying(queued, |item| item.map(|(kind, key, _)| (kind, key)))
            .into_iter()
            .flatten()
            .map(|(_, _, n)| n)
            .collect()
    }

    #[test]
    fn the_camera_keeps_its_frames_from_its_last_keyframe_and_the_sound_goes() {
        let queued = vec![
            Some((Video, true, 1)),
            Some((Video, false, 2)),
            Some((Sound, true, 3)),
            Some((Video, true, 4)),
            Some((Sound, true, 5)),
            Some((Video, false, 6)),
        ];
        assert_eq!(replayed(queued), vec![4, 6]);
    }

    #[test]
    fn the_screen_and_the_camera_each_start_at_their_own_keyframe() {
        let queued = vec![
            Some((Screen, true, 1)),
            Some((Video, false, 2)),
            Some((Video, true, 3)),
            Some((Screen, false, 4)),
            Some((Video, false, 5)),
        ];
        assert_eq!(replayed(queued), vec![1, 3, 4, 5]);
    }

    #[test]
    fn delta_frames_without_their_keyframe_and_control_messages_are_not_replayed() {
        let queued = vec![Some((Video, false, 1)), None, Some((Screen, false, 2))];
        assert!(replayed(queued).is_empty());
        assert!(replayed(Vec::new()).is_empty());
    }
}
