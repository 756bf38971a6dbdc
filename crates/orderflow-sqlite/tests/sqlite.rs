//! What only the SQLite backend promises: group commit of concurrent
//! writers, one winner among racing commits on one order, and durability
//! across a restart (with `synchronous = FULL`, the default).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;

use orderflow_core::catalog;
use orderflow_core::engine::{self, Workflow};
use orderflow_core::model::{Actor, Order, PartySettings};
use orderflow_sqlite::{SqliteConfig, SqliteStore};
use orderflow_store::contract::at;
use orderflow_store::{Commit, MAX_LIMIT, Store, StoreError, commit_of};
use serde_json::json;

/// Runs `statements` on the closed store's file, as an older orderflow
/// would have left it, for an upgrade test to open.
async fn as_an_older_orderflow_left_it(path: &std::path::Path, statements: &[&'static str]) {
    use sqlx::Connection;
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    for statement in statements {
        sqlx::query(*statement).execute(&mut raw).await.unwrap();
    }
    raw.close().await.unwrap();
}

fn dental() -> Workflow {
    catalog::built_in("dental-lab").unwrap().unwrap()
}

fn clinic() -> Actor {
    Actor::user("clinic-user", "clinic", &[])
}

fn parties() -> BTreeMap<String, String> {
    [("customer", "clinic"), ("lab", "lab-co")]
        .iter()
        .map(|(s, o)| ((*s).to_owned(), (*o).to_owned()))
        .collect()
}

fn create(wf: &Workflow, id: &str, minute: i64) -> Commit {
    let blank = Order::blank(id, "dental-lab", parties());
    let inputs = json!({
        "lines": [{"product": "crown", "quantity": 1, "unit_price": "150.00"}],
        "due_date": "2026-03-20",
    });
    let change = engine::decide(
        wf,
        &blank,
        &PartySettings::new(),
        &clinic(),
        "create",
        &inputs,
        at(minute),
    )
    .unwrap();
    commit_of(wf, &blank, None, &change)
}

fn act(wf: &Workflow, order: &Order, action: &str, minute: i64) -> Commit {
    let change = engine::decide(
        wf,
        order,
        &PartySettings::new(),
        &clinic(),
        action,
        &json!({}),
        at(minute),
    )
    .unwrap();
    commit_of(wf, order, None, &change)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commits_share_transactions_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let wf = Arc::new(dental());
    let mut tasks = Vec::new();
    for n in 0..200 {
        let store = Arc::clone(&store);
        let wf = Arc::clone(&wf);
        tasks.push(tokio::spawn(async move {
            let id = format!("d{n:03}");
            let c = create(&wf, &id, n);
            let order = c.order.clone();
            store.commit(c).await.unwrap();
            store
                .commit(act(&wf, &order, "publish", n + 1))
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for n in 0..200 {
        let order = store.order(&format!("d{n:03}")).await.unwrap().unwrap();
        assert_eq!((order.version, order.status.as_str()), (2, "published"));
    }
    let stats = store.writer_stats();
    assert_eq!(stats.writes, 400);
    assert!(
        stats.transactions < stats.writes,
        "concurrent commits share transactions: {stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_commits_on_one_order_have_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let wf = Arc::new(dental());
    let first = create(&wf, "d1", 0);
    let v1 = first.order.clone();
    store.commit(first).await.unwrap();
    store.commit(act(&wf, &v1, "publish", 1)).await.unwrap();

    let lab = Actor::user("lab-user", "lab-co", &[]);
    for round in 0..4i64 {
        let current = store.order("d1").await.unwrap().unwrap();
        // Every racer decided on the same version; only one may write.
        let mut racers = Vec::new();
        for n in 0..32i64 {
            let store = Arc::clone(&store);
            let change = engine::decide(
                &wf,
                &current,
                &PartySettings::new(),
                &lab,
                "add_task",
                &json!({"name": format!("task {round}/{n}")}),
                at(10 + round),
            )
            .unwrap();
            let c = commit_of(&wf, &current, None, &change);
            racers.push(tokio::spawn(async move { store.commit(c).await }));
        }
        let mut wins = 0;
        for r in racers {
            match r.await.unwrap() {
                Ok(()) => wins += 1,
                Err(StoreError::VersionConflict {
                    expected,
                    current: now,
                    ..
                }) => {
                    assert_eq!((expected, now), (current.version, current.version + 1));
                }
                Err(e) => panic!("a racer failed otherwise: {e}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one racer wins");
    }
    let order = store.order("d1").await.unwrap().unwrap();
    assert_eq!(order.version, 6);
    let history = store.history("d1", 0, MAX_LIMIT).await.unwrap();
    let seqs: Vec<u64> = history.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, (1..=history.len() as u64).collect::<Vec<_>>());
    let versions: Vec<u64> = history.iter().map(|h| h.version).collect();
    assert_eq!(
        versions,
        vec![1, 2, 3, 4, 5, 6],
        "one entry per winning change"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_the_file_finds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dental();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let mut orders = Vec::new();
    for n in 0..20 {
        let c = create(&wf, &format!("d{n:02}"), n);
        orders.push(c.order.clone());
        store.commit(c).await.unwrap();
    }
    let published = act(&wf, &orders[0], "publish", 30);
    orders[0] = published.order.clone();
    store.commit(published).await.unwrap();
    let history: Vec<_> = store.history("d00", 0, MAX_LIMIT).await.unwrap();
    assert_eq!(history.len(), 2);
    let path = store.path().to_owned();
    store.close().await.unwrap();
    assert!(path.exists());

    let store = SqliteStore::open(dir.path()).await.unwrap();
    for order in &orders {
        assert_eq!(store.order(&order.id).await.unwrap().as_ref(), Some(order));
    }
    assert_eq!(store.history("d00", 0, MAX_LIMIT).await.unwrap(), history);
    // It goes on where it stopped.
    store
        .commit(act(&wf, &orders[1], "publish", 40))
        .await
        .unwrap();
    assert_eq!(store.history("d01", 0, MAX_LIMIT).await.unwrap().len(), 2);
    store.close().await.unwrap();

    // Even without a clean close, an acknowledged commit is in the file.
    let store = SqliteStore::open_with(SqliteConfig::new(dir.path()))
        .await
        .unwrap();
    store.commit(create(&wf, "late", 50)).await.unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert!(store.order("late").await.unwrap().is_some());
}

/// A small filesystem of its own, mounted for one test (needs root, as CI
/// and the development machines run), unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root");
        Self { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Writes a filler file until the disk refuses more.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_is_an_outage_and_passes() {
    let disk = SmallDisk::mount(64);
    let wf = dental();
    let store = SqliteStore::open(disk.path()).await.unwrap();
    store.commit(create(&wf, "before", 1)).await.unwrap();

    store.probe(at(2)).await.unwrap();
    let filler = disk.fill();
    assert!(
        matches!(store.probe(at(2)).await, Err(StoreError::Unavailable(_))),
        "the health check's write fails on a full disk"
    );
    let refused = store.commit(create(&wf, "while-full", 2)).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "a full disk is unavailable, not a bug: {refused:?}"
    );
    assert!(
        store.order("while-full").await.unwrap().is_none(),
        "nothing half-written"
    );

    std::fs::remove_file(filler).unwrap();
    store.probe(at(3)).await.unwrap();
    store.commit(create(&wf, "after", 3)).await.unwrap();
    assert!(store.order("before").await.unwrap().is_some());
    assert!(store.order("after").await.unwrap().is_some());
    store.close().await.unwrap();
}

/// A database written before orders were counted per status gets its
/// counts when it is upgraded: the migration counts the orders it finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_database_counts_the_orders_it_had() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dental();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    for n in 0..12 {
        let c = create(&wf, &format!("d{n:02}"), n);
        let order = c.order.clone();
        store.commit(c).await.unwrap();
        if n % 3 == 0 {
            store
                .commit(act(&wf, &order, "publish", 20 + n))
                .await
                .unwrap();
        }
    }
    let path = store.path().to_owned();
    store.close().await.unwrap();

    // The schema before counts.
    as_an_older_orderflow_left_it(
        &path,
        &[
            "DROP TABLE status_counts",
            "DELETE FROM _sqlx_migrations WHERE version = 11",
        ],
    )
    .await;

    let store = SqliteStore::open(dir.path()).await.unwrap();
    let counts = |org: &str| {
        let filter = orderflow_store::OrderFilter {
            organization: org.into(),
            visible_statuses: orderflow_store::visibility([&wf]),
            ..Default::default()
        };
        let store = &store;
        async move { store.count_by_status(&filter).await.unwrap() }
    };
    let row = |status: &str, n: u64| ("dental-lab".to_owned(), status.to_owned(), n);
    assert_eq!(
        counts("clinic").await,
        vec![row("draft", 8), row("published", 4)]
    );
    assert_eq!(counts("lab-co").await, vec![row("published", 4)]);
    // And it goes on counting from there.
    let d01 = store.order("d01").await.unwrap().unwrap();
    store.commit(act(&wf, &d01, "publish", 40)).await.unwrap();
    assert_eq!(
        counts("clinic").await,
        vec![row("draft", 7), row("published", 5)]
    );
}

/// Orders stored before slots kept what they had seen have every party row
/// marked seen, whatever their snapshot says. A commit moves the counts
/// from the snapshot it was decided on, so the upgrade brings those rows in
/// line with it: after the order's next change, the kept counts are still
/// what a scan finds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgraded_database_counts_what_snapshots_say_was_seen() {
    let dir = tempfile::tempdir().unwrap();
    let wf = dental();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    let c = create(&wf, "d1", 0);
    let draft = c.order.clone();
    store.commit(c).await.unwrap();
    let path = store.path().to_owned();
    store.close().await.unwrap();

    // The lab's row seen, and counted so.
    as_an_older_orderflow_left_it(
        &path,
        &[
            "UPDATE order_parties SET seen = 1",
            "DELETE FROM status_counts",
            "INSERT INTO status_counts (organization, workflow, status, slots, shard, n) \
         SELECT p.organization, o.workflow, o.status, p.slot || '=' || p.seen, 0, 1 \
         FROM orders o JOIN order_parties p ON p.order_id = o.id",
            "DELETE FROM _sqlx_migrations WHERE version = 12",
        ],
    )
    .await;

    let store = SqliteStore::open(dir.path()).await.unwrap();
    store.commit(act(&wf, &draft, "publish", 1)).await.unwrap();
    // The lab counts a draft only once it has seen the order.
    let filter = orderflow_store::OrderFilter {
        organization: "lab-co".into(),
        seen_statuses: [(
            "dental-lab".to_owned(),
            [(
                "lab".to_owned(),
                vec!["draft".to_owned(), "published".to_owned()],
            )]
            .into(),
        )]
        .into(),
        ..Default::default()
    };
    let kept = store.count_by_status(&filter).await.unwrap();
    let scanned = store
        .count_by_status(&orderflow_store::OrderFilter {
            text: Some(String::new()),
            ..filter
        })
        .await
        .unwrap();
    assert_eq!(kept, scanned);
    assert_eq!(
        kept,
        vec![("dental-lab".to_owned(), "published".to_owned(), 1)]
    );
}

/// A data directory is one server's: a second store on it is refused while
/// the first is open (its cache of tokens and organisations is exact only
/// if it makes every write), and opens once the first is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_is_one_stores_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open(dir.path()).await.unwrap();
    match SqliteStore::open(dir.path()).await {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("in use"), "{why}"),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a second store opened the same directory"),
    }
    first.close().await.unwrap();
    SqliteStore::open(dir.path()).await.unwrap();
}

/// Reads racing commits never see an order go back a version, also while
/// more orders pass through than the store keeps in memory, and every order
/// reads at its last commit afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_racing_commits_never_go_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let wf = Arc::new(dental());
    let ids: Vec<String> = (0..1_200).map(|n| format!("d{n:04}")).collect();
    let writer = {
        let (store, wf, ids) = (Arc::clone(&store), Arc::clone(&wf), ids.clone());
        tokio::spawn(async move {
            for (n, id) in ids.iter().enumerate() {
                let c = create(&wf, id, 0);
                let order = c.order.clone();
                store.commit(c).await.unwrap();
                if n % 2 == 0 {
                    store.commit(act(&wf, &order, "publish", 1)).await.unwrap();
                }
            }
        })
    };
    let mut seen = vec![0u64; ids.len()];
    while !writer.is_finished() {
        for (n, id) in ids.iter().enumerate().step_by(7) {
            if let Some(order) = store.order(id).await.unwrap() {
                assert!(order.version >= seen[n], "{id} went back a version");
                seen[n] = order.version;
            }
        }
    }
    writer.await.unwrap();
    for (n, id) in ids.iter().enumerate() {
        let order = store.order(id).await.unwrap().unwrap();
        let expected = if n % 2 == 0 { 2 } else { 1 };
        assert_eq!(order.version, expected, "{id}");
    }
}
