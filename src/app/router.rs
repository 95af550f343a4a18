//! Hash routing: each view has its own URL (`#/processed`), so links, reload
//! and the back button work on a static host such as GitHub Pages, which
//! cannot rewrite paths for a single-page app.

use leptos::prelude::*;

/// The views, in navigation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Submit one event.
    Submit,
    /// Import many events.
    Import,
    /// The committed events.
    Processed,
    /// The outbox.
    Failed,
    /// Every submission as received.
    Log,
    /// Totals and groupings.
    Aggregates,
    /// The mapping rules.
    Rules,
    /// The chaos simulator.
    Simulator,
    /// The guarantees, and backup.
    About,
    /// One event's story (`#/event/<id>`); reached from a row, not the menu.
    Event,
    /// One submission's story (`#/submission/<writer>%23<seq>`), counted or
    /// not; reached from the raw log, Failed, an import's lines.
    Submission,
}

impl Route {
    /// Every view, in navigation order.
    pub const ALL: [Route; 9] = [
        Route::Submit,
        Route::Import,
        Route::Processed,
        Route::Failed,
        Route::Log,
        Route::Aggregates,
        Route::Rules,
        Route::Simulator,
        Route::About,
    ];

    /// The URL hash of the view.
    pub fn hash(self) -> &'static str {
        match self {
            Route::Submit => "#/submit",
            Route::Import => "#/import",
            Route::Processed => "#/processed",
            Route::Failed => "#/failed",
            Route::Log => "#/log",
            Route::Aggregates => "#/aggregates",
            Route::Rules => "#/rules",
            Route::Simulator => "#/simulator",
            Route::About => "#/about",
            Route::Event => "#/event/",
            Route::Submission => "#/submission/",
        }
    }

    /// The name in the navigation.
    pub fn title(self) -> &'static str {
        match self {
            Route::Submit => "Submit",
            Route::Import => "Bulk import",
            Route::Processed => "Processed",
            Route::Failed => "Failed",
            Route::Log => "Raw log",
            Route::Aggregates => "Aggregates",
            Route::Rules => "Rules",
            Route::Simulator => "Simulator",
            Route::About => "About",
            Route::Event => "Event",
            Route::Submission => "Submission",
        }
    }

    /// The menu entry a page belongs to: an event's story to Processed, a
    /// submission's page to the Raw log, so the menu says where one is.
    pub fn section(self) -> Route {
        match self {
            Route::Event => Route::Processed,
            Route::Submission => Route::Log,
            other => other,
        }
    }

    /// The view for a hash; anything unknown shows Submit.
    pub fn from_hash(hash: &str) -> Route {
        for page in [Route::Event, Route::Submission] {
            if hash.starts_with(page.hash()) {
                return page;
            }
        }
        // A view may carry its settings after `?` (`#/simulator?seed=7`).
        let view = hash.split('?').next().unwrap_or_default();
        Route::ALL
            .into_iter()
            .find(|r| r.hash() == view)
            .unwrap_or(Route::Submit)
    }
}

/// The address, when it names no view: Submit shows instead, and the page
/// says so rather than pretending the address worked.
pub fn unknown_address() -> Option<String> {
    let hash = window().location().hash().unwrap_or_default();
    let view = hash.split('?').next().unwrap_or_default();
    let known = matches!(view, "" | "#" | "#/")
        || [Route::Event, Route::Submission]
            .iter()
            .any(|r| view.starts_with(r.hash()))
        || Route::ALL.iter().any(|r| r.hash() == view);
    (!known).then_some(hash)
}

/// What `read` finds in the address, kept current as the address changes.
/// A page that stays on one route while its address changes (one event's
/// story to another's) follows the address itself: the route signal only
/// changes with the view.
pub fn follow_address<T: Send + Sync + 'static>(read: fn() -> T) -> ReadSignal<T> {
    let (value, set_value) = signal(read());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        set_value.set(read());
    });
    on_cleanup(move || listener.remove());
    value
}

/// Whether the address names no view, following it.
#[component]
pub fn UnknownAddress() -> impl IntoView {
    let unknown = follow_address(unknown_address);
    move || {
        unknown.get().map(|hash| {
            view! {
                <p class="panel warning" role="status" data-testid="unknown-address">
                    {format!("No view has the address {hash}; here is Submit. The menu above lists every view.")}
                </p>
            }
        })
    }
}

/// The view the address names now.
pub fn current() -> Route {
    Route::from_hash(&window().location().hash().unwrap_or_default())
}

/// The current route, following the URL hash.
pub fn use_route() -> ReadSignal<Route> {
    let (route, set_route) = signal(current());
    // Only a different view re-renders: setting a signal notifies even when
    // the value is the same, and rebuilding the view would drop its state
    // (the text typed, the last answer).
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        let next = current();
        if route.get_untracked() != next {
            set_route.set(next);
        }
    });
    on_cleanup(move || listener.remove());
    route
}

/// The navigation bar.
#[component]
pub fn Nav(route: ReadSignal<Route>) -> impl IntoView {
    // The Simulator's link carries its last settings (see SimSession).
    let simulator = use_context::<super::simulator_view::SimSession>().map(|s| s.address);
    let href = move |r: Route| match (r, simulator) {
        (Route::Simulator, Some(address)) => address.get(),
        _ => r.hash().to_string(),
    };
    view! {
        <nav aria-label="Views">
            <ul>
                {Route::ALL.into_iter().map(|r| view! {
                    <li>
                        <a href=move || href(r) aria-current=move || (route.get().section() == r).then_some("page")>{r.title()}</a>
                    </li>
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// The address of an event's story.
pub fn event_href(id: &crate::pipeline::fingerprint::Fingerprint) -> String {
    format!("{}{}", Route::Event.hash(), id)
}

/// The event id the address names, on the event page.
pub fn event_in_hash() -> Option<crate::pipeline::fingerprint::Fingerprint> {
    let hash = window().location().hash().ok()?;
    crate::pipeline::fingerprint::Fingerprint::parse(hash.strip_prefix(Route::Event.hash())?)
}

/// The address of a submission's story. The id is percent-encoded: its
/// `#` would otherwise end the address's fragment.
pub fn submission_href(id: &crate::ledger::SubmissionId) -> String {
    let encoded: String = js_sys::encode_uri_component(&id.to_string()).into();
    format!("{}{encoded}", Route::Submission.hash())
}

/// The submission the address names, on the submission page.
pub fn submission_in_hash() -> Option<crate::ledger::SubmissionId> {
    let hash = window().location().hash().ok()?;
    let encoded = hash.strip_prefix(Route::Submission.hash())?;
    let decoded: String = js_sys::decode_uri_component(encoded).ok()?.into();
    crate::ledger::SubmissionId::parse(&decoded)
}

/// Whether the address shows `route` now.
pub fn on_route(route: Route) -> bool {
    current() == route
}

/// One setting of the address, decoded, if it names it.
pub fn query_value(name: &str) -> Option<String> {
    query().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The settings after `?` in the address, as name/value pairs, decoded.
pub fn query() -> Vec<(String, String)> {
    query_of(&window().location().hash().unwrap_or_default())
}

/// The settings in an address such as [`href_with`] writes.
pub fn query_of(hash: &str) -> Vec<(String, String)> {
    let decode = |text: &str| -> Option<String> {
        js_sys::decode_uri_component(text).ok().map(String::from)
    };
    hash.split_once('?')
        .map(|(_, q)| {
            q.split('&')
                .filter_map(|pair| pair.split_once('='))
                .filter_map(|(k, v)| Some((decode(k)?, decode(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The address of a view with settings, each value percent-encoded.
pub fn href_with(view: Route, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", String::from(js_sys::encode_uri_component(v))))
        .collect();
    if query.is_empty() {
        return view.hash().to_string();
    }
    format!("{}?{}", view.hash(), query.join("&"))
}

/// Replaces the address's settings without a new history entry or a
/// hashchange (the view already shows them).
pub fn replace_query(view: Route, pairs: &[(&str, String)]) {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let hash = href_with(view, &pairs);
    // Each write is a navigation, and Chromium throttles a page that makes
    // a few hundred in seconds (crbug.com/1038223): the same address is
    // not written again.
    if window().location().hash().is_ok_and(|now| now == hash) {
        return;
    }
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&hash));
    }
}
