//! `/account`: the signed-in user changes their own password (the
//! application checks the current one, throttles guesses and the new
//! one's length; its messages show beside the fields) and chooses the
//! kinds of e-mail they get (`/account/email`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use orderflow_api::EmailKind;

use crate::Web;
use crate::error::{PageError, html};
use crate::layout::Layout;
use crate::posted::FormData;
use crate::session::Session;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    user: String,
    email: String,
    current_error: Option<String>,
    new_error: Option<String>,
    message: Option<String>,
    done: bool,
    /// The kinds of e-mail the workflows send, each checked when the user
    /// gets it.
    kinds: Vec<EmailKind>,
    email_saved: bool,
}

async fn page_for(web: &Web, session: &Session) -> Result<AccountPage, PageError> {
    let preferences = web
        .app
        .email_preferences(&session.caller())
        .await
        .map_err(|e| PageError::from_problem(e.problem()))?;
    Ok(AccountPage {
        layout: Layout::signed_in("Your account", session),
        user: session.user.id.clone(),
        email: session.user.email.clone().unwrap_or_default(),
        current_error: None,
        new_error: None,
        message: None,
        done: false,
        kinds: preferences.kinds,
        email_saved: false,
    })
}

pub async fn page(State(web): State<Web>, session: Session) -> Result<Response, PageError> {
    Ok(html(&page_for(&web, &session).await?)?.into_response())
}

/// The form lists every kind with a `get` checkbox: the kinds left
/// unchecked are the ones the user opts out of.
pub async fn set_email(
    State(web): State<Web>,
    session: Session,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let wanted: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "get")
        .map(|(_, v)| v.as_str())
        .collect();
    let kinds = web
        .app
        .email_preferences(&session.caller())
        .await
        .map_err(|e| PageError::from_problem(e.problem()))?
        .kinds;
    let opted_out: Vec<String> = kinds
        .iter()
        .filter(|k| !wanted.contains(&k.id.as_str()))
        .map(|k| k.id.clone())
        .collect();
    web.app
        .set_email_opt_outs(&session.caller(), &opted_out)
        .await
        .map_err(|e| PageError::from_problem(e.problem()))?;
    let mut page = page_for(&web, &session).await?;
    page.email_saved = true;
    Ok(html(&page)?.into_response())
}

pub async fn change_password(
    State(web): State<Web>,
    session: Session,
    FormData { fields, .. }: FormData,
) -> Result<Response, PageError> {
    session.check_csrf(&web, &fields)?;
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let mut page = page_for(&web, &session).await?;
    let changed = web
        .app
        .change_password(
            &session.caller(),
            get("current_password"),
            get("new_password"),
        )
        .await;
    match changed {
        Ok(()) => {
            page.done = true;
            Ok(html(&page)?.into_response())
        }
        Err(e) if matches!(e.status(), 422 | 429) => {
            let beside = |field: &str| {
                e.fields()
                    .iter()
                    .find(|f| f.field == field)
                    .map(|f| f.message.clone())
            };
            page.current_error = beside("current_password");
            page.new_error = beside("new_password");
            if page.current_error.is_none() && page.new_error.is_none() {
                page.message = Some(e.detail().to_owned());
            }
            let status =
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            Ok((status, html(&page)?).into_response())
        }
        Err(e) => Err(PageError::from_problem(e.problem())),
    }
}
