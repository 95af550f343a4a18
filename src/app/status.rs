//! What every view shows above itself: the figures at a glance, how full
//! storage is, and what loading found that needs attention.

use super::AppState;
use crate::report::display;
use crate::store::BROWSER_QUOTA_UNITS;
use leptos::prelude::*;

/// Counted events and their total, duplicates caught, rejected, waiting in
/// Failed: that nothing was lost or counted twice, on every view, live
/// (another tab's commits re-derive it too).
#[component]
pub fn Glance(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    // Derived once per change, not once per cell: each figure, its title
    // and its length read it, a dozen passes over the history at start-up.
    let figures = Memo::new(move |_| state.read(|t| t.glance()));
    let figures = move || figures.get();
    // A figure that `whole` can show exactly: pressed or not, else `None`.
    let whole = RwSignal::new(false);
    let item = move |label: &'static str,
                     testid: &'static str,
                     value: Signal<String>,
                     title: Signal<String>,
                     pressed: Signal<Option<bool>>| {
        let toggle = move || {
            if pressed.get().is_some() {
                whole.update(|w| *w = !*w);
            }
        };
        view! {
            // Its length sizes the figure's font and, wide, the total's
            // share of the row (see the style sheet): a figure never breaks
            // mid-number, however long. (Set as a property, not a style
            // attribute, which the page's CSP refuses.)
            <div style:--chars=move || value.with(|v| v.chars().count().to_string())>
                <dt>{label}</dt>
                <dd data-testid=testid title=title
                    role=move || pressed.get().map(|_| "button")
                    tabindex=move || pressed.get().map(|_| "0")
                    aria-pressed=move || pressed.get().map(|p| p.to_string())
                    // Named as a sentence: the figure alone was all a
                    // screen reader said of the button (an outside review).
                    aria-label=move || pressed.get().map(|p| format!(
                        "{label} {}, press to {}",
                        value.get(),
                        if p { "round it" } else { "show it exactly" }
                    ))
                    on:click=move |_| toggle()
                    on:keydown=move |e| {
                        if matches!(e.key().as_str(), "Enter" | " ") && pressed.get().is_some() {
                            e.prevent_default();
                            toggle();
                        }
                    }>{value}</dd>
            </div>
        }
    };
    let exact = Signal::derive(move || format!("exactly {}", figures().0.total));
    // Nine decimals do not fit a glance: a total with more than the cents
    // is rounded and marked `≈`, and pressing it shows it exactly and back.
    // Its title says so on hover, but a phone cannot hover (an outside
    // review).
    let rounded = move || display::decimals(figures().0.total) > 2;
    let total = Signal::derive(move || {
        let t = figures().0.total;
        if whole.get() && rounded() {
            display::exact(t)
        } else {
            display::brief(t)
        }
    });
    let pressed = Signal::derive(move || rounded().then(|| whole.get()));
    let no = Signal::derive(|| None);
    let none = Signal::derive(String::new);
    view! {
        <dl class="glance" data-testid="glance" aria-label="At a glance">
            {item("Counted", "glance-events", Signal::derive(move || display::count(figures().0.events)), none, no)}
            {item("Total", "glance-total", total, exact, pressed)}
            {item("Duplicates caught", "glance-duplicates", Signal::derive(move || display::count(figures().0.duplicates)), none, no)}
            {item("Rejected or conflict", "glance-rejected", Signal::derive(move || {
                let g = figures().0;
                display::count(g.rejected + g.conflicts)
            }), Signal::derive(move || {
                let g = figures().0;
                format!(
                    "{} refused with reasons, {} idempotency-key {}",
                    display::count(g.rejected),
                    display::count(g.conflicts),
                    display::plural(g.conflicts as usize, "conflict", "conflicts")
                )
            }), no)}
            {item("Waiting in Failed", "glance-waiting", Signal::derive(move || display::count(figures().1 as u64)), none, no)}
        </dl>
    }
}

/// Use of localStorage against the browser's quota.
#[component]
pub fn StorageMeter(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let used = move || state.read(|t| t.used_units());
    let label = move || {
        let u = used();
        format!(
            // Tally's share only: other data of the site (a GitHub Pages
            // origin is shared) fills the same quota, and a meter that said
            // "used" read as the whole (an outside review).
            "Tally's data: {}% of this site's storage ({} of {} characters)",
            display::tenths(u as f64 * 100.0 / BROWSER_QUOTA_UNITS as f64),
            display::count(u),
            display::count(BROWSER_QUOTA_UNITS)
        )
    };
    view! {
        <div class="meter" data-testid="storage-meter">
            <label for="storage-meter">{label}</label>
            <meter id="storage-meter" min="0" max=BROWSER_QUOTA_UNITS.to_string() high=(BROWSER_QUOTA_UNITS * 9 / 10).to_string()
                value=move || used().to_string()></meter>
        </div>
    }
}

/// Damaged or foreign data found in storage: said plainly, never hidden.
#[component]
pub fn LoadReportBanner(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let messages = move || state.read(|t| t.messages());
    view! {
        <Show when=move || !messages().is_empty()>
            <section class="panel warning" role="alert" data-testid="load-report">
                <h2>"Storage needs your attention"</h2>
                <ul>{move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            </section>
        </Show>
    }
}
