//! A posted form as name/value pairs, in the order sent (list rows keep
//! theirs). A body that is not a form reads as no fields at all, so it
//! meets the CSRF check (403 page) rather than a plain-text 415.

use axum::Form;
use axum::extract::{FromRequest, Request};

use crate::Web;

pub struct FormData(pub Vec<(String, String)>);

impl FromRequest<Web> for FormData {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, web: &Web) -> Result<Self, Self::Rejection> {
        Ok(FormData(
            Form::<Vec<(String, String)>>::from_request(req, web)
                .await
                .map(|Form(fields)| fields)
                .unwrap_or_default(),
        ))
    }
}
