//! `orderflow serve`: the store the configuration names, the HTTP API on
//! it, and the outbox deliverer beside it, until Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use orderflow_app::Caller;
use orderflow_core::check;
use orderflow_notify::{Deliverer, WebhookDeliverer, WebhookPolicy};
use orderflow_postgres::PgStore;
use orderflow_server::{
    AppState, Limits, SHUTDOWN_GRACE, SystemClock, built_in_workflows, router_with_pages,
};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::Store;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::{Config, Database};
use crate::listen::{self, ConnectionLimits};

/// Connections a server keeps to PostgreSQL.
const POSTGRES_CONNECTIONS: u32 = 16;
/// How often the deliverer looks for due messages.
const DELIVERY_EVERY: Duration = Duration::from_secs(5);
/// How often webhook deliveries are looked for (a full batch is followed
/// by the next at once).
const WEBHOOKS_EVERY: Duration = Duration::from_secs(1);

/// Opens the configured store, creating and migrating it when new.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    Ok(match &config.database {
        Database::Sqlite { synchronous_full } => {
            let mut sqlite = SqliteConfig::new(&config.data_dir);
            sqlite.synchronous_full = *synchronous_full;
            let store = SqliteStore::open_with(sqlite).await.with_context(|| {
                format!("opening the database in {}", config.data_dir.display())
            })?;
            Arc::new(store)
        }
        Database::Postgres { url } => {
            let store = PgStore::connect(url, POSTGRES_CONNECTIONS)
                .await
                .context("connecting to PostgreSQL")?;
            Arc::new(store)
        }
    })
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    run(config, store, listener).await
}

/// Serves on `listener` until a shutdown signal.
pub async fn run(
    config: Config,
    store: Arc<dyn Store>,
    listener: TcpListener,
) -> anyhow::Result<()> {
    run_until(config, store, listener, shutdown_signal()).await
}

/// Serves on `listener` until `shutdown` completes (`demo` stops its own
/// server when it is done with it).
pub async fn run_until(
    config: Config,
    store: Arc<dyn Store>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let workflows = built_in_workflows().context("loading the built-in workflows")?;
    if config.admin_token.is_none() {
        tracing::warn!(
            "ORDERFLOW_ADMIN_TOKEN is not set: organisations and users cannot be created over HTTP"
        );
    }
    let address = listener.local_addr()?;
    // The default public address is the listening one: the port the system
    // gave when asked for port 0, not `:0`.
    let public_url = if config.public_url == format!("http://{}", config.listen) {
        format!("http://{address}")
    } else {
        config.public_url.clone()
    };
    let state = AppState::new(
        Arc::clone(&store),
        workflows,
        config.admin_token.clone(),
        Arc::new(SystemClock),
        Limits::default(),
    )
    .with_public_url(&public_url)
    .with_scheduler(config.scheduler.clone());
    state
        .deploy_built_ins()
        .await
        .map_err(|e| anyhow::anyhow!("loading the deployed workflows: {}", e.detail()))?;
    if let Some(dir) = &config.workflows {
        deploy_folder(&state, dir).await?;
    }
    state.relay_changes();
    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduler = tokio::spawn(run_scheduler(
        state.clone(),
        Duration::from_secs(config.scheduler_tick_seconds),
        stop_rx.clone(),
    ));
    let deliverer = match &config.smtp {
        Some(smtp) => {
            let deliverer = Deliverer::new(Arc::clone(&store), &smtp.url, &smtp.from, &public_url)?;
            Some(tokio::spawn(deliverer.run(DELIVERY_EVERY, stop_rx.clone())))
        }
        None => {
            tracing::warn!(
                "no SMTP server configured (ORDERFLOW_SMTP_URL): notifications are kept in each user's inbox and not e-mailed"
            );
            None
        }
    };

    let extra_ca_pem = match &config.webhook_ca_file {
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("reading the webhooks' CA file {}", path.display()))?,
        ),
        None => None,
    };
    let webhooks = WebhookDeliverer::new(
        Arc::clone(&store),
        WebhookPolicy {
            extra_ca_pem,
            ..WebhookPolicy::default()
        },
    )
    .with_context(|| match &config.webhook_ca_file {
        Some(path) => format!("starting the webhook deliverer with {}", path.display()),
        None => "starting the webhook deliverer".to_owned(),
    })?;
    let webhooks = tokio::spawn(webhooks.run(WEBHOOKS_EVERY, stop_rx));

    tracing::info!(%address, "orderflow is listening");
    println!(
        "orderflow is serving on http://{address} (web UI at /, API under /api/v1, documentation at /api/docs)"
    );
    let limits = ConnectionLimits::for_this_process();
    let pages = orderflow_web::router(
        state.clone(),
        orderflow_web::TrustedProxies::new(config.trusted_proxies.clone()),
    );
    listen::serve(
        listener,
        router_with_pages(state, Some(pages)),
        limits,
        shutdown,
        SHUTDOWN_GRACE,
    )
    .await
    .context("serving HTTP")?;

    let _ = stop_tx.send(true);
    let _ = scheduler.await;
    if let Some(task) = deliverer {
        let _ = task.await;
    }
    let _ = webhooks.await;
    tracing::info!("orderflow stopped");
    Ok(())
}

/// Ticks the scheduler every `every` until `stop` turns true; a failed
/// tick (the database away) is logged and the next one tries again.
async fn run_scheduler(app: AppState, every: Duration, mut stop: watch::Receiver<bool>) {
    if !app.scheduler.enabled {
        tracing::info!("the scheduler is off (ORDERFLOW_SCHEDULER)");
        return;
    }
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(e) = app.scheduler_tick(&app.scheduler).await {
                    tracing::warn!(code = %e.code(), detail = %e.detail(), "scheduler tick failed");
                }
            }
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Structured logs to stderr: JSON when stderr is not a terminal (a
/// service's logs are read by programs), readable lines otherwise.
pub fn init_logs(filter: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::stderr().is_terminal() {
        builder.init();
    } else {
        builder.json().init();
    }
}

/// Deploys every `*.toml` of `dir`, in name order; the first that fails
/// its check stops the start with every problem by line.
async fn deploy_folder(state: &AppState, dir: &Path) -> anyhow::Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the workflows folder {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    for file in files {
        let name = file.display().to_string();
        let source = crate::read_definition(&file)?;
        let def = check::check_source(&name, &source).map_err(|problems| {
            anyhow::anyhow!(
                "{}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })?;
        let d = state
            .deploy_workflow(&Caller::Admin, &def.id, &source)
            .await
            .map_err(|e| anyhow::anyhow!("{name}: {}", e.detail()))?;
        let what = if d.changed { "deployed" } else { "unchanged" };
        tracing::info!(file = %name, workflow = %d.id, version = d.version, "{what}");
    }
    Ok(())
}
