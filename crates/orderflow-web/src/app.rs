//! The application functions the pages call (`orderflow-app`, the same
//! layer under the JSON API). Every rule lives behind them — visibility,
//! permissions, inputs, versions —: a page only renders what they answer
//! and sends what the user typed.

use std::future::Future;

use orderflow_api::{
    ChildView, FieldProblem, HistoryEntryView, ListQuery, OrderCounts, OrderList, OrderView,
    PageQuery, Problem,
};
use orderflow_app::{Act, AnswerBody, AppError, Body, UserCaller};
use orderflow_core::engine::Memo;
use orderflow_core::model::PartySettings;
use serde_json::Value;

use crate::Web;

/// A refusal or failure of the application, as a problem.
pub type Refused = Box<Problem>;

fn problem(e: AppError) -> Refused {
    Box::new(e.into_problem())
}

/// The order as `caller` sees it, with the settings of its parties (a
/// date input's bounds are read in their time zones).
pub async fn order(
    web: &Web,
    caller: &UserCaller,
    id: &str,
) -> Result<(OrderView, PartySettings), Refused> {
    let v = web.app.load_visible(caller, id).await.map_err(problem)?;
    let settings = web.app.party_settings(&v.order).await.map_err(problem)?;
    let view = web
        .app
        .view_for(
            &v.wf,
            &v.order,
            &settings,
            &caller.actor(),
            &mut Memo::default(),
        )
        .map_err(problem)?;
    Ok((view, settings))
}

/// The whole history, oldest first.
pub async fn history(
    web: &Web,
    caller: &UserCaller,
    id: &str,
) -> Result<Vec<HistoryEntryView>, Refused> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = web
            .app
            .history(
                caller,
                id,
                &PageQuery {
                    after,
                    ..PageQuery::default()
                },
            )
            .await
            .map_err(problem)?;
        out.extend(page.items);
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok(out),
        }
    }
}

pub async fn list(web: &Web, caller: &UserCaller, query: &ListQuery) -> Result<OrderList, Refused> {
    web.app.list_orders(caller, query).await.map_err(problem)
}

pub async fn counts(
    web: &Web,
    caller: &UserCaller,
    query: &ListQuery,
) -> Result<OrderCounts, Refused> {
    web.app.count_orders(caller, query).await.map_err(problem)
}

/// The first `limit` children of `kind`, oldest first.
pub async fn children(
    web: &Web,
    caller: &UserCaller,
    id: &str,
    kind: &str,
    limit: u32,
) -> Result<Vec<ChildView>, Refused> {
    web.app
        .list_children(
            caller,
            id,
            &PageQuery {
                kind: Some(kind.to_owned()),
                limit: Some(limit),
                ..PageQuery::default()
            },
        )
        .await
        .map(|list| list.items)
        .map_err(problem)
}

/// One child with the actions `caller` has on it.
pub async fn child(
    web: &Web,
    caller: &UserCaller,
    id: &str,
    child_id: &str,
) -> Result<ChildView, Refused> {
    web.app.child(caller, id, child_id).await.map_err(problem)
}

/// The shipping label (a PDF) of the shipped job `child_id` of order `id`.
pub async fn shipping_label(
    web: &Web,
    caller: &UserCaller,
    id: &str,
    child_id: &str,
) -> Result<Vec<u8>, Refused> {
    web.app
        .shipping_label(caller, id, child_id)
        .await
        .map_err(problem)
}

/// Takes `action` on order `id` (or on its child `child`) with `inputs`,
/// if the order is still at `version`.
pub async fn act(
    web: &Web,
    caller: &UserCaller,
    id: &str,
    child: Option<&str>,
    action: &str,
    inputs: Value,
    version: Option<u64>,
) -> Result<OrderView, Refused> {
    let answer = web
        .app
        .act(
            caller,
            Act {
                order: id,
                child,
                action,
                inputs: Body::Value(inputs),
                if_match: version,
                idempotency: None,
            },
        )
        .await
        .map_err(problem)?;
    view(answer.body)
}

/// Creates an order from `{"workflow", "parties", "inputs"}`.
pub async fn create(web: &Web, caller: &UserCaller, request: Value) -> Result<OrderView, Refused> {
    let answer = web
        .app
        .create_order(caller, Body::Value(request), None)
        .await
        .map_err(problem)?;
    view(answer.body)
}

fn view(body: AnswerBody) -> Result<OrderView, Refused> {
    body.into_view().map_err(problem)
}

/// Uploads the files chosen in a form (the files API's own checks: size,
/// media type from the content), names them in `inputs` by id under their
/// input, and runs `run` with those inputs. A file refused is a message on
/// its input, and `run` is not called. When the request is refused, the
/// files it uploaded are removed again: a refused form leaves nothing
/// behind. (Not after a failure of the server, which may have committed
/// the change that refers to them.)
pub async fn with_files<T, F, Fut>(
    web: &Web,
    caller: &UserCaller,
    files: &[crate::posted::Upload],
    mut inputs: Value,
    run: F,
) -> Result<T, Refused>
where
    F: FnOnce(Value) -> Fut,
    Fut: Future<Output = Result<T, Refused>>,
{
    let mut problems = Vec::new();
    let mut uploaded = Vec::new();
    for f in files {
        let file = match web
            .app
            .upload_file(caller, Some(&f.file_name), &f.media_type, &f.bytes)
            .await
        {
            Ok(file) => file,
            Err(e) => {
                problems.push(FieldProblem {
                    field: f.field.clone(),
                    message: format!("{}: {}", f.file_name, e.detail()),
                });
                continue;
            }
        };
        uploaded.push(file.id.clone());
        match slot(&mut inputs, &f.field) {
            Some(Value::Array(ids)) => ids.push(Value::String(file.id)),
            Some(empty @ Value::Null) => *empty = Value::Array(vec![Value::String(file.id)]),
            _ => problems.push(FieldProblem {
                field: f.field.clone(),
                message: format!("{}: fill in the rest of this row too", f.file_name),
            }),
        }
    }
    let outcome = if problems.is_empty() {
        run(inputs).await
    } else {
        let mut p = Problem::new(422, "invalid_input", "Invalid input", "a file was refused");
        p.fields = Some(problems);
        Err(Box::new(p))
    };
    if let Err(p) = &outcome
        && p.status < 500
        && !uploaded.is_empty()
        && let Err(e) = web.app.discard_uploads(caller, &uploaded).await
    {
        tracing::warn!(error = %e.detail(), "removing the files of a refused form");
    }
    outcome
}

/// The value at a form name's path (`images`, `items.0.design`) in the
/// inputs, made where its record exists; `None` when the record does not
/// (a list row left empty but for its file).
fn slot<'a>(inputs: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut at = inputs;
    for part in path.split('.') {
        at = match at {
            Value::Object(map) => map.entry(part.to_owned()).or_insert(Value::Null),
            Value::Array(items) => items.get_mut(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn files_go_where_their_input_is() {
        let mut inputs = json!({"items": [{"sku": "T1"}], "note": "x"});
        assert!(super::slot(&mut inputs, "items.0.design").is_some());
        assert!(super::slot(&mut inputs, "items.1.design").is_none());
        assert!(super::slot(&mut inputs, "images").is_some());
        assert_eq!(
            inputs,
            json!({"items": [{"sku": "T1", "design": null}], "note": "x", "images": null})
        );
    }
}
