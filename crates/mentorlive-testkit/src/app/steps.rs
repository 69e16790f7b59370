//! What the app suites do in the app again and again, through WebDriver:
//! sign in, reach pre-join, join, wait for the page, check accessibility.

use super::WebDriver;
use crate::node::node_dir;
use serde_json::json;
use std::time::Duration;

pub async fn sign_in(wd: &WebDriver, server: &str, email: &str) {
    let field = wd.wait("input[name=server]", 30).await;
    wd.clear(&field).await;
    wd.type_text(&field, server).await;
    let email_field = wd.wait("input[name=email]", 5).await;
    wd.clear(&email_field).await;
    wd.type_text(&email_field, email).await;
    let password = wd.wait("input[name=password]", 5).await;
    wd.type_text(&password, "mentorlive").await;
    let submit = wd.wait("button[type=submit]", 5).await;
    wd.click(&submit).await;
}

/// From the sign-in screen to a validated pre-join screen for `code`, with
/// the camera preview playing: what most call tests do before Join.
pub async fn signed_in_at_prejoin(wd: &WebDriver, server: &str, email: &str, code: &str) {
    sign_in(wd, server, email).await;
    wd.wait("[data-testid=session]", 30).await;
    reach_prejoin(wd, code).await;
}

/// From the sessions list to a validated pre-join screen for `code`, with
/// the camera preview playing.
pub async fn reach_prejoin(wd: &WebDriver, code: &str) {
    open_prejoin(wd, code).await;
    wait_js(
        wd,
        "camera preview",
        "const v = document.querySelector('[data-testid=prejoin-preview]'); return v && v.videoWidth > 0 && v.readyState >= 2;",
        20,
    )
    .await;
}

/// From the sessions list to a validated pre-join screen for `code`.
pub async fn open_prejoin(wd: &WebDriver, code: &str) {
    click_text(wd, "button", "Join with a code").await;
    let input = wd.wait("[data-testid=code-input]", 10).await;
    wd.type_text(&input, code).await;
    let go = wd.wait("[data-testid=continue]", 15).await;
    wd.click(&go).await;
    wd.wait("[data-testid=prejoin-session]", 15).await;
}

/// Presses "Join" on the pre-join screen and waits until the call is connected.
pub async fn join_and_connect(wd: &WebDriver, secs: u64) {
    let join = wd.wait("[data-testid=join-call]", 10).await;
    wd.click(&join).await;
    wait_js(
        wd,
        "connected call",
        "return document.querySelector('[data-testid=call]')?.dataset.state === 'connected'",
        secs,
    )
    .await;
}

/// Polls `script` until it returns something other than null or false.
pub async fn wait_js(wd: &WebDriver, what: &str, script: &str, secs: u64) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        // A page busy with long work (an export) may not answer a script in
        // time: WebKitWebDriver then says so, or says nothing, and the wait
        // goes on.
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let limit = left.clamp(Duration::from_secs(5), Duration::from_secs(15));
        let v = wd
            .execute_within(script, json!([]), limit)
            .await
            .unwrap_or(serde_json::Value::Null);
        let busy = v.get("error").is_some() && v.get("stacktrace").is_some();
        if !v.is_null() && v != json!(false) && !busy {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {what} within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Mean brightness and a hash of a sparse sample of the remote canvas.
pub const PROBE_CANVAS: &str = r#"
const c = document.querySelector('[data-testid=remote-video]');
// Still at a canvas's default 300x150: no frame has been painted yet.
if (!c || !c.width || (c.width === 300 && c.height === 150)) return null;
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let sum = 0, n = 0, hash = 0;
for (let i = 0; i < d.length; i += 4 * 97) { sum += d[i] + d[i + 1] + d[i + 2]; n += 3; hash = (hash * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0; }
return { width: c.width, height: c.height, mean: sum / n, hash };
"#;

/// axe-core on the app's screen as it is now: no serious or critical
/// violation. The library is evaluated through WebDriver (the app's CSP
/// lets no page script load it).
pub async fn assert_accessible(wd: &WebDriver, screen: &str) {
    let source = std::fs::read_to_string(node_dir().join("node_modules/axe-core/axe.min.js"))
        .expect("axe-core (npm ci --prefix tests/node)");
    wd.execute(
        &format!(
            "if (typeof window.axe !== 'object') {{ {source}\n }} window.__axe = null; \
             axe.run(document, {{ resultTypes: ['violations'] }}).then(r => {{ window.__axe = r.violations \
               .filter(v => v.impact === 'serious' || v.impact === 'critical') \
               .map(v => ({{ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }})); }}); \
             return true;"
        ),
        json!([]),
    )
    .await;
    let violations = wait_js(wd, "axe's verdict", "return window.__axe", 30).await;
    assert_eq!(
        violations,
        json!([]),
        "accessibility of the app's {screen} screen"
    );
}

pub async fn click_text(wd: &WebDriver, css: &str, text: &str) {
    let found = wd
        .execute(
            "const [css, text] = arguments; const el = [...document.querySelectorAll(css)].find(e => e.textContent.trim() === text); if (el) { el.click(); return true; } return false;",
            json!([css, text]),
        )
        .await;
    assert_eq!(found, json!(true), "no {css} saying {text:?}");
}
