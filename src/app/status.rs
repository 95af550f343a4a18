//! How full storage is, and what loading found that needs attention.

use super::AppState;
use crate::store::BROWSER_QUOTA_UNITS;
use leptos::prelude::*;

/// Use of localStorage against the browser's quota.
#[component]
pub fn StorageMeter(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let used = move || state.read(|t| t.used_units());
    let label = move || {
        let u = used();
        format!(
            "Storage: {:.1}% used ({u} of {BROWSER_QUOTA_UNITS} characters)",
            u as f64 * 100.0 / BROWSER_QUOTA_UNITS as f64
        )
    };
    view! {
        <div class="meter" data-testid="storage-meter">
            <label for="storage-meter">{label}</label>
            <meter id="storage-meter" min="0" max=BROWSER_QUOTA_UNITS.to_string() high=(BROWSER_QUOTA_UNITS * 9 / 10).to_string()
                value=move || used().to_string()></meter>
        </div>
    }
}

/// Damaged or foreign data found in storage: said plainly, never hidden.
#[component]
pub fn LoadReportBanner(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let messages = move || state.read(|t| t.messages());
    view! {
        <Show when=move || !messages().is_empty()>
            <section class="panel warning" role="alert" data-testid="load-report">
                <h2>"Some stored data could not be read"</h2>
                <ul>{move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            </section>
        </Show>
    }
}
