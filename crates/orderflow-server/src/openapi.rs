//! The OpenAPI document, generated from the handlers and wire types, and
//! Swagger UI served from vendored files (no network).

use axum::Json;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Schema, Type,
};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    admin, events, files, inventory, notifications, ops, orders, timers, traceability, webhooks,
    workflows,
};

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a user's API token, or the administrator token"))
                    .build(),
            ),
        );
    }
}

/// The answers every route can give, added where a handler's annotation
/// does not list them, so the document says what the server does: 400 for
/// a malformed path, query or header; 401 without a valid token on routes
/// that need one; 403 where an action is refused to the caller; 412 where
/// `If-Match` is read; 413 and 415 where a body is read; 503 when the
/// store does not answer. Header formats are stated once here too.
struct CommonAnswers;

impl CommonAnswers {
    fn problem(description: &str) -> RefOr<Response> {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(RefOr::<Schema>::Ref(Ref::from_schema_name("Problem"))))
                        .build(),
                )
                .build(),
        )
    }

    fn add(op: &mut Operation, status: &str, description: &str) {
        if !op.responses.responses.contains_key(status) {
            op.responses
                .responses
                .insert(status.to_owned(), Self::problem(description));
        }
    }

    fn operation(path: &str, op: &mut Operation) {
        let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
        let reads_body = op.request_body.is_some();
        let mut reads_if_match = false;
        for param in op.parameters.iter_mut().flatten() {
            if param.parameter_in != ParameterIn::Header {
                continue;
            }
            let schema = match param.name.as_str() {
                "If-Match" => {
                    reads_if_match = true;
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(r#"^(\*|(W/)?"?[0-9]{1,19}"?)$"#))
                        .description(Some("the order's version, like \"3\""))
                        .build()
                }
                "Idempotency-Key" => ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(255))
                    .pattern(Some("^[\\x21-\\x7e]+$"))
                    .build(),
                _ => continue,
            };
            param.schema = Some(RefOr::T(Schema::Object(schema)));
        }
        Self::add(op, "400", "a malformed path, query, header or body");
        if secured {
            Self::add(op, "401", "no token, or an unknown or revoked one");
        }
        if path.contains("/actions/") {
            Self::add(
                op,
                "403",
                "the caller's party or role may not take this action",
            );
        }
        if reads_if_match {
            Self::add(op, "412", "If-Match names a stale version");
        }
        if reads_body {
            Self::add(op, "413", "the body is over the limit");
            Self::add(op, "415", "the body is not of the accepted media type");
        }
        if path != "/metrics" {
            Self::add(op, "503", "the store does not answer; nothing was changed");
        }
    }
}

impl Modify for CommonAnswers {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                Self::operation(path, op);
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "orderflow", description = "Order lifecycles: workflows, actions, history. Errors are RFC 9457 problem JSON with a stable `code` (see docs/api.md)."),
    paths(
        orders::create_order,
        orders::list_orders,
        orders::count_orders,
        orders::get_order,
        orders::act,
        traceability::record_event,
        orders::history,
        timers::list,
        timers::cancel,
        timers::reschedule,
        timers::schedules,
        orders::list_children,
        orders::get_child,
        orders::shipping_label,
        orders::act_on_child,
        orders::bulk_action,
        inventory::list_locations,
        inventory::create_location,
        inventory::list_bins,
        inventory::create_bin,
        inventory::adjust_bin,
        inventory::list_purchases,
        inventory::create_purchase,
        inventory::receive,
        inventory::run_intake,
        admin::create_organization,
        admin::get_organization,
        admin::update_organization,
        admin::create_user,
        admin::set_password,
        admin::change_password,
        admin::update_user,
        admin::create_token,
        notifications::list,
        notifications::mark_read,
        notifications::mark_all_read,
        notifications::email_preferences,
        notifications::set_email_preferences,
        notifications::dead_letters,
        webhooks::create,
        webhooks::list,
        webhooks::get_one,
        webhooks::remove,
        webhooks::deliveries,
        webhooks::redeliver,
        files::upload,
        files::download,
        events::stream,
        ops::healthz,
        ops::metrics,
        workflows::list,
        workflows::get_one,
        workflows::deploy,
        workflows::delete,
        workflows::version,
        workflows::retire,
        workflows::unretire,
        workflows::migrate,
    ),
    modifiers(&Security, &CommonAnswers),
    tags(
        (name = "orders"), (name = "children"), (name = "administration"),
        (name = "webhooks"), (name = "files"), (name = "events"), (name = "notifications"),
        (name = "operations"), (name = "workflows"), (name = "timers"), (name = "inventory"),
    )
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Swagger UI at `/api/docs`, reading `/api/v1/openapi.json`.
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/api/docs").config(utoipa_swagger_ui::Config::from("/api/v1/openapi.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_document() {
        let doc = ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| e.to_string());
        insta::assert_snapshot!(doc);
    }
}
