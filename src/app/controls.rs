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
    // A rate that is not a whole number from 0 to 100 is refused, and the
    // rate in force stays (before, "-5" silently meant 100%).
    let (rate_error, set_rate_error) = signal(None::<String>);
    let rate_typed = move |typed: &str| match typed.trim().parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        // A number field hands over "" for text that is not a number at all.
        _ => Err(format!(
            "Failure rate: {} a whole number from 0 to 100; still failing {}% of requests.",
            if typed.trim().is_empty() {
                "enter".to_string()
            } else {
                format!("'{}' is not", typed.trim())
            },
            percent.get_untracked()
        )),
    };
    // The plan follows the controls; the seed keeps a run reproducible.
    // Settings unchanged (the first run, on every visit to the view) keep
    // the plan in force and where its generator is: starting it over on
    // each visit answered the same first draw every time, so at 80% a
    // request made right after opening Submit always succeeded.
    Effect::new(move |_| {
        let faults = match enabled.get() {
            true => vec![Fault {
                point: point.get(),
                per_million: percent.get().min(100) * (ALWAYS / 100),
            }],
            false => Vec::new(),
        };
        if state.faults().faults != faults {
            state.set_faults(FaultPlan::new(faults, 1));
        }
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
                    <option value=point_name(p) selected=move || point.get() == p>{p.name()}</option>
                }).collect_view()}
            </select>
            // A select cannot wrap, and the whole label cut a phone's menu
            // short: the menu names the point, this says where it is.
            <span class="hint" data-testid="failure-point-where">{move || point.get().label().strip_prefix(point.get().name()).map(|w| w.trim_matches([' ', '(', ')']).to_string())}</span>
            // The label and its box wrap as one: at 1280 px the box fell
            // to the next line alone.
            <span class="pair">
            <label class="inline" for="failure-rate">"Failure rate (%)"</label>
            <input id="failure-rate" type="number" min="0" max="100" step="1" prop:value=move || percent.get().to_string()
                prop:disabled=move || !enabled.get()
                aria-describedby="failure-rate-error"
                // Checked as it is typed, applied once it is entered (Enter,
                // or leaving the box, as a click on Submit does): typing 150
                // passed through 15, which was applied and stayed in force
                // when 150 was refused (an outside review).
                on:input=move |ev| set_rate_error.set(rate_typed(&event_target_value(&ev)).err())
                on:change=move |ev| {
                    if let Ok(n) = rate_typed(&event_target_value(&ev)) {
                        set_percent.set(n);
                    }
                } />
            </span>
            {move || rate_error.get().map(|e| view! { <p id="failure-rate-error" class="error" role="alert">{e}</p> })}
        </fieldset>
    }
}
