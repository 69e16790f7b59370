//! `mentorlive-cli`: the headless front end. The same crates as the desktop
//! app (API client, keychain, signaling, call engine), for tests, benchmarks
//! and support engineers.

mod frame_log;
mod ivf;
mod join;
mod ogg_opus;
mod video_source;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use mentorlive_api::{ApiClient, Generated};
use mentorlive_client::Client;
use mentorlive_settings::AppPaths;
use mentorlive_token_store::KeychainTokenStore;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "mentorlive-cli",
    version,
    about = "mentorlive without a window"
)]
struct Cli {
    /// The sessions server (default: the one in the app's settings).
    #[arg(long, global = true, env = "MENTORLIVE_SERVER")]
    server: Option<String>,
    /// Sign in with these instead of the keychain, for this run only: the
    /// token it makes is revoked when the command ends. Give the password
    /// in MENTORLIVE_PASSWORD: on the command line other users see it (ps)
    /// and the shell's history keeps it. MENTORLIVE_TOKEN, if set, is used
    /// as it is (and not revoked).
    #[arg(long, global = true, env = "MENTORLIVE_EMAIL")]
    email: Option<String>,
    #[arg(
        long,
        global = true,
        env = "MENTORLIVE_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
    /// Accept plain http to a server that is not this machine: the
    /// password and the token cross the network unencrypted.
    #[arg(long, global = true)]
    allow_http: bool,
    /// One JSON object per line instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign in and keep the token in the OS keychain.
    Login {
        #[arg(long)]
        email: String,
        /// Read from standard input when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Forget the token (keychain and server).
    Logout,
    /// List your sessions, soonest first.
    Sessions,
    /// Live session codes.
    Code {
        #[command(subcommand)]
        action: CodeAction,
    },
    /// Join a live session with media from files, and record what arrives.
    Join(Box<join::JoinArgs>),
    /// Complete a recording that was cut off (a crash, a power cut): it
    /// then plays to its end and seeks. A complete one is left as it is.
    RepairRecording { path: std::path::PathBuf },
}

#[derive(Subcommand)]
enum CodeAction {
    Generate { session_id: String },
    Validate { code: String },
}

/// A name or title from the server as the terminal shows it: control and
/// text-direction characters escaped, so none acts on the terminal (an
/// OSC sequence in a title could retitle the window or worse).
fn shown(text: &str) -> String {
    mentorlive_protocol::text::escape_unsafe(text)
}

fn print(json: bool, value: serde_json::Value, text: String) {
    if json {
        println!("{value}");
    } else {
        println!("{text}");
    }
}

fn client() -> anyhow::Result<Client> {
    Ok(Client::new(
        AppPaths::platform()?,
        Arc::new(KeychainTokenStore),
    ))
}

/// The server to talk to: `--server`, else the one in the settings.
fn server(cli: &Cli, client: &Client) -> anyhow::Result<String> {
    Ok(match &cli.server {
        Some(server) => server.clone(),
        None => client.settings()?.server_url,
    })
}

/// An API client for `server`, plain http to another machine only with
/// `--allow-http`.
fn api_client(cli: &Cli, server: &str) -> anyhow::Result<ApiClient> {
    Ok(if cli.allow_http {
        ApiClient::new_allowing_http(server)?
    } else {
        ApiClient::new(server)?
    })
}

/// A token given in the environment (a script's, from its secret store).
const TOKEN_ENV: &str = "MENTORLIVE_TOKEN";

/// A signed-in API: `MENTORLIVE_TOKEN`, else `--email/--password` (a token
/// for this run, noted in `minted` to be revoked at the end), else the
/// keychain's token for the server in the settings.
async fn signed_in(
    cli: &Cli,
    client: &Client,
    minted: &mut Vec<ApiClient>,
) -> anyhow::Result<ApiClient> {
    let server = server(cli, client)?;
    if let Some(token) = std::env::var(TOKEN_ENV).ok().filter(|t| !t.is_empty()) {
        return Ok(api_client(cli, &server)?.with_token(token));
    }
    if let (Some(email), Some(password)) = (&cli.email, &cli.password) {
        let api = api_client(cli, &server)?;
        let auth = api.login(email, password).await?;
        let api = api.with_token(auth.token);
        minted.push(api.clone());
        return Ok(api);
    }
    let remembered = client.settings()?.server_url;
    if api_client(cli, &server)?.server_url() != api_client(cli, &remembered)?.server_url() {
        anyhow::bail!(
            "not signed in to {server}: run `mentorlive-cli --server {server} login --email …`"
        );
    }
    client.restore().await?.context(
        "not signed in: run `mentorlive-cli login --email …` or pass --email/--password",
    )?;
    Ok(client.api()?)
}

#[tokio::main]
async fn main() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .finish()
        .with(tracing_subscriber::filter::filter_fn(|meta| {
            !(mentorlive_protocol::logging::prints_payloads(meta.target())
                && *meta.level() > tracing::Level::INFO)
        }))
        .init();
    let matches = Cli::command().get_matches();
    for id in ["password"] {
        if matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            || matches
                .subcommand_matches("login")
                .and_then(|m| m.value_source(id))
                == Some(clap::parser::ValueSource::CommandLine)
        {
            eprintln!(
                "warning: a password on the command line is seen by other users (ps) and kept in \
                 the shell's history; give it in MENTORLIVE_PASSWORD or on standard input"
            );
        }
    }
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let mut minted = Vec::new();
    let result = run(cli, &mut minted).await;
    // A token made for this run only goes with it.
    for api in minted {
        if let Err(err) = api.logout().await {
            eprintln!("warning: could not revoke this run's sign-in: {err}");
        }
    }
    if let Err(err) = result {
        // Errors keep their stable code when they have one.
        let code = err
            .downcast_ref::<mentorlive_api::ApiError>()
            .map(|e| e.code().to_owned())
            .or_else(|| {
                err.downcast_ref::<mentorlive_engine::EngineError>()
                    .map(|e| e.code().to_owned())
            })
            .unwrap_or_else(|| "error".to_owned());
        eprintln!(
            "{}",
            serde_json::json!({"error": {"code": code, "message": format!("{err:#}")}})
        );
        std::process::exit(1);
    }
}

async fn run(cli: Cli, minted: &mut Vec<ApiClient>) -> anyhow::Result<()> {
    if let Command::RepairRecording { path } = &cli.command {
        // Needs no server and no sign-in.
        let repaired = mentorlive_recording::repair(path)
            .with_context(|| format!("repairing {}", path.display()))?;
        let verb = if repaired.was_complete {
            "already complete"
        } else {
            "repaired"
        };
        print(
            cli.json,
            serde_json::json!({
                "event": "repaired",
                "wasComplete": repaired.was_complete,
                "cutBytes": repaired.cut_bytes,
                "summary": repaired.summary,
            }),
            format!(
                "{}: {verb}, {:.1} s, {} bytes",
                path.display(),
                repaired.summary.duration_ms as f64 / 1000.0,
                repaired.summary.bytes
            ),
        );
        return Ok(());
    }
    let client = client()?;
    match &cli.command {
        Command::Login { email, password } => {
            let password = match password {
                Some(p) => p.clone(),
                None => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let server = server(&cli, &client)?;
            if cli.allow_http {
                client.allow_http_to(&server)?;
            }
            let user = client.sign_in(&server, email, &password).await?;
            print(
                cli.json,
                serde_json::to_value(&user)?,
                format!(
                    "signed in as {} ({})",
                    shown(&user.name),
                    user.role.as_str()
                ),
            );
        }
        Command::Logout => {
            client.restore().await?;
            client.sign_out().await?;
            print(
                cli.json,
                serde_json::json!({"signedOut": true}),
                "signed out".into(),
            );
        }
        Command::Sessions => {
            let sessions = signed_in(&cli, &client, minted)
                .await?
                .list_sessions()
                .await?;
            if cli.json {
                for s in &sessions {
                    println!("{}", serde_json::to_string(s)?);
                }
            } else if sessions.is_empty() {
                println!("no sessions");
            } else {
                for s in sessions {
                    println!(
                        "{}  {:9}  {}  {} with {}  {}",
                        s.id,
                        s.status.as_str(),
                        s.scheduled_at,
                        shown(&s.mentor.name),
                        shown(&s.learner.name),
                        shown(&s.title)
                    );
                }
            }
        }
        Command::Code {
            action: CodeAction::Generate { session_id },
        } => {
            let (code, generated) = signed_in(&cli, &client, minted)
                .await?
                .generate_live_code(session_id)
                .await?;
            let parsed = mentorlive_protocol::LiveCode::parse(&code.code)
                .map(|c| c.grouped())
                .unwrap_or_default();
            let note = if generated == Generated::New {
                "new"
            } else {
                "still valid"
            };
            print(
                cli.json,
                serde_json::to_value(&code)?,
                format!("{parsed}  ({note}, expires {})", code.expires_at),
            );
        }
        Command::Code {
            action: CodeAction::Validate { code },
        } => {
            let valid = signed_in(&cli, &client, minted)
                .await?
                .validate_live_code(code)
                .await?;
            print(
                cli.json,
                serde_json::to_value(&valid)?,
                format!(
                    "valid for \"{}\" until {}",
                    shown(&valid.session.title),
                    valid.expires_at
                ),
            );
        }
        Command::RepairRecording { .. } => {}
        Command::Join(args) => {
            let api = signed_in(&cli, &client, minted).await?;
            let names = if args.records() {
                let me = api.me().await?;
                let valid = api.validate_live_code(args.code()).await?;
                Some(join::RecordingNames {
                    me: me.name,
                    title: valid.session.title,
                })
            } else {
                None
            };
            join::run(&api, args, cli.json, names).await?;
        }
    }
    Ok(())
}
