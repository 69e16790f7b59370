//! Where sign-in tokens live: the OS keychain (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows), never a file or a log.
//!
//! One entry per server URL and account, under the service `mentorlive`, so
//! signing in to two servers, or as two people, keeps both.

use std::fmt;

/// The keychain service name every entry is filed under.
pub const SERVICE: &str = "mentorlive";

/// Whose token: a server and an account (the email) on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenKey {
    pub server: String,
    pub account: String,
}

impl TokenKey {
    pub fn new(server: impl Into<String>, account: impl Into<String>) -> TokenKey {
        TokenKey {
            server: server.into().trim_end_matches('/').to_owned(),
            account: account.into().trim().to_lowercase(),
        }
    }

    /// The keychain's "user" field: readable in a keychain viewer.
    fn keychain_user(&self) -> String {
        format!("{} on {}", self.account, self.server)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    /// No keychain answers: no Secret Service on the session bus, a locked
    /// keychain the user declined to unlock, and the like.
    #[error("The system keychain is not available: {0}")]
    Unavailable(String),
    #[error("The system keychain refused the request: {0}")]
    Refused(String),
}

impl TokenStoreError {
    pub fn code(&self) -> &'static str {
        match self {
            TokenStoreError::Unavailable(_) => "keychain_unavailable",
            TokenStoreError::Refused(_) => "keychain_refused",
        }
    }
}

/// A place that keeps bearer tokens.
pub trait TokenStore: Send + Sync {
    fn load(&self, key: &TokenKey) -> Result<Option<Token>, TokenStoreError>;
    fn save(&self, key: &TokenKey, token: &Token) -> Result<(), TokenStoreError>;
    /// Deleting what is not there is not an error.
    fn delete(&self, key: &TokenKey) -> Result<(), TokenStoreError>;
}

/// A bearer token. Its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(secret: impl Into<String>) -> Token {
        Token(secret.into())
    }

    /// The secret itself, for an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The OS keychain, through the `keyring` crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeychainTokenStore;

impl KeychainTokenStore {
    fn entry(key: &TokenKey) -> Result<keyring::Entry, TokenStoreError> {
        keyring::Entry::new(SERVICE, &key.keychain_user()).map_err(map_keyring_error)
    }
}

fn map_keyring_error(err: keyring::Error) -> TokenStoreError {
    match err {
        keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => {
            TokenStoreError::Unavailable(e.to_string())
        }
        other => TokenStoreError::Refused(other.to_string()),
    }
}

impl TokenStore for KeychainTokenStore {
    fn load(&self, key: &TokenKey) -> Result<Option<Token>, TokenStoreError> {
        match Self::entry(key)?.get_password() {
            Ok(secret) => Ok(Some(Token(secret))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_keyring_error(err)),
        }
    }

    fn save(&self, key: &TokenKey, token: &Token) -> Result<(), TokenStoreError> {
        Self::entry(key)?
            .set_password(token.expose())
            .map_err(map_keyring_error)
    }

    fn delete(&self, key: &TokenKey) -> Result<(), TokenStoreError> {
        match Self::entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_keyring_error(err)),
        }
    }
}

/// Tokens in a map: for tests of code that takes a `TokenStore`, never for users.
#[cfg(any(test, feature = "test-support"))]
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    tokens: std::sync::Mutex<std::collections::HashMap<TokenKey, Token>>,
}

#[cfg(any(test, feature = "test-support"))]
impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &TokenKey) -> Result<Option<Token>, TokenStoreError> {
        Ok(self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned())
    }

    fn save(&self, key: &TokenKey, token: &Token) -> Result<(), TokenStoreError> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.clone(), token.clone());
        Ok(())
    }

    fn delete(&self, key: &TokenKey) -> Result<(), TokenStoreError> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_normalise_server_and_account() {
        let a = TokenKey::new("http://h:1/", " Mentor@Example.com ");
        assert_eq!(a, TokenKey::new("http://h:1", "mentor@example.com"));
        assert_eq!(a.keychain_user(), "mentor@example.com on http://h:1");
    }

    #[test]
    fn tokens_never_print() {
        let token = Token::new("abc-secret");
        assert_eq!(format!("{token:?}"), "Token(<redacted>)");
    }

    #[test]
    fn memory_store_round_trips() {
        let store = MemoryTokenStore::default();
        let key = TokenKey::new("http://h", "a@b.c");
        assert!(store.load(&key).expect("load").is_none());
        store.save(&key, &Token::new("t1")).expect("save");
        assert_eq!(store.load(&key).expect("load"), Some(Token::new("t1")));
        store.delete(&key).expect("delete");
        store.delete(&key).expect("delete twice");
        assert!(store.load(&key).expect("load").is_none());
    }
}
