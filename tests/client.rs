//! The signed-in client the app and the CLI share, against the real server:
//! silent restore, a revoked token forgotten, and a machine without a
//! keychain still able to sign in (just not remembered).

use mentorlive_client::Client;
use mentorlive_protocol::ErrorCode;
use mentorlive_settings::AppPaths;
use mentorlive_testkit::reports::a_peer_in_the_room;
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

/// A client of its own folder, signed in as the demo mentor.
async fn mentor_client(server: &TestServer) -> (tempfile::TempDir, Client) {
    let home = tempfile::tempdir().expect("tmp");
    let client = Client::new(
        AppPaths::under(home.path()),
        Arc::new(MemoryTokenStore::default()),
    );
    client
        .sign_in(&server.url, "mentor@example.com", "mentorlive")
        .await
        .expect("sign in");
    (home, client)
}

/// A report of a short call that connected, for the peer id the room gave.
fn a_report(peer_id: &str) -> mentorlive_protocol::analytics::CallReport {
    use mentorlive_protocol::analytics::*;
    let ended = time::OffsetDateTime::now_utc();
    let joined = ended - time::Duration::seconds(90);
    CallReport {
        peer_id: peer_id.to_owned(),
        client: ClientKind::Desktop,
        client_version: "0.3.0".into(),
        joined_at: joined,
        connected_at: Some(joined + time::Duration::milliseconds(400)),
        ended_at: ended,
        end_reason: EndReason::Hangup,
        candidate_type: Some(CandidateType::Host),
        reconnects: 0,
        rtt_ms: RttFigures { p50: 2.0, p95: 4.0 },
        loss_percent: 0.0,
        jitter_ms: 1.0,
        video: VideoFigures::default(),
        audio: AudioFigures::default(),
        mos: Some(4.4),
        screen_share_seconds: 0.0,
        recorded: false,
        rating: None,
    }
}

/// The reports the server holds for `peer_id` in the session.
async fn reports_of(
    api: &mentorlive_api::ApiClient,
    session: &str,
    peer_id: &str,
) -> Vec<mentorlive_protocol::analytics::CallReport> {
    let analytics = api
        .session_analytics(session)
        .await
        .expect("session analytics");
    analytics
        .calls
        .into_iter()
        .flat_map(|c| c.reports)
        .map(|r| r.report)
        .filter(|r| r.peer_id == peer_id)
        .collect()
}

#[tokio::test]
async fn a_report_made_while_the_server_is_down_arrives_once_it_is_back_and_only_once() {
    let mut server = TestServer::start_default();
    let http = mentorlive_testkit::Http::new(&server);
    let (demo, code) = http.demo_code().await;
    // A real peer id from the room, as the engine's report carries.
    let peer_id = a_peer_in_the_room(&server, &demo.mentor, &code).await;

    let (_home, client) = mentor_client(&server).await;
    // The room's events are written in the background: let the join land.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    // The call ends while the server is down: the report waits on disk.
    server.stop();
    let owner = client.report_owner().expect("signed in");
    assert!(client
        .queue_call_report(&owner, &demo.session_id, a_report(&peer_id), None)
        .expect("kept"));
    let outcome = client.flush_call_reports().await;
    assert_eq!((outcome.sent, outcome.waiting), (0, 1), "{outcome:?}");
    assert_eq!(client.queued_call_reports(), 1, "kept in the data folder");

    // Back: it goes, once.
    server.restart();
    let outcome = client.flush_call_reports().await;
    assert_eq!((outcome.sent, outcome.waiting), (1, 0), "{outcome:?}");
    assert_eq!(client.queued_call_reports(), 0);
    assert_eq!(
        client.flush_call_reports().await.sent,
        0,
        "nothing left to send"
    );
    let api = client.api().expect("api");
    assert_eq!(reports_of(&api, &demo.session_id, &peer_id).await.len(), 1);

    // Its answer lost (the app quit between sending and forgetting it): it
    // goes again, and the server still holds one report for that call.
    client
        .queue_call_report(&owner, &demo.session_id, a_report(&peer_id), None)
        .expect("kept");
    assert_eq!(client.flush_call_reports().await.sent, 1);
    assert_eq!(reports_of(&api, &demo.session_id, &peer_id).await.len(), 1);
}

#[tokio::test]
async fn a_report_waits_for_its_rating_keeps_its_owner_and_sharing_off_sends_nothing() {
    let server = TestServer::start_default();
    let http = mentorlive_testkit::Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let first = a_peer_in_the_room(&server, &demo.mentor, &code).await;
    let second = a_peer_in_the_room(&server, &demo.mentor, &code).await;
    let third = a_peer_in_the_room(&server, &demo.mentor, &code).await;
    // The room's events are written in the background: let the joins land.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let (_home, client) = mentor_client(&server).await;
    let api = client.api().expect("api");

    let owner = client.report_owner().expect("signed in");
    let hold = Some(std::time::Duration::from_secs(600));
    let rating = mentorlive_protocol::analytics::Rating {
        stars: 3,
        problems: vec![mentorlive_protocol::analytics::Problem::Audio],
    };

    // Held for the rating: nothing goes until the person answers.
    client
        .queue_call_report(&owner, &demo.session_id, a_report(&first), hold)
        .expect("kept");
    assert_eq!(client.flush_call_reports().await.waiting, 1);
    assert!(reports_of(&api, &demo.session_id, &first).await.is_empty());
    assert!(client
        .rate_call(&demo.session_id, a_report(&first), Some(rating.clone()))
        .await
        .expect("rated"));
    assert_eq!(client.flush_call_reports().await.sent, 1);
    let stored = reports_of(&api, &demo.session_id, &first).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].rating, Some(rating.clone()));

    // A rating given after its report went (the wait ran out, the prompt
    // stayed open): it goes again with the rating, still one report.
    client
        .queue_call_report(&owner, &demo.session_id, a_report(&second), None)
        .expect("kept");
    assert_eq!(client.flush_call_reports().await.sent, 1);
    client
        .rate_call(&demo.session_id, a_report(&second), Some(rating.clone()))
        .await
        .expect("rated late");
    assert_eq!(client.flush_call_reports().await.sent, 1);
    let stored = reports_of(&api, &demo.session_id, &second).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].rating, Some(rating));

    // Signed out before the report came: it is still the owner's, and goes
    // when they sign in again.
    client.sign_out().await.expect("sign out");
    client
        .queue_call_report(&owner, &demo.session_id, a_report(&third), None)
        .expect("kept");
    assert_eq!(
        client.flush_call_reports().await.waiting,
        1,
        "nobody signed in"
    );
    client
        .sign_in(&server.url, "mentor@example.com", "mentorlive")
        .await
        .expect("sign in again");
    assert_eq!(client.flush_call_reports().await.sent, 1);
    let api = client.api().expect("api");

    // Sharing off: a waiting report is forgotten, a new one is not kept.
    let fourth = a_peer_in_the_room(&server, &demo.mentor, &code).await;
    client
        .queue_call_report(&owner, &demo.session_id, a_report(&fourth), hold)
        .expect("kept");
    client.set_share_call_reports(false).await.expect("off");
    assert_eq!(client.queued_call_reports(), 0);
    assert!(!client
        .queue_call_report(&owner, &demo.session_id, a_report(&fourth), None)
        .expect("answered"));
    assert!(!client
        .rate_call(&demo.session_id, a_report(&fourth), None)
        .await
        .expect("answered"));
    assert_eq!(client.flush_call_reports().await, Default::default());
    assert!(
        reports_of(&api, &demo.session_id, &fourth).await.is_empty(),
        "the server never saw it"
    );
}

#[tokio::test]
async fn plain_http_to_another_machine_is_refused_until_the_person_accepts_it() {
    let home = tempfile::tempdir().expect("tmp");
    let client = Client::new(
        AppPaths::under(home.path()),
        Arc::new(MemoryTokenStore::default()),
    );
    // Nothing is sent: the password never leaves for a plain-http server.
    let server = "http://10.255.255.1:9";
    let refused = client
        .sign_in(server, "mentor@example.com", "mentorlive")
        .await
        .expect_err("refused");
    assert_eq!(
        refused.code,
        mentorlive_client::AppErrorCode::InsecureServer,
        "{refused:?}"
    );
    // Accepted for that server only: the sign-in is tried (and here finds
    // nobody there); another plain-http server is still refused.
    client.allow_http_to(server).expect("accepted");
    let tried = client
        .sign_in(server, "mentor@example.com", "mentorlive")
        .await
        .expect_err("nobody there");
    assert_ne!(tried.code, mentorlive_client::AppErrorCode::InsecureServer);
    let other = client
        .sign_in("http://10.255.255.2:9", "mentor@example.com", "mentorlive")
        .await
        .expect_err("refused");
    assert_eq!(other.code, mentorlive_client::AppErrorCode::InsecureServer);
}
