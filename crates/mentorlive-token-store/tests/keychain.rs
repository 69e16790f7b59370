//! The keychain store against a real Secret Service.
//!
//! `scripts/test.sh` runs the suite inside `dbus-run-session` with
//! gnome-keyring unlocked headless and sets MENTORLIVE_KEYCHAIN_TESTS=1. Run
//! bare (`cargo test` on a machine with no session bus) this test says so and
//! returns, instead of failing for a reason unrelated to the code.

use mentorlive_token_store::{KeychainTokenStore, Token, TokenKey, TokenStore};

fn keychain_expected() -> bool {
    let expected = std::env::var_os("MENTORLIVE_KEYCHAIN_TESTS").is_some();
    if !expected {
        eprintln!("MENTORLIVE_KEYCHAIN_TESTS is not set: skipping the real-keychain test (scripts/test.sh sets it)");
    }
    expected
}

#[test]
fn tokens_round_trip_through_the_os_keychain_per_server_and_account() {
    if !keychain_expected() {
        return;
    }
    let store = KeychainTokenStore;
    let unique = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let mentor_a = TokenKey::new(format!("http://127.0.0.1:1/{unique}"), "mentor@example.com");
    let mentor_b = TokenKey::new(format!("http://127.0.0.1:2/{unique}"), "mentor@example.com");
    let learner_a = TokenKey::new(
        format!("http://127.0.0.1:1/{unique}"),
        "learner@example.com",
    );

    assert!(store
        .load(&mentor_a)
        .expect("load from an empty keychain")
        .is_none());
    store
        .save(&mentor_a, &Token::new("token-mentor-a"))
        .expect("save");
    store
        .save(&mentor_b, &Token::new("token-mentor-b"))
        .expect("save");
    store
        .save(&learner_a, &Token::new("token-learner-a"))
        .expect("save");

    // A second store object reads what the first wrote: it is in the keychain,
    // not in this process.
    let reader = KeychainTokenStore;
    assert_eq!(
        reader
            .load(&mentor_a)
            .expect("load")
            .as_ref()
            .map(Token::expose),
        Some("token-mentor-a")
    );
    assert_eq!(
        reader
            .load(&mentor_b)
            .expect("load")
            .as_ref()
            .map(Token::expose),
        Some("token-mentor-b")
    );
    assert_eq!(
        reader
            .load(&learner_a)
            .expect("load")
            .as_ref()
            .map(Token::expose),
        Some("token-learner-a")
    );

    // Saving again replaces; signing out removes only that entry.
    store
        .save(&mentor_a, &Token::new("token-mentor-a2"))
        .expect("replace");
    assert_eq!(
        reader
            .load(&mentor_a)
            .expect("load")
            .as_ref()
            .map(Token::expose),
        Some("token-mentor-a2")
    );
    store.delete(&mentor_a).expect("delete");
    assert!(reader.load(&mentor_a).expect("load").is_none());
    assert!(reader.load(&learner_a).expect("load").is_some());

    // It is really the Secret Service that holds it: libsecret's own tool sees it.
    let out = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "mentorlive"])
        .output();
    if let Ok(out) = out {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains(&format!(
                "learner@example.com on http://127.0.0.1:1/{unique}"
            )),
            "secret-tool sees the entry: {text}"
        );
    }

    store.delete(&mentor_b).expect("cleanup");
    store.delete(&learner_a).expect("cleanup");
}
