//! `/account`: the signed-in user changes their own password (the
//! application checks the current one, throttles guesses and the new
//! one's length); its messages show beside the fields.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

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
}

fn page_for(session: &Session) -> AccountPage {
    AccountPage {
        layout: Layout::signed_in("Your account", session),
        user: session.user.id.clone(),
        email: session.user.email.clone().unwrap_or_default(),
        current_error: None,
        new_error: None,
        message: None,
        done: false,
    }
}

pub async fn page(session: Session) -> Result<Response, PageError> {
    Ok(html(&page_for(&session))?.into_response())
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
    let mut page = page_for(&session);
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
