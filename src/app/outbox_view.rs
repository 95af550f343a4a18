//! Failed submissions waiting in the outbox, with Retry and Retry all.

use super::router::{submission_href, Route};
use super::widgets::{instant, raw_text};
use super::AppState;
use crate::ledger::{Kind, Outcome};
use crate::report::display;
use crate::report::SubmissionStory;
use leptos::prelude::*;

/// The outbox: each failed submission with its error, retried on request.
#[component]
pub fn OutboxView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let items = move || state.outbox_items();
    let ids = move || items().into_iter().map(|i| i.id).collect::<Vec<_>>();
    // What the last action here did, with the items it left: shown only
    // while they are still the ones waiting. An outside review saw
    // "Retried 1: 1 counted, 0 still failing." above "1 waiting" once
    // another tab's failure arrived.
    let (said, set_said) = signal((String::new(), Vec::<String>::new()));
    let set_message = move |text: String| set_said.set((text, untrack(ids)));
    let message = move || said.with(|(text, left)| (*left == ids()).then(|| text.clone()));
    let summarize = move |outcomes: Vec<crate::ledger::Outcome>| {
        // Every answer by kind: "succeeded" would hide a retry that was a
        // Conflict (another content took the key) or a duplicate.
        let count = |n: usize| display::count(n as u64);
        let of = |kind: Kind| outcomes.iter().filter(|o| o.kind() == kind).count();
        // A duplicate whose key claimed an event sent first without one
        // changed that event's id: said, not hidden among duplicates.
        let claimed = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o,
                    Outcome::Duplicate {
                        claimed_from: Some(_),
                        ..
                    }
                )
            })
            .count();
        let parts: Vec<String> = [
            (Kind::Accepted, "counted", "counted"),
            (Kind::Duplicate, "duplicate", "duplicates"),
            (Kind::Rejected, "rejected", "rejected"),
            (Kind::Conflict, "conflict", "conflicts"),
        ]
        .into_iter()
        .filter(|(kind, _, _)| of(*kind) > 0)
        .map(|(kind, one, many)| {
            let n = of(kind);
            let mut part = format!("{} {}", count(n), display::plural(n, one, many));
            if kind == Kind::Duplicate && claimed > 0 {
                part.push_str(&if claimed == n {
                    format!(
                        " (whose {} claimed an event sent first without one)",
                        display::plural(n, "key", "keys")
                    )
                } else {
                    format!(
                        " ({} of whose keys claimed an event sent first without one)",
                        count(claimed)
                    )
                });
            }
            part
        })
        .chain(std::iter::once(format!(
            "{} still failing",
            count(of(Kind::Failed))
        )))
        .collect();
        set_message(format!(
            "Retried {}: {}.",
            count(outcomes.len()),
            parts.join(", ")
        ));
    };
    view! {
        <section class="panel" aria-labelledby="failed-title" data-testid="outbox">
            <h2 id="failed-title">"Failed submissions"</h2>
            <p class="hint">"Kept in this browser until they succeed; closing the tab loses none of them. Retrying is always safe."</p>
            // The failure is set on Submit: here a retry that keeps failing
            // said nothing of why (an outside review).
            {state.faults().faults.iter().any(|f| f.per_million > 0).then(|| view! {
                <p class="error" data-testid="outbox-failing">
                    "The simulated database failure is on: a retry fails as often as any request until you turn it off on "
                    <a href=Route::Submit.hash()>"Submit"</a>"."
                </p>
            })}
            // Above the list, where the buttons are, not below a long one.
            <p role="status" data-testid="retry-message">{message}</p>
            {move || {
                let items = items();
                if items.is_empty() {
                    view! { <p data-testid="outbox-empty">"No failed submissions."</p> }.into_any()
                } else {
                    let count = items.len();
                    view! {
                        <p data-testid="outbox-count">{format!("{} waiting", display::count(count as u64))}</p>
                        <button type="button" on:click=move |_| leptos::task::spawn_local(async move {
                            summarize(state.commit(|t| t.retry_all()).await.unwrap_or_default());
                        })>"Retry all"</button>
                        <ul class="outbox">
                            {items.into_iter().map(|item| {
                                let retry_item = item.clone();
                                let discard_item = item.clone();
                                // Its last recorded attempt, if the failure came after its
                                // text was written (mid-request, a lost acknowledgement).
                                let (recorded, counted) = state.read(|t| {
                                    let state = t.ledger.state();
                                    let id = state.submissions().iter().rev()
                                        .find(|s| *s.raw == *item.raw)
                                        .map(|s| s.id.clone());
                                    let counted = id.as_ref().and_then(|id| SubmissionStory::of(state, id)).is_some_and(|story| story.event.is_some());
                                    (id, counted)
                                });
                                // What discarding this one loses, said for it rather than
                                // for every case at once (an outside review).
                                let question = match (&recorded, counted) {
                                    (_, true) => "Remove it from Failed? Its text was counted (its acknowledgement was lost), so nothing is lost.",
                                    (Some(_), false) => "Stop retrying it and remove it from Failed? Its text was never counted: its attempt stays in the Raw log, and sending the text again is the only way to count it.",
                                    (None, false) => "Stop retrying it and remove it from Failed? It failed before its text was written, so this is its only copy, and it was never counted.",
                                };
                                view! {
                                    <li>
                                        <code class="raw">{raw_text(&item.raw)}</code>
                                        <span class="error">{format!("{}. Attempts: {}, the last at ", item.last_error, item.attempts)}{instant(&to_the_millisecond(item.last_failed_at))}"."</span>
                                        {match recorded {
                                            Some(id) => view! { <a href=submission_href(&id) class="story">"Its recorded attempt"</a> }.into_any(),
                                            None => view! { <span class="hint">"Not in the raw log: it failed before its text was written."</span> }.into_any(),
                                        }}
                                        <div class="actions">
                                        <button type="button" on:click=move |_| {
                                            let item = retry_item.clone();
                                            leptos::task::spawn_local(async move {
                                                let outcome = state.commit(move |t| t.retry(&item)).await;
                                                summarize(outcome.into_iter().collect());
                                            });
                                        }>"Retry"</button>
                                        <button type="button" class="secondary" on:click=move |_| {
                                            // Once discarded, a payload that failed before its raw
                                            // write exists nowhere else: ask first.
                                            let confirmed = window()
                                                .confirm_with_message(question)
                                                .unwrap_or(false);
                                            if !confirmed {
                                                return;
                                            }
                                            let item = discard_item.clone();
                                            leptos::task::spawn_local(async move {
                                                let result = state.commit(move |t| t.discard(&item)).await;
                                                set_message(match result {
                                                    Some(Ok(())) => "Removed from Failed.".into(),
                                                    Some(Err(e)) => e,
                                                    None => String::new(),
                                                });
                                            });
                                        }>"Discard"</button>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// A failure's time as the list shows it: to the millisecond, as the
/// browser's clock gives it (Failed keeps a nanosecond between failures of
/// one instant, to keep their order; that is not a time to show).
fn to_the_millisecond(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}
