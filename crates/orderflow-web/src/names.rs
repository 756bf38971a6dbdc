//! Organisation names for the ids orders carry, read once per page.

use std::collections::BTreeMap;

use crate::Web;

/// Names by organisation id; an id without an organisation reads as itself.
#[derive(Default)]
pub struct Names(BTreeMap<String, String>);

impl Names {
    /// Organisations' names.
    pub async fn of(web: &Web, ids: Vec<String>) -> Self {
        let mut out = BTreeMap::new();
        for id in ids {
            if out.contains_key(&id) {
                continue;
            }
            let name = match web.app.store.organization(&id).await {
                Ok(found) => found.map(|o| o.name),
                Err(e) => {
                    tracing::warn!(error = %e, "reading an organisation's name");
                    None
                }
            };
            out.insert(id.clone(), name.unwrap_or(id));
        }
        Names(out)
    }

    /// Users' names.
    pub async fn users(web: &Web, ids: Vec<String>) -> Self {
        let mut out = BTreeMap::new();
        for id in ids {
            if out.contains_key(&id) {
                continue;
            }
            let name = match web.app.store.user(&id).await {
                Ok(found) => found.map(|u| u.name),
                Err(e) => {
                    tracing::warn!(error = %e, "reading a user's name");
                    None
                }
            };
            out.insert(id.clone(), name.unwrap_or(id));
        }
        Names(out)
    }

    pub fn get(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// The last 8 characters of an order id: the random part of a UUIDv7,
/// enough to tell orders apart on a page.
pub fn short_id(id: &str) -> &str {
    let start = id.char_indices().rev().nth(7).map(|(i, _)| i).unwrap_or(0);
    &id[start..]
}

/// What people call an order: its number (`DL-1042`), or the tail of its
/// id for an order stored before numbers existed.
pub fn order_name<'a>(id: &'a str, number: Option<&'a str>) -> &'a str {
    number.unwrap_or_else(|| short_id(id))
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_ids_are_the_tail() {
        assert_eq!(super::short_id("0192aa-bb-7c1d2e3f4a5b"), "2e3f4a5b");
        assert_eq!(super::short_id("abc"), "abc");
    }
}
