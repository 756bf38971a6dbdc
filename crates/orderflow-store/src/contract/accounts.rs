//! The contract of passwords, e-mail look-ups and browser sessions.

use anyhow::ensure;

use super::{Outcome, at, is_duplicate, is_not_found, org, user};
use crate::{Session, Store};

/// A session of `user` with hash `[n; 32]`, started at minute `start`,
/// ending a week later.
fn session(n: u8, user: &str, start: i64) -> Session {
    Session {
        sha256: [n; 32],
        user: user.into(),
        csrf_token: format!("csrf-{n}"),
        created_at: at(start),
        last_seen_at: at(start),
        expires_at: at(start + 7 * 24 * 60),
    }
}

/// Passwords are set, replaced and cleared per user; e-mails find their
/// user whatever the case, the first by id when shared.
pub async fn passwords_and_emails(store: &dyn Store) -> Outcome {
    store.create_organization(&org("org-a", "Acme")).await?;
    let mut u2 = user("u2", "org-a");
    u2.email = Some("Shared@Example.com".into());
    let mut u1 = user("u1", "org-a");
    u1.email = Some("shared@example.COM".into());
    let u3 = user("u3", "org-a");
    for u in [&u2, &u1, &u3] {
        store.create_user(u).await?;
    }
    assert_eq!(store.password("u1").await?, None);
    store.set_password("u1", Some("$argon2id$v=19$one")).await?;
    assert_eq!(
        store.password("u1").await?.as_deref(),
        Some("$argon2id$v=19$one")
    );
    assert_eq!(store.password("u2").await?, None, "only u1's changed");
    store.set_password("u1", Some("$argon2id$v=19$two")).await?;
    assert_eq!(
        store.password("u1").await?.as_deref(),
        Some("$argon2id$v=19$two")
    );
    store.set_password("u1", None).await?;
    assert_eq!(store.password("u1").await?, None);
    ensure!(
        is_not_found(&store.set_password("nobody", Some("x")).await),
        "a password for a missing user is NotFound"
    );
    assert_eq!(store.password("nobody").await?, None);
    // The user record itself never carries the hash.
    assert_eq!(store.user("u1").await?, Some(u1.clone()));

    assert_eq!(
        store.user_by_email("U3@EXAMPLE.com").await?,
        Some(u3.clone())
    );
    assert_eq!(store.user_by_email("SHARED@example.com").await?, Some(u1));
    assert_eq!(store.user_by_email("nobody@example.com").await?, None);
    assert_eq!(store.user_by_email("").await?, None);
    Ok(())
}

/// Sessions are found by their hash only, with their user; they are
/// touched, ended one by one, per user, and when past their times.
pub async fn sessions_round_trip(store: &dyn Store) -> Outcome {
    store.create_organization(&org("org-a", "Acme")).await?;
    let u1 = user("u1", "org-a");
    let u2 = user("u2", "org-a");
    store.create_user(&u1).await?;
    store.create_user(&u2).await?;

    let s1 = session(1, "u1", 0);
    store.create_session(&s1).await?;
    assert_eq!(
        store.session(&[1; 32]).await?,
        Some((s1.clone(), u1.clone()))
    );
    assert_eq!(store.session(&[9; 32]).await?, None);
    ensure!(
        is_duplicate(&store.create_session(&session(1, "u2", 5)).await),
        "a second session with the same hash is refused"
    );
    ensure!(
        is_not_found(&store.create_session(&session(3, "nobody", 0)).await),
        "a session of a missing user is refused"
    );
    assert_eq!(store.session(&[3; 32]).await?, None);

    store.touch_session(&[1; 32], at(30)).await?;
    let touched = store.session(&[1; 32]).await?.map(|(s, _)| s);
    assert_eq!(
        touched,
        Some(Session {
            last_seen_at: at(30),
            ..s1.clone()
        })
    );
    ensure!(
        is_not_found(&store.touch_session(&[9; 32], at(30)).await),
        "touching a missing session is NotFound"
    );

    store.delete_session(&[1; 32]).await?;
    assert_eq!(store.session(&[1; 32]).await?, None);
    store.delete_session(&[1; 32]).await?;

    for s in [
        session(4, "u1", 0),
        session(5, "u1", 0),
        session(6, "u2", 0),
    ] {
        store.create_session(&s).await?;
    }
    store.delete_sessions("u1").await?;
    assert_eq!(store.session(&[4; 32]).await?, None);
    assert_eq!(store.session(&[5; 32]).await?, None);
    ensure!(
        store.session(&[6; 32]).await?.is_some(),
        "another user's session stays"
    );

    // At minute 1,000: one session past its end, one idle since minute 0,
    // one in use.
    let mut ended = session(7, "u2", 0);
    ended.last_seen_at = at(990);
    ended.expires_at = at(900);
    let idle = session(8, "u2", 0);
    let mut live = session(9, "u2", 0);
    live.last_seen_at = at(995);
    for s in [&ended, &idle, &live] {
        store.create_session(s).await?;
    }
    store.delete_ended_sessions(at(1000), at(500)).await?;
    assert_eq!(store.session(&[7; 32]).await?, None);
    assert_eq!(store.session(&[8; 32]).await?, None);
    assert_eq!(store.session(&[6; 32]).await?, None, "idle since minute 0");
    assert_eq!(store.session(&[9; 32]).await?, Some((live, u2)));
    Ok(())
}
