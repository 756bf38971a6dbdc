//! Authentication over HTTP: `Authorization: Bearer <token>`, handed to the
//! application layer ([`App::authenticate`](orderflow_app::App::authenticate)).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use orderflow_app::{Caller, UserCaller};

use crate::AppState;
use crate::problem::ApiError;

/// The token of an `Authorization` header value: `Bearer <token>` (the
/// scheme in any case), nothing else.
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

pub async fn authenticate(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
        orderflow_app::AppError::unauthorized("send Authorization: Bearer <token>")
    })?;
    let token = header.to_str().ok().and_then(bearer).ok_or_else(|| {
        orderflow_app::AppError::unauthorized("the Authorization header is not Bearer <token>")
    })?;
    Ok(state.authenticate(token).await?)
}

/// Whoever sent the request: the administrator or a user.
pub struct Auth(pub Caller);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(Auth)
    }
}

/// A request from a user (not the administrator).
pub struct AuthUser(pub UserCaller);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(AuthUser(authenticate(parts, state).await?.into_user()?))
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
}
