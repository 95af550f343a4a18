//! The Submit view: paste one raw event, see it validated as you type, submit
//! it, and read what the pipeline made of it.

use super::{AppState, FailureControls, OutcomePanel};
use crate::ledger::{Outcome, SubmissionId};
use crate::pipeline::json;
use crate::report::display;
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

/// Payloads in each shape the seed write-ups describe, and a few that show
/// how refusals read. Names short enough for a phone's menu (about 35
/// characters): a select cannot wrap its text.
pub const EXAMPLES: [(&str, &str); 9] = [
    ("Client A: source, slash date", DEFAULT_EVENT),
    (
        "Client B: client, type, value",
        r#"{"client": "client_B", "payload": {"type": "purchase", "value": 5000, "time": "2024-12-01"}}"#,
    ),
    (
        "Client C: metricName, sum",
        r#"{"source": "client_C", "payload": {"metricName": "refund", "sum": "250.50", "created_at": "2024/12/15"}}"#,
    ),
    (
        "SDK: event, properties, epoch ms",
        r#"{"clientId": "web", "event": "signup", "properties": {"price": 0, "ts": 1733011200000}}"#,
    ),
    (
        "With an idempotency key",
        r#"{"client_id": "client_A", "event_id": "order-1001", "metric": "sale", "amount": "19.99", "timestamp": "2024-12-01T10:00:00+01:00"}"#,
    ),
    (
        "Thousands separator and offset",
        r#"{"source": "client_A", "data": {"metric": "sale", "amount": "1,234.50", "timestamp": "2024-06-30T23:30:00-02:00"}}"#,
    ),
    (
        "Rejected: ambiguous date",
        r#"{"source": "client_A", "payload": {"metric": "sale", "amount": 10, "timestamp": "01/02/2024"}}"#,
    ),
    (
        "Rejected: names disagree",
        r#"{"source": "client_A", "metric": "sale", "amount": 10, "value": 11, "timestamp": "2024-01-01"}"#,
    ),
    (
        "Markup is shown as text",
        r#"{"source": "<img src=x onerror=alert(1)>", "metric": "<script>alert(2)</script>", "amount": 1, "timestamp": "2024-01-01"}"#,
    ),
];

/// The text being written and the last answer, owned by the app rather
/// than the view: following the answer's link to the event's story and
/// coming back finds both again.
#[derive(Debug, Clone, Copy)]
pub struct SubmitSession {
    raw: RwSignal<String>,
    outcome: RwSignal<Option<(Outcome, SubmissionId)>>,
    outbox_error: RwSignal<Option<String>>,
    attempt: RwSignal<u64>,
    /// A submission is on its way: the first of a page load waits for the
    /// pipeline's chunk, over a slow network for seconds.
    sending: RwSignal<bool>,
}

impl Default for SubmitSession {
    fn default() -> Self {
        SubmitSession {
            raw: RwSignal::new(DEFAULT_EVENT.to_string()),
            outcome: RwSignal::new(None),
            outbox_error: RwSignal::new(None),
            attempt: RwSignal::new(0),
            sending: RwSignal::new(false),
        }
    }
}

impl SubmitSession {
    /// Forgets the last answer (after Clear all data deleted what it
    /// describes: its links led to "no such event"); the text typed stays.
    pub fn forget_answer(&self) {
        self.outcome.set(None);
        self.outbox_error.set(None);
    }
}

/// The form, the live validation and the outcome of the last submission.
#[component]
pub fn SubmitView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let session = use_context::<SubmitSession>().unwrap_or_default();
    // The session's own signals, not `split()` halves: those would belong to
    // this view and be disposed with it, so work still running after the
    // user left (an import, a simulation) would update nothing and the view
    // would come back stuck (found by an outside review).
    let (raw, set_raw) = (session.raw, session.raw);
    let (outcome, set_outcome) = (session.outcome, session.outcome);
    let (outbox_error, set_outbox_error) = (session.outbox_error, session.outbox_error);
    // Counts answers shown, so a user (or a test) can tell a new answer from
    // an identical previous one.
    let (attempt, set_attempt) = (session.attempt, session.attempt);
    let sending = session.sending;

    // An empty box is nothing sent: said, never recorded as a refusal.
    let empty = Memo::new(move |_| raw.with(|r| r.trim().is_empty()));
    let parse_error = Memo::new(move |_| {
        if empty.get() {
            return Some(
                "The box is empty: choose an example above or paste an event.".to_string(),
            );
        }
        json::parse(&raw.get()).err().map(|e| e.to_string())
    });
    let submit = move || {
        // One at a time: a double-click while the pipeline's chunk was on
        // its way sent the event twice, and told a new user their new event
        // was a duplicate (an outside review).
        if empty.get_untracked() || sending.get_untracked() {
            return;
        }
        sending.set(true);
        // A refusal said again is said anew: a second click that failed the
        // same way left the same sentence untouched, as if nothing happened.
        set_outbox_error.set(None);
        let text = raw.get_untracked();
        // Under the cross-tab commit lock: decided after every other tab's
        // commits, never beside one.
        leptos::task::spawn_local(async move {
            // The number the submission gets, taken first, so the answer can
            // link to the submission's own page.
            match super::later::submit(state, text).await {
                Some(Ok((id, (result, kept)))) => {
                    // First whether it was kept: the answer reads it.
                    set_outbox_error.set(kept);
                    set_outcome.set(Some((result, id)));
                    set_attempt.update(|n| *n += 1);
                }
                // Nothing was sent, so nothing is recorded: the text stays
                // in the box for the next try.
                Some(Err(super::later::NotLoaded)) => {
                    set_outcome.set(None);
                    set_outbox_error.set(Some(
                        "Not submitted: the part of the app that submits did not arrive (offline \
                         before the app was kept for offline use?). The event is still in the box; \
                         submit it again once online."
                            .into(),
                    ));
                }
                None => {}
            }
            sending.set(false);
        });
    };
    // The count and total the state keeps: this line re-renders after every
    // submit, and a pass over the events here made a submit with 50,000
    // stored slower by a third.
    let totals = move || {
        state.read(|t| {
            let ledger = t.ledger.state();
            let total = ledger.figures().total();
            let sum = display::exact(total);
            let n = ledger.events().len();
            let chars = sum.chars().count().to_string();
            view! {
                {format!(
                    "{} {} committed, total amount ",
                    display::count(n as u64),
                    display::plural(n, "event", "events")
                )}
                // Whole on one line, shrinking on a phone to fit: a total
                // broke as "…8,498.9400000" over "01" (an outside review).
                <span class="figure" data-testid="submit-total" style:--chars=chars>{sum}</span>
            }
        })
    };
    view! {
        <section class="panel" aria-labelledby="submit-title">
            <h2 id="submit-title">"Submit an event"</h2>
            <label for="example">"Example payloads"</label>
            // Names the example in the box, if it is one: after an edit it
            // kept naming the last one chosen (an outside review).
            <select id="example" prop:value=move || raw.with(|r| EXAMPLES.iter().find(|(_, text)| text == r).map_or("", |(name, _)| *name)) on:change=move |ev| {
                if let Some((_, text)) = EXAMPLES.iter().find(|(name, _)| *name == event_target_value(&ev)) {
                    set_raw.set(text.to_string());
                }
            }>
                <option value="" disabled=true>"Your own text (choose an example)"</option>
                {EXAMPLES.iter().map(|(name, _)| view! { <option value=*name>{*name}</option> }).collect_view()}
            </select>
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
            <p class="validation" class:invalid=move || parse_error.with(Option::is_some) role="status" data-testid="validation">
                {move || parse_error.get().unwrap_or_else(|| "Valid JSON.".to_string())}
            </p>
            <FailureControls state=state />
            <button type="button" on:click=move |_| submit() title="Ctrl+Enter" disabled=move || sending.get() aria-busy=move || sending.get().to_string()>
                {move || if sending.get() { "Submitting…" } else { "Submit event" }}
            </button>
            <p class="totals" data-testid="totals">{totals}</p>
            // Unless the banner above every view already says it (an outside
            // review saw the same sentence twice on one screen).
            {move || outbox_error.get().filter(|e| !state.read(|t| t.messages().contains(e))).map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </section>
        // An answer about a submission the journal no longer has (another
        // tab cleared all data) describes nothing: gone with it. A failure
        // may never have reached the journal, so it stays.
        {move || outcome.get().filter(|(o, id)| o.is_retryable() || state.read(|t| t.ledger.state().submission(id).is_some())).map(|(o, id)| view! { <OutcomePanel outcome=o submission=id attempt=attempt.get_untracked() kept=outbox_error.with_untracked(Option::is_none) text=raw.get_untracked() /> })}
    }
}
