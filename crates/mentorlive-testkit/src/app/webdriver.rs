//! A small W3C WebDriver client (enough to drive the app through
//! tauri-driver and WebKitWebDriver): sessions, elements, keys, screenshots.

use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

pub struct WebDriver {
    http: reqwest::Client,
    base: String,
    session: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl WebDriver {
    pub async fn start(driver_url: &str, application: &Path) -> WebDriver {
        Self::start_with_args(driver_url, application, &[]).await
    }

    /// Launches the application with `args` (as the OS would pass a link).
    pub async fn start_with_args(driver_url: &str, application: &Path, args: &[&str]) -> WebDriver {
        // A command that hangs fails the test instead of stalling CI.
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(240))
            .build()
            .expect("http client");
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": application, "args": args}}}});
        let mut last = String::new();
        for _ in 0..50 {
            match http
                .post(format!("{driver_url}/session"))
                .json(&caps)
                .send()
                .await
            {
                Ok(r) => {
                    let v: Value = r.json().await.unwrap_or(Value::Null);
                    if let Some(id) = v["value"]["sessionId"].as_str() {
                        return WebDriver {
                            http,
                            base: driver_url.to_owned(),
                            session: id.to_owned(),
                        };
                    }
                    last = v.to_string();
                    eprintln!("webdriver session attempt at {driver_url}: {last}");
                }
                Err(e) => {
                    last = e.to_string();
                    eprintln!("webdriver session attempt at {driver_url}: {last}");
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("no WebDriver session: {last}");
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        v["value"].clone()
    }

    /// The first element matching `css`, if any now.
    pub async fn find(&self, css: &str) -> Option<String> {
        let v = self
            .cmd(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().map(str::to_owned)
    }

    /// Waits up to `secs` for `css` to appear.
    pub async fn wait(&self, css: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(el) = self.find(css).await {
                return el;
            }
            if Instant::now() > deadline {
                let text = self
                    .execute("return document.body.innerText", json!([]))
                    .await;
                panic!("{css} did not appear within {secs} s; the window says: {text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, el: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn clear(&self, el: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/clear"),
            Some(json!({})),
        )
        .await;
    }

    pub async fn type_text(&self, el: &str, text: &str) {
        self.cmd(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    pub async fn text(&self, el: &str) -> String {
        self.cmd(reqwest::Method::GET, &format!("/element/{el}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn attr(&self, el: &str, name: &str) -> Option<String> {
        self.cmd(
            reqwest::Method::GET,
            &format!("/element/{el}/attribute/{name}"),
            None,
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    pub async fn execute(&self, script: &str, args: Value) -> Value {
        self.cmd(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// A command whose reply does not come within `limit` is `None` (the
    /// request is dropped): a poll can then ask again instead of waiting
    /// out the client's 240 s for a page that was reloading.
    async fn cmd_within(&self, path: &str, body: Value, limit: Duration) -> Option<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        match self.http.post(url).timeout(limit).json(&body).send().await {
            Ok(r) => Some(r.json::<Value>().await.expect("json")["value"].clone()),
            Err(e) if e.is_timeout() => None,
            Err(e) => panic!("webdriver: {e:?}"),
        }
    }

    /// `execute`, given up after `limit` (see `cmd_within`).
    pub async fn execute_within(
        &self,
        script: &str,
        args: Value,
        limit: Duration,
    ) -> Option<Value> {
        self.cmd_within(
            "/execute/sync",
            json!({"script": script, "args": args}),
            limit,
        )
        .await
    }

    /// Reloads the page as the browser's own Reload does (W3C Refresh),
    /// waiting up to `limit` for the new page to load; false if it did not
    /// load in time.
    pub async fn refresh_within(&self, limit: Duration) -> bool {
        self.cmd_within("/refresh", json!({}), limit)
            .await
            .is_some()
    }

    /// How long a script may run (its promise may take that long).
    pub async fn script_timeout(&self, secs: u64) {
        self.cmd(
            reqwest::Method::POST,
            "/timeouts",
            Some(json!({"script": secs * 1000})),
        )
        .await;
    }

    pub async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}
