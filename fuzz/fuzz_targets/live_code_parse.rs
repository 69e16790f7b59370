//! The live-code normaliser takes whatever a person types or pastes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentorlive_protocol::LiveCode;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(code) = LiveCode::parse(text) {
            // Whatever parses is canonical and parses to itself.
            assert_eq!(LiveCode::parse(code.as_str()).as_ref(), Ok(&code));
            assert_eq!(code.as_str().len(), 8);
        }
    }
});
