//! Raw log: every submission ever received, with its status and reason.

use super::router::{event_href, on_route, query_value, replace_query, submission_href, Route};
use super::widgets::{first_page_on_change, instant, page_in_address, page_pair, raw_text};
use super::widgets::{Pager, PAGE_SIZE};
use super::AppState;
use crate::ledger::{Kind, Status};
use crate::report::SubmissionStory;
use leptos::prelude::*;

/// The address of the story of the event a status names, if it names one.
fn story_of(status: &Status) -> Option<String> {
    match status {
        Status::Accepted { event_id } => Some(event_href(event_id)),
        Status::Duplicate { of, .. } => Some(event_href(of)),
        Status::Conflict { existing, .. } => Some(event_href(existing)),
        Status::Rejected { .. } | Status::Interrupted => None,
    }
}

/// The status the address names (`status=Rejected`, in any case), and
/// the text it gave if that names none: said, not silently shown as All.
fn status_in_address() -> (Option<Kind>, Option<String>) {
    match query_value("status") {
        None => (None, None),
        Some(v) if v.trim().is_empty() => (None, None),
        Some(v) => match KINDS
            .into_iter()
            .find(|k| k.label().eq_ignore_ascii_case(v.trim()))
        {
            Some(k) => (Some(k), None),
            None => (None, Some(v)),
        },
    }
}

/// The kinds a raw log entry can have, in filter order.
const KINDS: [Kind; 5] = [
    Kind::Accepted,
    Kind::Duplicate,
    Kind::Rejected,
    Kind::Conflict,
    Kind::Interrupted,
];

#[component]
pub fn LogView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    // The status shown and the page live in the address
    // (`#/log?status=Rejected&page=3`): Back from a submission's page, a
    // reload or a shared link comes back to them.
    let page = RwSignal::new(page_in_address());
    // An untracked flag (a signal type the app already has: a stored
    // value of its own cost the bundle 0.5 KB).
    let from_address = RwSignal::new(false);
    let (named, unknown) = status_in_address();
    let only = RwSignal::new(named);
    let unknown = RwSignal::new(unknown);
    let set_only = only.write_only();
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        // Leaving the view is no new list to show (see Processed).
        if !on_route(Route::Log) {
            return;
        }
        let (wanted, not_a_status) = status_in_address();
        unknown.set(not_a_status);
        if only.get_untracked() != wanted {
            from_address.set(true);
            only.set(wanted);
        }
        page.set(page_in_address());
    });
    on_cleanup(move || listener.remove());
    first_page_on_change(move || only.get(), page, from_address);
    Effect::new(move |_| {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        pairs.extend(only.get().map(|k| ("status", k.label().to_string())));
        pairs.extend(page_pair(page.get()));
        if on_route(Route::Log) {
            replace_query(Route::Log, &pairs);
        }
    });
    let matches = move |s: &Status| only.get().is_none_or(|k| s.kind() == k);
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
                .map(|s| {
                    let state = t.ledger.state();
                    // An interrupted attempt whose text was counted when
                    // sent again leads to that event, as its page does:
                    // every interrupted row read alike (an outside review).
                    let later = match s.status {
                        Status::Interrupted => {
                            SubmissionStory::of(state, &s.id).and_then(|story| story.event)
                        }
                        _ => None,
                    };
                    let (reason, story) = match later {
                        Some(e) => (
                            format!(
                                "{}; the same text was counted when sent again, as {}",
                                s.status.reason(),
                                e.event_id.short()
                            ),
                            Some(event_href(&e.event_id)),
                        ),
                        None => (s.status.reason_in(state), story_of(&s.status)),
                    };
                    (s.clone(), reason, story)
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="panel" aria-labelledby="log-title">
            <h2 id="log-title">"Raw log"</h2>
            <p class="hint">"Every submission exactly as received, newest first: the audit trail."</p>
            <label for="log-status">"Status"</label>
            <select id="log-status" prop:value=move || only.get().map_or("", |k| k.label()) on:change=move |ev| {
                let chosen = event_target_value(&ev);
                unknown.set(None);
                set_only.set(KINDS.into_iter().find(|k| k.label() == chosen));
            }>
                <option value="">"All"</option>
                {KINDS.into_iter().map(|k| view! { <option value=k.label()>{k.label()}</option> }).collect_view()}
            </select>
            {move || unknown.get().map(|v| view! {
                <p class="error" role="status" data-testid="log-unknown-status">
                    {format!("The address asks for the status '{v}', which no submission can have, so all are shown. The statuses are {}; submissions waiting to be retried are in ", KINDS.map(Kind::label).join(", "))}
                    <a href=Route::Failed.hash()>"Failed"</a>"."
                </p>
            })}
            <Pager page=page total=total />
            {move || (total.get() == 0).then(|| view! {
                <p class="hint" data-testid="log-empty">{match only.get() {
                    Some(k) => format!("No submission has the status {}.", k.label()),
                    None => "Nothing was submitted yet.".to_string(),
                }}</p>
            })}
            <ol class="log" data-testid="log">
                {move || rows().into_iter().map(|(s, reason, story)| view! {
                    <li>
                        <div class="log-head">
                            <strong class=format!("status status-{}", s.status.kind().label().to_ascii_lowercase())>{s.status.kind().label()}</strong>
                            " "<a href=submission_href(&s.id) title="This submission's page: what became of it and why">{s.id.to_string()}</a>
                            " at "{instant(&s.received_at)}
                        </div>
                        {match &s.status {
                            // Every reason on its own line, as on the submission's page.
                            Status::Rejected { rejection } => view! {
                                <ul class="reasons">
                                    {rejection.reasons().into_iter().map(|r| view! { <li>{raw_text(&r)}</li> }).collect_view()}
                                </ul>
                            }.into_any(),
                            _ => view! { <div class="reason">{reason}</div> }.into_any(),
                        }}
                        {story.map(|href| view! { <a href=href class="story">"The event's story"</a> })}
                        {s.told.map(|told| view! {
                            <div class="revised" data-testid="revised">{format!(
                                "Revised: this submission was answered {} when it arrived; what is known now makes it {} (another tab's submissions merged in before it, or a newer Tally that knows the same payload sent again after a rules change).",
                                told.label(),
                                s.status.kind().label()
                            )}</div>
                        })}
                        <pre class="raw">{raw_text(&s.raw)}</pre>
                    </li>
                }).collect_view()}
            </ol>
            <Pager page=page total=total bottom=true />
        </section>
    }
}
