//! Text that people see as given by others: names and session titles.
//! Control characters (C0, DEL, C1) can move a terminal's cursor or run its
//! escape sequences (ANSI, OSC); bidirectional controls can make a title
//! read backwards or hide part of it. Neither belongs in a name or a
//! title: the server refuses them, and the CLI escapes any it is shown.

/// Bidirectional formatting characters (Unicode's `Bidi_Control`).
const BIDI_CONTROLS: [char; 12] = [
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// A character no name or title may hold.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || BIDI_CONTROLS.contains(&c)
}

/// The text with every unsafe character written as `\u{…}`, for a
/// terminal.
pub fn escape_unsafe(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_unsafe_and_letters_emoji_and_joiners_are_not() {
        for c in [
            '\0', '\n', '\t', '\u{1b}', '\u{7f}', '\u{9b}', '\u{202e}', '\u{2066}',
        ] {
            assert!(is_unsafe_char(c), "{c:?}");
        }
        for text in ["Maya Mentor", "José Ñúñez", "李小龍", "أحمد", "👩‍👩‍👧 family"]
        {
            assert!(!text.chars().any(is_unsafe_char), "{text}");
        }
    }

    #[test]
    fn escaping_leaves_nothing_a_terminal_would_act_on() {
        let title = "Rust \u{1b}]0;pwned\u{7}\u{202e}txt.exe";
        let shown = escape_unsafe(title);
        assert_eq!(shown, "Rust \\u{1b}]0;pwned\\u{7}\\u{202e}txt.exe");
        assert!(!shown.chars().any(is_unsafe_char));
    }
}
