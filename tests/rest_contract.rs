//! Every row of the REST contract (`shared/protocol.md`) against the real
//! server binary on a real port with a real SQLite file.

use mentorlive_testkit::{Http, ServerOptions, TestServer};

/// The server's own database (its SQLite file, or PostgreSQL on a cluster).
async fn server_database(server: &TestServer) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&server.database_url())
        .await
        .expect("open the server's database")
}
use serde_json::json;
use std::collections::HashSet;

const ALPHABET: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

fn assert_code_shape(code: &str) {
    assert_eq!(code.len(), 8, "{code}");
    assert!(
        code.chars().all(|c| ALPHABET.contains(c)),
        "{code} is outside the alphabet"
    );
}

#[tokio::test]
async fn register_login_me_and_logout() {
    let server = TestServer::start_default();
    let http = Http::new(&server);

    let created = http
        .post("/api/auth/register", None, json!({"email": " Ada@Example.com", "password": "correct horse", "name": "Ada", "role": "learner"}))
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let token = created.body["token"].as_str().expect("token");
    assert!(token.len() >= 22, "a token of at least 128 bits");
    assert_eq!(created.body["user"]["email"], "ada@example.com");
    assert_eq!(created.body["user"]["role"], "learner");
    assert_eq!(
        created.body["user"].as_object().map(|o| o.len()),
        Some(4),
        "user is {{id, email, name, role}}"
    );

    let me = http.get("/api/auth/me", Some(token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body, created.body["user"]);

    http.post("/api/auth/register", None, json!({"email": "ada@example.com", "password": "another one", "name": "Ada 2", "role": "mentor"}))
        .await
        .expect(409, "email_taken");
    for bad in [
        json!({"email": "x@example.com", "password": "short", "name": "X", "role": "mentor"}),
        json!({"email": "not-an-email", "password": "long enough", "name": "X", "role": "mentor"}),
        json!({"email": "x@example.com", "password": "long enough", "name": "  ", "role": "mentor"}),
        // Control and text-direction characters: a terminal's escapes, a
        // name that reads backwards.
        json!({"email": "x@example.com", "password": "long enough", "name": "X\u{1b}[2J", "role": "mentor"}),
        json!({"email": "x@example.com", "password": "long enough", "name": "Eve\u{202e}gnp.exe", "role": "mentor"}),
        json!({"email": "x@example.com", "password": "long enough", "name": "X", "role": "admin"}),
        json!({"email": "x@example.com", "password": "long enough", "name": "X"}),
        json!([1, 2, 3]),
    ] {
        http.post("/api/auth/register", None, bad)
            .await
            .expect(400, "invalid_input");
    }

    let login = http
        .post(
            "/api/auth/login",
            None,
            json!({"email": "ADA@example.com", "password": "correct horse"}),
        )
        .await;
    assert_eq!(login.status, 200);
    assert_eq!(login.body["user"], created.body["user"]);
    http.post(
        "/api/auth/login",
        None,
        json!({"email": "ada@example.com", "password": "wrong horse"}),
    )
    .await
    .expect(401, "invalid_credentials");
    http.post(
        "/api/auth/login",
        None,
        json!({"email": "nobody@example.com", "password": "correct horse"}),
    )
    .await
    .expect(401, "invalid_credentials");

    http.get("/api/auth/me", None)
        .await
        .expect(401, "unauthorized");
    http.get("/api/auth/me", Some("not-a-real-token"))
        .await
        .expect(401, "unauthorized");

    let second = login.body["token"].as_str().expect("token");
    let out = http.post("/api/auth/logout", Some(second), json!({})).await;
    assert_eq!(out.status, 204);
    http.get("/api/auth/me", Some(second))
        .await
        .expect(401, "unauthorized");
    assert_eq!(
        http.get("/api/auth/me", Some(token)).await.status,
        200,
        "other tokens keep working"
    );
}

#[tokio::test]
async fn sessions_are_listed_soonest_first_and_only_to_their_participants() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (mentor, mentor_id) = http.register("m@example.com", "mentor").await;
    let (learner, learner_id) = http.register("l@example.com", "learner").await;
    let (stranger, stranger_id) = http.register("s@example.com", "learner").await;

    let later = http
        .create_session(&mentor, &mentor_id, &learner_id, "2031-05-02T10:00:00Z")
        .await;
    let sooner = http
        .create_session(
            &learner,
            &mentor_id,
            &learner_id,
            "2031-05-01T09:30:00+02:00",
        )
        .await;
    assert_eq!(
        sooner["scheduledAt"], "2031-05-01T07:30:00Z",
        "times come back in UTC"
    );
    assert_eq!(sooner["status"], "upcoming");
    assert_eq!(
        sooner["mentor"],
        json!({"id": mentor_id, "name": "User m@example.com"})
    );
    assert_eq!(sooner["learner"]["id"], learner_id);
    for field in [
        "liveSessionCode",
        "liveSessionCreatedAt",
        "liveSessionExpiresAt",
    ] {
        assert!(sooner[field].is_null(), "{field} is null without a code");
    }

    for token in [&mentor, &learner] {
        let list = http.get("/api/sessions", Some(token)).await;
        assert_eq!(list.status, 200);
        let ids: Vec<_> = list.body["sessions"]
            .as_array()
            .expect("array")
            .iter()
            .map(|s| s["id"].clone())
            .collect();
        assert_eq!(ids, vec![sooner["id"].clone(), later["id"].clone()]);
    }
    let theirs = http.get("/api/sessions", Some(&stranger)).await;
    assert_eq!(theirs.body, json!({"sessions": []}));
    http.get("/api/sessions", None)
        .await
        .expect(401, "unauthorized");

    let id = sooner["id"].as_str().expect("id");
    let got = http
        .get(&format!("/api/sessions/{id}"), Some(&learner))
        .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, sooner);
    http.get(&format!("/api/sessions/{id}"), Some(&stranger))
        .await
        .expect(403, "not_participant");
    http.get("/api/sessions/no-such-session", Some(&learner))
        .await
        .expect(404, "not_found");
    http.get(&format!("/api/sessions/{id}"), None)
        .await
        .expect(401, "unauthorized");

    // Creating: the caller must take part; ids must be a mentor and a learner.
    let body = |mentor: &str, learner: &str| json!({"title": "T", "mentorId": mentor, "learnerId": learner, "scheduledAt": "2031-01-01T00:00:00Z", "durationMinutes": 30});
    http.post(
        "/api/sessions",
        Some(&stranger),
        body(&mentor_id, &learner_id),
    )
    .await
    .expect(403, "not_participant");
    assert_eq!(
        http.post(
            "/api/sessions",
            Some(&mentor),
            body(&mentor_id, &stranger_id)
        )
        .await
        .status,
        201
    );
    http.post(
        "/api/sessions",
        Some(&mentor),
        body(&learner_id, &mentor_id),
    )
    .await
    .expect(400, "invalid_input");
    http.post(
        "/api/sessions",
        Some(&mentor),
        body(&mentor_id, "no-such-user"),
    )
    .await
    .expect(400, "invalid_input");
    http.post("/api/sessions", Some(&mentor), body(&mentor_id, &mentor_id))
        .await
        .expect(400, "invalid_input");
    for bad in [
        json!({"title": "", "mentorId": mentor_id, "learnerId": learner_id, "scheduledAt": "2031-01-01T00:00:00Z", "durationMinutes": 30}),
        json!({"title": "T", "mentorId": mentor_id, "learnerId": learner_id, "scheduledAt": "tomorrow", "durationMinutes": 30}),
        json!({"title": "T", "mentorId": mentor_id, "learnerId": learner_id, "scheduledAt": "2031-01-01T00:00:00Z", "durationMinutes": 0}),
        json!({"title": "T", "mentorId": mentor_id, "learnerId": learner_id, "scheduledAt": "2031-01-01T00:00:00Z", "durationMinutes": -5}),
        json!({"title": "T", "mentorId": mentor_id, "learnerId": learner_id, "scheduledAt": "2031-01-01T00:00:00Z"}),
        json!({"title": "T\u{1b}]0;owned\u{7}", "mentorId": mentor_id, "learnerId": learner_id, "scheduledAt": "2031-01-01T00:00:00Z", "durationMinutes": 30}),
        json!({"title": "T\u{2066}x\u{2069}", "mentorId": mentor_id, "learnerId": learner_id, "scheduledAt": "2031-01-01T00:00:00Z", "durationMinutes": 30}),
    ] {
        http.post("/api/sessions", Some(&mentor), bad)
            .await
            .expect(400, "invalid_input");
    }
    http.post("/api/sessions", None, body(&mentor_id, &learner_id))
        .await
        .expect(401, "unauthorized");
}

#[tokio::test]
async fn a_participant_generates_one_code_that_both_can_validate() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;
    let (stranger, _) = http.register("s@example.com", "mentor").await;

    let first = http.generate(&demo.mentor, &demo.session_id).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let code = first.body["code"].as_str().expect("code").to_owned();
    assert_code_shape(&code);
    assert_eq!(first.body["sessionId"], demo.session_id.as_str());
    let created = time::OffsetDateTime::parse(
        first.body["createdAt"].as_str().expect("createdAt"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    let expires = time::OffsetDateTime::parse(
        first.body["expiresAt"].as_str().expect("expiresAt"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339");
    assert_eq!(
        (expires - created).whole_seconds(),
        3600,
        "valid for one hour"
    );

    // The learner asking again gets the same, still valid code, with 200.
    let again = http.generate(&demo.learner, &demo.session_id).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body);

    // The session now shows it, and is live.
    let session = http
        .get(
            &format!("/api/sessions/{}", demo.session_id),
            Some(&demo.learner),
        )
        .await;
    assert_eq!(session.body["status"], "live");
    assert_eq!(session.body["liveSessionCode"], code.as_str());
    assert_eq!(
        session.body["liveSessionCreatedAt"],
        first.body["createdAt"]
    );
    assert_eq!(
        session.body["liveSessionExpiresAt"],
        first.body["expiresAt"]
    );

    // Validation forgives case, spaces and one middle hyphen.
    let lower_hyphen = format!("{}-{}", code[..4].to_lowercase(), code[4..].to_lowercase());
    for input in [code.clone(), lower_hyphen, format!("%20{code}%20")] {
        let valid = http
            .get(
                &format!("/api/sessions/validate-live-code/{input}"),
                Some(&demo.learner),
            )
            .await;
        assert_eq!(valid.status, 200, "{input}: {:?}", valid.body);
        assert_eq!(valid.body["valid"], true);
        assert_eq!(valid.body["sessionId"], demo.session_id.as_str());
        assert_eq!(valid.body["expiresAt"], first.body["expiresAt"]);
        assert_eq!(valid.body["session"]["liveSessionCode"], code.as_str());
    }

    // Everything else, in the contract's words.
    for malformed in ["ABC", "ABCD-EFG0", "AB-CD-EFGH", "ABCDEFGHJ", "ABCD%20EFGH"] {
        http.get(
            &format!("/api/sessions/validate-live-code/{malformed}"),
            Some(&demo.learner),
        )
        .await
        .expect(400, "malformed_code");
    }
    let unknown = if code == "ABCDEFGH" {
        "HGFEDCBA"
    } else {
        "ABCDEFGH"
    };
    http.get(
        &format!("/api/sessions/validate-live-code/{unknown}"),
        Some(&demo.learner),
    )
    .await
    .expect(404, "unknown_code");
    http.get(
        &format!("/api/sessions/validate-live-code/{code}"),
        Some(&stranger),
    )
    .await
    .expect(403, "not_participant");
    http.get(&format!("/api/sessions/validate-live-code/{code}"), None)
        .await
        .expect(401, "unauthorized");

    // Generating: only participants, only real sessions.
    http.generate(&stranger, &demo.session_id)
        .await
        .expect(403, "not_participant");
    http.generate(&demo.mentor, "no-such-session")
        .await
        .expect(404, "not_found");
    http.post(
        "/api/sessions/generate-live-code",
        None,
        json!({"sessionId": demo.session_id}),
    )
    .await
    .expect(401, "unauthorized");
    http.post(
        "/api/sessions/generate-live-code",
        Some(&demo.mentor),
        json!({"session": 1}),
    )
    .await
    .expect(400, "invalid_input");

    // The server logged the work (at debug level), but neither the bearer
    // tokens nor the code itself.
    let log = server.log();
    assert!(
        log.contains("live code generated"),
        "the log is being written"
    );
    for secret in [&demo.mentor, &demo.learner, &stranger, &code] {
        assert!(
            !log.contains(secret.as_str()),
            "a secret reached the server log"
        );
    }
}

#[tokio::test]
async fn completed_and_cancelled_sessions_cannot_go_live() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;
    // There is no REST call to end a session; the platform does it in its
    // database, so the test does too, in the server's own database.
    let db = server_database(&server).await;
    for status in ["completed", "cancelled"] {
        sqlx::query("UPDATE sessions SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(&demo.session_id)
            .execute(&db)
            .await
            .expect("update");
        let reply = http.generate(&demo.mentor, &demo.session_id).await;
        reply.expect(409, "session_not_active");
        assert!(reply.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(status));
    }
}

#[tokio::test]
async fn an_expired_code_answers_410_and_a_new_one_can_be_made() {
    let server = TestServer::start(ServerOptions {
        live_code_ttl: Some(2),
        ..Default::default()
    });
    let http = Http::new(&server);
    let demo = http.demo().await;
    let first = http.generate(&demo.mentor, &demo.session_id).await;
    let code = first.body["code"].as_str().expect("code").to_owned();
    assert_eq!(
        http.get(
            &format!("/api/sessions/validate-live-code/{code}"),
            Some(&demo.learner)
        )
        .await
        .status,
        200
    );

    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    let expired = http
        .get(
            &format!("/api/sessions/validate-live-code/{code}"),
            Some(&demo.learner),
        )
        .await;
    expired.expect(410, "expired_code");
    assert!(expired.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("expired at"));
    let session = http
        .get(
            &format!("/api/sessions/{}", demo.session_id),
            Some(&demo.mentor),
        )
        .await;
    assert_eq!(session.body["status"], "upcoming", "no longer live");
    assert!(session.body["liveSessionCode"].is_null());

    let fresh = http.generate(&demo.learner, &demo.session_id).await;
    assert_eq!(fresh.status, 201, "a new code, not the expired one");
    assert_ne!(fresh.body["code"], first.body["code"]);
}

#[tokio::test]
async fn codes_are_well_formed_and_unique_under_concurrency() {
    let server = TestServer::start(ServerOptions {
        rate_limit_factor: Some(0.0),
        ..Default::default()
    });
    let http = Http::new(&server);
    let (mentor, mentor_id) = http.register("m@example.com", "mentor").await;
    let (_, learner_id) = http.register("l@example.com", "learner").await;
    let mut session_ids = Vec::new();
    for day in 0..100 {
        let session = http
            .create_session(
                &mentor,
                &mentor_id,
                &learner_id,
                &format!("2031-01-01T{:02}:{:02}:00Z", day / 60, day % 60),
            )
            .await;
        session_ids.push(session["id"].as_str().expect("id").to_owned());
    }

    // 100 generates at once, one per session: 100 distinct, well-formed codes.
    let replies =
        futures::future::join_all(session_ids.iter().map(|id| http.generate(&mentor, id))).await;
    let mut codes = HashSet::new();
    for reply in &replies {
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        let code = reply.body["code"].as_str().expect("code");
        assert_code_shape(code);
        codes.insert(code.to_owned());
    }
    assert_eq!(codes.len(), 100);

    // 20 generates at once for one fresh session: all get the one same code,
    // and exactly one of them made it.
    let session = http
        .create_session(&mentor, &mentor_id, &learner_id, "2032-01-01T00:00:00Z")
        .await;
    let id = session["id"].as_str().expect("id");
    let replies = futures::future::join_all((0..20).map(|_| http.generate(&mentor, id))).await;
    let same: HashSet<_> = replies
        .iter()
        .map(|r| r.body["code"].as_str().expect("code").to_owned())
        .collect();
    assert_eq!(same.len(), 1, "one code for one session: {same:?}");
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 19);
}

#[tokio::test]
async fn rate_limits_stop_code_guessing_and_password_guessing() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;

    // A guesser gets a burst of 20 validations, then 429 with Retry-After.
    let mut statuses = Vec::new();
    for i in 0..25 {
        let guess = format!("ABCD{:04}", 2222 + i)
            .replace('0', "2")
            .replace('1', "3");
        statuses.push(
            http.get(
                &format!("/api/sessions/validate-live-code/{guess}"),
                Some(&demo.learner),
            )
            .await,
        );
    }
    let limited: Vec<_> = statuses.iter().filter(|r| r.status == 429).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|r| r.status == 404 || r.status == 400)
            .count(),
        20,
        "the burst"
    );
    assert_eq!(limited.len(), 5);
    limited[0].expect(429, "rate_limited");
    let retry_after: u64 = limited[0].headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=6).contains(&retry_after), "{retry_after}");
    // The limit is per user: the mentor is not blocked by the learner's guessing.
    let generated = http.generate(&demo.mentor, &demo.session_id).await;
    let code = generated.body["code"].as_str().expect("code");
    assert_eq!(
        http.get(
            &format!("/api/sessions/validate-live-code/{code}"),
            Some(&demo.mentor)
        )
        .await
        .status,
        200
    );

    // Password guessing on one account: 10 failures (the demo sign-in
    // above succeeded, so it does not count), then even the right password
    // waits, from this address.
    for _ in 0..10 {
        http.post(
            "/api/auth/login",
            None,
            json!({"email": "mentor@example.com", "password": "guess-guess"}),
        )
        .await
        .expect(401, "invalid_credentials");
    }
    http.post(
        "/api/auth/login",
        None,
        json!({"email": "mentor@example.com", "password": "mentorlive"}),
    )
    .await
    .expect(429, "rate_limited");

    // Generating: 10 per user, then 429.
    let mut generate_statuses = Vec::new();
    for _ in 0..12 {
        generate_statuses.push(http.generate(&demo.learner, &demo.session_id).await.status);
    }
    assert_eq!(
        &generate_statuses[..10],
        &[200; 10],
        "the learner's own burst"
    );
    assert!(
        generate_statuses[10..].iter().all(|&s| s == 429),
        "{generate_statuses:?}"
    );
}

#[tokio::test]
async fn a_guesser_elsewhere_cannot_lock_the_owner_out_and_only_failures_count() {
    let server = TestServer::start_default();
    let guesser = Http::from_address(&server, "127.0.0.2".parse().expect("ip"));
    let owner = Http::from_address(&server, "127.0.0.3".parse().expect("ip"));
    let login = |password: &str| json!({"email": "mentor@example.com", "password": password});

    // The guesser fails ten times: their next try waits, even the right one.
    for _ in 0..10 {
        guesser
            .post("/api/auth/login", None, login("guess-guess"))
            .await
            .expect(401, "invalid_credentials");
    }
    guesser
        .post("/api/auth/login", None, login("mentorlive"))
        .await
        .expect(429, "rate_limited");
    // The owner, elsewhere, signs in: the guesser's failures are theirs alone.
    let signed_in = owner
        .post("/api/auth/login", None, login("mentorlive"))
        .await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.body);
    // Successes are not failures: fifteen sign-ins in a row all pass.
    for n in 0..15 {
        let again = owner
            .post("/api/auth/login", None, login("mentorlive"))
            .await;
        assert_eq!(again.status, 200, "sign-in {n}: {}", again.body);
    }
}

#[tokio::test]
async fn rotating_ipv6_addresses_within_a_64_buys_no_fresh_limits() {
    // One node behind a trusted proxy (this test plays the proxy): on the
    // cluster HAProxy is the proxy and appends its own entry.
    if mentorlive_testkit::cluster::clustered() {
        return;
    }
    let server = TestServer::start(ServerOptions {
        extra_args: vec!["--trusted-proxy".into(), "127.0.0.1".into()],
        ..Default::default()
    });
    let client = reqwest::Client::new();
    let login = |address: String, n: usize| {
        let client = client.clone();
        let url = format!("{}/api/auth/login", server.url);
        async move {
            client
                .post(url)
                .header("x-forwarded-for", address)
                // A new account name each time: only the per-address limit counts.
                .json(&json!({"email": format!("nobody{n}@example.com"), "password": "wrong-password"}))
                .send()
                .await
                .expect("login")
                .status()
                .as_u16()
        }
    };
    // Each attempt from a fresh address of the same /64: the burst of 20,
    // then 429, as if it were one address.
    let mut statuses = Vec::new();
    for n in 0..22 {
        statuses.push(login(format!("2001:db8:1:2:{n:x}:{n:x}::{n:x}"), n).await);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2);
    // Another subscriber's /64 is not held back by it.
    assert_eq!(login("2001:db8:1:3::1".into(), 99).await, 401);
}

#[tokio::test]
async fn committed_data_survives_a_restart_and_a_kill() {
    let mut server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;
    let code = http.generate(&demo.mentor, &demo.session_id).await.body["code"]
        .as_str()
        .expect("code")
        .to_owned();

    // SIGTERM: a graceful stop exits 0.
    let status = server.stop();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    server.restart();
    let http = Http::new(&server);
    let valid = http
        .get(
            &format!("/api/sessions/validate-live-code/{code}"),
            Some(&demo.learner),
        )
        .await;
    assert_eq!(
        valid.status, 200,
        "the code and the token survived: {:?}",
        valid.body
    );

    // SIGKILL straight after a write: the acknowledged write is on disk.
    let (token, _) = http.register("after@example.com", "learner").await;
    server.kill();
    server.restart();
    let http = Http::new(&server);
    assert_eq!(http.get("/api/auth/me", Some(&token)).await.status, 200);
    assert_eq!(
        http.generate(&demo.learner, &demo.session_id).await.body["code"],
        code.as_str()
    );

    // --seed-demo ran three times on this database: still one of each.
    let sessions = http.get("/api/sessions", Some(&demo.mentor)).await;
    assert_eq!(sessions.body["sessions"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn anything_else_gets_the_error_shape_never_a_500() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;
    http.get("/api/no-such-thing", None)
        .await
        .expect(404, "not_found");
    // `/` is the web client's (tests/web_pages.rs); any other address is not.
    http.get("/no-such-page", None)
        .await
        .expect(404, "not_found");
    http.send(
        reqwest::Method::DELETE,
        "/api/sessions",
        Some(&demo.mentor),
        None,
    )
    .await
    .expect(405, "method_not_allowed");
    http.send(
        reqwest::Method::PUT,
        "/api/auth/login",
        None,
        Some(json!({})),
    )
    .await
    .expect(405, "method_not_allowed");

    // A body that is not JSON, or not declared as JSON.
    let raw = reqwest::Client::new();
    let reply = raw
        .post(format!("{}/api/auth/login", server.url))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .await
        .expect("answer");
    assert_eq!(reply.status(), 400);
    let reply = raw
        .post(format!("{}/api/auth/login", server.url))
        .body("email=a")
        .send()
        .await
        .expect("answer");
    assert_eq!(reply.status(), 400);
    let body: serde_json::Value = reply.json().await.expect("json error body");
    assert_eq!(body["error"]["code"], "invalid_input");

    // A body over the 64 KiB limit is refused before it is read, on its own
    // client (the server closes that connection). 80 KiB still fits the
    // socket buffers, so the client always finishes writing and reads the
    // answer; a megabyte raced the close and sometimes got a broken pipe.
    let big = json!({"email": "a".repeat(80 * 1024), "password": "x"});
    Http::new(&server)
        .post("/api/auth/login", None, big)
        .await
        .expect(413, "payload_too_large");

    // A session id or code with odd bytes is refused in words, not a crash.
    http.get("/api/sessions/%00%FF", Some(&demo.mentor))
        .await
        .expect(400, "invalid_input");
    http.get("/api/sessions/%00", Some(&demo.mentor))
        .await
        .expect(404, "not_found");
    http.get(
        "/api/sessions/validate-live-code/%F0%9F%98%80",
        Some(&demo.mentor),
    )
    .await
    .expect(400, "malformed_code");
}

#[tokio::test]
async fn the_openapi_document_describes_every_call() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let doc = http.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"]
        .as_str()
        .unwrap_or_default()
        .starts_with("3."));
    for (path, method) in [
        ("/api/auth/register", "post"),
        ("/api/auth/login", "post"),
        ("/api/auth/me", "get"),
        ("/api/sessions", "get"),
        ("/api/sessions", "post"),
        ("/api/sessions/{id}", "get"),
        ("/api/sessions/generate-live-code", "post"),
        ("/api/sessions/validate-live-code/{code}", "get"),
    ] {
        assert!(
            doc.body["paths"][path][method].is_object(),
            "{method} {path} is documented"
        );
    }
    let validate =
        &doc.body["paths"]["/api/sessions/validate-live-code/{code}"]["get"]["responses"];
    for status in ["200", "400", "401", "403", "404", "410", "429"] {
        assert!(validate[status].is_object(), "validate documents {status}");
    }
}

#[tokio::test]
async fn an_expired_token_is_refused_by_rest_and_signaling() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    assert_eq!(
        http.get("/api/auth/me", Some(&demo.learner)).await.status,
        200
    );
    // A socket connected while the token was good.
    let (open_socket, _events) = mentorlive_signaling::LiveClient::connect(
        &server.url,
        &demo.learner,
        mentorlive_signaling::ClientOptions::default(),
    )
    .await
    .expect("connect");
    // Age every token of the learner past its expiry, as 30 days would.
    let db = server_database(&server).await;
    sqlx::query("UPDATE auth_tokens SET expires_at = 1 WHERE user_id = (SELECT id FROM users WHERE email = 'learner@example.com')")
        .execute(&db)
        .await
        .expect("expire");
    http.get("/api/auth/me", Some(&demo.learner))
        .await
        .expect(401, "unauthorized");
    http.get("/api/sessions", Some(&demo.learner))
        .await
        .expect(401, "unauthorized");
    http.generate(&demo.learner, &demo.session_id)
        .await
        .expect(401, "unauthorized");
    let refused = mentorlive_signaling::LiveClient::connect(
        &server.url,
        &demo.learner,
        mentorlive_signaling::ClientOptions::default(),
    )
    .await;
    assert!(refused.is_err(), "signaling refuses an expired token");
    // The socket opened before joins nothing with it now.
    let join = open_socket.join(&code).await.expect_err("expired");
    assert!(
        ["unauthorized", "not_connected"].contains(&join.code()),
        "{join:?}"
    );
    // The mentor's token is untouched.
    assert_eq!(
        http.get("/api/auth/me", Some(&demo.mentor)).await.status,
        200
    );
}

#[tokio::test]
async fn the_cli_escapes_a_title_that_would_act_on_the_terminal() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;
    // A title stored before the server refused such text.
    let db = server_database(&server).await;
    sqlx::query("UPDATE sessions SET title = $1 WHERE id = $2")
        .bind("Rust \u{1b}]0;owned\u{7}\u{202e}lmth.exe")
        .bind(&demo.session_id)
        .execute(&db)
        .await
        .expect("title");
    let home = tempfile::tempdir().expect("tmp");
    let out = std::process::Command::new(mentorlive_testkit::workspace_binary("mentorlive-cli"))
        .args([
            "--server",
            &server.url,
            "--email",
            "mentor@example.com",
            "sessions",
        ])
        .env("MENTORLIVE_PASSWORD", "mentorlive")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .output()
        .expect("cli");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text
            .chars()
            .filter(|c| *c != '\n')
            .any(mentorlive_protocol::text::is_unsafe_char),
        "nothing the terminal acts on: {text:?}"
    );
    assert!(
        text.contains("Rust \\u{1b}]0;owned\\u{7}\\u{202e}lmth.exe"),
        "{text}"
    );
}

#[tokio::test]
async fn the_cli_revokes_the_sign_in_it_made_and_warns_of_a_password_on_its_command_line() {
    let server = TestServer::start_default();
    let db = server_database(&server).await;
    let tokens = || async {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM auth_tokens WHERE user_id = (SELECT id FROM users WHERE email = 'mentor@example.com')",
        )
        .fetch_one(&db)
        .await
        .expect("count");
        n
    };
    let home = tempfile::tempdir().expect("tmp");
    let cli = |password_on_argv: bool| {
        let mut cmd =
            std::process::Command::new(mentorlive_testkit::workspace_binary("mentorlive-cli"));
        cmd.args(["--server", &server.url, "--email", "mentor@example.com"])
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"));
        if password_on_argv {
            cmd.args(["--password", "mentorlive"]);
        } else {
            cmd.env("MENTORLIVE_PASSWORD", "mentorlive");
        }
        let out = cmd.arg("sessions").output().expect("cli");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let before = tokens().await;
    let quiet = cli(false);
    assert!(!quiet.contains("warning"), "{quiet}");
    assert_eq!(
        tokens().await,
        before,
        "the run's token is revoked at its end"
    );
    let warned = cli(true);
    assert!(
        warned.contains("a password on the command line is seen by other users"),
        "{warned}"
    );
    assert_eq!(tokens().await, before);
}

#[tokio::test]
async fn sessions_come_a_page_at_a_time_and_creating_them_is_limited() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (mentor, mentor_id) = http.register("pages-mentor@example.com", "mentor").await;
    let (_learner, learner_id) = http.register("pages-learner@example.com", "learner").await;
    // Seven sessions; two at the same time (the id orders those).
    for at in [
        "2031-01-05T10:00:00Z",
        "2031-01-01T10:00:00Z",
        "2031-01-03T10:00:00Z",
        "2031-01-03T10:00:00Z",
        "2031-01-02T10:00:00Z",
        "2031-01-07T10:00:00Z",
        "2031-01-06T10:00:00Z",
    ] {
        http.create_session(&mentor, &mentor_id, &learner_id, at)
            .await;
    }
    let whole = http.get("/api/sessions", Some(&mentor)).await;
    assert_eq!(whole.status, 200);
    let all = whole.body["sessions"].as_array().expect("sessions").clone();
    assert_eq!(all.len(), 7);
    assert!(
        whole.body.get("nextCursor").is_none(),
        "one page: no cursor"
    );

    // Three at a time: every session once, in the same order.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/sessions?limit=3&cursor={c}"),
            None => "/api/sessions?limit=3".to_owned(),
        };
        let page = http.get(&path, Some(&mentor)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages += 1;
        paged.extend(page.body["sessions"].as_array().expect("sessions").clone());
        match page.body["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let ids = |list: &[serde_json::Value]| -> Vec<String> {
        list.iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert_eq!(ids(&paged), ids(&all));

    // What is not a cursor or a limit is refused, never a 500.
    for query in [
        "cursor=abc",
        "cursor=1.has%20space",
        "cursor=9999999999999999999999.a",
        "limit=0",
        "limit=201",
        "limit=many",
    ] {
        http.get(&format!("/api/sessions?{query}"), Some(&mentor))
            .await
            .expect(400, "invalid_input");
    }

    // Creating: twenty at once (seven made above), then 429.
    let mut statuses = Vec::new();
    for _ in 0..15 {
        let reply = http
            .post(
                "/api/sessions",
                Some(&mentor),
                json!({"title": "T", "mentorId": mentor_id, "learnerId": learner_id,
                       "scheduledAt": "2031-02-01T10:00:00Z", "durationMinutes": 30}),
            )
            .await;
        statuses.push(reply.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        13,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2);
}
