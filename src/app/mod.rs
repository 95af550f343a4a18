//! The browser interface. Thin by design: components hold signals, call the
//! core through [`AppState`], and render what it returns as text (never as
//! HTML, so markup inside an event is shown, not executed).

mod about_view;
mod aggregates_view;
mod backup_view;
mod controls;
mod event_view;
mod import_view;
mod later;
mod log_view;
mod outbox_view;
mod outcome;
mod processed_view;
mod router;
mod rules_view;
mod simulator_view;
mod state;
mod status;
mod submission_view;
mod submit;
mod widgets;

pub use about_view::AboutView;
pub use aggregates_view::AggregatesView;
pub use backup_view::BackupView;
pub use controls::FailureControls;
pub use event_view::EventView;
pub use import_view::ImportView;
pub use log_view::LogView;
pub use outbox_view::OutboxView;
pub use outcome::OutcomePanel;
pub use processed_view::ProcessedView;
pub use router::{Nav, Route};
pub use rules_view::RulesView;
pub use simulator_view::SimulatorView;
pub use state::{AppLedger, AppState, Tally};
pub use status::{Glance, LoadReportBanner, StorageMeter};
pub use submission_view::SubmissionView;
pub use submit::SubmitView;

use crate::store::PREFIX;
use leptos::prelude::*;

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    let opened = Tally::open();
    // The benchmark's split of start-up: storage read and replayed by here.
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("tally-opened");
    }
    match opened {
        Ok(tally) => {
            let state = AppState::new(tally);
            // What a view shows outlives the view: following a link out of
            // an answer, an import or a simulator run and coming back finds it.
            provide_context(import_view::ImportSession::new());
            provide_context(submit::SubmitSession::default());
            provide_context(simulator_view::SimSession::default());
            provide_context(rules_view::RulesDraft::default());
            // Another tab committed: re-read its records so every view agrees.
            // A commit writes several keys and an import commits chunk after
            // chunk, so one refresh per burst (at most one per 50 ms), and the
            // views re-derived only when it read something: a tab that did
            // both on every event ran at a ninth of its speed while another
            // tab imported (found by an outside review).
            let scheduled = std::rc::Rc::new(std::cell::Cell::new(false));
            let other_keys = std::rc::Rc::new(std::cell::Cell::new(false));
            let listener = window_event_listener(leptos::ev::storage, move |ev| {
                // At once, not with the refresh below: a commit in between
                // must list storage afresh to find what changed.
                crate::browser::forget_keys();
                let key = ev.key();
                if !key.as_deref().is_none_or(|k| k.starts_with(PREFIX)) {
                    return;
                }
                // Failed, the rules, set-aside data, or everything cleared:
                // shown without being journal records.
                if !key.as_deref().is_some_and(|k| k.contains(":s:") || k.ends_with(":head")) {
                    other_keys.set(true);
                }
                if scheduled.replace(true) {
                    return;
                }
                let (scheduled, other_keys) = (scheduled.clone(), other_keys.clone());
                set_timeout(
                    move || {
                        scheduled.set(false);
                        let read = state.update_quietly(|t| t.refresh()).unwrap_or(false);
                        if read || other_keys.replace(false) {
                            state.changed();
                        }
                    },
                    std::time::Duration::from_millis(50),
                );
            });
            on_cleanup(move || listener.remove());
            view! { <Shell state=state /> }.into_any()
        }
        Err(e) => view! {
            <Masthead />
            <main>
                <p class="panel unsupported" role="alert">
                    {format!("Tally cannot open its storage: {e}. Nothing can be kept between visits.")}
                </p>
            </main>
        }
        .into_any(),
    }
}

#[component]
fn Masthead() -> impl IntoView {
    view! {
        <header class="masthead">
            <h1>"Tally"</h1>
            <p class="tagline">"Every real event counted exactly once, even when clients resend and storage fails."</p>
        </header>
    }
}

/// The page around the views: navigation, storage status, and the view
/// the URL names.
#[component]
pub fn Shell(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let route = router::use_route();
    // A story is a new page: it opens at its top, not at the height the
    // list (or the story it was opened from) was scrolled to (a review
    // landed below the header). On the address, not the route: from one
    // story to another the route stays the same.
    let listener = window_event_listener(leptos::ev::hashchange, |_| {
        if matches!(router::current(), Route::Event | Route::Submission) {
            window().scroll_to_with_x_and_y(0.0, 0.0);
        }
    });
    on_cleanup(move || listener.remove());
    // Each view names itself in the tab's title, as a page of its own would
    // (the history menu, a screen reader, several tabs side by side).
    Effect::new(move |_| document().set_title(&format!("{} · Tally", route.get().title())));
    view! {
        <Masthead />
        <Nav route=route />
        <main>
            <Glance state=state />
            <LoadReportBanner state=state />
            <router::UnknownAddress />
            <later::RoutedView route=route state=state />
            <StorageMeter state=state />
        </main>
    }
}
