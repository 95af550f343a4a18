//! A small blocking W3C WebDriver client: just what the end-to-end tests use,
//! with errors that say which command failed and what the browser answered.
//! It drives Debian's Chromium through chromedriver; nothing is downloaded.

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A browser session; the browser and chromedriver stop when it is dropped.
pub struct Browser {
    agent: ureq::Agent,
    base: String,
    session: String,
    driver: Child,
}

/// A reference to an element in the page.
#[derive(Debug, Clone)]
pub struct Element(String);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub fn start() -> Browser {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver on PATH (scripts/test.sh installs Debian's chromium-driver)");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while agent.get(format!("{base}/status")).call().is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start within 30 s"
            );
            sleep(Duration::from_millis(50));
        }
        let profile = std::env::temp_dir().join(format!("tally-e2e-{port}"));
        let caps = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": { "browser": "ALL" },
                "goog:chromeOptions": {
                    "binary": chromium,
                    "args": [
                        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--disable-background-networking", "--disable-component-update",
                        "--disable-sync", "--no-first-run", "--disable-quic",
                        "--window-size=1280,1000",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}
        });
        let mut browser = Browser {
            agent,
            base,
            session: String::new(),
            driver,
        };
        let created = browser.command("POST", "/session", Some(caps));
        browser.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {created}"))
            .to_string();
        browser.command(
            "POST",
            "/timeouts",
            Some(json!({ "script": 300_000, "pageLoad": 120_000 })),
        );
        browser
    }

    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let response = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut response = response.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status();
        let value: Value = response
            .body_mut()
            .read_json()
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: unreadable answer: {e}"));
        if !status.is_success() {
            panic!(
                "WebDriver {method} {path} failed ({status}): {}",
                value["value"]
            );
        }
        value.get("value").cloned().unwrap_or(Value::Null)
    }

    /// Opens `url` and waits for the page to load.
    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({ "url": url })));
    }

    /// Reloads the page.
    pub fn reload(&self) {
        self.command("POST", "/refresh", None);
    }

    /// The first element matching `css`, if any.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        let found = self.command(
            "POST",
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        found
            .as_array()
            .and_then(|a| a.first())
            .and_then(|e| e[ELEMENT_KEY].as_str())
            .map(|id| Element(id.to_string()))
    }

    /// Waits up to 20 s for an element matching `css`.
    pub fn find(&self, css: &str) -> Element {
        self.wait_until(&format!("an element matching {css}"), || self.try_find(css))
    }

    /// Polls `probe` until it returns `Some`, failing after 20 s with `what`.
    pub fn wait_until<T>(&self, what: &str, probe: impl FnMut() -> Option<T>) -> T {
        self.wait_until_within(what, Duration::from_secs(20), probe)
    }

    /// Polls `probe` until it returns `Some`, failing after `limit`.
    pub fn wait_until_within<T>(
        &self,
        what: &str,
        limit: Duration,
        mut probe: impl FnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(v) = probe() {
                return v;
            }
            if Instant::now() > deadline {
                let log = self.console();
                panic!("timed out after {limit:?} waiting for {what}; browser console: {log:#?}");
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the text of `css` satisfies `ok`, and returns it.
    pub fn wait_for_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_for_text_within(css, Duration::from_secs(20), ok)
    }

    /// Like [`Browser::wait_for_text`], waiting up to `limit`. The text is
    /// read in one script call, so a re-render between finding the element
    /// and reading it cannot leave a stale reference.
    pub fn wait_for_text_within(
        &self,
        css: &str,
        limit: Duration,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        let what = format!("the text of {css} to match");
        self.wait_until_within(&what, limit, || {
            let text = self.execute(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                json!([css]),
            );
            text.as_str().filter(|t| ok(t)).map(str::to_string)
        })
    }

    /// The rendered text of the first element matching `css`, waiting for
    /// one to exist; read atomically, like [`Browser::wait_for_text`].
    pub fn text_of(&self, css: &str) -> String {
        self.wait_for_text(css, |_| true)
    }

    /// Clicks an element.
    pub fn click(&self, e: &Element) {
        self.command("POST", &format!("/element/{}/click", e.0), None);
    }

    /// The rendered text of an element.
    pub fn text(&self, e: &Element) -> String {
        self.command("GET", &format!("/element/{}/text", e.0), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Replaces the value of a form field, firing input events as typing does.
    pub fn set_value(&self, e: &Element, text: &str) {
        self.command("POST", &format!("/element/{}/clear", e.0), None);
        self.command(
            "POST",
            &format!("/element/{}/value", e.0),
            Some(json!({ "text": text })),
        );
    }

    /// Runs synchronous JavaScript in the page and returns its result.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// The text of the open `alert`/`confirm` dialog.
    pub fn dialog_text(&self) -> String {
        self.command("GET", "/alert/text", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Answers the open dialog: OK (`true`) or Cancel.
    pub fn answer_dialog(&self, ok: bool) {
        let path = if ok {
            "/alert/accept"
        } else {
            "/alert/dismiss"
        };
        self.command("POST", path, None);
    }

    /// Sends a Chrome DevTools Protocol command to the current tab through
    /// chromedriver, and returns its result.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.command(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
    }

    /// Makes the viewport exactly `width` CSS pixels wide, as a phone
    /// (`mobile`) or a desktop window.
    pub fn set_viewport(&self, width: u32, height: u32, mobile: bool) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        );
    }

    /// Saves a PNG of the whole page, not just the viewport.
    pub fn full_page_screenshot(&self, path: &Path) {
        let metrics = self.cdp("Page.getLayoutMetrics", json!({}));
        let size = &metrics["cssContentSize"];
        let (width, height) = (
            size["width"].as_f64().unwrap_or(1280.0),
            size["height"].as_f64().unwrap_or(1000.0).min(12_000.0),
        );
        let shot = self.cdp(
            "Page.captureScreenshot",
            json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
            }),
        );
        let bytes = base64_decode(shot["data"].as_str().unwrap_or_default());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the screenshot folder");
        }
        std::fs::write(path, bytes).expect("write the screenshot");
    }

    /// Runs `script` in the current tab at the start of every document it
    /// loads from now on, before the page's own scripts (chromedriver's
    /// Chrome DevTools Protocol passthrough).
    pub fn run_before_page_scripts(&self, script: &str) {
        self.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": script }),
        );
    }

    /// Opens a new tab and returns its handle (the current tab stays active).
    pub fn new_tab(&self) -> String {
        let created = self.command("POST", "/window/new", Some(json!({ "type": "tab" })));
        created["handle"]
            .as_str()
            .unwrap_or_else(|| panic!("no handle in {created}"))
            .to_string()
    }

    /// The handle of the active tab.
    pub fn current_tab(&self) -> String {
        self.command("GET", "/window", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Makes the tab with `handle` active.
    pub fn switch_to(&self, handle: &str) {
        self.command("POST", "/window", Some(json!({ "handle": handle })));
    }

    /// Runs asynchronous JavaScript; the script calls its last argument
    /// with the result. Scripts may run for up to five minutes.
    pub fn execute_async(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/async",
            Some(json!({ "script": script, "args": args })),
        )
    }

    /// Like [`Browser::execute`], but `None` instead of a panic when the
    /// browser refuses, e.g. while the page is being replaced by a reload.
    pub fn try_execute(&self, script: &str, args: Value) -> Option<Value> {
        let url = format!("{}/session/{}/execute/sync", self.base, self.session);
        let mut response = self
            .agent
            .post(&url)
            .send_json(json!({ "script": script, "args": args }))
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let value: Value = response.body_mut().read_json().ok()?;
        value.get("value").cloned()
    }

    /// The page title.
    pub fn title(&self) -> String {
        self.command("GET", "/title", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Browser console entries since the last call, as (level, message).
    pub fn console(&self) -> Vec<(String, String)> {
        let entries = self.command("POST", "/se/log", Some(json!({ "type": "browser" })));
        entries
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["level"].as_str().unwrap_or_default().to_string(),
                            e["message"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Saves a PNG screenshot of the viewport.
    pub fn screenshot(&self, path: &Path) {
        let data = self.command("GET", "/screenshot", None);
        let bytes = base64_decode(data.as_str().unwrap_or_default());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the screenshot folder");
        }
        std::fs::write(path, bytes).expect("write the screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let _ = self.agent.delete(&url).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 decoding (RFC 4648), enough for WebDriver screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
