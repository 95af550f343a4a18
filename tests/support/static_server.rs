//! A plain static file server on loopback, like GitHub Pages: files only, no
//! rewriting, the site under a sub-path. Every request is logged with its
//! status so tests can prove that every asset loaded.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

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
}

impl StaticServer {
    /// Serves `root` at `http://127.0.0.1:<port><prefix>` (prefix like `/tally/`).
    pub fn start(root: &Path, prefix: &str) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (root, prefix_owned, log2) = (root.to_path_buf(), prefix.to_string(), log.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (root, prefix, log) = (root.clone(), prefix_owned.clone(), log2.clone());
                thread::spawn(move || handle(stream, &root, &prefix, &log));
            }
        });
        StaticServer {
            addr,
            prefix: prefix.to_string(),
            log,
        }
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

fn handle(mut stream: TcpStream, root: &Path, prefix: &str, log: &Mutex<Vec<Served>>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    // Keep-alive: serve requests on this connection until it closes.
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut header = String::new();
        while reader.read_line(&mut header).unwrap_or(0) > 2 {
            header.clear();
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let found = if method == "GET" || method == "HEAD" {
            resolve(root, prefix, target)
        } else {
            None
        };
        let (status, body, kind) = match found.and_then(|f| std::fs::read(&f).ok().map(|b| (b, f)))
        {
            Some((body, file)) => (200, body, content_type(&file)),
            None => (404, b"not found".to_vec(), "text/plain"),
        };
        if let Ok(mut l) = log.lock() {
            l.push(Served {
                path: target.to_string(),
                status,
            });
        }
        let head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\r\n",
            if status == 200 { "OK" } else { "Not Found" },
            body.len()
        );
        let ok = stream.write_all(head.as_bytes()).is_ok()
            && (method == "HEAD" || stream.write_all(&body).is_ok());
        if !ok {
            return;
        }
    }
}
