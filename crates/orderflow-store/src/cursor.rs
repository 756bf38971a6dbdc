//! The opaque cursor of order lists: the sort key (a time, in
//! microseconds) and id of the last order of a page, hex-encoded.

use crate::{Result, StoreError};

/// Where a page of orders ended: lists continue after `(key, id)` in the
/// list's order ([`OrderSort`](crate::OrderSort)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key_micros: i64,
    pub id: String,
}

/// Ids longer than this make no valid cursor (bounds decoding).
const MAX_ID: usize = 1024;

impl Cursor {
    pub fn encode(&self) -> String {
        let plain = format!("{}:{}", self.key_micros, self.id);
        plain.bytes().map(|b| format!("{b:02x}")).collect()
    }

    /// `Invalid` for anything `encode` did not make.
    pub fn decode(text: &str) -> Result<Self> {
        let bad = || StoreError::Invalid(format!("cursor {text:?} is not one this server gave"));
        if !text.len().is_multiple_of(2) || text.len() > 2 * (MAX_ID + 24) {
            return Err(bad());
        }
        let bytes = (0..text.len())
            .step_by(2)
            .map(|i| {
                text.get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(bad)?;
        let plain = String::from_utf8(bytes).map_err(|_| bad())?;
        let (micros, id) = plain.split_once(':').ok_or_else(bad)?;
        let key_micros = micros.parse().map_err(|_| bad())?;
        Ok(Self {
            key_micros,
            id: id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip() {
        let c = Cursor {
            key_micros: -5,
            id: "order:1/é".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("zz").is_err());
        assert!(Cursor::decode("abc").is_err());
        assert!(Cursor::decode("").is_err());
    }
}
