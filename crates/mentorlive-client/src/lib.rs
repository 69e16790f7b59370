//! The signed-in client that every front end (the desktop app, the CLI) uses:
//! the server URL and account from the settings, the token from the keychain,
//! and the REST API. Signing in stores the token; signing out removes it from
//! the keychain and revokes it on the server; a token the server no longer
//! accepts is forgotten so the user is asked again.

use mentorlive_api::ApiClient;
use mentorlive_protocol::{AuthResponse, RegisterRequest, User};
use mentorlive_settings::{AppPaths, AppSettings};
use mentorlive_token_store::{Token, TokenKey, TokenStore};
use std::sync::{Arc, Mutex};

mod call_reports;
mod error;
pub mod report_queue;
pub use call_reports::{FlushOutcome, ReportOwner};
pub use error::{AppErrorCode, ClientError};

pub type ClientResult<T> = Result<T, ClientError>;

struct SignedIn {
    api: ApiClient,
    user: User,
}

/// One person's client on this machine.
pub struct Client {
    paths: AppPaths,
    store: Arc<dyn TokenStore>,
    current: Mutex<Option<SignedIn>>,
    /// The server named at launch (`MENTORLIVE_SERVER`), over the saved one
    /// until someone signs in (then the server they chose is the saved one).
    launch_server: Mutex<Option<String>>,
    /// Held while call reports are being sent (one pass at a time).
    flushing: tokio::sync::Mutex<()>,
}

impl Client {
    pub fn new(paths: AppPaths, store: Arc<dyn TokenStore>) -> Client {
        Client {
            paths,
            store,
            current: Mutex::new(None),
            launch_server: Mutex::new(None),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    /// This run uses `server` whatever the settings saved (see
    /// [`AppSettings::with_launch_server`]).
    pub fn with_launch_server(self, server: Option<String>) -> Client {
        *self.launch_server.lock().unwrap_or_else(|p| p.into_inner()) = server;
        self
    }

    pub fn paths(&self) -> &AppPaths {
        &self.paths
    }

    pub fn settings(&self) -> ClientResult<AppSettings> {
        let launch = self
            .launch_server
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Ok(self
            .paths
            .load_settings()?
            .with_launch_server(launch.as_deref()))
    }

    pub fn save_settings(&self, settings: &AppSettings) -> ClientResult<()> {
        Ok(self.paths.save_settings(settings)?)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<SignedIn>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The API, signed in. Fails with `unauthorized` when nobody is.
    pub fn api(&self) -> ClientResult<ApiClient> {
        self.lock()
            .as_ref()
            .map(|s| s.api.clone())
            .ok_or_else(ClientError::not_signed_in)
    }

    pub fn user(&self) -> Option<User> {
        self.lock().as_ref().map(|s| s.user.clone())
    }

    /// A client for `server`: plain http only to this machine, or to the
    /// one server the person accepted it for ([`Client::allow_http_to`]).
    fn api_for(&self, server: &str) -> ClientResult<ApiClient> {
        let accepted = self.settings()?.http_allowed_for;
        let same = |a: &str| {
            mentorlive_api::normalise_server_url(a).ok()
                == mentorlive_api::normalise_server_url(server).ok()
        };
        Ok(match accepted {
            Some(accepted) if same(&accepted) => ApiClient::new_allowing_http(server)?,
            _ => ApiClient::new(server)?,
        })
    }

    /// The person accepted plain http to `server` (after being told what
    /// it exposes): remembered for that server only.
    pub fn allow_http_to(&self, server: &str) -> ClientResult<()> {
        let url = mentorlive_api::normalise_server_url(server)?;
        let mut settings = self.settings()?;
        settings.http_allowed_for = Some(url.as_str().trim_end_matches('/').to_owned());
        self.save_settings(&settings)
    }

    /// Signs in, keeps the token in the keychain, remembers server and account.
    pub async fn sign_in(&self, server: &str, email: &str, password: &str) -> ClientResult<User> {
        let api = self.api_for(server)?;
        let auth = api.login(email, password).await?;
        self.signed_in(api, auth)
    }

    /// Creates an account on `server` (the server checks every field and
    /// says what is wrong) and signs in with it.
    pub async fn register(&self, server: &str, request: &RegisterRequest) -> ClientResult<User> {
        let api = self.api_for(server)?;
        let auth = api.register(request).await?;
        self.signed_in(api, auth)
    }

    fn signed_in(&self, api: ApiClient, auth: AuthResponse) -> ClientResult<User> {
        let server = api.server_url();
        // Without a keychain (no Secret Service running, a locked one) the
        // sign-in still works; it is only not remembered for the next start.
        let key = TokenKey::new(&server, &auth.user.email);
        if let Err(err) = self.store.save(&key, &Token::new(auth.token.clone())) {
            tracing::warn!(
                code = err.code(),
                "the keychain is unavailable: this sign-in will not be remembered"
            );
        }
        let mut settings = self.settings()?;
        settings.server_url = server;
        settings.account = Some(auth.user.email.clone());
        self.save_settings(&settings)?;
        *self.launch_server.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let user = auth.user.clone();
        *self.lock() = Some(SignedIn {
            api: api.with_token(auth.token),
            user: auth.user,
        });
        tracing::info!(user_id = %user.id, "signed in");
        Ok(user)
    }

    /// Signs in with the remembered token, if the server still accepts it.
    /// A token it refuses (401) is removed from the keychain.
    pub async fn restore(&self) -> ClientResult<Option<User>> {
        let settings = self.settings()?;
        let Some(account) = settings.account.clone() else {
            return Ok(None);
        };
        let key = TokenKey::new(&settings.server_url, &account);
        let token = match self.store.load(&key) {
            Ok(Some(token)) => token,
            Ok(None) => return Ok(None),
            Err(err) => {
                tracing::warn!(
                    code = err.code(),
                    "the keychain is unavailable: asking to sign in"
                );
                return Ok(None);
            }
        };
        let api = self
            .api_for(&settings.server_url)?
            .with_token(token.expose());
        match api.me().await {
            Ok(user) => {
                *self.lock() = Some(SignedIn {
                    api,
                    user: user.clone(),
                });
                Ok(Some(user))
            }
            Err(err) if err.is_unauthorized() => {
                self.store.delete(&key)?;
                Ok(None)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Signs out: revokes the token on the server (best effort) and removes
    /// it from the keychain.
    pub async fn sign_out(&self) -> ClientResult<()> {
        let signed_in = self.lock().take();
        let settings = self.settings()?;
        if let Some(signed_in) = signed_in {
            if let Err(err) = signed_in.api.logout().await {
                tracing::warn!(
                    code = err.code(),
                    "could not revoke the token on the server"
                );
            }
        }
        if let Some(account) = &settings.account {
            if let Err(err) = self
                .store
                .delete(&TokenKey::new(&settings.server_url, account))
            {
                // Nothing could have been stored without a keychain either.
                tracing::warn!(
                    code = err.code(),
                    "could not remove the token from the keychain"
                );
            }
        }
        Ok(())
    }
}
