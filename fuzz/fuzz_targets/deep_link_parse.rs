//! The deep-link parser takes whatever URL the OS hands the app: a link in
//! any web page or chat message can be crafted by anyone.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mentorlive_protocol::{app_link, parse_deep_link};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(code) = parse_deep_link(text) {
            // Whatever is accepted names a canonical code, and the app's own
            // invitation for it parses back to the same code.
            assert_eq!(code.as_str().len(), 8);
            assert_eq!(parse_deep_link(&app_link(&code)).as_ref(), Ok(&code));
        }
    }
});
