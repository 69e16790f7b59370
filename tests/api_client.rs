//! The typed API client against the real server: every call, and every kind
//! of failure a user can meet, mapped to a stable code and a readable message.

use mentorlive_api::{ApiClient, ApiError, Generated};
use mentorlive_protocol::{CreateSessionRequest, ErrorCode, RegisterRequest, Role, SessionStatus};
use mentorlive_testkit::{ServerOptions, TestServer, DEMO_PASSWORD};

#[tokio::test]
async fn every_call_works_against_the_reference_server() {
    let server = TestServer::start_default();
    let anonymous = ApiClient::new(&server.url).expect("url");

    let mentor_auth = anonymous
        .login("mentor@example.com", DEMO_PASSWORD)
        .await
        .expect("login");
    assert_eq!(mentor_auth.user.role, Role::Mentor);
    assert!(
        !format!("{mentor_auth:?}").contains(&mentor_auth.token),
        "Debug hides the token"
    );
    let mentor = anonymous.clone().with_token(mentor_auth.token.clone());
    assert_eq!(mentor.me().await.expect("me"), mentor_auth.user);

    let learner_auth = anonymous
        .register(&RegisterRequest {
            email: "new.learner@example.com".into(),
            password: "long enough".into(),
            name: "New Learner".into(),
            role: Role::Learner,
        })
        .await
        .expect("register");
    let learner = anonymous.clone().with_token(learner_auth.token);

    let created = learner
        .create_session(&CreateSessionRequest {
            title: "First steps".into(),
            mentor_id: mentor_auth.user.id.clone(),
            learner_id: learner_auth.user.id.clone(),
            scheduled_at: time::macros::datetime!(2031-03-04 05:06:07 UTC),
            duration_minutes: 30,
        })
        .await
        .expect("create");
    assert_eq!(created.status, SessionStatus::Upcoming);
    assert_eq!(mentor.get_session(&created.id).await.expect("get"), created);
    let mentor_sessions = mentor.list_sessions().await.expect("list");
    assert_eq!(mentor_sessions.len(), 2, "the demo session and the new one");

    let (code, generated) = mentor
        .generate_live_code(&created.id)
        .await
        .expect("generate");
    assert_eq!(generated, Generated::New);
    let (same, again) = learner
        .generate_live_code(&created.id)
        .await
        .expect("generate again");
    assert_eq!(
        (same.code.clone(), again),
        (code.code.clone(), Generated::Existing)
    );

    let typed = format!("  {}-{}  ", code.code[..4].to_lowercase(), &code.code[4..]);
    let valid = learner.validate_live_code(&typed).await.expect("validate");
    assert!(valid.valid);
    assert_eq!(valid.session.status, SessionStatus::Live);
    assert_eq!(valid.expires_at, code.expires_at);

    mentor.logout().await.expect("logout");
    assert!(mentor
        .me()
        .await
        .expect_err("token revoked")
        .is_unauthorized());
}

#[tokio::test]
async fn failures_keep_the_servers_code_and_message() {
    let server = TestServer::start(ServerOptions {
        live_code_ttl: Some(1),
        ..Default::default()
    });
    let anonymous = ApiClient::new(&server.url).expect("url");
    let err = anonymous
        .login("mentor@example.com", "nope")
        .await
        .expect_err("bad password");
    assert!(
        matches!(
            &err,
            ApiError::Server {
                status: 401,
                code: ErrorCode::InvalidCredentials,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "invalid_credentials");
    assert_eq!(err.to_string(), "The email or password is not right.");

    assert_eq!(
        anonymous.me().await.expect_err("no token"),
        ApiError::NotSignedIn
    );

    let mentor = anonymous.clone().with_token(
        anonymous
            .login("mentor@example.com", DEMO_PASSWORD)
            .await
            .expect("login")
            .token,
    );
    let session = mentor.list_sessions().await.expect("list").remove(0);
    let (code, _) = mentor
        .generate_live_code(&session.id)
        .await
        .expect("generate");
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let expired = mentor
        .validate_live_code(&code.code)
        .await
        .expect_err("expired");
    assert_eq!(expired.error_code(), Some(ErrorCode::ExpiredCode));
    assert!(
        expired
            .to_string()
            .starts_with("This live session code expired at"),
        "{expired}"
    );

    // Refused locally, without a request: the same code and message as the server's.
    let malformed = mentor
        .validate_live_code("ABCD/../../auth/me")
        .await
        .expect_err("malformed");
    assert_eq!(malformed.error_code(), Some(ErrorCode::MalformedCode));

    let unknown = mentor
        .get_session("does-not-exist")
        .await
        .expect_err("unknown");
    assert_eq!(unknown.error_code(), Some(ErrorCode::NotFound));

    let stale = ApiClient::new(&server.url)
        .expect("url")
        .with_token("stale-token");
    assert!(stale
        .list_sessions()
        .await
        .expect_err("401")
        .is_unauthorized());
}

#[tokio::test]
async fn a_server_that_is_down_or_not_the_contract_is_reported_not_panicked_on() {
    // A port that nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let err = ApiClient::new(&format!("http://127.0.0.1:{port}"))
        .expect("url")
        .login("a@b.c", "x")
        .await
        .expect_err("down");
    assert_eq!(err.code(), "network");

    // A server that answers, but not with the contract (an HTML page, a 500).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: 21\r\nconnection: close\r\n\r\n<h1>bad gateway</h1>\n")
                .await;
        }
    });
    let err = ApiClient::new(&format!("http://{addr}"))
        .expect("url")
        .login("a@b.c", "x")
        .await
        .expect_err("502");
    assert!(
        matches!(&err, ApiError::UnexpectedResponse { status: 502, .. }),
        "{err:?}"
    );

    assert_eq!(
        ApiClient::new("not a url").expect_err("bad url").code(),
        "invalid_server_url"
    );
}
