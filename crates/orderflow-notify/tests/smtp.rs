//! The deliverer against a real SQLite store and a local SMTP sink: a
//! notification written with a change reaches the party's address over
//! SMTP, a refused delivery stays in the outbox and comes back later, and a
//! delivered one is never sent again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use orderflow_core::catalog;
use orderflow_core::engine;
use orderflow_core::model::{Actor, Order};
use orderflow_notify::{Deliverer, Round};
use orderflow_sqlite::SqliteStore;
use orderflow_store::{Organization, Store, User, commit_of};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received message: envelope and data.
#[derive(Debug, Clone)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

/// A minimal SMTP server on loopback that keeps what it receives, or
/// refuses every message with 554 while `refuse` is set.
struct Sink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<Mutex<bool>>,
}

impl Sink {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(Mutex::new(false));
        let (m, r) = (Arc::clone(&mails), Arc::clone(&refuse));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, Arc::clone(&m), Arc::clone(&r)));
            }
        });
        Sink {
            port,
            mails,
            refuse,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
    refuse: Arc<Mutex<bool>>,
) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
    let mut mail = Mail {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-sink\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = line[10..].trim().to_owned();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.to
                .push(line[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            let _ = write.write_all(b"354 go on\r\n").await;
            while let Ok(Some(data)) = lines.next_line().await {
                if data == "." {
                    break;
                }
                mail.data.push_str(&data);
                mail.data.push('\n');
            }
            if *refuse.lock().unwrap() {
                b"554 no thanks\r\n"
            } else {
                mails.lock().unwrap().push(std::mem::replace(
                    &mut mail,
                    Mail {
                        from: String::new(),
                        to: Vec::new(),
                        data: String::new(),
                    },
                ));
                b"250 queued\r\n"
            }
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A store with a purchasing outlet and supplier (the supplier has an
/// e-mail address) and one order whose creation notified the supplier.
async fn store_with_a_notification(dir: &std::path::Path) -> Arc<dyn Store> {
    let store = SqliteStore::open(dir).await.unwrap();
    for (id, settings) in [
        ("outlet-co", json!({"purchasing_limit": "10000.00"})),
        ("supplier-co", json!({"email": "orders@supplier.example"})),
    ] {
        store
            .create_organization(&Organization {
                id: id.into(),
                name: id.into(),
                settings: settings.as_object().cloned().unwrap(),
                created_at: t0(),
            })
            .await
            .unwrap();
    }
    store
        .create_user(&User {
            id: "buyer".into(),
            name: "Bo Buyer".into(),
            organization: "outlet-co".into(),
            roles: vec!["buyer".into()],
            email: None,
            created_at: t0(),
            organization_name: String::new(),
        })
        .await
        .unwrap();
    let wf = catalog::built_in("purchasing").unwrap().unwrap();
    let parties = [("outlet", "outlet-co"), ("supplier", "supplier-co")]
        .iter()
        .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
        .collect();
    let blank = Order::blank("o-1", "purchasing", parties);
    let mut settings = orderflow_core::model::PartySettings::new();
    settings.insert(
        "outlet".into(),
        json!({"purchasing_limit": "10000.00"})
            .as_object()
            .cloned()
            .unwrap(),
    );
    let inputs = json!({"lines": [{"product": "Flour", "quantity": 2, "unit_price": "3.50"}]});
    let change = engine::decide(
        &wf,
        &blank,
        &settings,
        &Actor::user("buyer", "outlet-co", &["buyer"]),
        "create",
        &inputs,
        t0(),
    )
    .unwrap();
    let commit = commit_of(&wf, &blank, None, &change);
    assert!(
        !commit.outbox.is_empty(),
        "creating a pending order tells the supplier"
    );
    store.commit(commit).await.unwrap();
    Arc::new(store)
}

#[tokio::test]
async fn a_notification_reaches_the_party_over_smtp_once() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    let store = store_with_a_notification(dir.path()).await;
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &sink.url(),
        "orderflow@lab.example",
        "http://of.example",
    )
    .unwrap();

    let round = deliverer.round(t0()).await.unwrap();
    assert_eq!(
        round,
        Round {
            delivered: 1,
            failed: 0
        }
    );
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["orders@supplier.example"]);
    assert!(mails[0].from.contains("orderflow@lab.example"));
    assert!(
        mails[0].data.contains("Subject: Order o-1"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0].data.contains("http://of.example/orders/o-1"),
        "{}",
        mails[0].data
    );

    let later = deliverer.round(t0() + Duration::hours(1)).await.unwrap();
    assert_eq!(
        later,
        Round::default(),
        "a delivered message is never sent again"
    );
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn a_refused_delivery_stays_and_is_retried_after_its_backoff() {
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start().await;
    *sink.refuse.lock().unwrap() = true;
    let store = store_with_a_notification(dir.path()).await;
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &sink.url(),
        "orderflow@lab.example",
        "http://of.example",
    )
    .unwrap();

    assert_eq!(
        deliverer.round(t0()).await.unwrap(),
        Round {
            delivered: 0,
            failed: 1
        }
    );
    assert_eq!(
        deliverer.round(t0() + Duration::seconds(30)).await.unwrap(),
        Round::default(),
        "not before its retry time"
    );

    *sink.refuse.lock().unwrap() = false;
    let round = deliverer.round(t0() + Duration::minutes(3)).await.unwrap();
    assert_eq!(
        round,
        Round {
            delivered: 1,
            failed: 0
        }
    );
    assert_eq!(sink.mails().len(), 1);
}

#[tokio::test]
async fn an_unreachable_server_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_with_a_notification(dir.path()).await;
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &format!("smtp://127.0.0.1:{closed}"),
        "of@lab.example",
        "http://x",
    )
    .unwrap();
    assert_eq!(
        deliverer.round(t0()).await.unwrap(),
        Round {
            delivered: 0,
            failed: 1
        }
    );

    let sink = Sink::start().await;
    let deliverer = Deliverer::new(
        Arc::clone(&store),
        &sink.url(),
        "of@lab.example",
        "http://x",
    )
    .unwrap();
    assert_eq!(
        deliverer.round(t0() + Duration::hours(1)).await.unwrap(),
        Round {
            delivered: 1,
            failed: 0
        }
    );
}
