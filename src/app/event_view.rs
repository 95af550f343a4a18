//! One event's story: the canonical event, then every submission that
//! became it or tried to, with its raw text and outcome, and a sentence that
//! says why it counted once.

use super::router::{event_in_hash, follow_address, submission_href};
use super::widgets::{self, instant, raw_text};
use super::AppState;
use crate::report::{display, Lineage, Relation};
use leptos::prelude::*;

#[component]
pub fn EventView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let id = follow_address(event_in_hash);

    let story = move || {
        let id = id.get()?;
        state.read(|t| {
            let lineage = Lineage::of(t.ledger.state(), &id)?;
            let rules = &t.ledger.rules;
            let verdict = lineage.verdict();
            let event = lineage.event.clone();
            let provenance = lineage.provenance(rules);
            let chapters: Vec<_> = lineage
                .chapters
                .iter()
                .map(|c| {
                    let differences = match c.relation {
                        Relation::Reshaped | Relation::Conflict => lineage.differences(c, rules),
                        _ => Vec::new(),
                    };
                    let reason = c.submission.status.reason_in(t.ledger.state());
                    (c.submission.clone(), c.relation, differences, reason)
                })
                .collect();
            // The key is in none of the fields above when a later keyed
            // resend claimed the event: say where it came from, and link
            // the submission that brought it.
            let claimant = lineage.claimant.cloned();
            let claimed = t.ledger.state().claimed_from(&event).zip(claimant.clone()).map(|(former, by)| {
                (
                    format!(
                        "idempotency_key ← not in the submission that was counted: a later submission with the same content and the key \"{}\", ",
                        event.idempotency_key.clone().unwrap_or_default()
                    ),
                    by,
                    format!(
                        ", claimed the event, which changed its id from {} to {}",
                        former.short(),
                        event.event_id.short()
                    ),
                )
            });
            let provenance = provenance.map(|lines| {
                let lines: Vec<String> = lines.into_iter().map(|p| p.to_string()).collect();
                (lines, claimed)
            });
            Some((event, verdict, provenance, chapters, claimant))
        })
    };
    view! {
        <section class="panel" aria-labelledby="event-title">
            <h2 id="event-title">"Event"</h2>
            {move || match story() {
                None => view! {
                    <p data-testid="event-missing">
                        "No counted event has this address. It may belong to data that was cleared, or to another browser."
                    </p>
                }.into_any(),
                Some((event, verdict, provenance, chapters, claimant)) => view! {
                    <p class="verdict pass" data-testid="event-verdict" role="status">{verdict}</p>
                    <table class="event" data-testid="event-fields">
                        <tbody>
                            <tr><th scope="row">"client_id"</th><td>{event.client_id.clone()}</td></tr>
                            <tr><th scope="row">"metric"</th><td>{event.metric.clone()}</td></tr>
                            <tr><th scope="row">"amount"</th><td title=event.amount.to_string()>{widgets::amount(display::exact(event.amount))}</td></tr>
                            <tr><th scope="row">"timestamp"</th><td>{instant(&event.timestamp)}</td></tr>
                            <tr><th scope="row">"idempotency_key"</th><td>{event.idempotency_key.clone().unwrap_or_else(|| "(none)".into())}</td></tr>
                            <tr><th scope="row">"event_id"</th><td><code>{event.event_id.to_string()}</code></td></tr>
                        </tbody>
                    </table>
                    <h3>"How each field was found"</h3>
                    {match provenance {
                        Ok((lines, claimed)) => view! {
                            <ul class="provenance" data-testid="event-provenance">
                                {lines.into_iter().map(|p| view! { <li>{raw_text(&p)}</li> }).collect_view()}
                                {claimed.map(|(before, by, after)| view! {
                                    <li data-testid="event-claimed">{before}<a href=submission_href(&by) title="The submission whose key claimed the event">{by.to_string()}</a>{after}</li>
                                })}
                            </ul>
                        }.into_any(),
                        Err(why) => view! { <p class="hint" data-testid="event-provenance">{why}</p> }.into_any(),
                    }}
                    <h3>"Submissions, in the order received"</h3>
                    <p class="hint">
                        "An attempt that failed before its text was written leaves no trace here (it waits in Failed until retried).
                        A lost acknowledgement shows as the accepted submission followed by its retry, an exact resend."
                    </p>
                    <ol class="log" data-testid="event-submissions">
                        {chapters.into_iter().map(|(s, relation, differences, reason)| view! {
                            <li>
                                <div class="log-head">
                                    <strong class=format!("status status-{}", s.status.kind().label().to_ascii_lowercase())>{s.status.kind().label()}</strong>
                                    {format!(" · {} · ", relation.label())}
                                    <a href=submission_href(&s.id) title="This submission's page">{s.id.to_string()}</a>
                                    " at "{instant(&s.received_at)}
                                    {(claimant.as_ref() == Some(&s.id)).then_some(" · its key claimed the event")}
                                </div>
                                <div class="reason">{reason}</div>
                                {(!differences.is_empty()).then(|| view! {
                                    <ul class="reasons" data-testid="event-differences">
                                        {differences.into_iter().map(|d| view! { <li>{raw_text(&d)}</li> }).collect_view()}
                                    </ul>
                                })}
                                {s.told.map(|told| view! {
                                    <div class="revised">{format!("Revised: answered {} when it arrived.", told.label())}</div>
                                })}
                                <pre class="raw">{raw_text(&s.raw)}</pre>
                            </li>
                        }).collect_view()}
                    </ol>
                }.into_any(),
            }}
        </section>
    }
}
