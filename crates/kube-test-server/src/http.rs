//! The HTTP layer: authentication, fault injection, routing, content types, and rendering
//! replies and `Status` errors the way kube-apiserver does.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::faults::{FaultAction, reason_for};
use crate::ops::{DeleteOpts, FieldValidation, ListQuery, PatchType, Reply, WriteOpts};
use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::state::{RequestRecord, State};
use crate::status::ApiError;
use crate::tables::{self, Render};
use crate::watch;
use crate::{discovery, openapi, protobuf};

/// Response body type: a full buffer or a watch stream.
pub type ResBody = BoxBody<Bytes, Infallible>;

/// Returned to hyper to drop the connection without a response (fault injection).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub struct Dropped;

/// A streaming body fed by a channel (watch responses).
pub struct ChannelBody(pub mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

fn full(bytes: Vec<u8>) -> ResBody {
    Full::new(Bytes::from(bytes)).boxed()
}

fn json_response(code: u16, body: &Value, warnings: &[String]) -> Response<ResBody> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(full(bytes));
    *resp.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    for w in warnings {
        let escaped = w.replace('\\', "\\\\").replace('"', "\\\"");
        if let Ok(v) = HeaderValue::from_str(&format!("299 - \"{escaped}\"")) {
            resp.headers_mut().append("warning", v);
        }
    }
    resp
}

/// Renders an error as its `Status` object.
pub fn error_response(err: &ApiError) -> Response<ResBody> {
    let mut resp = json_response(err.code, &err.to_status(), &[]);
    if let Some(secs) = err.details.retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert("retry-after", v);
    }
    resp
}

fn reply_response(r: Reply) -> Response<ResBody> {
    json_response(r.code, &r.body, &r.warnings)
}

/// Entry point for one request.
pub async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<ResBody>, Dropped> {
    let mut record = RequestRecord {
        method: req.method().as_str().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or_default().to_string(),
        user_agent: req
            .headers()
            .get(hyper::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        status: 0,
    };
    let result = respond(&state, req, &record).await;
    record.status = match &result {
        Ok(resp) => resp.status().as_u16(),
        Err(Dropped) => 0,
    };
    state.record(record);
    result
}

async fn respond(
    state: &Arc<State>,
    req: Request<Incoming>,
    record: &RequestRecord,
) -> Result<Response<ResBody>, Dropped> {
    for action in state.faults.check(&record.method, &record.path) {
        match action {
            FaultAction::Latency(d) => tokio::time::sleep(d).await,
            FaultAction::DropConnection => return Err(Dropped),
            FaultAction::Status { code, retry_after } => {
                let err = ApiError::new(
                    code,
                    reason_for(code),
                    format!("injected fault: {code} {}", reason_for(code)),
                )
                .with_retry_after(retry_after);
                return Ok(error_response(&err));
            }
        }
    }
    if let Some(token) = &state.token {
        let ok = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|t| t == token);
        if !ok {
            return Ok(error_response(&ApiError::unauthorized()));
        }
    }
    Ok(match route(state.clone(), req).await {
        Ok(resp) => resp,
        Err(e) => error_response(&e),
    })
}

/// A parsed resource URL.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    group: String,
    version: String,
    resource: String,
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
}

fn parse_resource(group: &str, version: &str, rest: &[&str]) -> Option<Target> {
    let t = |ns: Option<&str>, res: &str, name: Option<&&str>, sub: Option<&&str>| Target {
        group: group.to_string(),
        version: version.to_string(),
        resource: res.to_string(),
        namespace: ns.map(str::to_string),
        name: name.map(|s| s.to_string()),
        subresource: sub.map(|s| s.to_string()),
    };
    match rest {
        ["namespaces", ns, res, more @ ..] if *res != "status" && *res != "finalize" => {
            (more.len() <= 2).then(|| t(Some(ns), res, more.first(), more.get(1)))
        }
        [res, more @ ..] if more.len() <= 2 => Some(t(None, res, more.first(), more.get(1))),
        _ => None,
    }
}

fn accept(req: &Request<Incoming>) -> String {
    req.headers()
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

fn query_map(req: &Request<Incoming>) -> HashMap<String, String> {
    req.uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

async fn route(state: Arc<State>, req: Request<Incoming>) -> Result<Response<ResBody>, ApiError> {
    let path = req.uri().path().to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let get = req.method() == Method::GET;
    let ok = |v: Value| Ok(json_response(200, &v, &[]));
    match segs.as_slice() {
        ["version"] if get => ok(discovery::version()),
        ["healthz"] | ["readyz"] | ["livez"] if get => {
            let mut r = Response::new(full(b"ok".to_vec()));
            r.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            Ok(r)
        }
        ["api"] | ["apis"] if get => {
            let core = segs.first() == Some(&"api");
            match discovery::wants_aggregated(&accept(&req)) {
                Some(v) => {
                    let doc = discovery::aggregated(&state.lock().registry, core, v);
                    let mut resp = json_response(200, &doc, &[]);
                    let ct = format!(
                        "application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList"
                    );
                    if let Ok(h) = HeaderValue::from_str(&ct) {
                        resp.headers_mut().insert(CONTENT_TYPE, h);
                    }
                    Ok(resp)
                }
                None if core => ok(discovery::core_versions(&state.address)),
                None => ok(discovery::group_list(&state.lock().registry)),
            }
        }
        ["api", "v1"] if get => discovery::resource_list(&state.lock().registry, "", "v1")
            .map(|v| json_response(200, &v, &[]))
            .ok_or_else(ApiError::no_route),
        ["apis", g] if get => discovery::group(&state.lock().registry, g)
            .map(|v| json_response(200, &v, &[]))
            .ok_or_else(ApiError::no_route),
        ["apis", g, v] if get => discovery::resource_list(&state.lock().registry, g, v)
            .map(|v| json_response(200, &v, &[]))
            .ok_or_else(ApiError::no_route),
        ["openapi", "v3"] if get => ok(openapi::root(&state.lock().registry)),
        ["openapi", "v3", "api", v] if get => openapi::group_version(&state.lock().registry, "", v)
            .map(|d| json_response(200, &d, &[]))
            .ok_or_else(ApiError::no_route),
        ["openapi", "v3", "apis", g, v] if get => {
            openapi::group_version(&state.lock().registry, g, v)
                .map(|d| json_response(200, &d, &[]))
                .ok_or_else(ApiError::no_route)
        }
        ["api", "v1", rest @ ..] => match parse_resource("", "v1", rest) {
            Some(t) => resource(state, req, t).await,
            None => Err(ApiError::no_route()),
        },
        ["apis", g, v, rest @ ..] => match parse_resource(g, v, rest) {
            Some(t) => resource(state, req, t).await,
            None => Err(ApiError::no_route()),
        },
        _ => Err(ApiError::no_route()),
    }
}

fn write_opts(
    req: &Request<Incoming>,
    q: &HashMap<String, String>,
    version: &str,
) -> Result<WriteOpts, ApiError> {
    let explicit = q.get("fieldManager").filter(|m| !m.is_empty());
    let manager = match explicit {
        Some(m) => m.clone(),
        None => req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(|ua| {
                ua.split('/')
                    .next()
                    .unwrap_or(ua)
                    .chars()
                    .take(128)
                    .collect()
            })
            .unwrap_or_else(|| "unknown".to_string()),
    };
    let validation = match q.get("fieldValidation").map(String::as_str) {
        None | Some("") | Some("Warn") => FieldValidation::Warn,
        Some("Strict") => FieldValidation::Strict,
        Some("Ignore") => FieldValidation::Ignore,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "fieldValidation: Unsupported value: \"{other}\": supported values: \"Ignore\", \"Strict\", \"Warn\""
            )));
        }
    };
    Ok(WriteOpts {
        manager,
        manager_explicit: explicit.is_some(),
        dry_run: dry_run(q)?,
        validation,
        version: version.to_string(),
    })
}

fn dry_run(q: &HashMap<String, String>) -> Result<bool, ApiError> {
    match q.get("dryRun").map(String::as_str) {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "dryRun: Unsupported value: \"{other}\": supported values: \"All\""
        ))),
    }
}

fn list_query(q: &HashMap<String, String>, kind: &str) -> Result<ListQuery, ApiError> {
    let labels = q
        .get("labelSelector")
        .filter(|s| !s.is_empty())
        .map(|s| LabelSelector::parse(s))
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let fields = q
        .get("fieldSelector")
        .filter(|s| !s.is_empty())
        .map(|s| FieldSelector::parse(s, kind))
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let limit = q
        .get("limit")
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .transpose()
        .map_err(|_| ApiError::bad_request("limit must be a non-negative integer"))?;
    Ok(ListQuery {
        labels,
        fields,
        limit,
        continue_token: q.get("continue").filter(|s| !s.is_empty()).cloned(),
    })
}

fn delete_opts(q: &HashMap<String, String>, body: &[u8]) -> Result<DeleteOpts, ApiError> {
    let parsed: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("invalid DeleteOptions: {e}")))?
    };
    let body_dry = parsed
        .get("dryRun")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v == "All"));
    let policy = q.get("propagationPolicy").cloned().or_else(|| {
        parsed
            .get("propagationPolicy")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let orphan = policy.as_deref() == Some("Orphan")
        || parsed.get("orphanDependents").and_then(Value::as_bool) == Some(true);
    let pre = |k: &str| {
        parsed
            .pointer(&format!("/preconditions/{k}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(DeleteOpts {
        dry_run: dry_run(q)? || body_dry,
        orphan,
        precondition_rv: pre("resourceVersion"),
        precondition_uid: pre("uid"),
    })
}

fn patch_type(req: &Request<Incoming>) -> Result<PatchType, ApiError> {
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let base = ct.split(';').next().unwrap_or_default().trim();
    match base {
        "application/json-patch+json" => Ok(PatchType::Json),
        "application/merge-patch+json" => Ok(PatchType::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
        "application/apply-patch+yaml" => Ok(PatchType::Apply),
        other => Err(ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other:?})"
        ))),
    }
}

const MAX_BODY: usize = 64 << 20;

async fn read_body(req: Request<Incoming>) -> Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(req.into_body(), MAX_BODY);
    limited.collect().await.map(|c| c.to_bytes()).map_err(|e| {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("reading request body: {e}"),
        )
    })
}

/// The request body's media type (without parameters).
fn content_type(req: &Request<Incoming>) -> String {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Decodes a create/update body: JSON, or protobuf for the kinds kubectl's generators send.
fn parse_body(media: &str, body: &[u8]) -> Result<Value, ApiError> {
    match media {
        "" | "application/json" | "application/yaml" | "*/*" => parse_json(body),
        "application/vnd.kubernetes.protobuf" => protobuf::decode(body).map_err(|e| match e {
            protobuf::ProtoError::Unsupported { .. } => {
                ApiError::unsupported_media_type(e.to_string())
            }
            other => ApiError::bad_request(other.to_string()),
        }),
        other => Err(ApiError::unsupported_media_type(format!(
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got {other:?})"
        ))),
    }
}

fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding request body: {e}")))
}

async fn resource(
    state: Arc<State>,
    req: Request<Incoming>,
    t: Target,
) -> Result<Response<ResBody>, ApiError> {
    let rt: Arc<ResourceType> = state
        .lock()
        .registry
        .lookup(&t.group, &t.version, &t.resource)
        .cloned()
        .ok_or_else(ApiError::no_route)?;
    if t.namespace.is_some() && !rt.namespaced {
        return Err(ApiError::no_route());
    }
    let sub = t.subresource.clone().unwrap_or_default();
    if !(sub.is_empty() || sub == "status" && rt.has_status(&t.version)) {
        return Err(ApiError::no_route());
    }
    let q = query_map(&req);
    let ns_for_write = t.namespace.clone().unwrap_or_default();
    let method = req.method().clone();
    let version = t.version.clone();
    match (&method, &t.name) {
        (&Method::GET, None) if sub.is_empty() => {
            let lq = list_query(&q, &rt.kind)?;
            if matches!(q.get("watch").map(String::as_str), Some("true") | Some("1")) {
                let render = tables::negotiate(&accept(&req));
                return watch::start(
                    &state,
                    &rt,
                    &version,
                    t.namespace.as_deref(),
                    lq,
                    &q,
                    render,
                );
            }
            let body = state
                .lock()
                .op_list(&rt, &version, t.namespace.as_deref(), &lq)?;
            let body = match tables::negotiate(&accept(&req)) {
                Render::Full => body,
                Render::Metadata => tables::partial_list(&body),
                Render::Table => {
                    let items = body
                        .get("items")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    let meta = body.get("metadata").cloned().unwrap_or(json!({}));
                    tables::table(&rt, &version, &items, meta)
                }
            };
            Ok(json_response(200, &body, &[]))
        }
        (&Method::GET, Some(name)) => {
            let body = state.lock().op_get(&rt, &version, &ns_for_write, name)?;
            let body = match tables::negotiate(&accept(&req)) {
                Render::Full => body,
                Render::Metadata => tables::partial(&body),
                Render::Table => {
                    tables::table(&rt, &version, std::slice::from_ref(&body), json!({}))
                }
            };
            Ok(json_response(200, &body, &[]))
        }
        (&Method::POST, None) if sub.is_empty() => {
            if rt.namespaced && t.namespace.is_none() {
                return Err(ApiError::no_route());
            }
            let opts = write_opts(&req, &q, &version)?;
            let media = content_type(&req);
            let body = parse_body(&media, &read_body(req).await?)?;
            Ok(reply_response(state.lock().op_create(
                &rt,
                &ns_for_write,
                body,
                &opts,
            )?))
        }
        (&Method::PUT, Some(name)) => {
            let opts = write_opts(&req, &q, &version)?;
            let media = content_type(&req);
            let body = parse_body(&media, &read_body(req).await?)?;
            Ok(reply_response(state.lock().op_update(
                &rt,
                &ns_for_write,
                name,
                body,
                &opts,
                &sub,
            )?))
        }
        (&Method::PATCH, Some(name)) => {
            let opts = write_opts(&req, &q, &version)?;
            let ptype = patch_type(&req)?;
            let force = q.get("force").is_some_and(|f| f == "true");
            let body = read_body(req).await?;
            Ok(reply_response(state.lock().op_patch(
                &rt,
                &ns_for_write,
                name,
                ptype,
                &body,
                &opts,
                &sub,
                force,
            )?))
        }
        (&Method::DELETE, Some(name)) if sub.is_empty() => {
            let dq = q.clone();
            let body = read_body(req).await?;
            let opts = delete_opts(&dq, &body)?;
            Ok(reply_response(state.lock().op_delete(
                &rt,
                &version,
                &ns_for_write,
                name,
                &opts,
            )?))
        }
        (&Method::DELETE, None) if sub.is_empty() => {
            if !rt.verbs.iter().any(|v| v == "deletecollection") {
                return Err(ApiError::method_not_allowed("DELETE"));
            }
            let lq = list_query(&q, &rt.kind)?;
            let dq = q.clone();
            let body = read_body(req).await?;
            let opts = delete_opts(&dq, &body)?;
            Ok(reply_response(state.lock().op_delete_collection(
                &rt,
                &version,
                t.namespace.as_deref(),
                &lq,
                &opts,
            )?))
        }
        (m, _) => Err(ApiError::method_not_allowed(m.as_str())),
    }
}

/// A whole-seconds query parameter (`timeoutSeconds`) as a Duration.
pub fn seconds(q: &HashMap<String, String>, key: &str) -> Option<Duration> {
    q.get(key)
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
}
