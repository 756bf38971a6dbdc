//! Passwords: argon2id hashes as PHC strings (the crate's defaults, OWASP's
//! recommended parameters), hashed and checked off the async threads; set
//! by the administrator (which ends the user's sessions) or changed by the
//! user.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::App;
use crate::admin::admin_only;
use crate::auth::{Caller, UserCaller};
use crate::error::AppError;

/// The shortest password accepted.
pub const PASSWORD_CHARS_MIN: usize = 8;
/// The longest: hashing is costly, and nobody types more.
pub const PASSWORD_CHARS_MAX: usize = 1024;

/// Refuses a password too short or too long, naming `field`.
pub fn check_password(field: &str, password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < PASSWORD_CHARS_MIN {
        return Err(AppError::invalid(
            field,
            format!("at least {PASSWORD_CHARS_MIN} characters"),
        ));
    }
    if n > PASSWORD_CHARS_MAX {
        return Err(AppError::invalid(
            field,
            format!("at most {PASSWORD_CHARS_MAX} characters"),
        ));
    }
    Ok(())
}

/// The PHC string of `password` with a fresh random salt.
pub async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = salt()?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::internal("hashing a password", e))
    })
    .await
    .map_err(|e| AppError::internal("hashing a password", e))?
}

/// Whether `password` matches `phc`. Without a hash (no such user, or a
/// user without a password) a stand-in is checked, so the time taken does
/// not tell whether the user exists; the answer is then `false`.
pub async fn verify(password: &str, phc: Option<String>) -> bool {
    let password = password.to_owned();
    let known = phc.is_some();
    let checked = tokio::task::spawn_blocking(move || {
        let phc = match phc {
            Some(phc) => phc,
            None => stand_in().to_owned(),
        };
        PasswordHash::new(&phc).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await;
    known && checked.unwrap_or(false)
}

impl App {
    /// Sets user `user`'s password (administrator) and ends their
    /// sessions.
    pub async fn set_password(
        &self,
        caller: &Caller,
        user: &str,
        password: &str,
    ) -> Result<(), AppError> {
        admin_only(caller)?;
        check_password("password", password)?;
        if self.store.user(user).await?.is_none() {
            return Err(AppError::not_found("user"));
        }
        let phc = hash(password).await?;
        self.store.set_password(user, Some(&phc)).await?;
        self.store.delete_sessions(user).await?;
        Ok(())
    }

    /// The calling user changes their own password, proving the current
    /// one (any, when they have none yet). A wrong current password counts
    /// as a failed sign-in.
    pub async fn change_password(
        &self,
        caller: &UserCaller,
        current_password: &str,
        new_password: &str,
    ) -> Result<(), AppError> {
        let user = &caller.0.id;
        let keys = [format!("user:{user}")];
        let now = self.now();
        self.throttle.check(&keys, now)?;
        if let Some(phc) = self.store.password(user).await?
            && !verify(current_password, Some(phc)).await
        {
            self.throttle.fail(&keys, now);
            return Err(AppError::invalid("current_password", "is wrong"));
        }
        check_password("new_password", new_password)?;
        let phc = hash(new_password).await?;
        self.store.set_password(user, Some(&phc)).await?;
        Ok(())
    }
}

/// 16 random bytes.
fn salt() -> Result<SaltString, AppError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal("no randomness", e))?;
    SaltString::encode_b64(&bytes).map_err(|e| AppError::internal("encoding a salt", e))
}

/// A hash of a password nobody knows, made once.
fn stand_in() -> &'static str {
    static STAND_IN: OnceLock<String> = OnceLock::new();
    STAND_IN.get_or_init(|| {
        salt()
            .ok()
            .and_then(|salt| {
                Argon2::default()
                    .hash_password(b"no user has this password", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse").await.unwrap_or_default();
        let b = hash("correct horse").await.unwrap_or_default();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse", Some(a.clone())).await);
        assert!(!verify("correct horsE", Some(a)).await);
        assert!(!verify("anything", None).await);
        assert!(!verify("anything", Some("not a phc string".into())).await);
    }

    #[test]
    fn lengths_are_bounded() {
        assert_eq!(
            check_password("password", "short")
                .err()
                .map(|e| e.fields()[0].field.clone()),
            Some("password".to_owned())
        );
        assert!(check_password("password", "12345678").is_ok());
        assert!(check_password("password", &"x".repeat(1025)).is_err());
    }
}
