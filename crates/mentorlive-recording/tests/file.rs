//! The file as a reader meets it: complete after a stop, and completed by
//! the repair after being cut anywhere.

use mentorlive_recording::{describe, is_incomplete, repair, Meta, TrackSpec, WebmWriter};
use std::fs::File;

/// A VP8 frame header: a keyframe of 320x240 (or an interframe), then filler.
fn vp8(keyframe: bool, n: usize) -> Vec<u8> {
    let mut f = if keyframe {
        vec![0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]
    } else {
        vec![0x51, 0x2a, 0x00]
    };
    f.extend((0..n).map(|i| (i * 7) as u8));
    f
}

fn meta() -> Meta {
    Meta {
        title: "Rust ownership".into(),
        started_at_ms: 1_796_000_000_000,
        recorded_by: "Ana".into(),
        partner: "Ben".into(),
    }
}

/// Ten seconds: 30 fps video (a keyframe each second) and 20 ms audio.
fn write_call(writer: &mut WebmWriter, seconds: u64) -> (u64, u64) {
    let (mut video, mut audio) = (0, 0);
    for ms in 0..seconds * 1000 {
        if ms % 20 == 0 {
            writer
                .write(2, ms, true, &[0xfc; 60])
                .expect("audio written");
            audio += 1;
        }
        if ms * 30 % 1000 < 30 {
            let frame = ms * 30 / 1000;
            writer
                .write(1, ms, frame % 30 == 0, &vp8(frame % 30 == 0, 800))
                .expect("video written");
            video += 1;
        }
    }
    (video, audio)
}

fn new_writer(path: &std::path::Path) -> WebmWriter {
    let tracks = vec![
        TrackSpec::video(1, "Ana: camera"),
        TrackSpec::audio(2, "Ana: voice"),
        TrackSpec::video(5, "Ana: screen"),
    ];
    WebmWriter::create(File::create(path).expect("a file"), meta(), tracks).expect("a writer")
}

#[test]
fn a_stopped_recording_is_complete_with_its_tracks_and_duration() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("call.webm");
    let mut writer = new_writer(&path);
    let (video, audio) = write_call(&mut writer, 10);
    let summary = writer.finish().expect("finished");
    assert_eq!(
        summary.tracks,
        vec![
            ("Ana: camera".to_string(), video),
            ("Ana: voice".to_string(), audio)
        ],
        "the unused screen track is left out"
    );
    assert!(
        (9_990..=10_040).contains(&summary.duration_ms),
        "{summary:?}"
    );
    assert!(!is_incomplete(&path).expect("readable"));
    let described = describe(&path).expect("readable");
    assert_eq!(described.meta, meta());
    assert_eq!(described.duration_ms, Some(summary.duration_ms));
    assert_eq!(described.tracks.len(), 2);
    assert_eq!(
        (described.tracks[0].width, described.tracks[0].height),
        (320, 240)
    );
    let again = repair(&path).expect("repairs nothing");
    assert!(again.was_complete);
    assert_eq!(again.summary.tracks, summary.tracks);
}

#[test]
fn a_recording_cut_anywhere_is_completed_up_to_its_last_whole_block() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("cut.webm");
    let mut writer = new_writer(&path);
    write_call(&mut writer, 6);
    writer.flush(true).expect("flushed");
    // The process dies: nothing is finished.
    let whole = std::fs::read(&path).expect("read");
    drop(writer);
    assert!(
        is_incomplete(&path).expect("readable"),
        "no size written yet"
    );
    let mut last_frames = 0;
    for cut in [
        whole.len() / 4,
        whole.len() / 2,
        whole.len() / 2 + 1,
        whole.len() * 3 / 4 + 5,
        whole.len(),
    ] {
        std::fs::write(&path, &whole[..cut]).expect("cut");
        let repaired = repair(&path).expect("repaired");
        assert!(!repaired.was_complete);
        let frames: u64 = repaired.summary.tracks.iter().map(|t| t.1).sum();
        assert!(
            frames >= last_frames,
            "more of the file, no fewer frames: {frames} after {last_frames}"
        );
        assert!(frames > 0);
        last_frames = frames;
        assert!(
            repaired.cut_bytes < 1_000,
            "only a partial block is dropped: {}",
            repaired.cut_bytes
        );
        assert!(!is_incomplete(&path).expect("readable"));
        assert!(
            repair(&path).expect("again").was_complete,
            "a second repair finds it complete"
        );
        // Half the file is about half the length.
        let expected = 6_000 * cut as u64 / whole.len() as u64;
        let got = repaired.summary.duration_ms;
        assert!(
            got + 1_000 >= expected && got <= expected + 1_000,
            "cut at {cut}: {got} ms, about {expected}"
        );
    }
}

#[test]
fn a_file_that_is_not_a_recording_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("notes.webm");
    std::fs::write(&path, b"these are my notes, not a video").expect("written");
    let err = repair(&path).expect_err("refused");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(
        std::fs::read(&path).expect("read"),
        b"these are my notes, not a video"
    );
}
