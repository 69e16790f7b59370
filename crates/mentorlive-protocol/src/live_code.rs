//! Live session codes: 8 characters from a 31-letter alphabet with no
//! look-alikes (no 0/O, no 1/I/L), drawn from the OS CSPRNG.
//!
//! Input is forgiving in exactly the ways the contract lists: case, surrounding
//! white space, and one hyphen in the middle (`abcd-efgh`). Anything else is
//! malformed, so a typo is reported as a typo rather than as an unknown code.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The code alphabet, in the contract's order.
pub const ALPHABET: &[u8; 31] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Characters in a code.
pub const LEN: usize = 8;

/// A well-formed, normalised live session code (upper case, no separator).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LiveCode(String);

/// The input is not a live code of the contract's form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("A live session code is 8 letters and digits, like ABCD-EFGH.")]
pub struct MalformedCode;

impl LiveCode {
    /// Normalises user input: trims, upper-cases, drops one middle hyphen.
    pub fn parse(input: &str) -> Result<LiveCode, MalformedCode> {
        let trimmed = input.trim();
        // Only ASCII can be valid, so byte indexing below is safe once checked.
        if !trimmed.is_ascii() {
            return Err(MalformedCode);
        }
        let compact: String = match trimmed.len() {
            LEN => trimmed.to_owned(),
            n if n == LEN + 1 && trimmed.as_bytes()[LEN / 2] == b'-' => {
                format!("{}{}", &trimmed[..LEN / 2], &trimmed[LEN / 2 + 1..])
            }
            _ => return Err(MalformedCode),
        };
        let upper = compact.to_ascii_uppercase();
        if upper.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(LiveCode(upper))
        } else {
            Err(MalformedCode)
        }
    }

    /// Draws a fresh code from the operating system's CSPRNG.
    ///
    /// Rejection sampling keeps every letter equally likely: bytes at or above
    /// 248 (the largest multiple of 31 that fits a byte) are thrown away.
    pub fn generate() -> Result<LiveCode, getrandom::Error> {
        const LIMIT: u8 = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        let mut code = String::with_capacity(LEN);
        let mut pool = [0u8; 32];
        while code.len() < LEN {
            getrandom::getrandom(&mut pool)?;
            for &b in pool.iter().filter(|&&b| b < LIMIT) {
                if code.len() == LEN {
                    break;
                }
                code.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
        Ok(LiveCode(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `ABCD EFGH`: two groups of four, easier to read aloud.
    pub fn grouped(&self) -> String {
        format!("{} {}", &self.0[..LEN / 2], &self.0[LEN / 2..])
    }
}

impl fmt::Display for LiveCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for LiveCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LiveCode({})", self.0)
    }
}

impl TryFrom<String> for LiveCode {
    type Error = MalformedCode;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        LiveCode::parse(&value)
    }
}

impl From<LiveCode> for String {
    fn from(code: LiveCode) -> String {
        code.0
    }
}

impl std::str::FromStr for LiveCode {
    type Err = MalformedCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LiveCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_forgiving_forms() {
        for input in [
            "ABCDEFGH",
            "abcdefgh",
            "  abcd-efgh \n",
            "AbCd-EfGh",
            "\tABCDEFGH",
        ] {
            assert_eq!(
                LiveCode::parse(input).map(String::from),
                Ok("ABCDEFGH".into()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn refuses_everything_else() {
        for input in [
            "",
            "ABCDEFG",
            "ABCDEFGHJ",
            "ABC-DEFGH",
            "ABCD--EFGH",
            "ABCD EFGH",
            "AB-CD-EFGH",
            "ABCDEFG0",
            "ABCDEFGO",
            "ABCDEFG1",
            "ABCDEFGI",
            "ABCDEFGL",
            "ABCDÉFGH",
            "-ABCDEFGH",
            "ABCDEFGH-",
        ] {
            assert_eq!(LiveCode::parse(input), Err(MalformedCode), "{input:?}");
        }
    }

    #[test]
    fn generated_codes_use_every_letter_of_the_alphabet_and_nothing_else() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2_000 {
            let code = LiveCode::generate().expect("os rng");
            assert_eq!(code.as_str().len(), LEN);
            assert_eq!(LiveCode::parse(code.as_str()).as_ref(), Ok(&code));
            seen.extend(code.as_str().bytes());
        }
        assert_eq!(
            seen.len(),
            ALPHABET.len(),
            "16,000 draws should hit all 31 letters"
        );
    }

    #[test]
    fn grouped_reads_as_two_fours() {
        let code = LiveCode::parse("abcd-efgh").expect("valid");
        assert_eq!(code.grouped(), "ABCD EFGH");
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_output_is_canonical(input in ".{0,24}") {
            if let Ok(code) = LiveCode::parse(&input) {
                prop_assert_eq!(code.as_str().len(), LEN);
                prop_assert!(code.as_str().bytes().all(|b| ALPHABET.contains(&b)));
            }
        }
    }
}
