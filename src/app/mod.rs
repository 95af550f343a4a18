//! The browser interface. Thin by design: components hold signals, call the
//! core through [`AppState`], and render what it returns as text (never as
//! HTML, so markup inside an event is shown, not executed).

mod backup_view;
mod controls;
mod outbox_view;
mod outcome;
mod state;
mod status;
mod submit;

pub use backup_view::BackupView;
pub use controls::FailureControls;
pub use outbox_view::OutboxView;
pub use outcome::OutcomePanel;
pub use state::{AppLedger, AppState, Tally};
pub use status::{LoadReportBanner, StorageMeter};
pub use submit::SubmitView;

use crate::journal::PREFIX;
use leptos::prelude::*;

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    match Tally::open() {
        Ok(tally) => {
            let state = AppState::new(tally);
            // Another tab committed: re-read its records so every view agrees.
            let listener = window_event_listener(leptos::ev::storage, move |ev| {
                let ours = ev.key().is_none_or(|k| k.starts_with(PREFIX));
                if ours {
                    state.update(|t| t.refresh());
                }
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

/// The page around the views.
#[component]
pub fn Shell(state: AppState) -> impl IntoView {
    view! {
        <Masthead />
        <main>
            <StorageMeter state=state />
            <LoadReportBanner state=state />
            <SubmitView state=state />
            <OutboxView state=state />
            <BackupView state=state />
        </main>
    }
}
