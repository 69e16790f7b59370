//! `mentorlive-cli`: the headless front end. The same crates as the desktop
//! app (API client, keychain, signaling, call engine), for tests, benchmarks
//! and support engineers.

mod ivf;
mod join;
mod ogg_opus;

use anyhow::Context;
use clap::{Parser, Subcommand};
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
    /// Sign in with these instead of the keychain (not stored).
    #[arg(long, global = true, env = "MENTORLIVE_EMAIL")]
    email: Option<String>,
    #[arg(
        long,
        global = true,
        env = "MENTORLIVE_PASSWORD",
        hide_env_values = true
    )]
    password: Option<String>,
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

/// A signed-in API: `--email/--password` (nothing stored), else the
/// keychain's token for the server in the settings.
async fn signed_in(cli: &Cli, client: &Client) -> anyhow::Result<ApiClient> {
    let server = server(cli, client)?;
    if let (Some(email), Some(password)) = (&cli.email, &cli.password) {
        let api = ApiClient::new(&server)?;
        let auth = api.login(email, password).await?;
        return Ok(api.with_token(auth.token));
    }
    let remembered = client.settings()?.server_url;
    if ApiClient::new(&server)?.server_url() != ApiClient::new(&remembered)?.server_url() {
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(err) = run(cli).await {
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

async fn run(cli: Cli) -> anyhow::Result<()> {
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
            let user = client.sign_in(&server, email, &password).await?;
            print(
                cli.json,
                serde_json::to_value(&user)?,
                format!("signed in as {} ({})", user.name, user.role.as_str()),
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
            let sessions = signed_in(&cli, &client).await?.list_sessions().await?;
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
                        s.mentor.name,
                        s.learner.name,
                        s.title
                    );
                }
            }
        }
        Command::Code {
            action: CodeAction::Generate { session_id },
        } => {
            let (code, generated) = signed_in(&cli, &client)
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
            let valid = signed_in(&cli, &client)
                .await?
                .validate_live_code(code)
                .await?;
            print(
                cli.json,
                serde_json::to_value(&valid)?,
                format!(
                    "valid for \"{}\" until {}",
                    valid.session.title, valid.expires_at
                ),
            );
        }
        Command::RepairRecording { .. } => {}
        Command::Join(args) => {
            let api = signed_in(&cli, &client).await?;
            let token = api
                .token()
                .map(str::to_owned)
                .context("signed in without a token")?;
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
            join::run(&api.server_url(), &token, args, cli.json, names).await?;
        }
    }
    Ok(())
}
