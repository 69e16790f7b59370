//! Signed app updates served from a folder, so a deployment hosts its own.
//!
//! The folder holds `manifest.json` in Tauri's static update format
//! (`{version, notes, pub_date, platforms: {"linux-x86_64": {url, signature}}}`)
//! and the bundles it names. The app asks
//! `/api/updates/{target}/{arch}/{current_version}?bundle={bundle_type}` and
//! gets 204 when it is current, or the one release meant for it in the
//! updater's dynamic format. A bundle kept in the folder is offered under the
//! server's configured public address (`--public-url`), and only the files
//! the manifest names are served. The server never signs anything: signatures are
//! made at build time with a key the server never sees, and the app checks
//! them against the public key it was built with.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};

/// The manifest's file name inside the updates folder.
pub const MANIFEST: &str = "manifest.json";

/// Tauri's static update manifest, as a release process writes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub version: semver::Version,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub pub_date: Option<String>,
    pub platforms: HashMap<String, PlatformRelease>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PlatformRelease {
    /// An absolute URL, or the name of a file in the updates folder.
    pub url: String,
    /// The minisign signature made by `tauri build` / `tauri signer sign`.
    pub signature: String,
}

/// The release one app should install (the updater's dynamic format).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateRelease {
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pub_date: Option<String>,
    pub url: String,
    pub signature: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct UpdateQuery {
    /// The installed bundle type (`deb`, `rpm`, `appimage`, `msi`, `nsis`, `app`).
    pub bundle: Option<String>,
}

/// Reads and checks the manifest; `Ok(None)` when nothing is published.
pub fn read_manifest(dir: &FsPath) -> anyhow::Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(anyhow::anyhow!("reading {}: {err}", path.display())),
    };
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|err| anyhow::anyhow!("{} is not an update manifest: {err}", path.display()))?;
    for (platform, release) in &manifest.platforms {
        if !is_absolute_url(&release.url) && !is_file_name(&release.url) {
            anyhow::bail!(
                "{}: the url for {platform} must be an http(s) URL or a file name in the folder",
                path.display()
            );
        }
    }
    Ok(Some(manifest))
}

/// What the updates folder publishes now, read off the async runtime; `None`
/// when there is no folder, no manifest, or a broken one (the operator's
/// mistake, not the caller's: nothing published rather than an error page).
async fn published(state: &AppState) -> Result<Option<Manifest>, ApiError> {
    let Some(dir) = state.settings.updates_dir.clone() else {
        return Ok(None);
    };
    match tokio::task::spawn_blocking(move || read_manifest(&dir)).await {
        Ok(Ok(manifest)) => Ok(manifest),
        Ok(Err(err)) => {
            tracing::error!(%err, "update manifest unusable; publishing nothing");
            Ok(None)
        }
        Err(_) => Err(ApiError::internal()),
    }
}

fn is_absolute_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// A plain file name: no folders, no hidden files, nothing to escape with.
fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+'))
}

fn is_platform_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= 32
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// The release for `target-arch(-bundle)`, if it is newer than `current`.
pub fn release_for(
    manifest: &Manifest,
    target: &str,
    arch: &str,
    bundle: Option<&str>,
    current: &semver::Version,
) -> Option<PlatformRelease> {
    if manifest.version <= *current {
        return None;
    }
    let exact = bundle.map(|bundle| format!("{target}-{arch}-{bundle}"));
    exact
        .and_then(|key| manifest.platforms.get(&key))
        .or_else(|| manifest.platforms.get(&format!("{target}-{arch}")))
        .cloned()
}

#[utoipa::path(get, path = "/api/updates/{target}/{arch}/{current_version}", tag = "updates",
    params(
        ("target" = String, Path, description = "The app's OS: linux, darwin or windows", pattern = r"^[A-Za-z0-9_-]{1,32}$"),
        ("arch" = String, Path, description = "The app's CPU: x86_64, aarch64, …", pattern = r"^[A-Za-z0-9_-]{1,32}$"),
        ("current_version" = String, Path, description = "The installed version (semver)",
            pattern = r"^v?(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$"),
        UpdateQuery,
    ),
    responses(
        (status = 200, body = UpdateRelease, description = "A newer release for this platform"),
        (status = 204, description = "The app is current, or nothing is published for its platform"),
        (status = 400, body = mentorlive_protocol::ErrorBody, description = "invalid_input"),
    ))]
pub async fn check(
    State(state): State<AppState>,
    Path((target, arch, current_version)): Path<(String, String, String)>,
    Query(query): Query<UpdateQuery>,
) -> Result<Response, ApiError> {
    if !is_platform_part(&target) || !is_platform_part(&arch) {
        return Err(ApiError::invalid_input(
            "The target and architecture are short names such as linux and x86_64.",
        ));
    }
    let bundle = query.bundle.as_deref().filter(|b| is_platform_part(b));
    let current =
        semver::Version::parse(current_version.trim_start_matches('v')).map_err(|_| {
            ApiError::invalid_input("The current version must be a version such as 1.2.3.")
        })?;
    let Some(manifest) = published(&state).await? else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let Some(release) = release_for(&manifest, &target, &arch, bundle, &current) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    // A bundle in the folder is offered under the configured address, never
    // one built from the request's Host header: a requester must not be
    // able to point an app at a download host of its choosing.
    let url = if is_absolute_url(&release.url) {
        release.url
    } else if let Some(base) = &state.settings.public_url {
        format!("{base}/api/updates/files/{}", release.url)
    } else {
        tracing::error!("an update bundle in the folder needs --public-url to be offered");
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    Ok(Json(UpdateRelease {
        version: manifest.version.to_string(),
        notes: manifest.notes,
        pub_date: manifest.pub_date,
        url,
        signature: release.signature,
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/updates/files/{name}", tag = "updates",
    params(("name" = String, Path, description = "A bundle named by the manifest", pattern = r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,199}$")),
    responses(
        (status = 200, description = "The bundle's bytes", content_type = "application/octet-stream"),
        (status = 404, body = mentorlive_protocol::ErrorBody, description = "not_found"),
    ))]
pub async fn file(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found("There is no such update file.");
    let dir: PathBuf = state.settings.updates_dir.clone().ok_or_else(missing)?;
    // Only what the manifest publishes: anything else left in the folder
    // (a key, an unreleased build) stays private.
    let named = published(&state)
        .await?
        .is_some_and(|manifest| manifest.platforms.values().any(|r| r.url == name));
    if !named || !is_file_name(&name) || name == MANIFEST {
        return Err(missing());
    }
    let file = tokio::fs::File::open(dir.join(&name))
        .await
        .map_err(|_| missing())?;
    let meta = file.metadata().await.map_err(|_| missing())?;
    if !meta.is_file() {
        return Err(missing());
    }
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, meta.len().to_string()),
        ],
        body,
    )
        .into_response())
}

/// What the downloads page lists: the release the updates folder publishes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Downloads {
    /// The published version; null when nothing is published.
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub files: Vec<DownloadFile>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DownloadFile {
    /// The manifest's platform key, e.g. `linux-x86_64-deb`.
    pub platform: String,
    /// The bundle's file name, as a person would save it.
    pub name: String,
    /// Where to get it: this server's `/api/updates/files/…`, or an absolute URL.
    pub url: String,
}

#[utoipa::path(get, path = "/api/downloads", tag = "updates",
    responses((status = 200, body = Downloads, description = "The desktop app's published bundles, possibly none")))]
pub async fn downloads(State(state): State<AppState>) -> Result<Json<Downloads>, ApiError> {
    let none = Downloads {
        version: None,
        notes: None,
        files: Vec::new(),
    };
    let Some(manifest) = published(&state).await? else {
        return Ok(Json(none));
    };
    let mut files: Vec<DownloadFile> = manifest
        .platforms
        .into_iter()
        .map(|(platform, release)| {
            let (name, url) = if is_absolute_url(&release.url) {
                let name = release
                    .url
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                (name, release.url)
            } else {
                let url = format!("/api/updates/files/{}", release.url);
                (release.url, url)
            };
            DownloadFile {
                platform,
                name,
                url,
            }
        })
        .collect();
    files.sort_by(|a, b| a.platform.cmp(&b.platform));
    Ok(Json(Downloads {
        version: Some(manifest.version.to_string()),
        notes: manifest.notes,
        files,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(version: &str) -> Manifest {
        serde_json::from_value(serde_json::json!({
            "version": version,
            "platforms": {
                "linux-x86_64": {"url": "generic.AppImage", "signature": "s1"},
                "linux-x86_64-deb": {"url": "mentorlive_0.2.0_amd64.deb", "signature": "s2"},
            }
        }))
        .expect("a manifest")
    }

    #[test]
    fn only_newer_releases_for_the_platform_are_offered() {
        let m = manifest("0.2.0");
        let v = |s| semver::Version::parse(s).expect("a version");
        let deb = release_for(&m, "linux", "x86_64", Some("deb"), &v("0.1.0")).expect("offered");
        assert_eq!(deb.signature, "s2", "the bundle's own entry wins");
        let other = release_for(&m, "linux", "x86_64", Some("rpm"), &v("0.1.0")).expect("offered");
        assert_eq!(other.signature, "s1", "then the platform's");
        assert!(release_for(&m, "linux", "x86_64", None, &v("0.2.0")).is_none());
        assert!(release_for(&m, "linux", "x86_64", None, &v("0.3.0")).is_none());
        assert!(release_for(&m, "darwin", "aarch64", None, &v("0.1.0")).is_none());
    }

    #[test]
    fn file_names_cannot_escape_the_folder() {
        for bad in ["", "../etc/passwd", ".hidden", "a/b", "a\\b", "%2e%2e"] {
            assert!(!is_file_name(bad), "{bad}");
        }
        assert!(is_file_name("mentorlive_0.2.0_amd64.deb"));
    }
}
