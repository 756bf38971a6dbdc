//! Files (images, invoices, evidence): uploaded once, referred to by their
//! metadata in action inputs, served only to the uploader's organisation
//! or to users who see an order that refers to them.

use orderflow_api::FileView;
use orderflow_core::definition::{Field, FieldKind};
use orderflow_store::{StoreError, StoredFile};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::App;
use crate::auth::UserCaller;
use crate::error::AppError;

/// The media types accepted, each with the magic bytes that prove it.
pub const MEDIA_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
];

/// The media type `bytes` really are, from their first bytes.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// A media type without its parameters, lower case (`image/jpg` is
/// `image/jpeg`).
pub fn essence(content_type: &str) -> String {
    let e = content_type.split(';').next().unwrap_or("").trim();
    let e = e.to_ascii_lowercase();
    if e == "image/jpg" {
        "image/jpeg".to_owned()
    } else {
        e
    }
}

/// A file's name as given, without path separators or control characters.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// Whether `value` holds the string `id` anywhere (a file's metadata in an
/// input or record).
fn refers_to(value: &Value, id: &str) -> bool {
    match value {
        Value::String(s) => s == id,
        Value::Array(items) => items.iter().any(|v| refers_to(v, id)),
        Value::Object(map) => map.values().any(|v| refers_to(v, id)),
        _ => false,
    }
}

/// The error for a file over `limit` bytes.
pub fn too_large(limit: usize) -> AppError {
    AppError::new(
        "payload_too_large",
        format!("a file is at most {limit} bytes"),
    )
}

impl App {
    /// Removes files this caller uploaded for a form whose action was then
    /// refused: nothing can refer to them yet (their ids were never shown),
    /// and a refused request should leave nothing behind. A file of
    /// someone else's, or gone already, is left alone.
    pub async fn discard_uploads(
        &self,
        caller: &UserCaller,
        ids: &[String],
    ) -> Result<(), AppError> {
        for id in ids {
            match self.store.delete_file(id, &caller.0.id).await {
                Ok(()) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Stores a file for the caller's organisation. `media_type` (the
    /// declared one) must be accepted and match the content's magic bytes.
    pub async fn upload_file(
        &self,
        caller: &UserCaller,
        name: Option<&str>,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<FileView, AppError> {
        let limit = self.limits.file_bytes_max;
        if bytes.len() > limit {
            return Err(too_large(limit));
        }
        let media_type = essence(media_type);
        if !MEDIA_TYPES.contains(&media_type.as_str()) {
            return Err(AppError::new(
                "unsupported_media_type",
                format!("accepted media types: {}", MEDIA_TYPES.join(", ")),
            ));
        }
        match sniff(bytes) {
            Some(real) if real == media_type => {}
            _ => {
                return Err(AppError::new(
                    "unsupported_media_type",
                    format!("the content is not {media_type}"),
                ));
            }
        }
        let file = StoredFile {
            id: uuid::Uuid::now_v7().to_string(),
            organization: caller.organization().to_owned(),
            uploaded_by: caller.0.id.clone(),
            name: name.map(clean_name).unwrap_or_else(|| "file".to_owned()),
            media_type,
            size: bytes.len() as u64,
            sha256: Sha256::digest(bytes).into(),
            created_at: self.now(),
        };
        self.store.put_file(&file, bytes).await?;
        Ok(FileView {
            id: file.id,
            name: file.name,
            media_type: file.media_type,
            size: file.size,
        })
    }

    /// A file and its bytes, for its uploader's organisation or through
    /// `order`, an order the caller sees that refers to it; `not_found`
    /// otherwise.
    pub async fn download_file(
        &self,
        caller: &UserCaller,
        id: &str,
        order: Option<&str>,
    ) -> Result<(StoredFile, Vec<u8>), AppError> {
        let not_found = || AppError::not_found("file");
        let (file, bytes) = self.store.file(id).await?.ok_or_else(not_found)?;
        let allowed = if file.organization == caller.organization() {
            true
        } else if let Some(order_id) = order {
            match self.load_visible(caller, order_id).await {
                Ok(v) => {
                    refers_to(&Value::Object(v.order.data.clone()), &file.id)
                        || v.order
                            .children
                            .iter()
                            .any(|c| refers_to(&Value::Object(c.data.clone()), &file.id))
                }
                Err(_) => false,
            }
        } else {
            false
        };
        if allowed {
            Ok((file, bytes))
        } else {
            Err(not_found())
        }
    }

    /// File inputs name uploaded files (by id, or by their metadata), at
    /// the top level or in the records of a list input (an item's design):
    /// each must exist and have been uploaded by the caller's organisation,
    /// and the stored metadata (with the media type checked from the content
    /// at upload) replaces what the client sent, so a client cannot claim a
    /// PDF is an image. An image's `width` and `height` in pixels are read
    /// from its own header here, so the artwork checks judge the file, not
    /// the client's word.
    pub(crate) async fn resolve_files(
        &self,
        caller: &UserCaller,
        fields: &[Field],
        inputs: &mut Value,
    ) -> Result<(), AppError> {
        let mut slots = Vec::new();
        file_slots(fields, inputs, "", &mut slots);
        for (path, item) in slots {
            let id = match item {
                Value::String(id) => id.clone(),
                Value::Object(m) => match m.get("id") {
                    Some(Value::String(id)) => id.clone(),
                    _ => return Err(AppError::invalid(&path, "a file needs its id")),
                },
                _ => return Err(AppError::invalid(&path, "a file id or its metadata")),
            };
            let unknown = || AppError::invalid(&path, format!("no uploaded file {id:?}"));
            if id.len() > 100 {
                return Err(unknown());
            }
            let (file, bytes) = self.store.file(&id).await?.ok_or_else(unknown)?;
            if file.organization != caller.organization() {
                return Err(unknown());
            }
            let mut meta = serde_json::json!({
                "id": file.id,
                "name": file.name,
                "media_type": file.media_type,
                "size": file.size,
            });
            if let Some((width, height)) = pixel_size(&file.media_type, &bytes) {
                meta["width"] = width.into();
                meta["height"] = height.into();
            }
            *item = meta;
        }
        Ok(())
    }
}

/// Every file named in `inputs` by a `files` field of `fields`, with its
/// path, lists' records included.
fn file_slots<'a>(
    fields: &[Field],
    inputs: &'a mut Value,
    prefix: &str,
    out: &mut Vec<(String, &'a mut Value)>,
) {
    let Value::Object(map) = inputs else {
        return;
    };
    for (key, value) in map.iter_mut() {
        let Some(field) = fields.iter().find(|f| f.id == *key) else {
            continue;
        };
        let Value::Array(entries) = value else {
            continue;
        };
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match &field.kind {
            FieldKind::Files { .. } => out.extend(
                entries
                    .iter_mut()
                    .enumerate()
                    .map(|(i, item)| (format!("{path}.{i}"), item)),
            ),
            FieldKind::List { fields, .. } => {
                for (i, record) in entries.iter_mut().enumerate() {
                    file_slots(fields, record, &format!("{path}.{i}"), out);
                }
            }
            _ => {}
        }
    }
}

/// The width and height in pixels of a PNG, JPEG, GIF or WebP image, from
/// its header; `None` for other files or an unreadable header.
pub fn pixel_size(media_type: &str, bytes: &[u8]) -> Option<(u64, u64)> {
    if !media_type.starts_with("image/") {
        return None;
    }
    let size = imagesize::blob_size(bytes).ok()?;
    Some((
        u64::try_from(size.width).ok()?,
        u64::try_from(size.height).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_knows_the_accepted_types() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"GIF89a..."), Some("image/gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff(b"<html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn names_lose_paths_and_controls() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\\b\nc.png"), "bc.png");
        assert_eq!(clean_name(""), "file");
    }

    #[test]
    fn references_are_found_deep() {
        let v = serde_json::json!({"images": [{"id": "f1", "name": "x.png"}]});
        assert!(refers_to(&v, "f1"));
        assert!(!refers_to(&v, "f2"));
    }
}
