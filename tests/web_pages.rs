//! The platform's web client as the server serves it: the pages, their
//! security headers, the invitation address, the downloads list, and the
//! options to serve another build or none.

use mentorlive_testkit::{ServerOptions, TestServer};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn get(http: &reqwest::Client, url: impl reqwest::IntoUrl) -> reqwest::Response {
    http.get(url).send().await.expect("get")
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// What every page that may carry a code in its address must say.
fn assert_page_headers(headers: &HeaderMap, what: &str) {
    assert_eq!(header(headers, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(
        header(headers, "x-content-type-options"),
        "nosniff",
        "{what}"
    );
    let csp = header(headers, "content-security-policy");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{what}: {directive} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
}

#[tokio::test]
async fn the_web_client_and_the_invitation_page_are_served_with_strict_headers() {
    let server = TestServer::start_default();
    let http = client();

    for path in ["/", "/join/ABCD-EFGH", "/join/not-a-code", "/downloads"] {
        let response = get(&http, format!("{}{path}", server.url)).await;
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(header(&headers, "content-type").starts_with("text/html"));
        assert_eq!(header(&headers, "cache-control"), "no-cache", "{path}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
        assert_page_headers(&headers, path);
        let page = response.text().await.expect("body");
        assert!(page.contains(r#"<div id="root">"#), "{path}: the client");
        // No inline script: every script is a file of this origin.
        assert!(
            !page.contains("<script>") && !page.contains("<script type=\"module\">"),
            "{path}: {page}"
        );
    }

    // The scripts the page names: served, cached for good (hashed names).
    let page = get(&http, format!("{}/", server.url))
        .await
        .text()
        .await
        .expect("body");
    let script = page
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script");
    assert!(script.starts_with("/assets/"), "{script}");
    let js = get(&http, format!("{}{script}", server.url)).await;
    assert_eq!(js.status(), 200);
    assert!(header(js.headers(), "content-type").starts_with("text/javascript"));
    assert!(header(js.headers(), "cache-control").contains("immutable"));

    // Behind a TLS proxy, the pages ask for https from then on.
    let over_https = http
        .get(format!("{}/join/ABCD-EFGH", server.url))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("get");
    assert!(header(over_https.headers(), "strict-transport-security").contains("max-age="));

    // Nothing outside the bundle, and the API's own 404 for what is not a page.
    for path in [
        "/..%2f..%2fetc/passwd",
        "/assets/../../Cargo.toml",
        "/.env",
        "/nothing-here",
        "/join/A/B",
    ] {
        let response = get(&http, format!("{}{path}", server.url)).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "not_found", "{path}");
    }

    // The API's answers are data, and say so.
    let health = get(&http, format!("{}/api/health", server.url)).await;
    assert_eq!(
        header(health.headers(), "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(header(health.headers(), "referrer-policy"), "no-referrer");
}

#[tokio::test]
async fn the_downloads_page_lists_what_the_updates_folder_publishes() {
    let updates = tempfile::tempdir().expect("dir");
    std::fs::write(
        updates.path().join("manifest.json"),
        json!({
            "version": "0.3.0",
            "notes": "Screen sharing",
            "platforms": {
                "linux-x86_64-deb": {"url": "mentorlive_0.3.0_amd64.deb", "signature": "s"},
                "darwin-aarch64": {"url": "https://cdn.example.org/mentorlive_0.3.0.app.tar.gz", "signature": "s"}
            }
        })
        .to_string(),
    )
    .expect("manifest");
    std::fs::write(updates.path().join("mentorlive_0.3.0_amd64.deb"), b"deb").expect("bundle");
    let server = TestServer::start(ServerOptions {
        extra_args: vec![
            "--updates-dir".into(),
            updates.path().to_string_lossy().into_owned(),
        ],
        ..Default::default()
    });
    let http = client();
    let downloads: Value = get(&http, format!("{}/api/downloads", server.url))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(downloads["version"], "0.3.0");
    assert_eq!(
        downloads["files"],
        json!([
            {"platform": "darwin-aarch64", "name": "mentorlive_0.3.0.app.tar.gz", "url": "https://cdn.example.org/mentorlive_0.3.0.app.tar.gz"},
            {"platform": "linux-x86_64-deb", "name": "mentorlive_0.3.0_amd64.deb", "url": "/api/updates/files/mentorlive_0.3.0_amd64.deb"},
        ])
    );
    let deb = get(
        &http,
        format!(
            "{}/api/updates/files/mentorlive_0.3.0_amd64.deb",
            server.url
        ),
    )
    .await;
    assert_eq!(deb.status(), 200);
    assert_eq!(deb.bytes().await.expect("bytes").as_ref(), b"deb");

    // Without an updates folder the list is empty, not an error.
    let bare = TestServer::start_default();
    let none: Value = get(&http, format!("{}/api/downloads", bare.url))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none, json!({"version": null, "files": []}));
}

#[tokio::test]
async fn the_server_serves_another_build_or_none() {
    let build = tempfile::tempdir().expect("dir");
    std::fs::write(
        build.path().join("index.html"),
        "<!doctype html><title>another build</title><div id=\"root\"></div>",
    )
    .expect("index");
    let other = TestServer::start(ServerOptions {
        extra_args: vec![
            "--web-dir".into(),
            build.path().to_string_lossy().into_owned(),
        ],
        ..Default::default()
    });
    let http = client();
    let page = get(&http, format!("{}/join/ABCDEFGH", other.url)).await;
    assert_page_headers(&page.headers().clone(), "another build");
    assert!(page.text().await.expect("body").contains("another build"));

    let none = TestServer::start(ServerOptions {
        extra_args: vec!["--no-web".into()],
        ..Default::default()
    });
    let root = get(&http, format!("{}/", none.url)).await;
    assert_eq!(root.status(), 404);
    // The API goes on.
    let health = get(&http, format!("{}/api/health", none.url)).await;
    assert_eq!(health.status(), 200);
}
