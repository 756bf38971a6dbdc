//! `orderflow serve` as a process of its own: started on a data directory
//! (or a PostgreSQL URL), timed until it says where it serves, measured
//! through /proc while it runs, stopped with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The administrator token every server of the bench takes.
pub const ADMIN: &str = "bench-admin-token";
/// Bounds a start, even over a million orders.
const START_DEADLINE: Duration = Duration::from_secs(300);

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// From the process's start to its "serving" line.
    pub started_in: Duration,
}

impl Server {
    /// Starts `bin serve` on `data_dir`, on PostgreSQL when `database` is
    /// given; its log goes to `log`.
    pub fn start(
        bin: &Path,
        data_dir: &Path,
        database: Option<&str>,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(bin);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir);
        if let Some(url) = database {
            command.args(["--database", url]);
        }
        let log = std::fs::File::create(log)?;
        let begun = Instant::now();
        let mut child = command
            .env("ORDERFLOW_ADMIN_TOKEN", ADMIN)
            // Nothing runs beside the requests measured.
            .env("ORDERFLOW_SCHEDULER", "off")
            .env("ORDERFLOW_LOG", "warn")
            .env_remove("ORDERFLOW_CONFIG")
            .env_remove("ORDERFLOW_DATABASE")
            .env_remove("ORDERFLOW_SQLITE_SYNCHRONOUS")
            .env_remove("ORDERFLOW_SMTP_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("the server's output")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            started_in: Duration::ZERO,
        };
        loop {
            let left = START_DEADLINE.saturating_sub(begun.elapsed());
            let Ok(line) = rx.recv_timeout(left) else {
                bail!("orderflow serve never said where it serves (its log: see above)");
            };
            if let Some(rest) = line.strip_prefix("orderflow is serving on http://") {
                server.started_in = begun.elapsed();
                let addr = rest.split_whitespace().next().unwrap_or_default();
                server.addr = addr.parse().with_context(|| format!("address {addr:?}"))?;
                return Ok(server);
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User plus system CPU time the server has used so far.
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // Fields after the command name, which may hold spaces: the state
        // is field 3, utime 14 and stime 15.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| -> anyhow::Result<u64> {
            Ok(fields.get(i).context("short /proc stat")?.parse()?)
        };
        let total = ticks(11)? + ticks(12)?;
        Ok(Duration::from_secs_f64(total as f64 / clock_ticks() as f64))
    }

    /// The resident set now and its peak, in MiB.
    pub fn memory(&self) -> anyhow::Result<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let kib = |key: &str| -> f64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        Ok((kib("VmRSS:") / 1024.0, kib("VmHWM:") / 1024.0))
    }

    /// SIGTERM, then waits (bounded) for it to finish its requests and exit.
    pub fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("orderflow serve did not stop within 30 s of SIGTERM")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Clock ticks per second of /proc's times (`getconf CLK_TCK`).
fn clock_ticks() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}
