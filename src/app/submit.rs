//! The Submit view: paste one raw event, see it validated as you type, submit
//! it, and read what the pipeline made of it.

use super::{AppLedger, OutcomePanel};
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
pub fn SubmitView(ledger: StoredValue<AppLedger>) -> impl IntoView {
    let (raw, set_raw) = signal(DEFAULT_EVENT.to_string());
    let (outcome, set_outcome) = signal(None::<Outcome>);
    // Bumped after each submission so the totals re-derive from the ledger.
    let (revision, set_revision) = signal(0u64);

    let parse_error = move || json::parse(&raw.get()).err().map(|e| e.to_string());
    let submit = move || {
        let text = raw.get_untracked();
        let now = chrono::Utc::now();
        let result = ledger.try_update_value(|l| l.submit(&text, now));
        set_outcome.set(result);
        set_revision.update(|r| *r += 1);
    };
    let totals = move || {
        revision.track();
        ledger.with_value(|l| {
            let agg = Aggregates::compute(l.state().events(), &Filter::default());
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
            <button type="button" on:click=move |_| submit()>"Submit event"</button>
            <p class="totals" data-testid="totals">{totals}</p>
        </section>
        {move || outcome.get().map(|o| view! { <OutcomePanel outcome=o /> })}
    }
}
