//! The recorder as the call drives it: frames handed over in real time, and
//! a stop it makes by itself.

use bytes::Bytes;
use mentorlive_recording::{Frame, MediaTime, Meta, Recorder, RecorderOptions, Source, StopReason};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A disk below the floor from the start: the recorder stops at its first
/// check, a second in, and the file holds the sound up to that moment.
/// Before it wrote out what it held for reordering on such a stop, the
/// file ended a quarter second early.
#[test]
fn a_stop_for_the_disk_keeps_the_sound_up_to_the_stop() {
    let dir = tempfile::tempdir().expect("a folder");
    let mut options = RecorderOptions::new(
        dir.path().join("call.webm"),
        Meta {
            title: "Rust ownership".into(),
            started_at_ms: 1_796_000_000_000,
            recorded_by: "Ana".into(),
            partner: "Ben".into(),
        },
    );
    options.min_free_to_start = 0;
    options.min_free_to_continue = u64::MAX;
    let (stopped_tx, stopped) = mpsc::channel();
    let recorder = Recorder::start(options, move |reason| {
        let _ = stopped_tx.send((reason.clone(), Instant::now()));
    })
    .expect("started");
    let started = Instant::now();
    let (reason, stopped_at) = loop {
        recorder.frame(Frame {
            source: Source::OurVoice,
            data: Bytes::from_static(&[0xfc; 60]),
            keyframe: true,
            arrival: Instant::now(),
            time: MediaTime::Shows(Duration::from_millis(20)),
        });
        if let Ok(stop) = stopped.try_recv() {
            break stop;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never stopped");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(matches!(reason, StopReason::DiskFull { .. }), "{reason:?}");
    let finished = recorder.stop().expect("finished");
    let summary = finished.summary.expect("a complete file");
    let recorded = Duration::from_millis(summary.duration_ms);
    let ran = stopped_at.duration_since(started);
    println!("recorded {recorded:?} of {ran:?}");
    assert!(
        recorded + Duration::from_millis(100) >= ran,
        "the file holds the sound up to the stop: {recorded:?} of {ran:?}"
    );
}
