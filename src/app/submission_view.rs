//! One submission's story, counted or not: what became of it in plain
//! words, every reason it was refused, the event it belongs to, and the
//! other submissions of the same text. Rejected submissions have no event
//! page; this is theirs.

use super::router::{event_href, follow_address, submission_href, submission_in_hash};
use super::widgets::{instant, raw_text};
use super::AppState;
use crate::ledger::{Kind, Submission};
use crate::report::SubmissionStory;
use leptos::prelude::*;

/// What the page shows, copied out of the state so the view owns it.
struct Page {
    submission: Submission,
    verdict: String,
    reasons: Vec<String>,
    differences: Vec<String>,
    event: Option<String>,
    same_text: Vec<Submission>,
    this_tab: bool,
}

/// One line naming another submission, with a link to its page.
fn other(s: Submission) -> impl IntoView {
    view! {
        <li>
            <a href=submission_href(&s.id)>{s.id.to_string()}</a>
            {format!(" · {} at ", s.status.kind().label())}{instant(&s.received_at)}
        </li>
    }
}

#[component]
pub fn SubmissionView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let id = follow_address(submission_in_hash);

    let page = move || {
        let id = id.get()?;
        state.read(|t| {
            let story = SubmissionStory::of(t.ledger.state(), &id)?;
            Some(Page {
                submission: story.submission.clone(),
                verdict: {
                    // Unreadable storage: the safe advice is to look in Failed.
                    let waiting = t.outbox.holds(&story.submission.raw).unwrap_or(true);
                    match story.next_step(waiting) {
                        Some(step) => format!("{} {step}", story.verdict()),
                        None => story.verdict(),
                    }
                },
                reasons: story.reasons(),
                differences: story.differences(t.ledger.state(), &t.ledger.rules),
                event: story.event.map(|e| event_href(&e.event_id)),
                same_text: story.same_text.into_iter().cloned().collect(),
                this_tab: t.ledger.next_submission().writer == id.writer,
            })
        })
    };
    view! {
        <section class="panel" aria-labelledby="submission-title">
            <h2 id="submission-title">"Submission"</h2>
            {move || match page() {
                None => view! {
                    <p data-testid="submission-missing">
                        "No submission received in this browser has this address. It may belong to data that was cleared, or to another browser."
                    </p>
                }.into_any(),
                Some(p) => {
                    let kind = p.submission.status.kind();
                    let class = if matches!(kind, Kind::Accepted | Kind::Duplicate) { "verdict pass" } else { "verdict fail" };
                    view! {
                        <p class=class data-testid="submission-verdict" role="status">{p.verdict}</p>
                        <table class="event" data-testid="submission-fields">
                            <tbody>
                                <tr><th scope="row">"Status"</th><td>
                                    <strong class=format!("status status-{}", kind.label().to_ascii_lowercase())>{kind.label()}</strong>
                                </td></tr>
                                <tr><th scope="row">"Submission"</th><td><code>{p.submission.id.to_string()}</code></td></tr>
                                <tr><th scope="row">"Received"</th><td>{instant(&p.submission.received_at)}</td></tr>
                                <tr><th scope="row">"Tab"</th><td>
                                    {if p.this_tab { "this tab".to_string() } else { format!("another tab or an earlier visit ({})", p.submission.id.writer) }}
                                </td></tr>
                            </tbody>
                        </table>
                        {(!p.reasons.is_empty()).then(|| view! {
                            <h3>"Why it was refused"</h3>
                            <ul class="reasons" data-testid="submission-reasons">
                                {p.reasons.into_iter().map(|r| view! { <li>{raw_text(&r)}</li> }).collect_view()}
                            </ul>
                        })}
                        {(!p.differences.is_empty()).then(|| view! {
                            <h3>"How it differs from the submission that was counted"</h3>
                            <ul class="reasons" data-testid="submission-differences">
                                {p.differences.into_iter().map(|d| view! { <li>{raw_text(&d)}</li> }).collect_view()}
                            </ul>
                        })}
                        {p.submission.told.map(|told| view! {
                            <p class="revised">{format!(
                                "Revised: answered {} when it arrived; what is known now makes it {} (another tab's submissions merged in before it, or a newer Tally that knows the same payload sent again after a rules change).",
                                told.label(),
                                kind.label()
                            )}</p>
                        })}
                        {p.event.map(|href| view! {
                            <p><a href=href class="story" data-testid="submission-event">"The event's story: every submission that became it"</a></p>
                        })}
                        <h3>"Text as received"</h3>
                        <pre class="raw">{raw_text(&p.submission.raw)}</pre>
                        {(!p.same_text.is_empty()).then(|| view! {
                            <h3>"Other submissions of exactly this text"</h3>
                            <ul class="plain" data-testid="submission-same-text">
                                {p.same_text.into_iter().map(other).collect_view()}
                            </ul>
                        })}
                    }.into_any()
                }
            }}
        </section>
    }
}
