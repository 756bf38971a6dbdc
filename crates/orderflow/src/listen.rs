//! The HTTP listener: bounds on what one client can hold.
//!
//! `axum::serve` sets no timer, so hyper never times out a request head: a
//! client that sends half a request line holds its connection (and a file
//! descriptor) forever, and a thousand of them exhaust the process's files
//! for everyone. Here every connection gets a deadline for its request head,
//! the number of connections is bounded below the file limit, and the file
//! limit is raised to what the system allows before listening.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections at once; more wait in the kernel's backlog.
    pub connections_max: usize,
    /// Time a client has to send a whole request head once it started one.
    pub header_read_timeout: Duration,
}

/// File descriptors kept out of the connection budget: the database (its
/// pool, WAL and journal files), uploads being written, logs.
const FILES_RESERVED: u64 = 256;
/// Connections at most, whatever the file limit (each costs buffers).
const CONNECTIONS_CEILING: u64 = 16_384;

impl ConnectionLimits {
    /// Raises the soft file limit to the hard one and sizes the
    /// connection budget under it.
    pub fn for_this_process() -> Self {
        let files = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "could not raise the open-file limit");
                rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
            }
        };
        let budget = files
            .saturating_sub(FILES_RESERVED)
            .clamp(64, CONNECTIONS_CEILING);
        tracing::info!(
            open_files_max = files,
            connections_max = budget,
            "connection limits"
        );
        Self {
            connections_max: usize::try_from(budget).unwrap_or(64),
            header_read_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.connections_max.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // Waiting for a permit before accepting leaves the excess in the
        // kernel's backlog instead of failing accepted connections.
        let permit = tokio::select! {
            p = Arc::clone(&permits).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(remote));
                req.map(axum::body::Body::new)
            });
        let service = TowerToHyperService::new(service.map_err(|e: Infallible| match e {}));
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %remote, "connection ended");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the grace period were dropped");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use axum::routing::get;
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn start(limits: ConnectionLimits) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let app = Router::new().route(
            "/",
            get(|ConnectInfo(addr): ConnectInfo<SocketAddr>| async move { addr.ip().to_string() }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(
            listener,
            app,
            limits,
            async {
                let _ = rx.await;
            },
            Duration::from_secs(1),
        ));
        (addr, tx)
    }

    async fn get_root(addr: SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    #[tokio::test]
    async fn half_sent_requests_do_not_block_others_and_are_closed() {
        let limits = ConnectionLimits {
            connections_max: 1_000,
            header_read_timeout: Duration::from_millis(500),
        };
        let (addr, _stop) = start(limits).await;
        let mut slow = Vec::new();
        for _ in 0..300 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET / HT").await.unwrap();
            slow.push(s);
        }
        let t = Instant::now();
        let answer = get_root(addr).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            answer.ends_with("127.0.0.1"),
            "the handler sees the client: {answer}"
        );
        assert!(
            t.elapsed() < Duration::from_millis(400),
            "answered while 300 are held"
        );
        // Past the deadline the server hangs up on every half-sent request.
        for s in &mut slow {
            let mut buf = [0u8; 256];
            // Ok(0), a 408 or a reset: any of them is the server letting go;
            // only a read still pending after 5 s is a connection held.
            let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
                .await
                .expect("the server closes a half-sent request");
        }
    }

    #[tokio::test]
    async fn connections_past_the_limit_wait_instead_of_failing() {
        let limits = ConnectionLimits {
            connections_max: 4,
            header_read_timeout: Duration::from_millis(300),
        };
        let (addr, _stop) = start(limits).await;
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(b"GET").await.unwrap();
            held.push(s);
        }
        // The fifth waits in the backlog until a held one times out, then
        // is answered: nothing fails, it is only delayed.
        let t = Instant::now();
        let answer = get_root(addr).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            t.elapsed() >= Duration::from_millis(200),
            "it waited for a permit"
        );
    }
}
