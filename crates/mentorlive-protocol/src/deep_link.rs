//! `mentorlive://join/<CODE>`, and nothing else.

use crate::LiveCode;

pub const SCHEME: &str = "mentorlive";

/// Why a link was refused; its message is shown to the person who clicked it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "This link is not a mentorlive invitation. Invitations look like mentorlive://join/ABCD-EFGH."
)]
pub struct InvalidDeepLink;

/// The code of a `mentorlive://join/CODE` link. The code may be written as
/// a person would type it (`abcd-efgh`); anything else about the link must be
/// exact: no other host, no more path, no query, no fragment, no user or port.
pub fn parse_deep_link(link: &str) -> Result<LiveCode, InvalidDeepLink> {
    let rest = link
        .strip_prefix("mentorlive://join/")
        .ok_or(InvalidDeepLink)?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ':', '%', ' ']) {
        return Err(InvalidDeepLink);
    }
    LiveCode::parse(rest).map_err(|_| InvalidDeepLink)
}

/// The app's own link for a code, which the invitation page tries.
pub fn app_link(code: &LiveCode) -> String {
    format!("{SCHEME}://join/{code}")
}

/// The invitation a person sends: the platform's web page for the code
/// (`{server}/join/CODE`), which opens the app when it is installed and
/// offers to join in the browser when it is not.
pub fn invitation_url(server: &str, code: &LiveCode) -> String {
    format!("{}/join/{code}", server.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_the_join_form_is_accepted() {
        assert_eq!(
            parse_deep_link("mentorlive://join/ABCDEFGH").map(String::from),
            Ok("ABCDEFGH".into())
        );
        assert_eq!(
            parse_deep_link("mentorlive://join/abcd-efgh").map(String::from),
            Ok("ABCDEFGH".into())
        );
        let code = LiveCode::parse("ABCDEFGH").expect("code");
        assert_eq!(parse_deep_link(&app_link(&code)), Ok(code.clone()));
        assert_eq!(
            invitation_url("https://live.example.org/", &code),
            "https://live.example.org/join/ABCDEFGH"
        );
    }

    #[test]
    fn everything_else_is_refused() {
        for link in [
            "",
            "mentorlive://",
            "mentorlive://join/",
            "mentorlive://join/ABC",
            "mentorlive://join/ABCDEFGH/",
            "mentorlive://join/ABCDEFGH?x=1",
            "mentorlive://join/ABCDEFGH#f",
            "mentorlive://leave/ABCDEFGH",
            "MENTORLIVE://join/ABCDEFGH",
            "https://join/ABCDEFGH",
            "mentorlive://user@join/ABCDEFGH",
            "mentorlive://join:80/ABCDEFGH",
            "mentorlive://join/ABCD%20EFGH",
            "mentorlive://join/ABCDEFG0",
            "mentorlive://join/ABCDEFGH/../x",
            " mentorlive://join/ABCDEFGH",
        ] {
            assert_eq!(parse_deep_link(link), Err(InvalidDeepLink), "{link:?}");
        }
    }
}
