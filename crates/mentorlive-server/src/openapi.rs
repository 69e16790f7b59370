//! The OpenAPI document, generated from the handlers' annotations.

use crate::routes::{analytics, auth, sessions, updates};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "mentorlive sessions API", description = "The platform's live-session contract (REST part)."),
    paths(
        auth::register, auth::login, auth::me, auth::logout,
        sessions::list, sessions::get, sessions::create,
        sessions::generate_live_code, sessions::validate_live_code,
        updates::check, updates::file, updates::downloads,
        analytics::post_call_report, analytics::me, analytics::session,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
