//! Raw log: every submission ever received, with its status and reason.

use super::widgets::{Pager, PAGE_SIZE};
use super::AppState;
use crate::ledger::Status;
use crate::pipeline::timestamp;
use leptos::prelude::*;

fn label(status: &Status) -> &'static str {
    match status {
        Status::Interrupted => "Interrupted",
        Status::Accepted { .. } => "Accepted",
        Status::Duplicate { .. } => "Duplicate",
        Status::Rejected { .. } => "Rejected",
        Status::Conflict { .. } => "Conflict",
    }
}

fn reason(status: &Status) -> String {
    match status {
        Status::Interrupted => "received, then the request failed before its outcome was recorded; nothing was committed".into(),
        Status::Accepted { event_id } => format!("committed as {}", event_id.short()),
        Status::Duplicate { of, exact_resend: true } => format!("exact resend of {}", of.short()),
        Status::Duplicate { of, exact_resend: false } => format!("same event as {}, in another shape", of.short()),
        Status::Rejected { rejection } => rejection.to_string(),
        Status::Conflict { key, existing } => format!("idempotency key \"{key}\" already used by {}", existing.short()),
    }
}

const STATUSES: [&str; 5] = [
    "Accepted",
    "Duplicate",
    "Rejected",
    "Conflict",
    "Interrupted",
];

#[component]
pub fn LogView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let page = RwSignal::new(0usize);
    let (only, set_only) = signal(String::new());
    // Another filter is another list: start it at its first page.
    Effect::new(move |_| {
        only.track();
        page.set(0);
    });
    let matches = move |s: &Status| {
        let o = only.get();
        o.is_empty() || label(s) == o
    };
    let total = Signal::derive(move || {
        state.read(|t| {
            t.ledger
                .state()
                .submissions()
                .iter()
                .filter(|s| matches(&s.status))
                .count()
        })
    });
    let rows = move || {
        let skip = page.get() * PAGE_SIZE;
        state.read(|t| {
            t.ledger
                .state()
                .submissions()
                .iter()
                .rev()
                .filter(|s| matches(&s.status))
                .skip(skip)
                .take(PAGE_SIZE)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="panel" aria-labelledby="log-title">
            <h2 id="log-title">"Raw log"</h2>
            <p class="hint">"Every submission exactly as received, newest first: the audit trail."</p>
            <label for="log-status">"Status"</label>
            <select id="log-status" on:change=move |ev| set_only.set(event_target_value(&ev))>
                <option value="">"All"</option>
                {STATUSES.into_iter().map(|s| view! { <option value=s>{s}</option> }).collect_view()}
            </select>
            <Pager page=page total=total />
            <ol class="log" data-testid="log">
                {move || rows().into_iter().map(|s| view! {
                    <li>
                        <div class="log-head">
                            <strong class=format!("status status-{}", label(&s.status).to_lowercase())>{label(&s.status)}</strong>
                            <span>{format!(" {} at {}", s.id, timestamp::canonical(&s.received_at))}</span>
                        </div>
                        <div class="reason">{reason(&s.status)}</div>
                        {s.told.map(|told| view! {
                            <div class="revised" data-testid="revised">{format!(
                                "Revised: this submission was answered {} when it arrived; another tab's submissions, merged in before it, make it {}.",
                                told.label(),
                                label(&s.status)
                            )}</div>
                        })}
                        <pre class="raw">{s.raw.clone()}</pre>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}
