//! A running `orderflow serve` for the binary's tests: started on a data
//! directory, found by the line naming its address, killed when dropped.
//! Every wait has a deadline.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_orderflow");

pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `orderflow serve` on `dir` with the administrator token
    /// `admin` and the extra environment `envs`, and waits (bounded) for
    /// the line naming its address.
    pub fn start_with(dir: &Path, admin: &str, envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .env("ORDERFLOW_ADMIN_TOKEN", admin)
            .env_remove("ORDERFLOW_CONFIG")
            .env_remove("ORDERFLOW_DATABASE")
            .env_remove("ORDERFLOW_SQLITE_SYNCHRONOUS")
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        // Owned by the guard from here on, so a panic below still reaps it.
        let mut server = Server {
            child,
            url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("orderflow serve never said where it serves: {e}"));
            if let Some(rest) = line.strip_prefix("orderflow is serving on ") {
                server.url = rest.split_whitespace().next().unwrap().to_owned();
                return server;
            }
        }
    }
}
