//! A plain static file server on loopback, like GitHub Pages: files only, no
//! rewriting, the site under a sub-path. Every request is logged with its
//! status so tests can prove that every asset loaded. HTTP itself is
//! tiny_http's; this file only decides what a path serves.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use tiny_http::{Header, Method, Response, Server};

/// One served request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub path: String,
    pub status: u16,
}

/// A running server; it stops when the test process ends.
pub struct StaticServer {
    pub addr: SocketAddr,
    pub prefix: String,
    log: Arc<Mutex<Vec<Served>>>,
    offline: Arc<AtomicBool>,
}

impl StaticServer {
    /// Serves `root` at `http://127.0.0.1:<port><prefix>` (prefix like `/tally/`).
    pub fn start(root: &Path, prefix: &str) -> StaticServer {
        let server = Server::http("127.0.0.1:0").expect("bind a loopback port");
        let addr = server
            .server_addr()
            .to_ip()
            .expect("an IP address, not a Unix socket");
        let log = Arc::new(Mutex::new(Vec::new()));
        let offline = Arc::new(AtomicBool::new(false));
        let (root, prefix_owned, log2) = (root.to_path_buf(), prefix.to_string(), log.clone());
        let offline2 = offline.clone();
        thread::spawn(move || {
            for request in server.incoming_requests() {
                let target = request.url().to_string();
                let readable = matches!(request.method(), Method::Get | Method::Head);
                if offline2.load(Ordering::SeqCst) {
                    // tiny_http cannot drop a connection unanswered; a 503
                    // serves nothing either, and is logged as unanswered.
                    if let Ok(mut l) = log2.lock() {
                        l.push(Served {
                            path: target,
                            status: 0,
                        });
                    }
                    let _ = request.respond(Response::empty(503));
                    continue;
                }
                let found = readable
                    .then(|| resolve(&root, &prefix_owned, &target))
                    .flatten()
                    .and_then(|f| std::fs::read(&f).ok().map(|body| (body, f)));
                let (status, body, kind) = match found {
                    Some((body, file)) => (200, body, content_type(&file)),
                    None => (404, b"not found".to_vec(), "text/plain"),
                };
                if let Ok(mut l) = log2.lock() {
                    l.push(Served {
                        path: target,
                        status,
                    });
                }
                let header = |name: &str, value: &str| {
                    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("an ASCII header")
                };
                let response = Response::from_data(body)
                    .with_status_code(status)
                    .with_header(header("Content-Type", kind))
                    .with_header(header("Cache-Control", "no-store"));
                let _ = request.respond(response);
            }
        });
        StaticServer {
            addr,
            prefix: prefix.to_string(),
            log,
            offline,
        }
    }

    /// Takes the site off the network, or puts it back: while offline every
    /// request is answered 503 with no body and logged with status 0, so a
    /// test can prove that what the page showed came from elsewhere.
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
    }

    /// The site's URL.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.prefix)
    }

    /// Every request served so far.
    pub fn served(&self) -> Vec<Served> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn resolve(root: &Path, prefix: &str, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let rel = path.strip_prefix(prefix)?;
    if rel.split('/').any(|seg| seg == "..") {
        return None;
    }
    let file = if rel.is_empty() || rel.ends_with('/') {
        root.join(rel).join("index.html")
    } else {
        root.join(rel)
    };
    file.is_file().then_some(file)
}
