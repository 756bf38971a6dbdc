//! A posted form as name/value pairs, in the order sent (list rows keep
//! theirs), and its files when it was sent as `multipart/form-data`. A
//! body that is not a form reads as no fields at all, so it meets the CSRF
//! check (a 403 page) rather than a plain-text 415.

use axum::Form;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use crate::Web;

/// A file chosen in a file input.
pub struct Upload {
    /// The input's name.
    pub field: String,
    pub file_name: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Default)]
pub struct FormData {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl FromRequest<Web> for FormData {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, web: &Web) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("multipart/form-data"));
        if !multipart {
            let fields = Form::<Vec<(String, String)>>::from_request(req, web)
                .await
                .map(|Form(fields)| fields)
                .unwrap_or_default();
            return Ok(FormData {
                fields,
                files: Vec::new(),
            });
        }
        let mut out = FormData::default();
        let Ok(mut parts) = Multipart::from_request(req, web).await else {
            return Ok(out);
        };
        while let Ok(Some(part)) = parts.next_field().await {
            let field = part.name().unwrap_or("").to_owned();
            match part.file_name().map(str::to_owned) {
                Some(file_name) => {
                    let media_type = part.content_type().unwrap_or("").to_owned();
                    let Ok(bytes) = part.bytes().await else {
                        return Ok(FormData::default());
                    };
                    // An input left empty sends a part without a file.
                    if !file_name.is_empty() || !bytes.is_empty() {
                        out.files.push(Upload {
                            field,
                            file_name,
                            media_type,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
                None => {
                    let Ok(text) = part.text().await else {
                        return Ok(FormData::default());
                    };
                    out.fields.push((field, text));
                }
            }
        }
        Ok(out)
    }
}
