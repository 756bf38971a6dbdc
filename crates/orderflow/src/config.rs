//! Configuration of `orderflow serve`: a config file, environment variables
//! and flags, each overriding the one before.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ipnet::IpNet;
use orderflow_app::scheduler::{ScheduleOverride, SchedulerConfig};
use serde::Deserialize;

/// The commented example `orderflow config example` prints; it is also the
/// reference of every key (and is parsed by a test, so it stays valid).
pub const EXAMPLE: &str = r#"# orderflow configuration. Every key is optional; an environment variable
# (shown beside each key) overrides the file, and a flag overrides both.

# Address the HTTP server listens on.              ORDERFLOW_LISTEN / --listen
listen = "127.0.0.1:8080"

# Where the embedded SQLite database and uploaded files live.
#                                                  ORDERFLOW_DATA_DIR / --data-dir
data_dir = "./orderflow-data"

# A PostgreSQL URL instead of the embedded SQLite file, for several servers
# on one database.                                 ORDERFLOW_DATABASE / --database
# database = "postgres://orderflow@localhost/orderflow"

# SQLite durability: "full" (the default: every commit is on disk before it
# is acknowledged) or "normal" (faster; a power cut may lose the last
# commits, never corrupt the file).        ORDERFLOW_SQLITE_SYNCHRONOUS
sqlite_synchronous = "full"

# The administrator's token (creates organisations and users). Prefer the
# environment variable to writing it here.         ORDERFLOW_ADMIN_TOKEN
# admin_token = "change-me"

# Outgoing e-mail for notifications: an SMTP URL and the sender address.
# smtp://host:25 (plain, a local relay), smtp://user:pw@host?tls=required
# (STARTTLS on 587) or smtps://user:pw@host (TLS on 465).
#                                    ORDERFLOW_SMTP_URL, ORDERFLOW_SMTP_FROM
# smtp_url = "smtp://localhost:25"
# smtp_from = "orderflow@example.com"

# The address people open, used in e-mails and printed by `demo`.
#                                                  ORDERFLOW_PUBLIC_URL
# public_url = "http://127.0.0.1:8080"

# Proxies in front (TLS) whose X-Forwarded-For names the client a sign-in
# came from, so failed sign-ins are slowed down per client, not for
# everyone behind the proxy: addresses or networks. The default trusts a
# proxy on the same host; [] trusts none.
#                 ORDERFLOW_TRUSTED_PROXIES (comma-separated; "none" for [])
# trusted_proxies = ["127.0.0.0/8", "::1"]

# Log filter (tracing's EnvFilter syntax).         ORDERFLOW_LOG
log = "info"

# A folder of workflow definitions (*.toml) to deploy at every start, for
# teams that keep them in git: each file that differs from its workflow's
# latest version becomes a new version; a file that fails its check stops
# the start.                                 ORDERFLOW_WORKFLOWS / --workflows
# workflows = "./workflows"
# Tables come after every plain key above.

# The scheduler runs the workflows' [[schedules]] and fires the orders'
# timers (docs/scheduler.md). Every server sharing a database may run it:
# each run and each timer is taken by one of them.
[scheduler]
# "on" or "off".                                   ORDERFLOW_SCHEDULER
enabled = true
# How often a server looks for due work, in seconds.
#                                                  ORDERFLOW_SCHEDULER_TICK_SECONDS
tick_seconds = 30

# One schedule ("workflow.schedule"): off, or other minutes between runs
# than the workflow declares.
# [scheduler.schedules."print-production.fifo_intake"]
# enabled = true
# every_minutes_min = 30
# every_minutes_max = 60
# Or at the times of a five-field cron expression (minute hour
# day-of-month month day-of-week), read in an IANA time zone (UTC when
# left out), instead of every so many minutes:
# cron = "30 2 * * MON-FRI"
# time_zone = "Europe/Paris"

# Webhook deliveries (docs/webhooks.md).
[webhooks]
# Certificates (PEM) of certificate authorities to trust for https://
# endpoints besides the public ones bundled with orderflow: a private CA
# that signed the receivers' certificates.    ORDERFLOW_WEBHOOK_CA_FILE
# ca_file = "/etc/orderflow/webhook-ca.pem"
"#;

/// The keys of a config file. Unknown keys are refused: a misspelt key
/// silently ignored is a setting that never applies.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database: Option<String>,
    pub sqlite_synchronous: Option<String>,
    pub admin_token: Option<String>,
    pub smtp_url: Option<String>,
    pub smtp_from: Option<String>,
    pub public_url: Option<String>,
    pub log: Option<String>,
    pub workflows: Option<PathBuf>,
    pub trusted_proxies: Option<Vec<String>>,
    pub scheduler: Option<SchedulerFile>,
    pub webhooks: Option<WebhooksFile>,
}

/// `[webhooks]` of the config file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhooksFile {
    pub ca_file: Option<PathBuf>,
}

/// `[scheduler]` of the config file.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SchedulerFile {
    pub enabled: Option<bool>,
    pub tick_seconds: Option<u64>,
    #[serde(default)]
    pub schedules: BTreeMap<String, ScheduleOverride>,
}

/// The flags of `orderflow serve` (and of commands that open the store).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Flags {
    /// A config file (TOML; `orderflow config example` prints one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory of the embedded SQLite database [default: ./orderflow-data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A postgres:// URL instead of the embedded SQLite database.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// A folder of workflow definitions (*.toml) to deploy at start.
    #[arg(long, value_name = "DIR")]
    pub workflows: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// The embedded database, a file in the data directory.
    Sqlite {
        synchronous_full: bool,
    },
    Postgres {
        url: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub url: String,
    pub from: String,
}

/// The configuration in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: Database,
    pub admin_token: Option<String>,
    pub smtp: Option<Smtp>,
    pub public_url: String,
    pub log: String,
    /// Definitions to deploy at start.
    pub workflows: Option<PathBuf>,
    pub scheduler: SchedulerConfig,
    /// Seconds between the scheduler's looks for due work.
    pub scheduler_tick_seconds: u64,
    /// Extra certificate authorities (PEM) for webhook endpoints.
    pub webhook_ca_file: Option<PathBuf>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
}

impl Config {
    /// Flags over environment over file over defaults. `env` reads an
    /// environment variable (the process's own in the binary, a map in tests);
    /// `read` reads the config file.
    pub fn resolve(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
        read: &dyn Fn(&Path) -> std::io::Result<String>,
    ) -> anyhow::Result<Self> {
        let file_path = flags
            .config
            .clone()
            .or_else(|| env("ORDERFLOW_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(path) => {
                let text = read(path).with_context(|| format!("reading {}", path.display()))?;
                toml::from_str::<FileConfig>(&text).map_err(|e| {
                    anyhow::anyhow!("{}: {}", path.display(), one_line(&e.to_string()))
                })?
            }
            None => FileConfig::default(),
        };
        let pick = |flag: Option<String>, var: &str, from_file: Option<String>| {
            flag.or_else(|| env(var).filter(|v| !v.is_empty()))
                .or(from_file)
        };

        let listen = pick(flags.listen.clone(), "ORDERFLOW_LISTEN", file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen
            .parse()
            .with_context(|| format!("listen address {listen:?} is not host:port"))?;
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env("ORDERFLOW_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./orderflow-data"));
        let synchronous = pick(
            None,
            "ORDERFLOW_SQLITE_SYNCHRONOUS",
            file.sqlite_synchronous,
        )
        .unwrap_or_else(|| "full".to_owned());
        let synchronous_full = match synchronous.to_ascii_lowercase().as_str() {
            "full" => true,
            "normal" => false,
            other => bail!("sqlite_synchronous is {other:?}; it takes \"full\" or \"normal\""),
        };
        let database = match pick(flags.database.clone(), "ORDERFLOW_DATABASE", file.database) {
            None => Database::Sqlite { synchronous_full },
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres { url }
            }
            Some(other) => bail!(
                "database {other:?} is not a postgres:// URL (leave it unset for the embedded SQLite file in the data directory)"
            ),
        };
        let smtp = match pick(None, "ORDERFLOW_SMTP_URL", file.smtp_url) {
            None => None,
            Some(url) => Some(Smtp {
                url,
                from: pick(None, "ORDERFLOW_SMTP_FROM", file.smtp_from)
                    .context("smtp_url is set but smtp_from (the sender address) is not")?,
            }),
        };
        let public_url = pick(None, "ORDERFLOW_PUBLIC_URL", file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let scheduler_file = file.scheduler.unwrap_or_default();
        let enabled = match env("ORDERFLOW_SCHEDULER").filter(|v| !v.is_empty()) {
            None => scheduler_file.enabled.unwrap_or(true),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => bail!("ORDERFLOW_SCHEDULER is {other:?}; it takes \"on\" or \"off\""),
            },
        };
        let scheduler_tick_seconds =
            match env("ORDERFLOW_SCHEDULER_TICK_SECONDS").filter(|v| !v.is_empty()) {
                None => scheduler_file.tick_seconds.unwrap_or(30),
                Some(v) => v.parse().with_context(|| {
                    format!("ORDERFLOW_SCHEDULER_TICK_SECONDS is {v:?}, not a number of seconds")
                })?,
            };
        if scheduler_tick_seconds == 0 {
            bail!("the scheduler's tick_seconds must be at least 1");
        }
        for (key, o) in &scheduler_file.schedules {
            if let Err(e) = o.check() {
                bail!("scheduler.schedules.{key:?}: {e}");
            }
        }
        let trusted_proxies = match env("ORDERFLOW_TRUSTED_PROXIES").filter(|v| !v.is_empty()) {
            Some(v) if v.trim().eq_ignore_ascii_case("none") => Vec::new(),
            Some(v) => networks(v.split(',').map(str::to_owned))?,
            None => match file.trusted_proxies {
                Some(list) => networks(list.into_iter())?,
                None => orderflow_web::loopback(),
            },
        };
        let scheduler = SchedulerConfig {
            enabled,
            schedules: scheduler_file.schedules,
            ..SchedulerConfig::default()
        };
        Ok(Config {
            listen,
            data_dir,
            database,
            admin_token: pick(None, "ORDERFLOW_ADMIN_TOKEN", file.admin_token),
            smtp,
            public_url,
            log: pick(None, "ORDERFLOW_LOG", file.log).unwrap_or_else(|| "info".to_owned()),
            workflows: flags
                .workflows
                .clone()
                .or_else(|| env("ORDERFLOW_WORKFLOWS").map(PathBuf::from))
                .or(file.workflows),
            scheduler,
            scheduler_tick_seconds,
            webhook_ca_file: env("ORDERFLOW_WEBHOOK_CA_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or(file.webhooks.and_then(|w| w.ca_file)),
            trusted_proxies,
        })
    }
}

impl Config {
    /// The configuration as `config show` prints it: the administrator
    /// token and every password inside a URL replaced, so the output can be
    /// pasted into a ticket.
    pub fn redacted(&self) -> Config {
        let mut c = self.clone();
        if c.admin_token.is_some() {
            c.admin_token = Some("(set)".to_owned());
        }
        if let Database::Postgres { url } = &mut c.database {
            *url = redact_url(url);
        }
        if let Some(smtp) = &mut c.smtp {
            smtp.url = redact_url(&smtp.url);
        }
        c
    }
}

/// Addresses (`10.1.2.3`, `::1`) or networks (`10.0.0.0/8`).
fn networks(items: impl Iterator<Item = String>) -> anyhow::Result<Vec<IpNet>> {
    items
        .map(|item| {
            let item = item.trim();
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "trusted_proxies: {item:?} is not an IP address or network (such as 10.0.0.0/8)"
                    )
                })
        })
        .collect()
}

/// `url` with its password replaced by `***`; a URL that does not parse is
/// hidden whole, since it may still hold one.
fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() && u.set_password(Some("***")).is_err() {
                return "(set, not shown)".to_owned();
            }
            // `?password=` is how libpq-style URLs may carry it too.
            let hidden: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let secret = k.eq_ignore_ascii_case("password");
                    (
                        k.into_owned(),
                        if secret {
                            "***".to_owned()
                        } else {
                            v.into_owned()
                        },
                    )
                })
                .collect();
            if hidden.iter().any(|(_, v)| v == "***") {
                u.query_pairs_mut().clear().extend_pairs(hidden);
            }
            u.to_string()
        }
        Err(_) => "(set, not shown)".to_owned(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::HashMap;

    fn resolve(flags: Flags, env: &[(&str, &str)], file: Option<&str>) -> anyhow::Result<Config> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let file = file.map(str::to_owned);
        Config::resolve(&flags, &|k| env.get(k).cloned(), &|_| {
            file.clone()
                .ok_or_else(|| std::io::Error::other("no such file"))
        })
    }

    fn with_file() -> Flags {
        Flags {
            config: Some(PathBuf::from("orderflow.toml")),
            ..Flags::default()
        }
    }

    #[test]
    fn shown_configuration_hides_passwords() {
        let c = resolve(
            Flags::default(),
            &[
                (
                    "ORDERFLOW_DATABASE",
                    "postgres://app:s3cret@db.internal/orders?password=other",
                ),
                (
                    "ORDERFLOW_SMTP_URL",
                    "smtps://mailer:hunter2@mail.internal:465",
                ),
                ("ORDERFLOW_SMTP_FROM", "orders@example.com"),
                ("ORDERFLOW_ADMIN_TOKEN", "admintoken"),
            ],
            None,
        )
        .unwrap();
        let shown = format!("{:#?}", c.redacted());
        for secret in ["s3cret", "other", "hunter2", "admintoken"] {
            assert!(!shown.contains(secret), "{secret} is printed: {shown}");
        }
        assert!(
            shown.contains("postgres://app:***@db.internal/orders"),
            "{shown}"
        );
        assert!(shown.contains("mailer:***@mail.internal"), "{shown}");
    }

    #[test]
    fn defaults_need_no_setup() {
        let c = resolve(Flags::default(), &[], None).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(
            c.database,
            Database::Sqlite {
                synchronous_full: true
            }
        );
        assert_eq!(c.data_dir, PathBuf::from("./orderflow-data"));
        assert_eq!(c.admin_token, None);
        assert_eq!(c.smtp, None);
    }

    #[test]
    fn flags_beat_environment_beats_file() {
        let file =
            Some("listen = \"127.0.0.1:1\"\ndata_dir = \"/file\"\nadmin_token = \"from-file\"\n");
        let c = resolve(with_file(), &[], file).unwrap();
        assert_eq!(
            (c.listen.port(), c.data_dir.as_path()),
            (1, Path::new("/file"))
        );
        assert_eq!(c.admin_token.as_deref(), Some("from-file"));

        let env = [
            ("ORDERFLOW_LISTEN", "127.0.0.1:2"),
            ("ORDERFLOW_ADMIN_TOKEN", "from-env"),
        ];
        let c = resolve(with_file(), &env, file).unwrap();
        assert_eq!(c.listen.port(), 2);
        assert_eq!(c.admin_token.as_deref(), Some("from-env"));

        let flags = Flags {
            listen: Some("127.0.0.1:3".into()),
            data_dir: Some("/flag".into()),
            ..with_file()
        };
        let c = resolve(flags, &env, file).unwrap();
        assert_eq!(
            (c.listen.port(), c.data_dir.as_path()),
            (3, Path::new("/flag"))
        );
    }

    #[test]
    fn the_example_is_a_valid_config() {
        let c = resolve(with_file(), &[], Some(EXAMPLE)).unwrap();
        assert_eq!(c.log, "info");
    }

    #[test]
    fn mistakes_are_named() {
        let err =
            |flags, env: &[(&str, &str)], file| resolve(flags, env, file).unwrap_err().to_string();
        assert!(err(with_file(), &[], Some("lisen = \"x\"")).contains("unknown field `lisen`"));
        assert!(
            err(Flags::default(), &[("ORDERFLOW_LISTEN", "nowhere")], None)
                .contains("not host:port")
        );
        assert!(
            err(
                Flags::default(),
                &[("ORDERFLOW_DATABASE", "mysql://x")],
                None
            )
            .contains("not a postgres:// URL")
        );
        assert!(
            err(
                Flags::default(),
                &[("ORDERFLOW_SMTP_URL", "smtp://x")],
                None
            )
            .contains("smtp_from")
        );
        assert!(err(with_file(), &[], None).contains("reading orderflow.toml"));
    }

    #[test]
    fn the_scheduler_is_configured_per_deployment() {
        let c = resolve(Flags::default(), &[], None).unwrap();
        assert!(c.scheduler.enabled);
        assert_eq!(c.scheduler_tick_seconds, 30);
        let file = Some(
            "[scheduler]\ntick_seconds = 5\n[scheduler.schedules.\"print-production.fifo_intake\"]\nenabled = false\nevery_minutes_min = 10\nevery_minutes_max = 20\n",
        );
        let c = resolve(with_file(), &[], file).unwrap();
        assert_eq!(c.scheduler_tick_seconds, 5);
        let o = &c.scheduler.schedules["print-production.fifo_intake"];
        assert_eq!(
            (o.enabled, o.every_minutes_min, o.every_minutes_max),
            (Some(false), Some(10), Some(20))
        );
        let c = resolve(with_file(), &[("ORDERFLOW_SCHEDULER", "off")], file).unwrap();
        assert!(!c.scheduler.enabled);
        let err =
            |env: &[(&str, &str)], file| resolve(with_file(), env, file).unwrap_err().to_string();
        assert!(err(&[("ORDERFLOW_SCHEDULER", "maybe")], file).contains("\"on\" or \"off\""));
        assert!(err(&[], Some("[scheduler]\nevery = 3\n")).contains("unknown field `every`"));
        assert!(
            err(
                &[],
                Some(
                    "[scheduler.schedules.\"a.b\"]\nevery_minutes_min = 9\nevery_minutes_max = 3\n"
                )
            )
            .contains("at most every_minutes_max 3")
        );
        let file = "[scheduler.schedules.\"print-production.fifo_intake\"]\ncron = \"30 2 * * *\"\ntime_zone = \"America/Chicago\"\n";
        let c = resolve(with_file(), &[], Some(file)).unwrap();
        let o = &c.scheduler.schedules["print-production.fifo_intake"];
        assert_eq!(
            (o.cron.as_deref(), o.time_zone.as_deref()),
            (Some("30 2 * * *"), Some("America/Chicago"))
        );
        assert!(
            err(
                &[],
                Some("[scheduler.schedules.\"a.b\"]\ncron = \"30 25 * * *\"\n")
            )
            .contains("scheduler.schedules.\"a.b\": cron: cron \"30 25 * * *\" is not valid")
        );
        assert!(
            err(
                &[],
                Some("[scheduler.schedules.\"a.b\"]\ncron = \"0 2 * * *\"\ntime_zone = \"Moon/Base\"\n")
            )
            .contains("unknown time zone \"Moon/Base\"")
        );
    }

    #[test]
    fn trusted_proxies_default_to_the_same_host_and_are_read_as_networks() {
        let nets = |c: Config| -> Vec<String> {
            c.trusted_proxies.iter().map(ToString::to_string).collect()
        };
        let c = resolve(Flags::default(), &[], None).unwrap();
        assert_eq!(nets(c), ["127.0.0.0/8", "::1/128"]);
        let file = Some("trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7\"]\n");
        let c = resolve(with_file(), &[], file).unwrap();
        assert_eq!(nets(c), ["10.0.0.0/8", "192.0.2.7/32"]);
        let c = resolve(with_file(), &[], Some("trusted_proxies = []\n")).unwrap();
        assert!(c.trusted_proxies.is_empty());
        let env = [("ORDERFLOW_TRUSTED_PROXIES", "172.16.0.0/12, ::1")];
        let c = resolve(with_file(), &env, file).unwrap();
        assert_eq!(nets(c), ["172.16.0.0/12", "::1/128"]);
        let env = [("ORDERFLOW_TRUSTED_PROXIES", "none")];
        assert!(
            resolve(with_file(), &env, file)
                .unwrap()
                .trusted_proxies
                .is_empty()
        );
        let env = [("ORDERFLOW_TRUSTED_PROXIES", "proxy.local")];
        let err = resolve(Flags::default(), &env, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "trusted_proxies: \"proxy.local\" is not an IP address or network (such as 10.0.0.0/8)"
        );
    }

    #[test]
    fn the_webhooks_ca_file_comes_from_the_file_or_the_environment() {
        assert_eq!(
            resolve(Flags::default(), &[], None)
                .unwrap()
                .webhook_ca_file,
            None
        );
        let file = Some("[webhooks]\nca_file = \"/etc/ca.pem\"\n");
        let c = resolve(with_file(), &[], file).unwrap();
        assert_eq!(c.webhook_ca_file, Some(PathBuf::from("/etc/ca.pem")));
        let env = [("ORDERFLOW_WEBHOOK_CA_FILE", "/run/ca.pem")];
        let c = resolve(with_file(), &env, file).unwrap();
        assert_eq!(c.webhook_ca_file, Some(PathBuf::from("/run/ca.pem")));
        let err = resolve(with_file(), &[], Some("[webhooks]\nca = 1\n")).unwrap_err();
        assert!(err.to_string().contains("unknown field `ca`"), "{err}");
    }

    #[test]
    fn postgres_urls_select_postgres() {
        let flags = Flags {
            database: Some("postgres://u@h/db".into()),
            ..Flags::default()
        };
        let c = resolve(flags, &[], None).unwrap();
        assert_eq!(
            c.database,
            Database::Postgres {
                url: "postgres://u@h/db".into()
            }
        );
    }
}
