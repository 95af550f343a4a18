//! The Submit view: paste one raw event, see it validated as you type, submit
//! it, and read what the pipeline made of it.

use super::{AppState, FailureControls, OutcomePanel};
use crate::aggregate::{Aggregates, Filter};
use crate::json;
use crate::ledger::Outcome;
use leptos::prelude::*;

/// The seed write-ups' default event, so the first click does something real.
pub const DEFAULT_EVENT: &str = r#"{
  "source": "client_A",
  "payload": {
    "metric": "sale",
    "amount": "1200",
    "timestamp": "2024/01/01"
  }
}"#;

/// The form, the live validation and the outcome of the last submission.
#[component]
pub fn SubmitView(state: AppState) -> impl IntoView {
    let (raw, set_raw) = signal(DEFAULT_EVENT.to_string());
    let (outcome, set_outcome) = signal(None::<Outcome>);
    let (outbox_error, set_outbox_error) = signal(None::<String>);
    // Counts answers shown, so a user (or a test) can tell a new answer from
    // an identical previous one.
    let (attempt, set_attempt) = signal(0u64);

    let parse_error = move || json::parse(&raw.get()).err().map(|e| e.to_string());
    let submit = move || {
        let text = raw.get_untracked();
        if let Some((result, kept)) = state.update(|t| t.submit(&text)) {
            set_outcome.set(Some(result));
            set_outbox_error.set(kept);
            set_attempt.update(|n| *n += 1);
        }
    };
    let totals = move || {
        state.read(|t| {
            let agg = Aggregates::compute(t.ledger.state().events(), &Filter::default());
            let (count, sum) = agg
                .overall
                .map(|s| (s.count, s.sum.to_string()))
                .unwrap_or((0, "0".to_string()));
            format!("{count} events committed, total amount {sum}")
        })
    };

    view! {
        <section class="panel" aria-labelledby="submit-title">
            <h2 id="submit-title">"Submit an event"</h2>
            <label for="raw-event">"Raw event JSON"</label>
            <textarea
                id="raw-event"
                rows="10"
                spellcheck="false"
                prop:value=move || raw.get()
                on:input=move |ev| set_raw.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if (ev.ctrl_key() || ev.meta_key()) && ev.key() == "Enter" {
                        ev.prevent_default();
                        submit();
                    }
                }
            ></textarea>
            <p class="validation" role="status" data-testid="validation">
                {move || parse_error().unwrap_or_else(|| "Valid JSON.".to_string())}
            </p>
            <FailureControls state=state />
            <button type="button" on:click=move |_| submit()>"Submit event"</button>
            <p class="totals" data-testid="totals">{totals}</p>
            {move || outbox_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
        {move || outcome.get().map(|o| view! { <OutcomePanel outcome=o attempt=attempt.get_untracked() /> })}
    }
}
