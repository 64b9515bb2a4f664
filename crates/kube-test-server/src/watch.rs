//! `?watch=true`: a chunked stream of `{"type":...,"object":...}` JSON lines.
//!
//! Without a `resourceVersion` (or with `"0"`) the stream starts with synthetic ADDED events for
//! the current objects, like the real server; with one, it replays the recorded history after that
//! version, then follows live events. The stream ends after `timeoutSeconds` (default 30 min),
//! when the client disconnects, or if the client falls too far behind.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::Response;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::http::{ChannelBody, ResBody, seconds};
use crate::ops::{ListQuery, present};
use crate::resources::ResourceType;
use crate::state::State;
use crate::status::ApiError;
use crate::store::{Event, EventType, meta_str};
use crate::tables::{self, Render};

fn line(kind: &str, obj: &Value) -> Bytes {
    let mut v = serde_json::to_vec(&json!({"type": kind, "object": obj})).unwrap_or_default();
    v.push(b'\n');
    Bytes::from(v)
}

struct Filter {
    rt: Arc<ResourceType>,
    version: String,
    ns: Option<String>,
    q: ListQuery,
    render: Render,
}

impl Filter {
    fn render(&self, ev: &Event) -> Option<Bytes> {
        if ev.group != self.rt.group || ev.plural != self.rt.plural {
            return None;
        }
        if let Some(ns) = &self.ns
            && meta_str(&ev.object, "namespace") != Some(ns.as_str())
        {
            return None;
        }
        let now = self.q.matches(&ev.object);
        let kind = match (ev.kind, ev.previous.as_deref().map(|p| self.q.matches(p))) {
            (EventType::Modified, Some(before)) => match (before, now) {
                (true, true) => EventType::Modified,
                (false, true) => EventType::Added,
                (true, false) => EventType::Deleted,
                (false, false) => return None,
            },
            (kind, _) if now => kind,
            _ => return None,
        };
        Some(line(kind.as_str(), &self.shape(&ev.object)))
    }

    /// The event object in the negotiated representation.
    fn shape(&self, obj: &Value) -> Value {
        let full = present(&self.rt, &self.version, obj);
        match self.render {
            Render::Full => full,
            Render::Metadata => tables::partial(&full),
            Render::Table => tables::table(
                &self.rt,
                &self.version,
                std::slice::from_ref(&full),
                json!({}),
            ),
        }
    }
}

/// Starts a watch response.
pub fn start(
    state: &Arc<State>,
    rt: &Arc<ResourceType>,
    version: &str,
    ns: Option<&str>,
    q: ListQuery,
    params: &HashMap<String, String>,
    render: Render,
) -> Result<Response<ResBody>, ApiError> {
    let filter = Filter {
        rt: rt.clone(),
        version: version.to_string(),
        ns: ns.map(str::to_string),
        q,
        render,
    };
    let from = params
        .get("resourceVersion")
        .filter(|s| !s.is_empty() && *s != "0");
    let send_initial = params.get("sendInitialEvents").map(String::as_str) == Some("true");
    let bookmarks = params.get("allowWatchBookmarks").map(String::as_str) == Some("true");
    let timeout = seconds(params, "timeoutSeconds").unwrap_or(Duration::from_secs(1800));

    let mut initial: Vec<Bytes> = Vec::new();
    let (rx, last_rv) = {
        let store = state.lock();
        let rx = store.subscribe();
        match from {
            Some(rv) if !send_initial => {
                let rv: u64 = rv.parse().map_err(|_| {
                    ApiError::bad_request(format!("invalid resource version: {rv}"))
                })?;
                initial.extend(
                    store
                        .history
                        .iter()
                        .filter(|e| e.rv > rv)
                        .filter_map(|e| filter.render(e)),
                );
            }
            _ => {
                for obj in store.list(&rt.group, &rt.plural, ns) {
                    if filter.q.matches(obj) {
                        initial.push(line("ADDED", &filter.shape(obj)));
                    }
                }
                if send_initial && bookmarks {
                    initial.push(line(
                        "BOOKMARK",
                        &json!({"kind": rt.kind, "apiVersion": rt.api_version(version),
                            "metadata": {"resourceVersion": store.rv.to_string(),
                                "annotations": {"k8s.io/initial-events-end": "true"}}}),
                    ));
                }
            }
        }
        (rx, store.rv)
    };

    let (tx, body_rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(pump(rx, tx, filter, initial, last_rv, timeout));
    let mut resp = Response::new(ChannelBody(body_rx).boxed());
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(resp)
}

async fn pump(
    mut rx: broadcast::Receiver<Event>,
    tx: mpsc::Sender<Bytes>,
    filter: Filter,
    initial: Vec<Bytes>,
    last_rv: u64,
    timeout: Duration,
) {
    for chunk in initial {
        if tx.send(chunk).await.is_err() {
            return;
        }
    }
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            _ = tx.closed() => return,
            ev = rx.recv() => match ev {
                Ok(ev) if ev.rv > last_rv => {
                    if let Some(chunk) = filter.render(&ev)
                        && tx.send(chunk).await.is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            },
        }
    }
}
