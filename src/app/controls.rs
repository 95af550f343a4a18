//! The simulated database failure: the core's fault plan, set by the user.

use super::AppState;
use crate::ledger::{Fault, FaultPlan, FaultPoint, ALWAYS};
use leptos::prelude::*;

fn point_name(p: FaultPoint) -> &'static str {
    match p {
        FaultPoint::BeforeRaw => "before_raw",
        FaultPoint::MidRequest => "mid_request",
        FaultPoint::LostAck => "lost_ack",
    }
}

/// "Simulate database failure", where it fails, and how often.
#[component]
pub fn FailureControls(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    // Start from the plan in force, so leaving the view and coming back
    // never shows the database as working while it is set to fail.
    let current = state.faults().faults.first().copied();
    let (enabled, set_enabled) = signal(current.is_some_and(|f| f.per_million > 0));
    let (point, set_point) = signal(current.map_or(FaultPoint::MidRequest, |f| f.point));
    let (percent, set_percent) = signal(current.map_or(100, |f| f.per_million / (ALWAYS / 100)));
    // The plan follows the controls; the seed keeps a run reproducible.
    // (The first run re-applies the plan in force, which changes nothing.)
    Effect::new(move |_| {
        let plan = if enabled.get() {
            let per_million = percent.get().min(100) * (ALWAYS / 100);
            FaultPlan::new(
                vec![Fault {
                    point: point.get(),
                    per_million,
                }],
                1,
            )
        } else {
            FaultPlan::none()
        };
        state.set_faults(plan);
    });
    view! {
        <fieldset class="failure">
            <legend>"Database"</legend>
            <label class="inline">
                <input type="checkbox" prop:checked=enabled
                    on:change=move |ev| set_enabled.set(event_target_checked(&ev)) />
                "Simulate database failure"
            </label>
            <label class="inline" for="failure-point">"Failure point"</label>
            <select id="failure-point" prop:disabled=move || !enabled.get()
                on:change=move |ev| {
                    let chosen = FaultPoint::ALL.into_iter().find(|p| point_name(*p) == event_target_value(&ev));
                    set_point.set(chosen.unwrap_or(FaultPoint::MidRequest));
                }>
                {FaultPoint::ALL.into_iter().map(|p| view! {
                    <option value=point_name(p) selected=move || point.get() == p>{p.label()}</option>
                }).collect_view()}
            </select>
            <label class="inline" for="failure-rate">"Failure rate (%)"</label>
            <input id="failure-rate" type="number" min="0" max="100" step="1" prop:value=move || percent.get().to_string()
                prop:disabled=move || !enabled.get()
                on:input=move |ev| set_percent.set(event_target_value(&ev).parse().unwrap_or(100).min(100)) />
        </fieldset>
    }
}
