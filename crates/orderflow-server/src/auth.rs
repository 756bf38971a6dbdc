//! Authentication: `Authorization: Bearer <token>` → the administrator, or
//! a user of an organisation. User tokens are 32 random bytes shown once;
//! only their SHA-256 is stored.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use orderflow_core::model::Actor;
use orderflow_store::User;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::problem::ApiError;

/// The prefix of every user token, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "of_";

/// Who sent the request.
#[derive(Debug, Clone)]
pub enum Caller {
    Admin,
    User(User),
}

/// A request from a user (not the administrator).
#[derive(Debug, Clone)]
pub struct UserCaller(pub User);

impl UserCaller {
    /// The user as the engine sees them.
    pub fn actor(&self) -> Actor {
        Actor::User {
            user: self.0.id.clone(),
            organization: self.0.organization.clone(),
            roles: self.0.roles.clone(),
        }
    }
    pub fn organization(&self) -> &str {
        &self.0.organization
    }
}

/// The token of an `Authorization` header value: `Bearer <token>` (the
/// scheme in any case), nothing else.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new secret: `of_` and 32 random bytes in hex.
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal("no randomness", e))?;
    let mut out = String::with_capacity(TOKEN_PREFIX.len() + 64);
    out.push_str(TOKEN_PREFIX);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    Ok(out)
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
    let token =
        header.to_str().ok().and_then(bearer).ok_or_else(|| {
            ApiError::unauthorized("the Authorization header is not Bearer <token>")
        })?;
    if let Some(admin) = &state.admin_token
        && constant_time_eq(admin.as_bytes(), token.as_bytes())
    {
        return Ok(Caller::Admin);
    }
    match state.store.user_by_token(&sha256(token)).await? {
        Some(user) => Ok(Caller::User(user)),
        None => Err(ApiError::unauthorized("unknown or revoked token")),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await
    }
}

impl FromRequestParts<AppState> for UserCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match authenticate(parts, state).await? {
            Caller::User(user) => Ok(UserCaller(user)),
            Caller::Admin => Err(ApiError::forbidden(
                "the administrator token manages organisations and users; orders need a user's token",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_takes_the_token_only() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("Bearer a b"), None);
        assert_eq!(bearer("abc"), None);
    }

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
