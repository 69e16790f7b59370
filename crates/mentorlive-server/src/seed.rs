//! `--seed-demo`: a mentor, a learner and an upcoming session, idempotently.

use crate::auth::hash_password;
use crate::state::AppState;
use mentorlive_protocol::{Role, User};

pub const DEMO_PASSWORD: &str = "mentorlive";
pub const DEMO_MENTOR: &str = "mentor@example.com";
pub const DEMO_LEARNER: &str = "learner@example.com";

async fn ensure_user(
    state: &AppState,
    email: &str,
    name: &str,
    role: Role,
) -> anyhow::Result<User> {
    if let Some(found) = state.store.user_by_email(email).await? {
        return Ok(found.user);
    }
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        email: email.to_owned(),
        name: name.to_owned(),
        role,
    };
    let hash = hash_password(DEMO_PASSWORD.to_owned())
        .await
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {}", e.message))?;
    if state
        .store
        .create_user(&user, &hash, crate::now())
        .await?
        .is_none()
    {
        // Another process seeded it between our read and our write.
        return state
            .store
            .user_by_email(email)
            .await?
            .map(|f| f.user)
            .ok_or_else(|| anyhow::anyhow!("demo user {email} vanished"));
    }
    Ok(user)
}

pub async fn seed_demo(state: &AppState) -> anyhow::Result<()> {
    let mentor = ensure_user(state, DEMO_MENTOR, "Maya Mentor", Role::Mentor).await?;
    let learner = ensure_user(state, DEMO_LEARNER, "Leo Learner", Role::Learner).await?;
    if state
        .store
        .upcoming_session_between(&mentor.id, &learner.id)
        .await?
        .is_none()
    {
        let now = crate::now();
        // Half an hour from now, on the minute: "upcoming", and soon.
        let scheduled = (now / 60 + 30) * 60;
        state
            .store
            .create_session(
                &uuid::Uuid::new_v4().to_string(),
                "Rust ownership, one to one",
                &mentor.id,
                &learner.id,
                scheduled,
                45,
                now,
            )
            .await?;
    }
    tracing::info!("demo data ready: {DEMO_MENTOR} and {DEMO_LEARNER}, password {DEMO_PASSWORD:?}");
    Ok(())
}
