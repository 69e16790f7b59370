//! Operator metrics in Prometheus's text format, on a listener of their own
//! (`--metrics-addr`, off by default: bind it to loopback or a private
//! network). Through the `metrics` facade, so recording is a no-op when the
//! exporter is off.
//!
//! No label carries a user, a session or an address: routes are templates,
//! and the rest are codes, reasons and candidate types from closed sets. On
//! a cluster each node exports its own figures.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use mentorlive_protocol::analytics::CallReport;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Seconds: from a millisecond to a minute (requests, time to connect).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Seconds: from a minute to four hours (call durations).
const DURATION_BUCKETS: &[f64] = &[
    30.0, 60.0, 300.0, 600.0, 1200.0, 1800.0, 2700.0, 3600.0, 5400.0, 7200.0, 14400.0,
];

/// Installs the recorder and serves `/metrics` on `addr` until the process
/// ends. Returns the address actually bound (for port 0).
pub async fn serve(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full("call_duration_seconds".into()),
            DURATION_BUCKETS,
        )?
        .set_buckets(LATENCY_BUCKETS)?
        .install_recorder()?;
    describe();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || render(handle.clone())),
    );
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "the metrics listener stopped");
        }
    });
    tracing::info!(%bound, "metrics on /metrics");
    Ok(bound)
}

async fn render(handle: PrometheusHandle) -> ([(&'static str, &'static str); 1], String) {
    (
        [("content-type", "text/plain; version=0.0.4")],
        handle.render(),
    )
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "http_requests_total",
        "REST requests by route template and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "REST request latency by route template"
    );
    describe_gauge!(
        "signaling_sockets_connected",
        "Signaling sockets on this node"
    );
    describe_gauge!(
        "live_rooms",
        "Live rooms with someone in them (one node: all; a cluster: see docs)"
    );
    describe_gauge!("live_peers", "Peers in live rooms");
    describe_counter!(
        "live_joins_total",
        "live:join by result (ok or the error code)"
    );
    describe_counter!(
        "rate_limited_total",
        "Requests refused by a rate limit, by limit"
    );
    describe_counter!(
        "call_reports_total",
        "Call reports received, by client and candidate type"
    );
    describe_counter!(
        "call_end_reasons_total",
        "Calls ended, by the reporting client's reason"
    );
    describe_histogram!(
        "call_time_to_connect_seconds",
        Unit::Seconds,
        "From join to connected, from call reports"
    );
    describe_histogram!(
        "call_duration_seconds",
        Unit::Seconds,
        "From join to leave, from call reports"
    );
}

/// Axum middleware: each request counted and timed under its route template.
pub async fn track_requests(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

pub fn socket_connected(delta: f64) {
    gauge!("signaling_sockets_connected").increment(delta);
}

pub fn rooms(rooms: usize, peers: usize) {
    gauge!("live_rooms").set(rooms as f64);
    gauge!("live_peers").set(peers as f64);
}

/// `result`: `ok` or the error code of the refusal.
pub fn join(result: &'static str) {
    counter!("live_joins_total", "result" => result).increment(1);
}

pub fn rate_limited(limit: &'static str) {
    counter!("rate_limited_total", "limit" => limit).increment(1);
}

pub fn report_received(report: &CallReport) {
    let candidate = report.candidate_type.map_or("none", |c| c.as_str());
    counter!("call_reports_total", "client" => report.client.as_str(), "candidate_type" => candidate)
        .increment(1);
    counter!("call_end_reasons_total", "reason" => report.end_reason.as_str()).increment(1);
    if let Some(connected) = report.connected_at {
        histogram!("call_time_to_connect_seconds")
            .record((connected - report.joined_at).as_seconds_f64());
    }
    histogram!("call_duration_seconds").record(report.duration_seconds());
}
