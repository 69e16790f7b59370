//! `mentorlive-cli`: the headless front end. The same crates as the desktop
//! app (API client, keychain, signaling, call engine), for tests, benchmarks
//! and support engineers.

mod ivf;
mod join;

use anyhow::Context;
use clap::{Parser, Subcommand};
use mentorlive_api::{ApiClient, Generated};
use mentorlive_settings::AppPaths;
use mentorlive_token_store::{KeychainTokenStore, Token, TokenKey, TokenStore};

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
    Join(join::JoinArgs),
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

struct Ctx {
    paths: AppPaths,
    server: String,
}

fn context(cli: &Cli) -> anyhow::Result<Ctx> {
    let paths = AppPaths::platform()?;
    let settings = paths.load_settings()?;
    let server = cli.server.clone().unwrap_or(settings.server_url);
    Ok(Ctx { paths, server })
}

/// A signed-in client: `--email/--password`, else the keychain's token.
async fn signed_in(cli: &Cli, ctx: &Ctx) -> anyhow::Result<ApiClient> {
    let client = ApiClient::new(&ctx.server)?;
    if let (Some(email), Some(password)) = (&cli.email, &cli.password) {
        let auth = client.login(email, password).await?;
        return Ok(client.with_token(auth.token));
    }
    let settings = ctx.paths.load_settings()?;
    let account = settings.account.context(
        "not signed in: run `mentorlive-cli login --email …` or pass --email/--password",
    )?;
    let token = KeychainTokenStore
        .load(&TokenKey::new(&ctx.server, &account))?
        .context("no token in the keychain for this server: run `mentorlive-cli login`")?;
    Ok(client.with_token(token.expose()))
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
    let ctx = context(&cli)?;
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
            let auth = ApiClient::new(&ctx.server)?.login(email, &password).await?;
            KeychainTokenStore.save(&TokenKey::new(&ctx.server, email), &Token::new(auth.token))?;
            let mut settings = ctx.paths.load_settings()?;
            settings.server_url = ctx.server.clone();
            settings.account = Some(email.trim().to_lowercase());
            ctx.paths.save_settings(&settings)?;
            print(
                cli.json,
                serde_json::to_value(&auth.user)?,
                format!(
                    "signed in as {} ({})",
                    auth.user.name,
                    auth.user.role.as_str()
                ),
            );
        }
        Command::Logout => {
            let mut settings = ctx.paths.load_settings()?;
            if let Some(account) = settings.account.take() {
                let key = TokenKey::new(&ctx.server, &account);
                if let Ok(Some(token)) = KeychainTokenStore.load(&key) {
                    let _ = ApiClient::new(&ctx.server)?
                        .with_token(token.expose())
                        .logout()
                        .await;
                }
                KeychainTokenStore.delete(&key)?;
                ctx.paths.save_settings(&settings)?;
            }
            print(
                cli.json,
                serde_json::json!({"signedOut": true}),
                "signed out".into(),
            );
        }
        Command::Sessions => {
            let sessions = signed_in(&cli, &ctx).await?.list_sessions().await?;
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
            let (code, generated) = signed_in(&cli, &ctx)
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
            let valid = signed_in(&cli, &ctx)
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
        Command::Join(args) => {
            let client = signed_in(&cli, &ctx).await?;
            let token = client
                .token()
                .map(str::to_owned)
                .context("signed in without a token")?;
            join::run(&ctx.server, &token, args, cli.json).await?;
        }
    }
    Ok(())
}
