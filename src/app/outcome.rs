//! The outcome panel: what the pipeline decided and why, field by field.

use super::import_view::ImportSession;
use super::router::{event_href, submission_href, Route};
use super::widgets::{self, instant, raw_text};
use crate::ledger::{Event, Outcome, SubmissionId};
use crate::pipeline::normalize::{Provenance, Rejection};
use crate::report::display;
use leptos::prelude::*;

/// Shows one outcome: its label, the canonical event, its id and each
/// field's provenance, or every reason for a refusal.
#[component]
pub fn OutcomePanel(
    outcome: Outcome,
    /// The submission answered; its page is linked from a refusal.
    submission: SubmissionId,
    /// Which answer this is, counted from 1; shown as `data-attempt`.
    #[prop(default = 0)]
    attempt: u64,
    /// Whether a failure waits in Failed (storage may have had no room).
    #[prop(default = true)]
    kept: bool,
    /// The text submitted: a refusal's link to Bulk import (offered for an
    /// array) brings it along, instead of leaving it to be pasted again.
    #[prop(optional)]
    text: Option<String>,
) -> impl IntoView {
    let label = outcome.label();
    let class = format!("panel outcome outcome-{}", label.to_ascii_lowercase());
    let body = match outcome {
        Outcome::Accepted { event, provenance } => view! {
            <p>"A new event was committed."</p>
            <EventTable event=event />
            <ProvenanceList provenance=provenance />
        }
        .into_any(),
        Outcome::Duplicate {
            original,
            exact_resend,
            claimed_from,
            provenance,
        } => {
            let how = if exact_resend {
                "an exact resend of the same payload"
            } else {
                "the same event sent in another shape"
            };
            // A key that claimed an event sent first without one changes its
            // id and gives it the key: say so rather than "nothing changed".
            let what = match (&claimed_from, &original.idempotency_key) {
                (Some(former), Some(key)) => format!(
                    "It was first sent without an idempotency key; the key \"{key}\" now names it, so its id is now {} (it was {}). It still counts once.",
                    original.event_id.short(),
                    former.short()
                ),
                _ => "Nothing changed.".to_string(),
            };
            view! {
                <p data-testid="outcome-duplicate">{format!("Already counted: this is {how}. {what}")}</p>
                <EventTable event=original />
                <ProvenanceList provenance=provenance />
            }
            .into_any()
        }
        Outcome::Rejected { rejection } => view! {
            <RejectionList rejection=rejection text=text />
            <a href=submission_href(&submission) class="story" data-testid="outcome-submission">"This submission's page"</a>
        }
        .into_any(),
        Outcome::Failed { failure } if kept => view! {
            <p>{failure.to_string()}</p>
            <a href=Route::Failed.hash() class="story">"It waits in Failed until it is retried"</a>
        }
        .into_any(),
        Outcome::Failed { failure } => view! {
            <p>{failure.to_string()}</p>
            <p class="error">"It is not waiting in Failed: storage had no room to keep it. Submit it again when there is room."</p>
        }
        .into_any(),
        Outcome::Conflict { key, existing } => view! {
            <p>{format!("The idempotency key \"{key}\" was already used for different content. Nothing changed. The event already stored under this key:")}</p>
            <EventTable event=existing />
        }
        .into_any(),
    };
    view! {
        <section class=class aria-live="polite" data-testid="outcome" data-attempt=attempt.to_string()>
            <h2 data-testid="outcome-label">{label}</h2>
            {body}
        </section>
    }
}

#[component]
fn EventTable(event: Event) -> impl IntoView {
    let story = event_href(&event.event_id);
    let row = |k: &'static str, v: String| view! { <tr><th scope="row">{k}</th><td data-field=k>{v}</td></tr> };
    // Instants break between date and time, never at a hyphen (a phone
    // broke "2024-01-" over "01T00:00:00Z").
    let instant_row = |k: &'static str, at| view! { <tr><th scope="row">{k}</th><td data-field=k>{instant(&at)}</td></tr> };
    view! {
        <table class="event">
            <tbody>
                {row("event_id", event.event_id.to_string())}
                {row("client_id", event.client_id.to_string())}
                {row("metric", event.metric.to_string())}
                // As the event's page and the totals write it ("1,200"), the
                // exact canonical text in its title.
                <tr><th scope="row">"amount"</th><td data-field="amount" title=event.amount.to_string()>{widgets::amount(display::exact(event.amount))}</td></tr>
                {instant_row("timestamp", event.timestamp)}
                {row("idempotency_key", event.idempotency_key.unwrap_or_else(|| "(none)".into()))}
                {instant_row("ingested_at", event.ingested_at)}
            </tbody>
        </table>
        <a href=story class="story" data-testid="outcome-story">"This event's story: every submission that became it"</a>
    }
}

#[component]
fn ProvenanceList(provenance: Vec<Provenance>) -> impl IntoView {
    // None for a payload counted under other rules (see `Ledger::decide`).
    let changed = provenance.is_empty().then(|| view! {
        <p data-testid="provenance-changed">"The mapping rules have changed since this payload was counted: today they read it differently, so how each field was found is not shown."</p>
    });
    view! {
        <h3>"Where each field came from"</h3>
        {changed}
        <ul class="provenance">
            // Broken between words, so a date in it never breaks at a hyphen.
            {provenance.into_iter().map(|p| view! { <li>{raw_text(&p.to_string())}</li> }).collect_view()}
        </ul>
    }
}

#[component]
fn RejectionList(rejection: Rejection, text: Option<String>) -> impl IntoView {
    let reasons: Vec<String> = match &rejection {
        Rejection::Fields { errors } => errors.iter().map(ToString::to_string).collect(),
        other => vec![other.to_string()],
    };
    // An array is most often many events pasted into the form for one: the
    // words say what was found wherever the refusal is shown (Raw log, a
    // submission's page), and only here is the way to send them offered.
    let many = rejection.found_an_array();
    let import = use_context::<ImportSession>();
    view! {
        <p>"The event was not counted. Fix these and submit again:"</p>
        <ul class="reasons">{reasons.into_iter().map(|r| view! { <li>{raw_text(&r)}</li> }).collect_view()}</ul>
        {many.then(|| view! {
            <p data-testid="use-bulk-import">"Many events at once? " <a href=Route::Import.hash() on:click=move |_| {
                if let (Some(import), Some(text)) = (import, &text) {
                    import.bring(text.clone());
                }
            }>"Bulk import"</a> " takes a JSON array of events, or one event per line."</p>
        })}
    }
}
