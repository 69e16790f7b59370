//! The signed-in client the app and the CLI share, against the real server:
//! silent restore, a revoked token forgotten, and a machine without a
//! keychain still able to sign in (just not remembered).

use mentorlive_client::Client;
use mentorlive_protocol::ErrorCode;
use mentorlive_settings::AppPaths;
use mentorlive_testkit::TestServer;
use mentorlive_token_store::{MemoryTokenStore, Token, TokenKey, TokenStore, TokenStoreError};
use std::sync::Arc;

/// A keychain that is not there (no Secret Service on the bus).
struct NoKeychain;

impl TokenStore for NoKeychain {
    fn load(&self, _: &TokenKey) -> Result<Option<Token>, TokenStoreError> {
        Err(TokenStoreError::Unavailable("no Secret Service".into()))
    }
    fn save(&self, _: &TokenKey, _: &Token) -> Result<(), TokenStoreError> {
        Err(TokenStoreError::Unavailable("no Secret Service".into()))
    }
    fn delete(&self, _: &TokenKey) -> Result<(), TokenStoreError> {
        Err(TokenStoreError::Unavailable("no Secret Service".into()))
    }
}

#[tokio::test]
async fn sign_in_is_restored_silently_and_a_revoked_token_is_forgotten() {
    let server = TestServer::start_default();
    let home = tempfile::tempdir().expect("tmp");
    let store = Arc::new(MemoryTokenStore::default());
    let client = Client::new(AppPaths::under(home.path()), store.clone());
    let user = client
        .sign_in(&server.url, "mentor@example.com", "mentorlive")
        .await
        .expect("sign in");
    assert_eq!(
        client
            .api()
            .expect("api")
            .list_sessions()
            .await
            .expect("sessions")
            .len(),
        1
    );

    // A new start: the token comes back from the store.
    let again = Client::new(AppPaths::under(home.path()), store.clone());
    assert_eq!(again.restore().await.expect("restore"), Some(user));

    // The token is revoked elsewhere (signed out on another device): the
    // next start asks again, and the dead token is gone from the store.
    again.api().expect("api").logout().await.expect("logout");
    let third = Client::new(AppPaths::under(home.path()), store.clone());
    assert_eq!(third.restore().await.expect("restore"), None);
    let key = TokenKey::new(&server.url, "mentor@example.com");
    assert!(store.load(&key).expect("load").is_none());
}

#[tokio::test]
async fn without_a_keychain_sign_in_works_but_is_not_remembered() {
    let server = TestServer::start_default();
    let home = tempfile::tempdir().expect("tmp");
    let client = Client::new(AppPaths::under(home.path()), Arc::new(NoKeychain));
    client
        .sign_in(&server.url, "learner@example.com", "mentorlive")
        .await
        .expect("signs in anyway");
    assert!(client.api().expect("api").list_sessions().await.is_ok());
    let next = Client::new(AppPaths::under(home.path()), Arc::new(NoKeychain));
    assert_eq!(
        next.restore().await.expect("no error, just signed out"),
        None
    );
    // Wrong password: the server's code and message, not a keychain error.
    let err = client
        .sign_in(&server.url, "learner@example.com", "nope")
        .await
        .expect_err("refused");
    assert_eq!(err.code, ErrorCode::InvalidCredentials.into());
    client
        .sign_out()
        .await
        .expect("signing out works without a keychain too");
    assert!(client.api().is_err(), "signed out");
}
