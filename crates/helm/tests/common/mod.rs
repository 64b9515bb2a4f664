//! Test helpers shared by several test binaries: a tiny loopback HTTP
//! server standing in for a static chart repository or a registry.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use base64::Engine as _;

/// A response: status line, extra headers, body.
pub type Reply = (String, Vec<(String, String)>, Vec<u8>);
/// Request path and `Authorization` header ("" when absent) to a reply.
pub type Handler = Arc<dyn Fn(&str, &str) -> Reply + Send + Sync>;

/// A tiny HTTP/1.1 server on loopback (one request per connection), counting
/// requests; stopped on drop.
pub struct StaticRepo {
    pub addr: String,
    pub hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl StaticRepo {
    /// Serves `files`, requiring basic auth `auth` (user:password).
    pub fn start(files: Vec<(String, Vec<u8>)>, auth: &str) -> StaticRepo {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(auth)
        );
        StaticRepo::start_with(Arc::new(move |path: &str, authz: &str| {
            if authz != expected {
                return ("401 Unauthorized".into(), vec![], b"auth required".to_vec());
            }
            match files.iter().find(|(p, _)| p == path) {
                Some((_, b)) => ("200 OK".into(), vec![], b.clone()),
                None => ("404 Not Found".into(), vec![], b"not found".to_vec()),
            }
        }))
    }

    pub fn start_with(handler: Handler) -> StaticRepo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (h, s) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        h.fetch_add(1, Ordering::Relaxed);
                        serve(stream, &handler);
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                }
            }
        });
        StaticRepo {
            addr,
            hits,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for StaticRepo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(stream: TcpStream, handler: &Handler) {
    stream.set_nonblocking(false).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut authz = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if h.to_ascii_lowercase().starts_with("authorization:") {
            authz = h[14..].trim().to_string();
        }
    }
    let (status, headers, body) = handler(&path, &authz);
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&body);
    let _ = out.read(&mut [0u8; 0]);
}

impl StaticRepo {
    /// Serves `files` without authentication.
    pub fn start_open(files: Vec<(String, Vec<u8>)>) -> StaticRepo {
        StaticRepo::start_with(Arc::new(move |path: &str, _authz: &str| {
            match files.iter().find(|(p, _)| p == path) {
                Some((_, b)) => ("200 OK".into(), vec![], b.clone()),
                None => ("404 Not Found".into(), vec![], b"not found".to_vec()),
            }
        }))
    }
}
