//! Signing in through the application layer on a real SQLite store, with
//! a clock the tests move: throttling per user and per address, session
//! lifetimes, sign-out, CSRF tokens; and the uploads of a signed-in user's
//! refused form, removed by that user only.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use orderflow_api::{CreateOrganization, CreateUser};
use orderflow_app::{App, AppError, Caller, Clock, Limits, built_in_workflows};
use orderflow_sqlite::SqliteStore;

/// A clock that moves only when told.
struct TestClock(Mutex<DateTime<Utc>>);

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

struct World {
    app: App,
    clock: Arc<TestClock>,
    _dir: tempfile::TempDir,
}

impl World {
    /// Users `ann` (ann@lab.example, password "ann's password"), `bob`
    /// ("bob's password") and `cy` (no password) of one organisation.
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let clock = Arc::new(TestClock(Mutex::new(
            DateTime::from_timestamp(1_772_442_000, 0).unwrap(),
        )));
        let app = App::new(
            store,
            built_in_workflows().unwrap(),
            None,
            clock.clone(),
            Limits::default(),
        );
        app.create_organization(
            &Caller::Admin,
            CreateOrganization {
                id: "lab".into(),
                name: "Lab".into(),
                settings: Default::default(),
            },
        )
        .await
        .unwrap();
        for (id, password) in [
            ("ann", Some("ann's password")),
            ("bob", Some("bob's password")),
            ("cy", None),
        ] {
            app.create_user(
                &Caller::Admin,
                CreateUser {
                    id: Some(id.into()),
                    name: id.into(),
                    organization: "lab".into(),
                    roles: Vec::new(),
                    email: Some(format!("{id}@lab.example")),
                    password: password.map(str::to_owned),
                },
            )
            .await
            .unwrap();
        }
        World {
            app,
            clock,
            _dir: dir,
        }
    }

    fn advance(&self, by: Duration) {
        *self.clock.0.lock().unwrap() += by;
    }

    async fn sign_in(&self, login: &str, password: &str, addr: &str) -> Result<String, AppError> {
        self.app
            .sign_in(login, password, addr)
            .await
            .map(|s| s.session_secret)
    }
}

fn code(r: &Result<String, AppError>) -> &str {
    r.as_ref().err().map_or("ok", AppError::code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_never_say_whether_the_user_exists() {
    let w = World::new().await;
    let wrong = w.sign_in("ann", "not ann's password", "a1").await;
    let nobody = w.sign_in("nobody", "not ann's password", "a2").await;
    let no_password = w.sign_in("cy", "anything at all", "a3").await;
    let by_unknown_email = w.sign_in("x@lab.example", "anything at all", "a4").await;
    for r in [&wrong, &nobody, &no_password, &by_unknown_email] {
        let e = r.as_ref().unwrap_err();
        assert_eq!((e.code(), e.status()), ("unauthorized", 401));
        assert_eq!(e.detail(), "user or password is wrong");
    }
    assert_eq!(code(&w.sign_in("ann", "ann's password", "a1").await), "ok");
    assert_eq!(
        code(&w.sign_in("ANN@LAB.EXAMPLE", "ann's password", "a1").await),
        "ok"
    );
    let empty = w.sign_in(" ", "ann's password", "a1").await.unwrap_err();
    assert_eq!(empty.fields()[0].field, "login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_per_user_then_a_growing_wait() {
    let w = World::new().await;
    // Five failures from five addresses: the user's count, not theirs.
    for i in 0..5 {
        let r = w.sign_in("ann", "guess", &format!("10.0.0.{i}")).await;
        assert_eq!(code(&r), "unauthorized", "failure {i}");
    }
    // Now even the right password waits, from anywhere, by id or e-mail.
    let locked = w.sign_in("ann", "ann's password", "10.0.0.9").await;
    let e = locked.unwrap_err();
    assert_eq!((e.code(), e.status()), ("too_many_attempts", 429));
    assert_eq!(e.detail(), "too many failed sign-ins: try again in 30 s");
    let by_email = w
        .sign_in("ann@lab.example", "ann's password", "10.0.0.9")
        .await;
    assert_eq!(code(&by_email), "too_many_attempts");
    // Other users are not slowed down.
    assert_eq!(
        code(&w.sign_in("bob", "bob's password", "10.0.0.9").await),
        "ok"
    );

    w.advance(Duration::seconds(29));
    let e = w
        .sign_in("ann", "ann's password", "10.0.0.9")
        .await
        .unwrap_err();
    assert_eq!(e.detail(), "too many failed sign-ins: try again in 1 s");
    w.advance(Duration::seconds(1));
    // One more failure: twice as long.
    assert_eq!(
        code(&w.sign_in("ann", "guess", "10.0.0.9").await),
        "unauthorized"
    );
    let e = w
        .sign_in("ann", "ann's password", "10.0.0.9")
        .await
        .unwrap_err();
    assert_eq!(e.detail(), "too many failed sign-ins: try again in 60 s");
    w.advance(Duration::seconds(60));
    assert_eq!(
        code(&w.sign_in("ann", "ann's password", "10.0.0.9").await),
        "ok"
    );
    // A success forgets the user's failures.
    assert_eq!(
        code(&w.sign_in("ann", "guess", "10.0.0.8").await),
        "unauthorized"
    );
    assert_eq!(
        code(&w.sign_in("ann", "ann's password", "10.0.0.8").await),
        "ok"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_per_address_lock_it_for_every_user() {
    let w = World::new().await;
    for user in ["ann", "bob", "cy", "nobody", "ann"] {
        let r = w.sign_in(user, "guess", "203.0.113.7").await;
        assert_eq!(code(&r), "unauthorized");
    }
    let r = w.sign_in("bob", "bob's password", "203.0.113.7").await;
    assert_eq!(code(&r), "too_many_attempts");
    assert_eq!(
        code(&w.sign_in("bob", "bob's password", "203.0.113.8").await),
        "ok"
    );
    // Forgotten 15 minutes after the last failure.
    w.advance(Duration::minutes(15));
    assert_eq!(
        code(&w.sign_in("bob", "bob's password", "203.0.113.7").await),
        "ok"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_when_idle_when_old_and_on_sign_out() {
    let w = World::new().await;
    let signed = w.app.sign_in("ann", "ann's password", "a").await.unwrap();
    assert!(signed.session_secret.starts_with("ofs_"));
    let (caller, csrf) = w.app.session(&signed.session_secret).await.unwrap();
    assert_eq!(
        (caller.0.id.as_str(), csrf.as_str()),
        ("ann", signed.csrf_token.as_str())
    );
    assert!(w.app.check_csrf(&csrf, &signed.csrf_token).is_ok());
    assert_eq!(w.app.check_csrf(&csrf, "").unwrap_err().code(), "forbidden");
    assert_eq!(
        w.app.check_csrf(&csrf, "forged").unwrap_err().code(),
        "forbidden"
    );
    assert_eq!(
        w.app.session("ofs_made_up").await.unwrap_err().code(),
        "unauthorized"
    );

    // Used every 11 hours it lives on, up to 7 days.
    for _ in 0..15 {
        w.advance(Duration::hours(11));
        assert!(w.app.session(&signed.session_secret).await.is_ok());
    }
    w.advance(Duration::hours(3));
    assert_eq!(
        w.app
            .session(&signed.session_secret)
            .await
            .unwrap_err()
            .code(),
        "unauthorized",
        "7 days after it began"
    );

    // Unused for 12 hours, it ends.
    let idle = w.app.sign_in("ann", "ann's password", "a").await.unwrap();
    w.advance(Duration::hours(12));
    assert!(w.app.session(&idle.session_secret).await.is_err());

    // Signing out ends it on the server; a second sign-out is harmless.
    let s = w.app.sign_in("ann", "ann's password", "a").await.unwrap();
    let other = w.app.sign_in("ann", "ann's password", "b").await.unwrap();
    w.app.sign_out(&s.session_secret).await.unwrap();
    assert!(w.app.session(&s.session_secret).await.is_err());
    w.app.sign_out(&s.session_secret).await.unwrap();
    assert!(
        w.app.session(&other.session_secret).await.is_ok(),
        "only that one"
    );
    assert_ne!(s.csrf_token, other.csrf_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_forms_uploads_are_discarded_by_their_uploader_only() {
    let w = World::new().await;
    let mut callers = Vec::new();
    for (user, password) in [("ann", "ann's password"), ("bob", "bob's password")] {
        let signed = w.app.sign_in(user, password, "a").await.unwrap();
        callers.push(w.app.session(&signed.session_secret).await.unwrap().0);
    }
    let (ann, bob) = (&callers[0], &callers[1]);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let file = w
        .app
        .upload_file(ann, Some("scan.png"), "image/png", &png)
        .await
        .unwrap();
    let ids = vec![file.id.clone(), "no-such-file".to_owned()];
    // A colleague cannot remove it, and an unknown id is no error.
    w.app.discard_uploads(bob, &ids).await.unwrap();
    assert!(w.app.download_file(ann, &file.id, None).await.is_ok());
    // Its uploader can.
    w.app.discard_uploads(ann, &ids).await.unwrap();
    assert_eq!(
        w.app
            .download_file(ann, &file.id, None)
            .await
            .unwrap_err()
            .code(),
        "not_found"
    );
}
