//! Everything a Socket.IO server can send: the packet decoders, and the
//! connection state machine fed the same bytes as frames. No input may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentorlive_signaling::connection::{Connection, Frame, Recovery};
use mentorlive_signaling::packet::{EnginePacket, Packet};
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = EnginePacket::decode(text);
        let _ = Packet::decode(text);
    }
    // Split the input into frames at 0xFF bytes; a leading 0x00 makes a frame
    // binary. Start every run from a real open so later states are reached.
    let t0 = Instant::now();
    let mut conn = Connection::new("/", serde_json::json!({"token": "t"}), Recovery::default(), t0, Duration::from_secs(5));
    conn.handle_frame(Frame::Text(r#"0{"sid":"s","upgrades":[],"pingInterval":100,"pingTimeout":100,"maxPayload":1000}"#.into()), t0);
    conn.handle_frame(Frame::Text(r#"40{"sid":"x","pid":"p"}"#.into()), t0);
    for (i, chunk) in data.split(|b| *b == 0xFF).enumerate() {
        let now = t0 + Duration::from_millis(i as u64 * 37);
        let frame = match chunk.split_first() {
            Some((0, rest)) => Frame::Binary(rest.to_vec()),
            _ => Frame::Text(String::from_utf8_lossy(chunk).into_owned()),
        };
        conn.handle_frame(frame, now);
        conn.handle_timeout(now);
        let _ = conn.emit("e", vec![serde_json::json!(i)], vec![], Some(Duration::from_millis(50)), now);
        while conn.poll_transmit().is_some() {}
        while conn.poll_output().is_some() {}
    }
});
