//! What every page's frame shows: its title and who is signed in.

use crate::session::Session;

/// The signed-in user as the header shows them.
#[derive(Debug, Clone)]
pub struct Who {
    pub name: String,
    pub organization: String,
    /// The shop-floor station is theirs (`Session::floor`).
    pub floor: bool,
    /// Their unread notifications (the bell).
    pub unread: u64,
    /// They manage the organisation's webhooks (its `admin` role).
    pub admin: bool,
    /// The inventory is theirs to manage (`Session::stock`).
    pub stock: bool,
}

/// The frame of a page (`templates/base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub who: Option<Who>,
    /// The session's CSRF token, for the sign-out form.
    pub csrf: String,
}

impl Layout {
    /// A page for nobody in particular (sign-in, errors).
    pub fn public(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            who: None,
            csrf: String::new(),
        }
    }

    /// A page for the user of `session`.
    pub fn signed_in(title: impl Into<String>, session: &Session) -> Self {
        Self {
            title: title.into(),
            who: Some(Who {
                name: session.user.name.clone(),
                organization: session.organization_name.clone(),
                floor: session.floor,
                unread: session.unread,
                admin: session.user.roles.iter().any(|r| r == "admin"),
                stock: session.stock,
            }),
            csrf: session.csrf.clone(),
        }
    }
}
