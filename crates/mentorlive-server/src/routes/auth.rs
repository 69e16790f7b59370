//! `/api/auth/*`: register, login, me, logout.

use crate::auth::{hash_password, new_token, token_hash, verify_password, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::extract::ClientAddress;
use crate::rate_limit::Limit;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use mentorlive_protocol::{
    AuthResponse, ErrorBody, ErrorCode, LoginRequest, RegisterRequest, User,
};

const MIN_PASSWORD: usize = 8;
const MAX_PASSWORD: usize = 256;

/// Lower-cased, trimmed, and shaped like an address; anything else is refused.
pub fn normalise_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains('@'));
    if valid {
        Ok(email)
    } else {
        Err(ApiError::invalid_input(
            "Enter a valid email address, like name@example.com.",
        ))
    }
}

async fn issue_token(state: &AppState, user: User) -> ApiResult<AuthResponse> {
    let token = new_token()?;
    let now = crate::now();
    let expires = now + state.settings.token_ttl.as_secs() as i64;
    state
        .store
        .insert_token(&token_hash(&token), &user.id, now, expires)
        .await?;
    Ok(AuthResponse { token, user })
}

#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, body = AuthResponse, description = "Account created and signed in"),
        (status = 400, body = ErrorBody, description = "invalid_input"),
        (status = 409, body = ErrorBody, description = "email_taken"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<AuthResponse>)> {
    let email = normalise_email(&body.email)?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_input(
            "Enter a name of 1 to 100 characters.",
        ));
    }
    if name.chars().any(mentorlive_protocol::text::is_unsafe_char) {
        return Err(ApiError::invalid_input(
            "A name may not hold control or text-direction characters.",
        ));
    }
    let password_len = body.password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&password_len) {
        return Err(ApiError::invalid_input(format!(
            "Choose a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters."
        )));
    }
    state
        .rate_limit(&[(Limit::RegisterPerAddress, &address)])
        .await?;
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        email,
        name,
        role: body.role,
    };
    let hash = hash_password(body.password).await?;
    if state
        .store
        .create_user(&user, &hash, crate::now())
        .await?
        .is_none()
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EmailTaken,
            "An account with this email already exists. Sign in instead.",
        ));
    }
    tracing::info!(user_id = %user.id, role = user.role.as_str(), "registered");
    Ok((StatusCode::CREATED, Json(issue_token(&state, user).await?)))
}

#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = AuthResponse, description = "Signed in"),
        (status = 400, body = ErrorBody, description = "invalid_input"),
        (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<AuthResponse>> {
    let email = body.email.trim().to_lowercase();
    // Attempts per address (each costs an argon2 hash), and failures per
    // account *from that address*: keyed on the account alone, anyone
    // anywhere could keep its owner out by failing on purpose.
    let failures_key = format!("{address}|{email}");
    state
        .rate_limit(&[
            (Limit::LoginPerAddress, &address),
            (Limit::LoginFailuresPerAddressAndEmail, &failures_key),
        ])
        .await?;
    let found = state.store.user_by_email(&email).await?;
    let (user, hash) = match found {
        Some(found) => (Some(found.user), Some(found.password_hash)),
        None => (None, None),
    };
    let password_ok =
        body.password.len() <= 4 * MAX_PASSWORD && verify_password(body.password, hash).await;
    match user {
        Some(user) if password_ok => {
            // Only failures count against the account.
            state
                .refund_limit(Limit::LoginFailuresPerAddressAndEmail, &failures_key)
                .await;
            tracing::info!(user_id = %user.id, "signed in");
            Ok(Json(issue_token(&state, user).await?))
        }
        _ => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidCredentials,
            "The email or password is not right.",
        )),
    }
}

#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, body = User, description = "The signed-in user"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ))]
pub async fn me(auth: AuthUser) -> Json<User> {
    Json(auth.user)
}

/// Not in the contract: revokes the caller's token so sign-out is real.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "The token no longer works"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ))]
pub async fn logout(State(state): State<AppState>, auth: AuthUser) -> ApiResult<StatusCode> {
    state.store.delete_token(&auth.token_hash).await?;
    state.end_sockets_of(&auth.token_hash).await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::normalise_email;

    #[test]
    fn emails_are_normalised_or_refused() {
        assert_eq!(
            normalise_email("  Mentor@Example.COM ").ok().as_deref(),
            Some("mentor@example.com")
        );
        for bad in [
            "",
            "no-at",
            "@example.com",
            "a@b",
            "a b@c.d",
            "a@.com",
            "a@b.",
            "a@b@c.d",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad:?}");
        }
    }
}
