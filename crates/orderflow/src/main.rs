//! `orderflow`: the one binary. `serve` runs the server, `demo` fills one
//! with example data; `orders`, `organizations`, `users`, `tokens`,
//! `notifications`, `outbox`, `webhooks` and `inventory` are a thin client
//! of its HTTP API; `workflow` checks and draws definitions.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use orderflow_core::check::{self, Diagnostic};
use orderflow_core::definition::Definition;
use orderflow_core::{diagram, limits};

mod client;
mod commands;
mod config;
mod demo;
mod deploy;
mod inbox;
mod inventory;
mod listen;
mod serve;
mod webhooks;

// mimalloc gives memory freed by closed connections back to the system
// (glibc's arenas keep it) and costs less CPU per change (docs/reliability.md,
// docs/performance.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Debug, Parser)]
#[command(name = "orderflow", version, about = "An order-lifecycle server.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server: the HTTP API on the embedded SQLite database (or
    /// PostgreSQL with --database), with notifications delivered by e-mail.
    Serve {
        #[command(flatten)]
        flags: config::Flags,
    },
    /// Run the server filled with example organisations, users and orders
    /// in every state of the four built-in workflows; prints their tokens.
    Demo {
        #[command(flatten)]
        flags: config::Flags,
        /// Fill the store, print the tokens and exit instead of serving.
        #[arg(long)]
        no_serve: bool,
        /// Add the demo's data even when the store already holds orders.
        #[arg(long)]
        force: bool,
    },
    /// Orders on a server: list, show, act, history.
    Orders {
        #[command(flatten)]
        connection: commands::Connection,
        #[command(subcommand)]
        command: commands::Orders,
    },
    /// Organisations on a server (administrator).
    #[command(name = "organizations", alias = "organisations")]
    Organizations {
        #[command(flatten)]
        connection: commands::AdminConnection,
        #[command(subcommand)]
        command: commands::Organizations,
    },
    /// Users on a server (administrator).
    Users {
        #[command(flatten)]
        connection: commands::AdminConnection,
        #[command(subcommand)]
        command: commands::Users,
    },
    /// Print-production's inventory: stock locations, bins, purchases,
    /// receipts and the intake check (a manager's token).
    Inventory {
        #[command(flatten)]
        connection: commands::Connection,
        #[command(subcommand)]
        command: inventory::Inventory,
    },
    /// API tokens of the calling user.
    Tokens {
        #[command(flatten)]
        connection: commands::Connection,
        #[command(subcommand)]
        command: commands::Tokens,
    },
    /// Your notifications and the kinds of e-mail you get.
    Notifications {
        #[command(flatten)]
        connection: commands::Connection,
        #[command(subcommand)]
        command: inbox::Notifications,
    },
    /// Messages the server could not deliver (administrator).
    Outbox {
        #[command(flatten)]
        connection: commands::AdminConnection,
        #[command(subcommand)]
        command: inbox::Outbox,
    },
    /// Webhook endpoints of your organisation and their deliveries (its
    /// admins).
    Webhooks {
        #[command(flatten)]
        connection: commands::Connection,
        #[command(subcommand)]
        command: webhooks::Webhooks,
    },
    /// Check, draw and describe workflow definition files.
    #[command(subcommand)]
    Workflow(Workflow),
    /// The configuration: its keys, environment variables and flags.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print a commented example config file with every key.
    Example,
    /// Print the configuration in force (file, environment, flags), without
    /// the administrator token.
    Show {
        #[command(flatten)]
        flags: config::Flags,
    },
}

#[derive(Debug, Subcommand)]
enum Workflow {
    /// Print every problem of each file as `file:line:col: message`
    /// (`FILE: ok` for a clean one); exit 1 when any has a problem.
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Draw a workflow's states and transitions.
    Diagram {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Mermaid)]
        format: Format,
    },
    /// Print the JSON Schema of definition files, for editors.
    Schema,
    /// Deploy definition files to a server: each is checked, then becomes
    /// a new version of its workflow (nothing when it is unchanged).
    Deploy {
        #[command(flatten)]
        connection: commands::AdminConnection,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// The workflows a server runs: versions, orders per version.
    List {
        #[command(flatten)]
        connection: commands::AdminConnection,
    },
    /// Move the orders of one version of a workflow to another. A dry run
    /// unless --apply: it prints what would happen to each order.
    Migrate {
        #[command(flatten)]
        connection: commands::AdminConnection,
        /// The workflow id.
        id: String,
        /// The version whose orders move.
        #[arg(long)]
        from: u32,
        /// The version they move to [default: the latest].
        #[arg(long)]
        to: Option<u32>,
        /// OLD=NEW: a state the new version no longer has, and the one its
        /// orders take instead (repeatable).
        #[arg(long = "map", value_name = "OLD=NEW")]
        mapping: Vec<String>,
        /// Migrate for real (after reading the dry run).
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A Mermaid `stateDiagram-v2`.
    Mermaid,
    /// A Graphviz `digraph`.
    Dot,
    /// SVG, laid out by orderflow itself (what the web UI shows).
    Svg,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("orderflow: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { flags } => {
            let config = resolve_config(&flags)?;
            serve::init_logs(&config.log);
            runtime()?.block_on(serve::serve(config))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            flags,
            no_serve,
            force,
        } => {
            let config = resolve_config(&flags)?;
            let filter = std::env::var("ORDERFLOW_LOG").unwrap_or_else(|_| "error".to_owned());
            serve::init_logs(&filter);
            runtime()?.block_on(demo::demo(config, no_serve, force))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Orders {
            connection,
            command,
        } => client_output(runtime()?.block_on(commands::orders(&connection, command))),
        Command::Organizations {
            connection,
            command,
        } => client_output(runtime()?.block_on(commands::organizations(&connection, command))),
        Command::Users {
            connection,
            command,
        } => client_output(runtime()?.block_on(commands::users(&connection, command))),
        Command::Inventory {
            connection,
            command,
        } => client_output(runtime()?.block_on(inventory::inventory(&connection, command))),
        Command::Tokens {
            connection,
            command,
        } => client_output(runtime()?.block_on(commands::tokens(&connection, command))),
        Command::Notifications {
            connection,
            command,
        } => client_output(runtime()?.block_on(inbox::notifications(&connection, command))),
        Command::Outbox {
            connection,
            command,
        } => client_output(runtime()?.block_on(inbox::outbox(&connection, command))),
        Command::Webhooks {
            connection,
            command,
        } => client_output(runtime()?.block_on(webhooks::webhooks(&connection, command))),
        Command::Config(ConfigCommand::Example) => {
            print!("{}", config::EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
        Command::Config(ConfigCommand::Show { flags }) => {
            let c = resolve_config(&flags)?;
            println!("{:#?}", c.redacted());
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflow(Workflow::Check { files }) => check_files(&files),
        Command::Workflow(Workflow::Diagram { file, format }) => {
            let def = match load(&file)? {
                Ok(def) => def,
                Err(diagnostics) => {
                    for d in diagnostics {
                        eprintln!("{d}");
                    }
                    return Ok(ExitCode::FAILURE);
                }
            };
            let drawing = match format {
                Format::Mermaid => diagram::mermaid(&def),
                Format::Dot => diagram::dot(&def),
                Format::Svg => diagram::svg::order(&def, &diagram::svg::Highlight::default()),
            };
            print(&drawing)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflow(Workflow::Deploy { connection, files }) => {
            let (out, clean) = runtime()?.block_on(deploy::deploy(&connection, &files))?;
            print(&out)?;
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Workflow(Workflow::List { connection }) => {
            client_output(runtime()?.block_on(deploy::list(&connection)))
        }
        Command::Workflow(Workflow::Migrate {
            connection,
            id,
            from,
            to,
            mapping,
            apply,
        }) => client_output(runtime()?.block_on(deploy::migrate(
            &connection,
            &id,
            from,
            to,
            &mapping,
            apply,
        ))),
        Command::Workflow(Workflow::Schema) => {
            let schema = schemars::schema_for!(Definition);
            print(&format!("{}\n", serde_json::to_string_pretty(&schema)?))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints a client command's output; its error is the caller's one line.
fn client_output(result: anyhow::Result<String>) -> anyhow::Result<ExitCode> {
    print(&result?)?;
    Ok(ExitCode::SUCCESS)
}

/// Checks every file, even after one fails.
fn check_files(files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mut clean = true;
    let mut out = String::new();
    for file in files {
        match load(file) {
            Ok(Ok(_)) => out.push_str(&format!("{}: ok\n", file.display())),
            Ok(Err(diagnostics)) => {
                clean = false;
                for d in diagnostics {
                    out.push_str(&format!("{d}\n"));
                }
            }
            Err(e) => {
                clean = false;
                print(&out)?;
                out.clear();
                eprintln!("orderflow: {e:#}");
            }
        }
    }
    print(&out)?;
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Reads and checks one file: an error when it cannot be read, else the
/// checker's verdict.
fn load(file: &Path) -> anyhow::Result<Result<Definition, Vec<Diagnostic>>> {
    let name = file.display().to_string();
    match read_definition(file) {
        Ok(text) => Ok(check::check_source(&name, &text)),
        Err(Oversized(d)) => Ok(Err(vec![d])),
        Err(Unreadable(e)) => Err(e),
    }
}

/// Why a definition file was not read.
enum ReadError {
    /// Over the definition's size bound, refused before it is read whole.
    Oversized(Diagnostic),
    Unreadable(anyhow::Error),
}
use ReadError::{Oversized, Unreadable};

impl From<ReadError> for anyhow::Error {
    fn from(e: ReadError) -> Self {
        match e {
            Oversized(d) => anyhow::anyhow!("{d}"),
            Unreadable(e) => e,
        }
    }
}

/// A definition file's text (UTF-8, within the size bound).
fn read_definition(file: &Path) -> Result<String, ReadError> {
    let name = file.display().to_string();
    let len = std::fs::metadata(file)
        .with_context(|| format!("cannot read {name}"))
        .map_err(Unreadable)?
        .len();
    if let Some(d) = check::size_diagnostic(&name, len) {
        return Err(Oversized(d));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| {
            f.take(limits::DEFINITION_BYTES_MAX as u64 + 1)
                .read_to_end(&mut bytes)
        })
        .with_context(|| format!("cannot read {name}"))
        .map_err(Unreadable)?;
    if let Some(d) = check::size_diagnostic(&name, bytes.len() as u64) {
        return Err(Oversized(d));
    }
    String::from_utf8(bytes)
        .map_err(|_| Unreadable(anyhow::anyhow!("cannot read {name}: it is not UTF-8 text")))
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The configuration in force, from the process's environment and files.
fn resolve_config(flags: &config::Flags) -> anyhow::Result<config::Config> {
    config::Config::resolve(flags, &|k| std::env::var(k).ok(), &|p| {
        std::fs::read_to_string(p)
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
