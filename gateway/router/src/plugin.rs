//! The `ecosteward_contract` router plugin: the router's own refusals in our error contract
//! (`contract.rs`), in process, so a request that succeeds pays only a path check and a header sum.
//!
//! Hooks:
//! - `on_http_request`: unknown paths are NOT_FOUND (404) instead of the landing page; a header block
//!   over our limit is HEADERS_TOO_LARGE (431) with a JSON body, on every path; a 401 gets
//!   `WWW-Authenticate: Bearer` on the way out.
//! - `on_graphql_validation`: remembers the parsed document (an `Arc`, no copy) and the
//!   `Authorization` header for this request, which the error hook cannot see; applies the depth
//!   limit to root `__type` introspection (GRAPHQL_VALIDATION_FAILED, 400).
//! - `on_graphql_error`: every error the router produces itself passes here (pipeline refusals and
//!   execution errors): router codes become ours, messages bilingual, request errors HTTP 400,
//!   JWT errors UNAUTHENTICATED + reason with 401, bad values BAD_USER_INPUT naming the argument.
//!   Errors that came from a subgraph (`extensions.service` set) are never touched.

use std::sync::Arc;

use hive_router::{
    async_trait,
    graphql_tools::static_graphql::query::Document,
    http::StatusCode,
    ntex::http::header::{self, HeaderValue},
    plugins::{
        hooks::{
            on_graphql_error::{OnGraphQLErrorHookPayload, OnGraphQLErrorHookResult},
            on_graphql_validation::{
                OnGraphQLValidationStartHookPayload, OnGraphQLValidationStartHookResult,
            },
            on_http_request::{OnHttpRequestHookFuture, OnHttpRequestHookPayload},
            on_plugin_init::{OnPluginInitPayload, OnPluginInitResult},
        },
        plugin_trait::{EndHookPayload, RouterPlugin, StartHookPayload},
    },
    sonic_rs::Value,
    tracing::info,
    GraphQLError,
};
use serde::Deserialize;

use crate::contract::{
    self, argument_of_literal, argument_of_variable, auth_message, auth_reason, bad_input_message,
    bilingual, classify, coercion_variable, header_block_size, introspection_type_depth,
    is_served_path, renamed_status, Refusal,
};

/// `plugins.ecosteward_contract.config` in gateway/router.config.yaml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractConfig {
    /// Header blocks larger than this are HEADERS_TOO_LARGE (431). `limits.max_request_header_size`
    /// must be larger (it sizes the HTTP parser's buffer, which answers a bare 431 beyond it).
    #[serde(default = "default_max_request_header_bytes")]
    pub max_request_header_bytes: usize,
    /// Paths served besides the GraphQL endpoint (and its sub-paths), /health and /readiness.
    #[serde(default)]
    pub extra_paths: Vec<String>,
}

fn default_max_request_header_bytes() -> usize {
    16 * 1024
}

pub struct EcoStewardContract {
    graphql_path: String,
    served: Vec<String>,
    max_request_header_bytes: usize,
    /// `limits.max_depth.n`, applied to root `__type` introspection (see `introspection_type_depth`)
    max_depth: Option<usize>,
}

/// What the error hook needs to know about the request (one context entry per GraphQL request).
struct RequestFacts {
    document: Arc<Document>,
    authorization: Option<HeaderValue>,
}

fn refusal(message: &str, code: &str) -> GraphQLError {
    GraphQLError::from_message_and_code(message, code)
}

fn set(error: &mut GraphQLError, key: &str, value: &str) {
    error.extensions.set(key.to_string(), Value::from(value));
}

#[async_trait]
impl RouterPlugin for EcoStewardContract {
    type Config = ContractConfig;

    fn plugin_name() -> &'static str {
        "ecosteward_contract"
    }

    fn on_plugin_init(payload: OnPluginInitPayload<Self>) -> OnPluginInitResult<Self> {
        let config = payload.config()?;
        let router = payload.router_config();
        let graphql_path = router.graphql_path().to_string();
        let mut served = vec![
            graphql_path.clone(),
            "/health".to_string(),
            "/readiness".to_string(),
        ];
        if let Some(websocket) = router.websocket_path() {
            served.push(websocket.to_string());
        }
        served.extend(config.extra_paths);
        info!(
            served = ?served,
            max_request_header_bytes = config.max_request_header_bytes,
            "ecosteward_contract: router refusals use EcoSteward's error contract"
        );
        payload.initialize_plugin(Self {
            graphql_path,
            served,
            max_request_header_bytes: config.max_request_header_bytes,
            max_depth: router.limits.max_depth.as_ref().map(|depth| depth.n),
        })
    }

    fn on_http_request<'req>(
        &'req self,
        payload: OnHttpRequestHookPayload<'req>,
    ) -> OnHttpRequestHookFuture<'req> {
        Box::pin(async move {
            let request = &payload.router_http_request;
            let served = is_served_path(request.path(), &self.served, &self.graphql_path);
            let header_bytes = header_block_size(
                request
                    .headers()
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.len())),
            );
            // the head first, like an HTTP parser would (the path does not matter then)
            if header_bytes > self.max_request_header_bytes {
                return payload.end_with_graphql_error(
                    refusal(contract::HEADERS_TOO_LARGE_MESSAGE, "HEADERS_TOO_LARGE"),
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                );
            }
            if !served {
                return payload.end_with_graphql_error(
                    refusal(contract::NOT_FOUND_MESSAGE, "NOT_FOUND"),
                    StatusCode::NOT_FOUND,
                );
            }
            // captures nothing, so boxing it allocates nothing
            payload.on_end(|end| {
                end.map_response(|mut response| {
                    if response.status() == StatusCode::UNAUTHORIZED {
                        response
                            .response_mut()
                            .headers_mut()
                            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                    }
                    response
                })
                .proceed()
            })
        })
    }

    async fn on_graphql_validation<'exec>(
        &'exec self,
        payload: OnGraphQLValidationStartHookPayload<'exec>,
    ) -> OnGraphQLValidationStartHookResult<'exec> {
        let authorization = payload
            .router_http_request
            .headers
            .get(header::AUTHORIZATION)
            .cloned();
        payload.context.insert(RequestFacts {
            document: payload.document.clone(),
            authorization,
        });
        if let Some(limit) = self.max_depth {
            if introspection_type_depth(&payload.document) > limit {
                let mut error = refusal(contract::DEPTH_LIMIT_MESSAGE, "GRAPHQL_VALIDATION_FAILED");
                set(&mut error, "rule", "MAX_DEPTH_EXCEEDED");
                return payload.end_with_graphql_error(error, StatusCode::BAD_REQUEST);
            }
        }
        payload.proceed()
    }

    fn on_graphql_error<'req>(
        &'req self,
        mut payload: OnGraphQLErrorHookPayload<'req>,
    ) -> OnGraphQLErrorHookResult<'req> {
        let error = &mut payload.error;
        // a subgraph's error (already coded and bilingual): passed through untouched
        if error.extensions.service_name.is_some() {
            return payload;
        }
        let Some(code) = error.extensions.code.clone() else {
            return payload;
        };
        let facts = payload.context.get_ref::<RequestFacts>();
        match classify(&code, &error.message) {
            Refusal::Untouched => {}
            Refusal::Unauthenticated => {
                let authorization = facts
                    .as_ref()
                    .and_then(|facts| facts.authorization.as_ref())
                    .and_then(|value| value.to_str().ok());
                let reason = auth_reason(&error.message, authorization, contract::unix_now());
                error.message = if error.message.contains("prefix does not match") {
                    contract::BAD_AUTH_HEADER.to_string()
                } else {
                    auth_message(reason).to_string()
                };
                error.extensions.code = Some("UNAUTHENTICATED".to_string());
                set(error, "reason", reason);
                payload.status_code = StatusCode::UNAUTHORIZED;
            }
            Refusal::Validation => {
                error.message = bilingual(&error.message, "GRAPHQL_VALIDATION_FAILED");
                error.extensions.code = Some("GRAPHQL_VALIDATION_FAILED".to_string());
                set(error, "rule", &code);
                payload.status_code = StatusCode::BAD_REQUEST;
            }
            Refusal::BadLiteral | Refusal::BadVariable => {
                let document = facts.as_ref().map(|facts| facts.document.as_ref());
                let literal = code == "ValuesOfCorrectType";
                let argument = match document {
                    Some(document) if literal => argument_of_literal(document, &error.message),
                    Some(document) => {
                        coercion_variable(&error.message).and_then(|(variable, path)| {
                            argument_of_variable(document, variable)
                                .map(|argument| format!("{argument}{path}"))
                        })
                    }
                    None => None,
                };
                error.message = bad_input_message(argument.as_deref(), &error.message);
                error.extensions.code = Some("BAD_USER_INPUT".to_string());
                if code != "BAD_USER_INPUT" {
                    set(error, "rule", &code);
                }
                if let Some(argument) = argument.as_deref() {
                    set(error, "argumentName", argument);
                    set(error, "field", argument);
                }
                payload.status_code = StatusCode::BAD_REQUEST;
            }
            Refusal::Renamed { code: ours, status } => {
                error.message = if ours == "INTERNAL_SERVER_ERROR" {
                    "Internal server error (服务器内部错误).".to_string()
                } else {
                    bilingual(&error.message, ours)
                };
                error.extensions.code = Some(ours.to_string());
                let answer = renamed_status(status, payload.status_code.as_u16(), ours);
                payload.status_code = StatusCode::from_u16(answer).unwrap_or(payload.status_code);
            }
        }
        drop(facts);
        payload
    }
}
