//! The app's settings (server URL, last account, chosen devices) and where
//! its files go: the platform's config folder for settings, its data folder
//! for logs. Secrets never go here: tokens live in the keychain.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The settings a person chooses. Unknown fields from a newer version are
/// dropped on load; missing ones take their defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppSettings {
    pub server_url: String,
    /// The email last signed in on `server_url`, to find its keychain entry.
    pub account: Option<String>,
    pub camera_id: Option<String>,
    pub microphone_id: Option<String>,
    pub speaker_id: Option<String>,
    /// Where recordings go (default: [`AppPaths::default_recordings_dir`]).
    pub recordings_folder: Option<PathBuf>,
    /// Send call-quality reports and ratings to the server after calls
    /// (figures only; the person may switch it off, and then nothing goes).
    pub share_call_reports: bool,
    /// A server reached over plain http that the person accepted the risk
    /// of (anything else over http but this machine is refused).
    pub http_allowed_for: Option<String>,
    /// Calls connect only through the server's relay (TURN), so a partner
    /// learns no address of this machine; needs a server that offers one.
    pub relay_only: bool,
}

pub const DEFAULT_SERVER_URL: &str = "http://127.0.0.1:8787";

/// Whoever starts the app (the README's run command, a launcher) may name
/// its server here: that server wins over the saved one for this run.
pub const SERVER_ENV: &str = "MENTORLIVE_SERVER";

impl AppSettings {
    /// The settings with the server named at launch, if any. The saved
    /// account belongs to the saved server, so it goes when they differ.
    pub fn with_launch_server(mut self, launch: Option<&str>) -> AppSettings {
        let Some(server) = launch
            .map(|s| s.trim().trim_end_matches('/'))
            .filter(|s| !s.is_empty())
        else {
            return self;
        };
        if self.server_url.trim_end_matches('/') != server {
            self.server_url = server.to_owned();
            self.account = None;
        }
        self
    }
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            server_url: DEFAULT_SERVER_URL.to_owned(),
            account: None,
            camera_id: None,
            microphone_id: None,
            speaker_id: None,
            recordings_folder: None,
            share_call_reports: true,
            http_allowed_for: None,
            relay_only: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "there is no home folder to keep settings and logs in (set HOME to a folder of your own)"
    )]
    NoHome,
    #[error("Could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The app's folders.
#[derive(Debug, Clone)]
pub struct AppPaths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl AppPaths {
    /// The platform's folders (`~/.config/mentorlive`, `~/.local/share/mentorlive` on Linux).
    pub fn platform() -> Result<AppPaths, SettingsError> {
        let dirs = directories::ProjectDirs::from("org", "mentorlive", "mentorlive")
            .ok_or(SettingsError::NoHome)?;
        Ok(AppPaths {
            config_dir: dirs.config_dir().to_owned(),
            data_dir: dirs.data_dir().to_owned(),
        })
    }

    /// Everything under one folder (tests, portable installs).
    pub fn under(root: &Path) -> AppPaths {
        AppPaths {
            config_dir: root.join("config"),
            data_dir: root.join("data"),
        }
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }

    /// The user's videos folder, `mentorlive` inside it; without one (no
    /// desktop folders configured), `Videos/mentorlive` in their home.
    pub fn default_recordings_dir() -> Option<PathBuf> {
        let user = directories::UserDirs::new()?;
        let videos = user
            .video_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| user.home_dir().join("Videos"));
        Some(videos.join("mentorlive"))
    }

    /// Where this person's recordings go.
    pub fn recordings_dir(&self, settings: &AppSettings) -> PathBuf {
        settings
            .recordings_folder
            .clone()
            .or_else(AppPaths::default_recordings_dir)
            .unwrap_or_else(|| self.data_dir.join("recordings"))
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Reads the settings; a missing file gives the defaults, and so does a
    /// damaged one (which is kept aside as `settings.json.bad`, not lost).
    pub fn load_settings(&self) -> Result<AppSettings, SettingsError> {
        let path = self.settings_file();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(AppSettings::default())
            }
            Err(source) => {
                return Err(SettingsError::Io {
                    action: "read",
                    path,
                    source,
                })
            }
        };
        match serde_json::from_str(&text) {
            Ok(settings) => Ok(settings),
            Err(_) => {
                let aside = path.with_extension("json.bad");
                std::fs::rename(&path, &aside).map_err(|source| SettingsError::Io {
                    action: "set aside",
                    path: aside,
                    source,
                })?;
                Ok(AppSettings::default())
            }
        }
    }

    /// Writes atomically: a crash mid-write leaves the old file, never half a file.
    pub fn save_settings(&self, settings: &AppSettings) -> Result<(), SettingsError> {
        let path = self.settings_file();
        std::fs::create_dir_all(&self.config_dir).map_err(|source| SettingsError::Io {
            action: "create",
            path: self.config_dir.clone(),
            source,
        })?;
        // A name of its own per writer, so two processes saving at once
        // never rename each other's half-written file.
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let text = serde_json::to_string_pretty(settings).unwrap_or_default();
        std::fs::write(&tmp, text).map_err(|source| SettingsError::Io {
            action: "write",
            path: tmp.clone(),
            source,
        })?;
        std::fs::rename(&tmp, &path).map_err(|source| SettingsError::Io {
            action: "replace",
            path,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_named_at_launch_wins_and_drops_the_other_servers_account() {
        let saved = AppSettings {
            account: Some("mentor@example.com".into()),
            ..AppSettings::default()
        };
        let same = saved
            .clone()
            .with_launch_server(Some("http://127.0.0.1:8787/"));
        assert_eq!(same, saved, "the same server keeps its account");
        let other = saved
            .clone()
            .with_launch_server(Some("http://127.0.0.1:8790"));
        assert_eq!(other.server_url, "http://127.0.0.1:8790");
        assert_eq!(other.account, None);
        assert_eq!(saved.clone().with_launch_server(None), saved);
        assert_eq!(saved.clone().with_launch_server(Some("  ")), saved);
    }

    #[test]
    fn settings_round_trip_and_default_when_missing() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = AppPaths::under(dir.path());
        assert_eq!(paths.load_settings().expect("load"), AppSettings::default());
        let mine = AppSettings {
            server_url: "https://sessions.example.org".into(),
            account: Some("mentor@example.com".into()),
            camera_id: Some("cam-1".into()),
            ..AppSettings::default()
        };
        paths.save_settings(&mine).expect("save");
        assert_eq!(paths.load_settings().expect("load"), mine);
        let text = std::fs::read_to_string(paths.settings_file()).expect("file");
        assert!(text.contains("serverUrl"));
    }

    #[test]
    fn a_damaged_file_is_kept_aside_not_lost() {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = AppPaths::under(dir.path());
        std::fs::create_dir_all(&paths.config_dir).expect("mkdir");
        std::fs::write(paths.settings_file(), "{ not json").expect("write");
        assert_eq!(paths.load_settings().expect("load"), AppSettings::default());
        let aside = std::fs::read_to_string(paths.settings_file().with_extension("json.bad"))
            .expect("kept");
        assert_eq!(aside, "{ not json");
    }
}
