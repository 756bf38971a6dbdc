//! Signing in to the web UI: a user id or e-mail and a password → a
//! session, stored in the order store (only the SHA-256 of its secret).
//! A session ends [`SESSION_IDLE`] after its last use, [`SESSION_LIFETIME`]
//! after it began however busy, or when its user signs out. Each session
//! has its own CSRF token, which every form post must carry.
//!
//! A failed sign-in never says whether the user exists: an unknown user, a
//! user without a password and a wrong password get the same answer after
//! the same work. Failures are throttled ([`crate::throttle`]).

use chrono::{DateTime, Duration, Utc};
use orderflow_store::Session;

use crate::App;
use crate::auth::{UserCaller, constant_time_eq, new_secret, sha256};
use crate::error::AppError;
use crate::passwords;

/// A session ends this long after its last use.
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// A session ends this long after it began, however busy.
pub const SESSION_LIFETIME: Duration = Duration::days(7);
/// A use is recorded when the last one is older than this (not on every
/// request: that would be a write per page).
const TOUCH_AFTER: Duration = Duration::minutes(1);
/// The prefix of a session secret, so a leaked one is recognisable.
pub const SESSION_PREFIX: &str = "ofs_";

/// A new session: its secret (the cookie's value, shown only now), its
/// CSRF token and who signed in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_secret: String,
    pub csrf_token: String,
    pub caller: UserCaller,
    pub expires_at: DateTime<Utc>,
}

fn wrong() -> AppError {
    AppError::unauthorized("user or password is wrong")
}

fn ended() -> AppError {
    AppError::unauthorized("not signed in, or the session ended: sign in again")
}

impl App {
    /// Signs in with a user id or e-mail (`login`) and a password, from
    /// `client_addr` (the throttle's second key).
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        client_addr: &str,
    ) -> Result<SignedIn, AppError> {
        let login = login.trim();
        if login.is_empty() {
            return Err(AppError::invalid("login", "your user id or e-mail"));
        }
        if password.is_empty() {
            return Err(AppError::invalid("password", "your password"));
        }
        let user = match self.store.user(login).await? {
            Some(u) => Some(u),
            None if login.contains('@') => self.store.user_by_email(login).await?,
            None => None,
        };
        let user_key = format!(
            "user:{}",
            user.as_ref()
                .map_or_else(|| login.to_lowercase(), |u| u.id.clone())
        );
        let keys = [user_key, format!("address:{client_addr}")];
        let now = self.now();
        self.throttle.check(&keys, now)?;
        let phc = match &user {
            Some(u) => self.store.password(&u.id).await?,
            None => None,
        };
        // Long passwords are refused after the same work as wrong ones.
        let fits = password.chars().count() <= passwords::PASSWORD_CHARS_MAX;
        let ok = passwords::verify(if fits { password } else { "" }, phc).await && fits;
        let Some(user) = user.filter(|_| ok) else {
            self.throttle.fail(&keys, now);
            return Err(wrong());
        };
        self.throttle.forget(&keys[0]);
        self.store
            .delete_ended_sessions(now, now - SESSION_IDLE)
            .await?;
        let secret = new_secret(SESSION_PREFIX)?;
        let session = Session {
            sha256: sha256(&secret),
            user: user.id.clone(),
            csrf_token: new_secret("")?,
            created_at: now,
            last_seen_at: now,
            expires_at: now + SESSION_LIFETIME,
        };
        self.store.create_session(&session).await?;
        Ok(SignedIn {
            session_secret: secret,
            csrf_token: session.csrf_token,
            caller: UserCaller(user),
            expires_at: session.expires_at,
        })
    }

    /// Who holds the session `secret`, and its CSRF token; `unauthorized`
    /// when there is no such session or it ended.
    pub async fn session(&self, secret: &str) -> Result<(UserCaller, String), AppError> {
        let hash = sha256(secret);
        let (session, user) = self.store.session(&hash).await?.ok_or_else(ended)?;
        let now = self.now();
        if now >= session.expires_at || now - session.last_seen_at >= SESSION_IDLE {
            self.store.delete_session(&hash).await?;
            return Err(ended());
        }
        if now - session.last_seen_at >= TOUCH_AFTER {
            self.store.touch_session(&hash, now).await?;
        }
        Ok((UserCaller(user), session.csrf_token))
    }

    /// Ends the session `secret` (an unknown one is fine: it is ended).
    pub async fn sign_out(&self, secret: &str) -> Result<(), AppError> {
        self.store.delete_session(&sha256(secret)).await?;
        Ok(())
    }

    /// Refuses a form post whose CSRF token is not the session's.
    pub fn check_csrf(&self, session_token: &str, sent: &str) -> Result<(), AppError> {
        if !sent.is_empty() && constant_time_eq(session_token.as_bytes(), sent.as_bytes()) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "the form is stale or not from this site: reload the page and try again",
            ))
        }
    }
}
