//! Authentication: a bearer token → the administrator, or a user of an
//! organisation. User tokens are 32 random bytes shown once; only their
//! SHA-256 is stored.

use orderflow_core::model::Actor;
use orderflow_store::User;
use sha2::{Digest, Sha256};

use crate::App;
use crate::error::AppError;

/// The prefix of every user token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "of_";

/// Who is asking.
#[derive(Debug, Clone)]
pub enum Caller {
    Admin,
    User(User),
}

/// A user (not the administrator): their organisation and roles.
#[derive(Debug, Clone)]
pub struct UserCaller(pub User);

impl UserCaller {
    /// The user as the engine sees them.
    pub fn actor(&self) -> Actor {
        Actor::User {
            user: self.0.id.clone(),
            organization: self.0.organization.clone(),
            roles: self.0.roles.clone(),
            name: self.0.name.clone(),
            organization_name: self.0.organization_name.clone(),
        }
    }
    pub fn organization(&self) -> &str {
        &self.0.organization
    }
    pub fn user(&self) -> &User {
        &self.0
    }
}

impl Caller {
    /// The user, or `forbidden` for the administrator (orders need a user).
    pub fn into_user(self) -> Result<UserCaller, AppError> {
        match self {
            Caller::User(user) => Ok(UserCaller(user)),
            Caller::Admin => Err(AppError::forbidden(
                "the administrator token manages organisations and users; orders need a user's token",
            )),
        }
    }
}

pub fn sha256(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A new secret: `prefix` and 32 random bytes in hex.
pub fn new_secret(prefix: &str) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::internal("no randomness", e))?;
    let mut out = String::with_capacity(prefix.len() + 64);
    out.push_str(prefix);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    Ok(out)
}

/// A new API token: `of_` and 32 random bytes in hex.
pub fn new_token() -> Result<String, AppError> {
    new_secret(TOKEN_PREFIX)
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl App {
    /// Who holds `token`: the administrator token, or a user's API token.
    pub async fn authenticate(&self, token: &str) -> Result<Caller, AppError> {
        if let Some(admin) = &self.admin_token
            && constant_time_eq(admin.as_bytes(), token.as_bytes())
        {
            return Ok(Caller::Admin);
        }
        match self.store.user_by_token(&sha256(token)).await? {
            Some(user) => Ok(Caller::User(user)),
            None => Err(AppError::unauthorized("unknown or revoked token")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = new_token().unwrap_or_default();
        let b = new_token().unwrap_or_default();
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(a, b);
        assert_ne!(sha256(&a), sha256(&b));
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secrets"));
    }
}
