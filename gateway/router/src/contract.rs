//! EcoSteward's error contract for the router's own refusals (pure: no I/O, no router state).
//!
//! Front ends get the same contract from the gateway as from a subgraph: every error has
//! `extensions.code` from our catalogue, a bilingual message "English (中文)", request errors
//! (parse, validation, variable coercion) are HTTP 400 like Hive Gateway answers them,
//! `UNAUTHENTICATED` says why in `extensions.reason` (TOKEN_MISSING / TOKEN_EXPIRED / TOKEN_INVALID)
//! with HTTP 401, and `BAD_USER_INPUT` names the argument (`argumentName`, `field`) a bad value feeds.
//! Errors from the subgraphs already have that shape and are never touched (see `plugin.rs`).

use std::time::{SystemTime, UNIX_EPOCH};

use hive_router::graphql_tools::static_graphql::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet, Value,
};

pub const TOKEN_MISSING: &str = "TOKEN_MISSING";
pub const TOKEN_EXPIRED: &str = "TOKEN_EXPIRED";
pub const TOKEN_INVALID: &str = "TOKEN_INVALID";

/// Seconds of clock skew we forgive before calling a token expired (as the gateway config did).
pub const CLOCK_TOLERANCE_SECONDS: u64 = 5;

pub const BAD_AUTH_HEADER: &str =
    "Send the token as 'Authorization: Bearer <token>' (令牌格式错误).";

pub const NOT_FOUND_MESSAGE: &str = "Nothing is served at this path (路径不存在).";
pub const HEADERS_TOO_LARGE_MESSAGE: &str = "The request headers are too large (请求头过大).";

/// The message of an `UNAUTHENTICATED` refusal, by reason.
pub fn auth_message(reason: &str) -> &'static str {
    match reason {
        TOKEN_MISSING => "Sign in first: no access token was sent (未登录).",
        TOKEN_EXPIRED => "The access token has expired; refresh it and retry (令牌已过期).",
        _ => "The access token is invalid; sign in again (令牌无效).",
    }
}

/// The Chinese half of a message, by our code.
pub fn chinese(code: &str) -> Option<&'static str> {
    Some(match code {
        "BAD_USER_INPUT" => "输入值无效",
        "GRAPHQL_VALIDATION_FAILED" => "查询语句无效",
        "GRAPHQL_PARSE_FAILED" => "查询语句无法解析",
        "PAYLOAD_TOO_LARGE" => "请求过大",
        "HEADERS_TOO_LARGE" => "请求头过大",
        "UNSUPPORTED_MEDIA_TYPE" => "请求格式应为 JSON",
        "BAD_REQUEST" => "请求无效",
        "FORBIDDEN" => "不允许该操作",
        "NOT_FOUND" => "路径不存在",
        "METHOD_NOT_ALLOWED" => "不支持该请求方法",
        "REQUEST_TIMEOUT" => "请求超时",
        "GATEWAY_TIMEOUT" => "上游服务超时",
        "SERVICE_UNAVAILABLE" => "服务暂不可用",
        "INTERNAL_SERVER_ERROR" => "服务器内部错误",
        _ => return None,
    })
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Whether the message already ends with its Chinese half: "… (中文)." (Chinese elsewhere, e.g. in
/// a quoted field name or value, does not count).
pub fn already_bilingual(message: &str) -> bool {
    let text = message.trim_end();
    let text = text.strip_suffix('.').unwrap_or(text);
    match (text.strip_suffix(')'), text.rfind('(')) {
        (Some(_), Some(open)) => has_chinese(&text[open..]),
        _ => false,
    }
}

/// "message (中文)." unless the message already ends with its Chinese half.
pub fn bilingual(message: &str, code: &str) -> String {
    if already_bilingual(message) {
        return message.to_string();
    }
    match chinese(code) {
        Some(note) => format!("{} ({note}).", message.trim_end().trim_end_matches('.')),
        None => message.to_string(),
    }
}

/// What to do with one of the router's own errors, by its `extensions.code`.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A JWT error: UNAUTHENTICATED with a reason, HTTP 401.
    Unauthenticated,
    /// A validation rule failed (the router puts the rule's name in `code`): GRAPHQL_VALIDATION_FAILED,
    /// HTTP 400; the rule stays in `extensions.rule`.
    Validation,
    /// A literal argument value of the wrong type (`ValuesOfCorrectType`): BAD_USER_INPUT, HTTP 400.
    BadLiteral,
    /// A variable's value failed coercion: BAD_USER_INPUT naming the argument it feeds, HTTP 400.
    BadVariable,
    /// Renamed to our code; `status` None keeps the router's status.
    Renamed {
        code: &'static str,
        status: Option<u16>,
    },
    /// Not one of the router's refusals (our own code, an execution error): left as it is.
    Untouched,
}

/// The router's validation rules (graphql-tools' rule names and the router's limits).
const VALIDATION_RULES: &[&str] = &[
    "FieldsOnCorrectType",
    "FragmentsOnCompositeTypes",
    "KnownArgumentNames",
    "KnownDirectives",
    "KnownFragmentNames",
    "KnownTypeNames",
    "LeafFieldSelections",
    "LoneAnonymousOperation",
    "NoFragmentsCycle",
    "NoUndefinedVariables",
    "NoUnusedFragments",
    "NoUnusedVariables",
    "OverlappingFieldsCanBeMerged",
    "PossibleFragmentSpreads",
    "ProvidedRequiredArguments",
    "SingleFieldSubscriptions",
    "UniqueArgumentNames",
    "UniqueDirectivesPerLocation",
    "UniqueFragmentNames",
    "UniqueInputFieldNames",
    "UniqueOperationNames",
    "UniqueVariableNames",
    "VariablesAreInputTypes",
    "VariablesInAllowedPosition",
    "MAX_DEPTH_EXCEEDED",
    "MAX_ALIASES_EXCEEDED",
    "MAX_DIRECTIVES_EXCEEDED",
    "TOKEN_LIMIT_EXCEEDED",
];

/// The router's internal errors ("Internal server error"; the details are only logged).
const INTERNAL: &[&str] = &[
    "QUERY_PLAN_BUILD_FAILED",
    "GRAPHQL_PARSE_MINIFY_FAILED",
    "PLAN_EXECUTION_FAILED",
    "OVERRIDE_LABEL_EVALUATION_FAILED",
    "JWT_FORWARDING_ERROR",
    "PERSISTED_DOCUMENT_RESOLUTION_FAILED",
    "PERSISTED_DOCUMENT_ID_EXPRESSION_EVALUATION_ERROR",
    "INTROSPECTION_PERMISSION_EVALUATION_ERROR",
    "HEADER_PROPAGATION_FAILURE",
    "QUERY_PLAN_SERIALIZATION_FAILED",
    "SUPERGRAPH_RUNTIME_ERROR",
    "RESPONSE_COMPRESSION_FAILED",
    "CoprocessorError",
    "RequestContextError",
    "OperationFilterFailed",
];

/// How to answer a router error with code `code` and message `message` (never a subgraph error).
pub fn classify(code: &str, message: &str) -> Refusal {
    let renamed = |code, status| Refusal::Renamed { code, status };
    match code {
        "JWT_ERROR"
        | "JWT_LOOKUP_FAILED"
        | "MISSING_JWT"
        | "INVALID_JWT"
        | "INVALID_JWT_HEADER"
        | "JWT_NOT_SUPPORTED"
        | "JWK_ALGORITHM_NOT_SUPPORTED" => Refusal::Unauthenticated,
        "ValuesOfCorrectType" => Refusal::BadLiteral,
        // the router's variable coercion errors (`Variable "$n" has invalid value…`)
        "BAD_USER_INPUT" if message.starts_with("Variable \"$") => Refusal::BadVariable,
        _ if VALIDATION_RULES.contains(&code) => Refusal::Validation,
        "GRAPHQL_VALIDATION_FAILED"
        | "OPERATION_RESOLUTION_FAILURE"
        | "COST_ESTIMATED_TOO_EXPENSIVE"
        | "COST_INVALID_SLICING_ARGUMENTS" => renamed("GRAPHQL_VALIDATION_FAILED", Some(400)),
        "GRAPHQL_PARSE_FAILED" => renamed("GRAPHQL_PARSE_FAILED", Some(400)),
        "REQUEST_HEADER_FIELDS_TOO_LARGE" => renamed("HEADERS_TOO_LARGE", Some(431)),
        "UNSUPPORTED_CONTENT_TYPE"
        | "MISSING_CONTENT_TYPE_HEADER"
        | "UNSUPPORTED_CONTENT_ENCODING" => renamed("UNSUPPORTED_MEDIA_TYPE", Some(415)),
        "PAYLOAD_TOO_LARGE_CONTENT_LENGTH" | "PAYLOAD_TOO_LARGE_BODY_STREAM" => {
            renamed("PAYLOAD_TOO_LARGE", Some(413))
        }
        "INTROSPECTION_DISABLED" | "CSRF_PREVENTION_FAILED" | "UNAUTHORIZED_OPERATION" => {
            renamed("FORBIDDEN", Some(403))
        }
        "MUTATION_NOT_ALLOWED_OVER_HTTP_GET" | "METHOD_NOT_ALLOWED" => {
            renamed("METHOD_NOT_ALLOWED", Some(405))
        }
        "BAD_REQUEST"
        | "INVALID_HEADER"
        | "DECOMPRESSION_FAILED"
        | "PAYLOAD_READ_ERROR"
        | "UNPROCESSABLE_QUERY_PARAMS"
        | "MISSING_QUERY_PARAM"
        | "FAILED_TO_PARSE_REQUEST"
        | "PERSISTED_DOCUMENT_NOT_FOUND"
        | "PERSISTED_DOCUMENT_ID_REQUIRED"
        | "PERSISTED_DOCUMENT_EXTRACTION_FAILED"
        | "SUBSCRIPTIONS_NOT_SUPPORTED"
        | "SUBSCRIPTIONS_TRANSPORT_NOT_SUPPORTED" => renamed("BAD_REQUEST", None),
        "PAYLOAD_READ_TIMEOUT" => renamed("REQUEST_TIMEOUT", Some(408)),
        "GATEWAY_TIMEOUT" => renamed("GATEWAY_TIMEOUT", Some(504)),
        "NO_SUPERGRAPH_AVAILABLE" => renamed("SERVICE_UNAVAILABLE", Some(503)),
        "INTERNAL_SERVER_ERROR" if !already_bilingual(message) => {
            renamed("INTERNAL_SERVER_ERROR", None)
        }
        _ if INTERNAL.contains(&code) => renamed("INTERNAL_SERVER_ERROR", None),
        _ => Refusal::Untouched,
    }
}

/// The status to answer a renamed refusal with: ours, else the router's (at least 400).
pub fn renamed_status(ours: Option<u16>, router: u16, code: &str) -> u16 {
    match ours {
        Some(status) => status,
        None if router >= 400 => router,
        None if code == "INTERNAL_SERVER_ERROR" => router,
        None => 400,
    }
}

// ------------------------------------------------------------------------------------ tokens

/// Why the router refused the token, from its error text (it names the jsonwebtoken error kind),
/// and from the token's own `exp` (read unverified: only to choose the reason of a refusal, so a
/// front end refreshes an expired token even when its signature does not verify either).
pub fn auth_reason(message: &str, authorization: Option<&str>, now: u64) -> &'static str {
    if message.contains("failed to locate the value") {
        return TOKEN_MISSING;
    }
    if message.contains("ExpiredSignature") {
        return TOKEN_EXPIRED;
    }
    match authorization.and_then(bearer_token) {
        Some(token) if expired_unverified(token, now) => TOKEN_EXPIRED,
        _ => TOKEN_INVALID,
    }
}

/// `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 6750).
pub fn bearer_token(header: &str) -> Option<&str> {
    let header = header.trim();
    let (scheme, token) = header.split_once(char::is_whitespace)?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// Whether the token's unverified `exp` lies more than the clock tolerance before `now`.
pub fn expired_unverified(token: &str, now: u64) -> bool {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Some(bytes) = base64url_decode(payload) else {
        return false;
    };
    let Ok(claims) = hive_router::sonic_rs::from_slice::<hive_router::sonic_rs::Value>(&bytes)
    else {
        return false;
    };
    use hive_router::sonic_rs::JsonValueTrait;
    match claims.get("exp").and_then(|exp| exp.as_f64()) {
        Some(exp) => exp + (CLOCK_TOLERANCE_SECONDS as f64) < now as f64,
        None => false,
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Base64url without padding (JWT segments); standard alphabet and padding are tolerated.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

// ------------------------------------------------------------------------- bad input values

/// `$name` and the path inside its value (`.minScore`, `[0].name`, or empty) from the router's
/// coercion message: `Variable "$n" has invalid value at .a[0]: Int cannot represent …`.
pub fn coercion_variable(message: &str) -> Option<(&str, &str)> {
    let rest = message.strip_prefix("Variable \"$")?;
    let (name, rest) = rest.split_once('"')?;
    let rest = rest
        .strip_prefix(" has invalid value")
        .or_else(|| rest.strip_prefix(" has invalid default value"))?;
    let path = match rest.strip_prefix(" at ") {
        Some(at) => at.split_once(": ").map(|(path, _)| path).unwrap_or(""),
        None => "",
    };
    Some((name, path))
}

/// `start`, `input.signedOn`, `ids[1]`: the argument a variable feeds (its first use in the document).
pub fn argument_of_variable(document: &Document, variable: &str) -> Option<String> {
    find_argument(
        document,
        &|value: &Value| matches!(value, Value::Variable(name) if name == variable),
    )
}

/// The literal the router quotes in a `ValuesOfCorrectType` message (`found "abc".`, `value: 1e99`,
/// `Value "X" does not exist in "Kind" enum.`), and the argument that holds it.
pub fn argument_of_literal(document: &Document, message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("Value \"") {
        let (name, _) = rest.split_once('"')?;
        return find_argument(
            document,
            &|value: &Value| matches!(value, Value::Enum(found) if found == name),
        );
    }
    let quoted = if let Some((_, found)) = message.rsplit_once(", found ") {
        found.strip_suffix('.').unwrap_or(found)
    } else if let Some((_, found)) = message.rsplit_once("value: ") {
        found.strip_suffix('.').unwrap_or(found)
    } else {
        return None;
    };
    find_argument(document, &|value: &Value| {
        !matches!(value, Value::Variable(_)) && value.to_string() == quoted
    })
}

fn find_argument(document: &Document, wanted: &dyn Fn(&Value) -> bool) -> Option<String> {
    for definition in &document.definitions {
        let selections = match definition {
            Definition::Operation(OperationDefinition::SelectionSet(set)) => set,
            Definition::Operation(OperationDefinition::Query(query)) => &query.selection_set,
            Definition::Operation(OperationDefinition::Mutation(mutation)) => {
                &mutation.selection_set
            }
            Definition::Operation(OperationDefinition::Subscription(sub)) => &sub.selection_set,
            Definition::Fragment(fragment) => &fragment.selection_set,
        };
        if let Some(found) = in_selections(selections, wanted) {
            return Some(found);
        }
    }
    None
}

fn in_selections(set: &SelectionSet, wanted: &dyn Fn(&Value) -> bool) -> Option<String> {
    for selection in &set.items {
        let (arguments, directives, nested) = match selection {
            Selection::Field(field) => (
                &field.arguments[..],
                &field.directives,
                &field.selection_set,
            ),
            Selection::InlineFragment(fragment) => {
                (&[][..], &fragment.directives, &fragment.selection_set)
            }
            Selection::FragmentSpread(spread) => {
                for directive in &spread.directives {
                    if let Some(found) = in_arguments(&directive.arguments, wanted) {
                        return Some(found);
                    }
                }
                continue;
            }
        };
        if let Some(found) = in_arguments(arguments, wanted) {
            return Some(found);
        }
        for directive in directives {
            if let Some(found) = in_arguments(&directive.arguments, wanted) {
                return Some(found);
            }
        }
        if let Some(found) = in_selections(nested, wanted) {
            return Some(found);
        }
    }
    None
}

fn in_arguments(arguments: &[(String, Value)], wanted: &dyn Fn(&Value) -> bool) -> Option<String> {
    arguments
        .iter()
        .find_map(|(name, value)| in_value(value, name.clone(), wanted))
}

fn in_value(value: &Value, path: String, wanted: &dyn Fn(&Value) -> bool) -> Option<String> {
    if wanted(value) {
        return Some(path);
    }
    match value {
        Value::Object(fields) => fields
            .iter()
            .find_map(|(name, inner)| in_value(inner, format!("{path}.{name}"), wanted)),
        Value::List(items) => items
            .iter()
            .enumerate()
            .find_map(|(index, inner)| in_value(inner, format!("{path}[{index}]"), wanted)),
        _ => None,
    }
}

/// "Invalid value for `start`: <the router's message> (输入值无效)." as the gateway config wrote it.
pub fn bad_input_message(argument: Option<&str>, message: &str) -> String {
    match argument {
        Some(argument) => bilingual(
            &format!("Invalid value for `{argument}`: {message}"),
            "BAD_USER_INPUT",
        ),
        None => bilingual(message, "BAD_USER_INPUT"),
    }
}

// ------------------------------------------------------------------------- depth of __type

pub const DEPTH_LIMIT_MESSAGE: &str = "Query depth limit exceeded (查询语句无效).";

/// The depth of the deepest root `__type` field, counted like the router's `max_depth` rule
/// (a field is one level, a fragment spread or inline fragment another). The router's
/// `ignore_introspection` skips `__schema` and `__type` alike; like graphql-armor (Hive Gateway) we
/// still let GraphiQL's `__schema` query (depth 18) through in development but limit `__type`,
/// whose `ofType { ofType { … } }` can nest without end. 0 when the document has no root `__type`.
pub fn introspection_type_depth(document: &Document) -> usize {
    let fragments: Vec<(&str, &SelectionSet)> = document
        .definitions
        .iter()
        .filter_map(|definition| match definition {
            Definition::Fragment(fragment) => {
                Some((fragment.name.as_str(), &fragment.selection_set))
            }
            _ => None,
        })
        .collect();
    let mut deepest = 0;
    for definition in &document.definitions {
        let root = match definition {
            Definition::Operation(OperationDefinition::SelectionSet(set)) => set,
            Definition::Operation(OperationDefinition::Query(query)) => &query.selection_set,
            _ => continue,
        };
        for selection in &root.items {
            if let Selection::Field(field) = selection {
                if field.name == "__type" {
                    deepest = deepest.max(1 + selection_depth(&field.selection_set, &fragments, 0));
                }
            }
        }
    }
    deepest
}

fn selection_depth(
    set: &SelectionSet,
    fragments: &[(&str, &SelectionSet)],
    spreads: usize,
) -> usize {
    // a fragment cycle is a validation error of its own; stop counting instead of looping
    if spreads > 64 {
        return 0;
    }
    set.items
        .iter()
        .map(|selection| match selection {
            Selection::Field(field) => {
                1 + selection_depth(&field.selection_set, fragments, spreads)
            }
            Selection::InlineFragment(inline) => {
                1 + selection_depth(&inline.selection_set, fragments, spreads)
            }
            Selection::FragmentSpread(spread) => fragments
                .iter()
                .find(|(name, _)| *name == spread.fragment_name.as_str())
                .map(|(_, inner)| 1 + selection_depth(inner, fragments, spreads + 1))
                .unwrap_or(1),
        })
        .max()
        .unwrap_or(0)
}

// ------------------------------------------------------------------------------- refusals

/// Whether the request path is one the router serves (anything else is NOT_FOUND, not the landing page).
pub fn is_served_path(path: &str, served: &[String], graphql_path: &str) -> bool {
    served.iter().any(|p| p == path)
        || (graphql_path != "/"
            && path.len() > graphql_path.len()
            && path.starts_with(graphql_path)
            && path.as_bytes()[graphql_path.len()] == b'/')
}

/// The raw size of a request head's header block, the way the router measures it.
pub fn header_block_size<'a>(headers: impl Iterator<Item = (&'a str, usize)>) -> usize {
    headers
        .map(|(name, value_len)| name.len() + value_len + 4)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hive_router::graphql_tools::parser::parse_query;

    fn document(text: &str) -> Document {
        parse_query::<String>(text)
            .expect("a valid document")
            .into_static()
    }

    fn b64(text: &str) -> String {
        // tiny encoder for the tests (base64url, no padding)
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let bytes = text.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn bilingual_adds_the_chinese_once() {
        assert_eq!(
            bilingual(
                "Cannot query field \"x\" on type \"Query\".",
                "GRAPHQL_VALIDATION_FAILED"
            ),
            "Cannot query field \"x\" on type \"Query\" (查询语句无效)."
        );
        assert_eq!(
            bilingual("已经有中文 (中文).", "BAD_REQUEST"),
            "已经有中文 (中文)."
        );
        assert_eq!(bilingual("No note", "SOMETHING_ELSE"), "No note");
        // Chinese in a quoted name is not the Chinese half
        assert_eq!(
            bilingual(
                "Cannot query field \"名字\" on type \"Query\".",
                "GRAPHQL_VALIDATION_FAILED"
            ),
            "Cannot query field \"名字\" on type \"Query\" (查询语句无效)."
        );
        assert!(already_bilingual("Sign in first (未登录)."));
        assert!(!already_bilingual("Value \"中\" (x) is wrong."));
    }

    #[test]
    fn router_codes_map_to_our_catalogue() {
        assert_eq!(
            classify("FieldsOnCorrectType", "Cannot query field"),
            Refusal::Validation
        );
        assert_eq!(
            classify("MAX_DEPTH_EXCEEDED", "Query depth limit"),
            Refusal::Validation
        );
        assert_eq!(
            classify("TOKEN_LIMIT_EXCEEDED", "Token limit exceeded."),
            Refusal::Validation
        );
        assert_eq!(
            classify("ValuesOfCorrectType", "found"),
            Refusal::BadLiteral
        );
        assert_eq!(
            classify("BAD_USER_INPUT", "Variable \"$n\" has invalid value"),
            Refusal::BadVariable
        );
        assert_eq!(
            classify("BAD_USER_INPUT", "名称无效 (输入值无效)."),
            Refusal::Untouched
        );
        assert_eq!(
            classify("MISSING_JWT", "all jwk failed"),
            Refusal::Unauthenticated
        );
        assert_eq!(
            classify("JWT_LOOKUP_FAILED", "lookup"),
            Refusal::Unauthenticated
        );
        assert_eq!(
            classify("GRAPHQL_PARSE_FAILED", "Failed to parse"),
            Refusal::Renamed {
                code: "GRAPHQL_PARSE_FAILED",
                status: Some(400)
            }
        );
        assert_eq!(
            classify("REQUEST_HEADER_FIELDS_TOO_LARGE", "x"),
            Refusal::Renamed {
                code: "HEADERS_TOO_LARGE",
                status: Some(431)
            }
        );
        assert_eq!(
            classify("PAYLOAD_TOO_LARGE_CONTENT_LENGTH", "x"),
            Refusal::Renamed {
                code: "PAYLOAD_TOO_LARGE",
                status: Some(413)
            }
        );
        assert_eq!(
            classify("UNSUPPORTED_CONTENT_TYPE", "x"),
            Refusal::Renamed {
                code: "UNSUPPORTED_MEDIA_TYPE",
                status: Some(415)
            }
        );
        assert_eq!(
            classify("INTROSPECTION_DISABLED", "x"),
            Refusal::Renamed {
                code: "FORBIDDEN",
                status: Some(403)
            }
        );
        assert_eq!(
            classify("QUERY_PLAN_BUILD_FAILED", "Internal server error"),
            Refusal::Renamed {
                code: "INTERNAL_SERVER_ERROR",
                status: None
            }
        );
        // our own codes, and codes we do not know, are left alone
        assert_eq!(
            classify("NOT_FOUND", "找不到 (不存在)."),
            Refusal::Untouched
        );
        assert_eq!(classify("FORBIDDEN", "x"), Refusal::Untouched);
        assert_eq!(
            classify("DOWNSTREAM_SERVICE_ERROR", "x"),
            Refusal::Untouched
        );
    }

    #[test]
    fn renamed_refusals_keep_an_error_status() {
        assert_eq!(
            renamed_status(Some(415), 200, "UNSUPPORTED_MEDIA_TYPE"),
            415
        );
        assert_eq!(renamed_status(None, 422, "BAD_REQUEST"), 422);
        assert_eq!(renamed_status(None, 200, "BAD_REQUEST"), 400);
        assert_eq!(renamed_status(None, 200, "INTERNAL_SERVER_ERROR"), 200);
    }

    #[test]
    fn auth_reasons_follow_the_router_message_and_the_unverified_exp() {
        let now = 2_000_000_000;
        let lookup = "jwt header lookup failed: failed to locate the value in the incoming request";
        assert_eq!(auth_reason(lookup, None, now), TOKEN_MISSING);
        let expired = "failed to decode token: ExpiredSignature";
        assert_eq!(
            auth_reason(expired, Some("Bearer a.b.c"), now),
            TOKEN_EXPIRED
        );
        // a forged token (unknown kid, bad signature) whose exp has passed: refresh, then sign in
        let forged = format!(
            "Bearer {}.{}.c2ln",
            b64(r#"{"alg":"RS256","kid":"x"}"#),
            b64(r#"{"exp":1000000000,"sub":"s"}"#)
        );
        let all_failed =
            "all jwk failed to decode token: [FailedToDecodeToken(Error(InvalidSignature))]";
        assert_eq!(auth_reason(all_failed, Some(&forged), now), TOKEN_EXPIRED);
        let fresh = format!(
            "Bearer {}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"exp":2000000100}"#)
        );
        assert_eq!(auth_reason(all_failed, Some(&fresh), now), TOKEN_INVALID);
        // within the clock tolerance it is not called expired
        let just = format!(
            "Bearer {}.{}.c2ln",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"exp":1999999997}"#)
        );
        assert_eq!(auth_reason(all_failed, Some(&just), now), TOKEN_INVALID);
        assert_eq!(
            auth_reason(all_failed, Some("Bearer not-a-jwt"), now),
            TOKEN_INVALID
        );
        assert_eq!(
            auth_reason(all_failed, Some("Basic abc"), now),
            TOKEN_INVALID
        );
        assert_eq!(auth_reason(all_failed, None, now), TOKEN_INVALID);
    }

    #[test]
    fn bearer_tokens_and_base64url() {
        assert_eq!(bearer_token("bearer abc.def"), Some("abc.def"));
        assert_eq!(bearer_token("  Bearer   abc  "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(
            base64url_decode(&b64("{\"exp\":1}")).as_deref(),
            Some(&b"{\"exp\":1}"[..])
        );
        assert_eq!(base64url_decode("aGk="), Some(b"hi".to_vec()));
        assert_eq!(base64url_decode("a b"), None);
    }

    #[test]
    fn coercion_messages_name_the_variable_and_the_path() {
        let simple = "Variable \"$n\" has invalid value: Int cannot represent non 32-bit signed integer value: 99999999999";
        assert_eq!(coercion_variable(simple), Some(("n", "")));
        let nested = "Variable \"$f\" has invalid value at .items[0].kind: Value \"X\" does not exist in \"Kind\" enum.";
        assert_eq!(coercion_variable(nested), Some(("f", ".items[0].kind")));
        let default = "Variable \"$d\" has invalid default value: String cannot represent a non string value: 1";
        assert_eq!(coercion_variable(default), Some(("d", "")));
        assert_eq!(coercion_variable("Something else"), None);
    }

    #[test]
    fn the_argument_a_variable_feeds() {
        let doc = document(
            "query Due($d: Date!, $n: Int!, $x: String) { a: addWorkingDays(start: $d, days: $n) { dueOn } \
             other { nested(input: {name: $x, tags: [\"a\", $x]}) { id } } }",
        );
        assert_eq!(argument_of_variable(&doc, "n").as_deref(), Some("days"));
        assert_eq!(argument_of_variable(&doc, "d").as_deref(), Some("start"));
        assert_eq!(
            argument_of_variable(&doc, "x").as_deref(),
            Some("input.name")
        );
        assert_eq!(argument_of_variable(&doc, "missing"), None);
        let in_fragment = document(
            "query($on: Date!) { ...F } fragment F on Query { sign(id: \"1\", signedOn: $on) { id } }",
        );
        assert_eq!(
            argument_of_variable(&in_fragment, "on").as_deref(),
            Some("signedOn")
        );
        let in_directive = document("query($show: Boolean!) { a @include(if: $show) }");
        assert_eq!(
            argument_of_variable(&in_directive, "show").as_deref(),
            Some("if")
        );
    }

    #[test]
    fn the_argument_holding_a_bad_literal() {
        let doc = document(
            "{ addWorkingDays(start: \"2026-01-05\", days: 99999999999) { dueOn } \
             j(input: {kind: NOPE, name: \"x\"}) { id } f(first: \"abc\") { id } }",
        );
        let int = "Int cannot represent non 32-bit signed integer value: 99999999999";
        assert_eq!(argument_of_literal(&doc, int).as_deref(), Some("days"));
        let enum_ = "Value \"NOPE\" does not exist in \"Kind\" enum.";
        assert_eq!(
            argument_of_literal(&doc, enum_).as_deref(),
            Some("input.kind")
        );
        let string = "Expected value of type \"Int\", found \"abc\".";
        assert_eq!(argument_of_literal(&doc, string).as_deref(), Some("first"));
        assert_eq!(argument_of_literal(&doc, "Unrelated message"), None);
    }

    #[test]
    fn bad_input_messages_name_the_argument_in_both_languages() {
        assert_eq!(
            bad_input_message(Some("days"), "Variable \"$n\" has invalid value: Int cannot represent 1e99"),
            "Invalid value for `days`: Variable \"$n\" has invalid value: Int cannot represent 1e99 (输入值无效)."
        );
        assert_eq!(bad_input_message(None, "Bad."), "Bad (输入值无效).");
    }

    #[test]
    fn the_depth_of_root_type_introspection() {
        let nested = |levels: usize| {
            format!(
                "{{ __type(name: \"Query\") {{ fields {{ type {{ {} name {} }} }} }} }}",
                "ofType { ".repeat(levels),
                "} ".repeat(levels)
            )
        };
        // __type 1, fields 2, type 3, ofType 4..(3+levels), name
        assert_eq!(introspection_type_depth(&document(&nested(0))), 4);
        assert_eq!(introspection_type_depth(&document(&nested(20))), 24);
        let with_fragment =
            "{ __type(name: \"Q\") { ...T } } fragment T on __Type { ofType { ofType { name } } }";
        assert_eq!(introspection_type_depth(&document(with_fragment)), 5);
        // __schema (GraphiQL) and ordinary queries are the router's business
        assert_eq!(
            introspection_type_depth(&document("{ __schema { types { fields { name } } } }")),
            0
        );
        assert_eq!(introspection_type_depth(&document("{ a { b { c } } }")), 0);
        let cycle = "{ __type(name: \"Q\") { ...A } } fragment A on __Type { ofType { ...A } }";
        assert!(introspection_type_depth(&document(cycle)) > 12);
    }

    #[test]
    fn served_paths() {
        let served = vec![
            "/graphql".to_string(),
            "/health".to_string(),
            "/readiness".to_string(),
        ];
        assert!(is_served_path("/graphql", &served, "/graphql"));
        assert!(is_served_path("/graphql/sha256:abc", &served, "/graphql"));
        assert!(is_served_path("/health", &served, "/graphql"));
        assert!(!is_served_path("/", &served, "/graphql"));
        assert!(!is_served_path("/graphqlx", &served, "/graphql"));
        assert!(!is_served_path("/no/such/path", &served, "/graphql"));
        assert!(!is_served_path("/healthz", &served, "/graphql"));
    }

    #[test]
    fn header_blocks_are_measured_like_the_router_does() {
        let headers = [("host", 1usize), ("x-pad", 8000)];
        assert_eq!(
            header_block_size(headers.iter().copied()),
            4 + 1 + 4 + 5 + 8000 + 4
        );
    }
}
