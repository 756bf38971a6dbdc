//! The OpenAPI document, generated from the handlers and wire types, and
//! Swagger UI served from vendored files (no network).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::{admin, events, files, ops, orders, traceability};

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
        orders::list_children,
        orders::get_child,
        orders::act_on_child,
        orders::bulk_action,
        admin::create_organization,
        admin::get_organization,
        admin::update_organization,
        admin::create_user,
        admin::create_token,
        files::upload,
        files::download,
        events::stream,
        ops::healthz,
        ops::metrics,
    ),
    modifiers(&Security),
    tags(
        (name = "orders"), (name = "children"), (name = "administration"),
        (name = "files"), (name = "events"), (name = "operations"),
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
