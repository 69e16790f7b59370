//! Raw HTTP against the real server, so the suites check the wire format
//! itself, not our client's reading of it; and the seeded demo accounts.

use crate::server::TestServer;
use serde_json::{json, Value};

/// The password of the seeded demo accounts (`--seed-demo`).
pub const DEMO_PASSWORD: &str = "mentorlive";

/// A thin raw-HTTP caller bound to one server.
#[derive(Clone)]
pub struct Http {
    pub base: String,
    client: reqwest::Client,
}

/// A status and a JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Reply {
    /// Asserts the contract's error shape and returns the code.
    pub fn error_code(&self) -> &str {
        let error = self
            .body
            .get("error")
            .unwrap_or_else(|| panic!("no error object in {:?}", self.body));
        let message = error["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no message in {:?}", self.body));
        assert!(!message.is_empty(), "an empty message in {:?}", self.body);
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no code in {:?}", self.body))
    }

    pub fn expect(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{:?}", self.body);
        assert_eq!(self.error_code(), code);
    }
}

impl Http {
    pub fn new(server: &TestServer) -> Http {
        Self::for_url(&server.url)
    }

    /// Against `server`, from another loopback address (`127.0.0.2`…): to
    /// the server (or the cluster's balancer) a client elsewhere.
    pub fn from_address(server: &TestServer, local: std::net::IpAddr) -> Http {
        Http {
            base: server.url.clone(),
            client: reqwest::Client::builder()
                .local_address(local)
                .build()
                .expect("an HTTP client"),
        }
    }

    /// Against an address of the test's choice (one node of a cluster).
    pub fn for_url(url: &str) -> Http {
        Http {
            base: url.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            status < 500,
            "the server answered {status} to {path}: {text}"
        );
        Reply {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let reply = self
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        reply.body["token"].as_str().expect("token").to_owned()
    }

    /// Registers a new account and returns `(token, user id)`.
    pub async fn register(&self, email: &str, role: &str) -> (String, String) {
        let reply = self
            .post(
                "/api/auth/register",
                None,
                json!({"email": email, "password": "password-123", "name": format!("User {email}"), "role": role}),
            )
            .await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        (
            reply.body["token"].as_str().expect("token").to_owned(),
            reply.body["user"]["id"].as_str().expect("id").to_owned(),
        )
    }

    pub async fn create_session(
        &self,
        token: &str,
        mentor_id: &str,
        learner_id: &str,
        scheduled_at: &str,
    ) -> Value {
        let reply = self
            .post(
                "/api/sessions",
                Some(token),
                json!({"title": "Pairing", "mentorId": mentor_id, "learnerId": learner_id,
                       "scheduledAt": scheduled_at, "durationMinutes": 45}),
            )
            .await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body
    }

    /// The demo mentor's and learner's tokens and the demo session's id.
    pub async fn demo(&self) -> Demo {
        let mentor = self.login("mentor@example.com", DEMO_PASSWORD).await;
        let learner = self.login("learner@example.com", DEMO_PASSWORD).await;
        let sessions = self.get("/api/sessions", Some(&mentor)).await;
        let session_id = sessions.body["sessions"][0]["id"]
            .as_str()
            .expect("a demo session")
            .to_owned();
        Demo {
            mentor,
            learner,
            session_id,
        }
    }

    /// The demo pair and a live code for their session, made by the mentor.
    pub async fn demo_code(&self) -> (Demo, String) {
        let demo = self.demo().await;
        let code = self.generate(&demo.mentor, &demo.session_id).await.body["code"]
            .as_str()
            .expect("a live code")
            .to_owned();
        (demo, code)
    }

    pub async fn generate(&self, token: &str, session_id: &str) -> Reply {
        self.post(
            "/api/sessions/generate-live-code",
            Some(token),
            json!({"sessionId": session_id}),
        )
        .await
    }
}

/// The seeded demo mentor's and learner's tokens and their session.
pub struct Demo {
    pub mentor: String,
    pub learner: String,
    pub session_id: String,
}
