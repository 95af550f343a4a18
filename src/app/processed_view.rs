//! Processed: the committed events, newest first, filtered and paged.

use super::router::{event_href, on_route, replace_query, Route};
use super::widgets::{
    self, filter_in_address, filter_pairs, first_page_on_change, instant, page_in_address,
    page_pair, FilterForm, Pager, PAGE_SIZE,
};
use super::AppState;
use crate::ledger::Event;
use crate::report::{display, Filter};
use leptos::prelude::*;
use std::collections::BTreeSet;

/// Distinct values of one field of the committed events, sorted, for a
/// filter menu.
fn distinct(state: AppState, field: fn(&Event) -> &str) -> Signal<Vec<String>> {
    Signal::derive(move || {
        state.read(|t| {
            // Inserted one by one: collecting would sort (see `order`).
            let mut set = BTreeSet::new();
            for e in t.ledger.state().events() {
                set.insert(field(e));
            }
            set.into_iter().map(String::from).collect()
        })
    })
}

/// Distinct clients and metrics of the committed events, for filter menus.
pub fn choices(state: AppState) -> (Signal<Vec<String>>, Signal<Vec<String>>) {
    (
        distinct(state, |e| &e.client_id),
        distinct(state, |e| &e.metric),
    )
}

#[component]
pub fn ProcessedView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    // The filter chosen lives in the address
    // (`#/processed?client=…&metric=…&from=…&to=…`): a simulator cell links
    // to the events behind it, and a reload or a shared link keeps it.
    let filter = RwSignal::new(filter_in_address());
    // So does the page.
    let page = RwSignal::new(page_in_address());
    // An untracked flag (a signal type the app already has: a stored
    // value of its own cost the bundle 0.5 KB).
    let from_address = RwSignal::new(false);
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        // Leaving the view (for an event's page) is no new list to show:
        // its address must not be written over with this view's.
        if !on_route(Route::Processed) {
            return;
        }
        let wanted = filter_in_address();
        if filter.with_untracked(|f| *f != wanted) {
            from_address.set(true);
            filter.set(wanted);
        }
        page.set(page_in_address());
    });
    on_cleanup(move || listener.remove());
    first_page_on_change(move || filter.get(), page, from_address);
    Effect::new(move |_| {
        let mut pairs = filter.with(filter_pairs);
        pairs.extend(page_pair(page.get()));
        // Written only while the address shows this view: a change that
        // lands as the user leaves must not bring the old address back.
        if on_route(Route::Processed) {
            replace_query(Route::Processed, &pairs);
        }
    });
    let (clients, metrics) = choices(state);
    let total = Signal::derive(move || {
        let f = filter.get();
        state.read(|t| {
            t.ledger
                .state()
                .events()
                .iter()
                .filter(|e| f.matches(e))
                .count()
        })
    });
    let rows = move || {
        let f = filter.get();
        let skip = page.get() * PAGE_SIZE;
        state.read(|t| {
            t.ledger
                .state()
                .events()
                .iter()
                .rev()
                .filter(|e| f.matches(e))
                .skip(skip)
                .take(PAGE_SIZE)
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    view! {
        <section class="panel" aria-labelledby="processed-title">
            <h2 id="processed-title">"Processed events"</h2>
            <p class="hint">"Every committed event, counted once, the most recently committed first. A row's date or id opens its story."</p>
            <FilterForm filter=filter clients=clients metrics=metrics prefix="processed" />
            {move || (total.get() == 0 && filter.with(|f| *f != Filter::default()) && clients.with(|c| metrics.with(|m| filter.with(|f| f.why_nothing(c, m).is_none()))))
                .then(|| view! { <p class="hint" data-testid="processed-none-match">{filter.with(Filter::none_match)}</p> })}
            {move || (total.get() == 0 && filter.with(|f| *f == Filter::default()))
                .then(|| view! { <p class="hint" data-testid="processed-none-yet">"No event is committed yet: submit or import some."</p> })}
            <Pager page=page total=total />
            // No header over no rows: the notes above say why it is empty.
            <div class="scroll" hidden=move || total.get() == 0>
            // On a phone a card per event (see the style sheet): each cell
            // names its column, since the header is not shown there.
            <table class="list cards" data-testid="processed">
                <thead><tr>
                    <th scope="col">"Timestamp (UTC)"</th><th scope="col">"Client"</th><th scope="col">"Metric"</th>
                    <th scope="col" class="num">"Amount"</th><th scope="col">"Idempotency key"</th><th scope="col">"Event id"</th><th scope="col">"Ingested"</th>
                </tr></thead>
                <tbody>
                    {move || {
                        let rows = rows();
                        let places = display::column_decimals(rows.iter().map(|e| &e.amount));
                        rows.into_iter().map(|e| view! {
                        <tr>
                            // The first column links too: on a phone the id column is
                            // scrolled out of view.
                            <td data-label="Timestamp (UTC)"><a href=event_href(&e.event_id)>{instant(&e.timestamp)}</a></td>
                            <td class="name" data-label="Client">{e.client_id.clone()}</td>
                            <td class="name" data-label="Metric">{e.metric.clone()}</td>
                            <td class="num" data-label="Amount" title=e.amount.to_string()>{widgets::amount(display::amount(e.amount, places))}</td>
                            // Two events alike but for their keys are two events: the
                            // key says why (an outside review read them as one counted twice).
                            <td data-label="Idempotency key">{e.idempotency_key.clone().unwrap_or_default()}</td>
                            <td data-label="Event id"><a href=event_href(&e.event_id) title="This event's story: every submission that became it"><code>{e.event_id.short().to_string()}</code></a></td>
                            <td data-label="Ingested">{instant(&e.ingested_at)}</td>
                        </tr>
                    }).collect_view()
                    }}
                </tbody>
            </table>
            </div>
            <Pager page=page total=total bottom=true />
        </section>
    }
}
