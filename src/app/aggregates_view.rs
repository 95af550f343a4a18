//! Aggregates: exact totals and groupings, charts, and CSV export.

use super::processed_view::choices;
use super::router::{on_route, replace_query, Route};
use super::widgets::{self, download, filter_in_address, filter_pairs, FilterForm};
use super::AppState;
use crate::report::aggregates_csv;
use crate::report::{display, pair_label, Aggregates, Filter, Stats};
use chrono::Datelike;
use leptos::prelude::*;

/// One table of statistics. Amounts share their column's decimals; a mean
/// not exact at them is rounded (to at least the cents) and marked `≈`;
/// each cell's title holds the exact value. Where the table does not fit,
/// each key is a card with its figures named (`cards`, as in Processed):
/// a phone showed the sums cut at the edge of a table that scrolls.
fn table(title: &'static str, rows: Vec<(String, Stats)>) -> impl IntoView {
    // Each column its own decimals: shared by all three, a column of cents
    // beside one of nine decimals was padded out of line with its header
    // (an outside review). The mean reads to the widest of them.
    let column = |of: fn(&Stats) -> &crate::pipeline::amount::Amount| {
        display::column_decimals(rows.iter().map(|(_, s)| of(s)))
    };
    let (sum, min, max) = (column(|s| &s.sum), column(|s| &s.min), column(|s| &s.max));
    let places = sum.max(min).max(max);
    let cell = move |label: &'static str, a: crate::pipeline::amount::Amount, places: usize| {
        view! { <td class="num" data-label=label title=a.to_string()>{widgets::amount(display::amount(a, places))}</td> }
    };
    view! {
        <h3>{title}</h3>
        <div class="scroll">
        <table class="list stats cards">
            <thead><tr>
                <th scope="col">"Key"</th><th scope="col" class="num">"Count"</th><th scope="col" class="num">"Sum"</th>
                <th scope="col" class="num">"Min"</th><th scope="col" class="num">"Max"</th><th scope="col" class="num">"Mean"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|(k, s)| (k.clone(), k, s)).map(|(title, k, s)| view! {
                    <tr>
                        <th scope="row" title=title>{k}</th>
                        <td class="num" data-label="Count">{display::count(s.count)}</td>
                        {cell("Sum", s.sum, sum)}
                        {cell("Min", s.min, min)}
                        {cell("Max", s.max, max)}
                        <td class="num" data-label="Mean" title=display::mean_title(&s)>{widgets::amount(display::mean_in(&s, places))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// Horizontal bars of the sums, as a list: each name, its bar and its sum.
/// Amounts become widths only here, for drawing. Text, not a drawing, so
/// that a long name ends in "…" before its bar (its title holds it whole)
/// and a phone shows the names at a readable size, above their bars.
fn bar_chart(title: &'static str, rows: &[(String, Stats)]) -> impl IntoView {
    let max = rows
        .iter()
        .map(|(_, s)| (s.sum.nanos() as f64).abs())
        .fold(0.0, f64::max)
        .max(1.0);
    // One chart reads as one column: its sums share their decimals.
    let places = display::column_decimals(rows.iter().map(|(_, s)| &s.sum));
    // The longest bar leaves room for the longest sum after it.
    let longest = rows
        .iter()
        .map(|(_, s)| display::brief_in(s.sum, places).chars().count())
        .max()
        .unwrap_or(0);
    let bars = rows
        .iter()
        .map(|(k, s)| {
            let share = (s.sum.nanos() as f64).abs() / max;
            view! {
                <li>
                    <span class="bar-label" title=k.clone()>{k.clone()}</span>
                    <span class="bar-row">
                        <span class=if s.sum.nanos() < 0 { "bar negative" } else { "bar" }
                            style:--share=display::tenths(share * 100.0)></span>
                        <span class="bar-value" title=s.sum.to_string()>{display::brief_in(s.sum, places)}</span>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure>
            <figcaption>{title}</figcaption>
            // Custom properties set through the style object: the page's
            // Content-Security-Policy refuses style attributes.
            <ul class="bars" aria-label=title style:--value-chars=longest.to_string()>{bars}</ul>
        </figure>
    }
}

/// Columns of the daily sums, each at its date, so days without events
/// are gaps and a span of months reads as one; the largest sum is written
/// at the top, the smallest at the bottom when it is below zero, and the
/// first, middle and last dates under the axis.
fn day_chart(rows: &[(chrono::NaiveDate, Stats)]) -> Option<impl IntoView> {
    const LEFT: f64 = 20.0;
    const WIDTH: f64 = 640.0;
    const TOP: f64 = 30.0;
    const HEIGHT: f64 = 140.0;
    let ((first, _), (last, _)) = (rows.first()?, rows.last()?);
    // Day numbers, not chrono's date arithmetic (its overflow checks and
    // messages cost the bundle).
    let number = |day: &chrono::NaiveDate| day.num_days_from_ce();
    let days = f64::from(number(last) - number(first)) + 1.0;
    let sums = rows.iter().map(|(_, s)| s.sum);
    let zero = crate::pipeline::amount::Amount::from_nanos(0);
    let (lo, hi) = (
        sums.clone().fold(zero, std::cmp::min),
        sums.fold(zero, std::cmp::max),
    );
    let range = ((hi.nanos() - lo.nanos()) as f64).max(1.0);
    let y = |nanos: i128| TOP + (hi.nanos() - nanos) as f64 / range * HEIGHT;
    let x = |day: &chrono::NaiveDate| LEFT + f64::from(number(day) - number(first)) / days * WIDTH;
    // A column is its day's share of the width, with a gap when wide.
    let width = WIDTH / days;
    let column = if width > 3.0 {
        width * 0.8
    } else {
        width.max(1.0)
    };
    let places = display::column_decimals(rows.iter().map(|(_, s)| &s.sum));
    let columns = rows
        .iter()
        .map(|(day, s)| {
            let (top, bottom) = (y(s.sum.nanos()), y(0));
            view! {
                <rect x=display::tenths(x(day)) y=display::tenths(top.min(bottom)) width=display::tenths(column)
                    height=display::tenths((top - bottom).abs().max(1.0))
                    class=if s.sum.nanos() < 0 { "bar negative" } else { "bar" }>
                    <title>{format!("{day}: {}", display::amount(s.sum, places))}</title>
                </rect>
            }
        })
        .collect_view();
    let middle =
        chrono::NaiveDate::from_num_days_from_ce_opt(number(first) + (days as i32 - 1) / 2)
            .unwrap_or(*first);
    // Each date under the axis: where it is written, and how it hangs there.
    let mut dates = vec![(*first, LEFT, "start"), (*last, LEFT + WIDTH, "end")];
    if first == last {
        // One day: its date once, under its column, not at both ends.
        dates = vec![(*first, x(first) + column / 2.0, "middle")];
    } else if days >= 3.0 {
        dates.insert(1, (middle, x(&middle) + column / 2.0, "middle"));
    }
    Some(view! {
        <figure>
            <figcaption>"Sum per day (UTC)"</figcaption>
            <svg role="img" aria-label="Sum per day" viewBox="0 0 680 230" width="100%" class="chart days" data-testid="day-chart">
                <text x=display::tenths(LEFT) y="20" class="chart-label">{format!("largest {}", display::brief_in(hi, places))}</text>
                {(lo.nanos() < 0).then(|| view! {
                    <text x=display::tenths(LEFT) y=display::tenths(TOP + HEIGHT + 22.0) class="chart-label">{format!("smallest {}", display::brief_in(lo, places))}</text>
                })}
                {columns}
                <line x1=display::tenths(LEFT) x2=display::tenths(LEFT + WIDTH) y1=display::tenths(y(0)) y2=display::tenths(y(0)) class="axis"></line>
                {dates.into_iter().map(|(day, at, anchor)| view! {
                    <text x=display::tenths(at) y="225" text-anchor=anchor class="chart-label">{day.to_string()}</text>
                }).collect_view()}
            </svg>
        </figure>
    })
}

#[component]
pub fn AggregatesView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    // The filter lives in the address, as Processed's does, and follows an
    // address changed while the view shows (the menu's link, Back, one
    // typed): the view kept an old filter under a new address (a review).
    let filter = RwSignal::new(filter_in_address());
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        let wanted = filter_in_address();
        if on_route(Route::Aggregates) && filter.with_untracked(|f| *f != wanted) {
            filter.set(wanted);
        }
    });
    on_cleanup(move || listener.remove());
    Effect::new(move |_| {
        let pairs = filter.with(filter_pairs);
        if on_route(Route::Aggregates) {
            replace_query(Route::Aggregates, &pairs);
        }
    });
    let (clients, metrics) = choices(state);
    let (message, set_message) = signal(String::new());
    let aggregates = Memo::new(move |_| {
        let f = filter.get();
        state.read(|t| Aggregates::compute(t.ledger.state().events(), &f))
    });
    // A message about the last export describes another filter's figures.
    Effect::new(move |_| {
        filter.track();
        set_message.set(String::new());
    });
    let export = move |_| {
        let pairs = filter.with_untracked(filter_pairs);
        let scope = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (name, scope) = match scope.is_empty() {
            true => ("tally-aggregates.csv", "all".to_string()),
            false => ("tally-aggregates-filtered.csv", scope),
        };
        let csv = aggregates_csv(&aggregates.get_untracked(), &scope);
        match download(name, "text/csv", &csv) {
            Ok(()) if pairs.is_empty() => set_message.set(format!("Exported {name}.")),
            Ok(()) => set_message.set(format!("Exported {name}: the figures of {scope} only.")),
            Err(e) => set_message.set(format!("The download could not start: {e:?}")),
        }
    };
    view! {
        <section class="panel" aria-labelledby="aggregates-title">
            <h2 id="aggregates-title">"Aggregates"</h2>
            <p class="hint">"Computed from the committed events on every change: exact decimals, nothing cached that could drift."</p>
            <FilterForm filter=filter clients=clients metrics=metrics prefix="aggregates" />
            <div class="actions">
                <button type="button" on:click=export>"Export CSV"</button>
                <span role="status" data-testid="export-message">{message}</span>
            </div>
            {move || {
                let agg = aggregates.get();
                let Some(overall) = agg.overall else {
                    // Why, as Processed says it; a single cause (an unknown
                    // client, From after To) is said under the filters already.
                    let why = if filter.with(|f| *f == Default::default()) {
                        Some("Nothing is committed yet: submit or import events, and their figures show here.".to_string())
                    } else if clients.with(|c| metrics.with(|m| filter.with(|f| f.why_nothing(c, m).is_some()))) {
                        None
                    } else {
                        Some(filter.with(Filter::none_match))
                    };
                    return why.map(|why| view! { <p class="hint" data-testid="no-aggregates">{why}</p> }).into_any();
                };
                let clients: Vec<(String, Stats)> = agg.by_client.into_iter().map(|(c, s)| (c.to_string(), s)).collect();
                let metrics: Vec<(String, Stats)> = agg.by_metric.into_iter().map(|(m, s)| (m.to_string(), s)).collect();
                let pairs: Vec<(String, Stats)> = agg.by_client_metric.into_iter().map(|((c, m), s)| (pair_label(&c, &m), s)).collect();
                let by_day: Vec<(chrono::NaiveDate, Stats)> = agg.by_day.into_iter().collect();
                let days: Vec<(String, Stats)> = by_day.iter().map(|(d, s)| (d.to_string(), *s)).collect();
                let places = display::column_decimals([&overall.sum, &overall.min, &overall.max]);
                let figures = [
                    display::count(overall.count),
                    display::amount(overall.sum, places),
                    display::amount(overall.min, places),
                    display::amount(overall.max, places),
                    display::mean_in(&overall, places),
                ];
                // The longest figure sizes them all on a phone (see the
                // style sheet), so none breaks mid-number.
                let longest = figures.iter().map(|f| f.chars().count()).max().unwrap_or(1);
                let [count, sum, min, max, mean] = figures;
                view! {
                    <dl class="overall" data-testid="overall" style:--chars=longest.to_string()>
                        <div><dt>"Events"</dt><dd data-testid="overall-count" data-exact=overall.count.to_string()>{count}</dd></div>
                        <div><dt>"Sum"</dt><dd data-testid="overall-sum" data-exact=overall.sum.to_string() title=overall.sum.to_string()>{sum}</dd></div>
                        <div><dt>"Min"</dt><dd title=overall.min.to_string()>{min}</dd></div>
                        <div><dt>"Max"</dt><dd title=overall.max.to_string()>{max}</dd></div>
                        <div><dt>"Mean"</dt><dd title=display::mean_title(&overall)>{mean}</dd></div>
                    </dl>
                    {bar_chart("Sum per client", &clients)}
                    {bar_chart("Sum per metric", &metrics)}
                    {day_chart(&by_day)}
                    {table("Per client", clients)}
                    {table("Per metric", metrics)}
                    {table("Per client and metric", pairs)}
                    {table("Per day (UTC)", days)}
                }.into_any()
            }}
        </section>
    }
}
