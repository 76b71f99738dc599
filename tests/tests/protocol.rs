//! GraphQL over HTTP as the specification describes it: media types and
//! status codes, GET and POST, malformed requests, batches, CSRF and CORS.

use journeyd_e2e::{AppOptions, TestApp, app, on_both_databases};
use journeyd_persistence::testing::TestBackend;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_databases!(app =>
    responses_follow_the_accepted_media_type,
    request_errors_have_no_data_and_400_with_graphql_response_json,
    malformed_requests_are_answered_400_with_a_graphql_error,
    post_bodies_must_be_json,
    get_runs_queries_but_refuses_mutations,
    get_needs_a_token_or_a_csrf_header,
    batches_answer_each_operation,
    every_error_has_a_code,
);

on_both_databases!(app_with_cors =>
    cors_admits_only_configured_origins,
);

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

async fn app_with_cors(backend: TestBackend) -> Option<TestApp> {
    let options = AppOptions {
        cors_origins: vec!["https://app.example.com".to_owned()],
        ..AppOptions::default()
    };
    TestApp::spawn_with_options(backend, options).await
}

/// A response's status, content type and JSON body.
pub struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

async fn read_answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("a JSON body for {status}, got {text:?}"));
    Answer {
        status,
        content_type,
        body,
    }
}

/// Posts `body` as JSON with `accept`, authorised as the main tenant.
async fn post(app: &TestApp, accept: Option<&str>, body: &Value) -> Answer {
    let mut request = app
        .client()
        .post(app.graphql_url())
        .bearer_auth(app.admin_token())
        .json(body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    read_answer(request.send().await.expect("the server answers")).await
}

/// Posts raw bytes with a content type.
async fn post_raw(app: &TestApp, content_type: Option<&str>, body: Vec<u8>) -> Answer {
    let mut request = app
        .client()
        .post(app.graphql_url())
        .bearer_auth(app.admin_token())
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    read_answer(request.send().await.expect("the server answers")).await
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error with a code, got {body}"))
}

async fn responses_follow_the_accepted_media_type(app: TestApp) {
    let query = json!({"query": "{ viewer { tenant } }"});
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
    ] {
        let answer = post(&app, accept, &query).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}");
        assert!(
            answer.content_type.starts_with(expected),
            "{accept:?} gave {}",
            answer.content_type
        );
        assert!(answer.content_type.contains("charset=utf-8"));
        assert_eq!(answer.body["data"]["viewer"]["tenant"], "acme");
    }
    let refused = post(&app, Some("text/xml"), &query).await;
    assert_eq!(refused.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(code(&refused.body), "NOT_ACCEPTABLE");
}

async fn request_errors_have_no_data_and_400_with_graphql_response_json(app: TestApp) {
    let cases = [
        (json!({"query": "{ journeys("}), "GRAPHQL_PARSE_FAILED"),
        (
            json!({"query": "{ noSuchField }"}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({"query": "query($n: Int!) { journeys(first: $n) { totalCount } }",
                   "variables": {"n": "ten"}}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({"query": "query A { viewer { tenant } } query B { viewer { tenant } }"}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            json!({"query": "query A { viewer { tenant } }", "operationName": "C"}),
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ];
    for (body, expected) in &cases {
        let modern = post(&app, Some(GRAPHQL_RESPONSE), body).await;
        assert_eq!(modern.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(modern.body.get("data").is_none(), "{}", modern.body);
        assert_eq!(code(&modern.body), *expected, "{}", modern.body);

        let legacy = post(&app, Some("application/json"), body).await;
        assert_eq!(legacy.status, StatusCode::OK, "{body}");
        assert_eq!(code(&legacy.body), *expected);
    }

    // A field error is a well-formed response: 200, with data.
    let missing = json!({"query": "{ journey(id: \"Sm91cm5leTowMTk0ZmZmZi0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA\") { id } }"});
    let answer = post(&app, Some(GRAPHQL_RESPONSE), &missing).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.get("data").is_some(), "{}", answer.body);
    assert!(answer.body["errors"][0]["path"].is_array());
}

async fn malformed_requests_are_answered_400_with_a_graphql_error(app: TestApp) {
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("empty body", Vec::new()),
        ("not JSON", b"query { viewer { tenant } }".to_vec()),
        (
            "truncated JSON",
            br#"{"query": "{ viewer { tenant } }""#.to_vec(),
        ),
        ("no query", br#"{"variables": {}}"#.to_vec()),
        ("empty query", br#"{"query": ""}"#.to_vec()),
        ("query is a number", br#"{"query": 1}"#.to_vec()),
        ("query is an object", br#"{"query": {"a": 1}}"#.to_vec()),
        (
            "operationName is a number",
            br#"{"query": "{ viewer { tenant } }", "operationName": 3}"#.to_vec(),
        ),
        (
            "variables is a string",
            br#"{"query": "{ viewer { tenant } }", "variables": "{}"}"#.to_vec(),
        ),
        (
            "NaN",
            br#"{"query": "{ viewer { tenant } }", "variables": {"x": NaN}}"#.to_vec(),
        ),
        (
            "Infinity",
            br#"{"query": "{ viewer { tenant } }", "variables": {"x": Infinity}}"#.to_vec(),
        ),
        (
            "number out of range",
            br#"{"query": "{ viewer { tenant } }", "variables": {"x": 1e999}}"#.to_vec(),
        ),
        ("a JSON string", br#""{ viewer { tenant } }""#.to_vec()),
        ("an empty batch", b"[]".to_vec()),
        (
            "invalid UTF-8",
            b"{\"query\": \"{ viewer { tenant \xff\xfe } }\"}".to_vec(),
        ),
        (
            "deeply nested variables",
            format!(
                r#"{{"query": "{{ viewer {{ tenant }} }}", "variables": {{"x": {}1{}}}}}"#,
                "[".repeat(10_000),
                "]".repeat(10_000)
            )
            .into_bytes(),
        ),
    ];
    for (what, body) in bodies {
        let answer = post_raw(&app, Some("application/json"), body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}");
        assert_eq!(code(&answer.body), "BAD_REQUEST", "{what}");
        assert!(answer.body.get("data").is_none(), "{what}");
    }
}

async fn post_bodies_must_be_json(app: TestApp) {
    let query = br#"{"query": "{ viewer { tenant } }"}"#.to_vec();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/graphql"),
        Some("application/json; charset=latin1"),
    ] {
        let answer = post_raw(&app, content_type, query.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(code(&answer.body), "UNSUPPORTED_MEDIA_TYPE");
    }
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=\"UTF-8\"",
    ] {
        let answer = post_raw(&app, Some(content_type), query.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{content_type}");
        assert_eq!(answer.body["data"]["viewer"]["tenant"], "acme");
    }
}

async fn get(app: &TestApp, params: &[(&str, &str)], token: bool) -> Answer {
    let mut request = app
        .client()
        .get(app.graphql_url())
        .query(params)
        .header(ACCEPT, GRAPHQL_RESPONSE);
    if token {
        request = request.bearer_auth(app.admin_token());
    }
    read_answer(request.send().await.expect("the server answers")).await
}

async fn get_runs_queries_but_refuses_mutations(app: TestApp) {
    let answer = get(
        &app,
        &[
            (
                "query",
                "query Page($n: Int) { journeys(first: $n) { totalCount } } query Other { viewer { tenant } }",
            ),
            ("operationName", "Page"),
            ("variables", r#"{"n": 1}"#),
        ],
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["data"]["journeys"]["totalCount"], 0);

    let mutation =
        "mutation { createJourney(input: {name: \"by GET\", template: EMPTY}) { journey { id } } }";
    let response = app
        .client()
        .get(app.graphql_url())
        .query(&[("query", mutation)])
        .bearer_auth(app.admin_token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    let refused = read_answer(response).await;
    assert_eq!(code(&refused.body), "METHOD_NOT_ALLOWED");
    let count = app
        .data(&app.admin_token(), "{ journeys { totalCount } }", json!({}))
        .await;
    assert_eq!(count["journeys"]["totalCount"], 0, "nothing was created");

    // A mutation in a document is fine when a query is the operation run.
    let answer = get(
        &app,
        &[
            (
                "query",
                &format!("query Q {{ viewer {{ tenant }} }} {mutation}"),
            ),
            ("operationName", "Q"),
        ],
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    // ... except that a document with an anonymous operation beside a named
    // one is invalid; with both named, the query runs.
    let named = mutation.replacen("mutation", "mutation M", 1);
    let answer = get(
        &app,
        &[
            (
                "query",
                &format!("query Q {{ viewer {{ tenant }} }} {named}"),
            ),
            ("operationName", "Q"),
        ],
        true,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    for params in [
        vec![],
        vec![("query", "")],
        vec![("query", "{ viewer { tenant } }"), ("variables", "[1")],
        vec![("query", "{ viewer { tenant } }"), ("variables", "\"x\"")],
        vec![("query", "{ viewer { tenant } }"), ("extensions", "{")],
    ] {
        let answer = get(&app, &params, true).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{params:?}");
        assert_eq!(code(&answer.body), "BAD_REQUEST");
    }
    // Invalid UTF-8 in the URL (decoded lossily, so the document fails to parse).
    let url = format!("{}?query=%7B%20viewer%20%FF%20%7D", app.graphql_url());
    let response = app
        .client()
        .get(url)
        .bearer_auth(app.admin_token())
        .header(ACCEPT, GRAPHQL_RESPONSE)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        code(&read_answer(response).await.body),
        "GRAPHQL_PARSE_FAILED"
    );

    // Browsers get GraphiQL.
    let page = app
        .client()
        .get(app.graphql_url())
        .header(ACCEPT, "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("graphiql"));
}

async fn get_needs_a_token_or_a_csrf_header(app: TestApp) {
    let params = [("query", "{ __typename }")];
    let refused = get(&app, &params, false).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("CSRF")
    );
    for header in ["x-graphql-csrf", "apollo-require-preflight"] {
        let allowed = app
            .client()
            .get(app.graphql_url())
            .query(&params)
            .header(header, "1")
            .send()
            .await
            .unwrap();
        assert_eq!(allowed.status(), StatusCode::OK, "{header}");
    }
    assert_eq!(get(&app, &params, true).await.status, StatusCode::OK);
}

async fn batches_answer_each_operation(app: TestApp) {
    let batch = json!([
        {"query": "{ viewer { tenant } }"},
        {"query": "{ journeys { totalCount } }"},
        {"query": "{ nope }"},
    ]);
    let answer = post(&app, Some(GRAPHQL_RESPONSE), &batch).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answers = answer.body.as_array().expect("an array of responses");
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0]["data"]["viewer"]["tenant"], "acme");
    assert_eq!(answers[1]["data"]["journeys"]["totalCount"], 0);
    assert!(answers[2].get("data").is_none());
    assert_eq!(code(&answers[2]), "GRAPHQL_VALIDATION_FAILED");
}

async fn every_error_has_a_code(app: TestApp) {
    let queries = [
        "{ journeys(first: \"x\") { totalCount } }",
        "{ journeys(first: 1000) { totalCount } }",
        "{ journey(id: \"not-an-id\") { id } }",
        "{ touchpoint { id } }",
        "{ __type(name: 1) { name } }",
        "query($a: Int) { viewer { tenant } }",
        "{ viewer { tenant ...F } }",
        "{ viewer { ...F } } fragment F on Journey { id }",
    ];
    for query in queries {
        let body = app.post(Some(&app.admin_token()), query, json!({})).await;
        let errors = body["errors"].as_array().unwrap_or_else(|| {
            panic!("{query} should fail, got {body}");
        });
        for error in errors {
            assert!(
                error["extensions"]["code"].is_string(),
                "{query}: an error without a code: {error}"
            );
        }
    }
}

async fn cors_admits_only_configured_origins(app: TestApp) {
    let preflight = |origin: &'static str| {
        app.client()
            .request(Method::OPTIONS, app.graphql_url())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    let response = app
        .client()
        .post(app.graphql_url())
        .header("origin", "https://app.example.com")
        .bearer_auth(app.admin_token())
        .json(&json!({"query": "{ viewer { tenant } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(
        response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("x-request-id")
    );
}
