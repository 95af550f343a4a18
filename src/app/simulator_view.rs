//! Simulator: chaos in the app, and a visible verdict on exactly-once.

use super::router::{href_with, query, query_of, replace_query, Route};
use super::widgets::yield_to_browser;
use super::AppState;
use crate::chaos::{
    AddressRefusal, SimConfig, SimReport, SimStats, SimTabs, SimTarget, Simulation, TimelinePoint,
};
use crate::ledger::FaultPoint;
use crate::report::display;
use leptos::prelude::*;

/// New events per slice between paints.
const SLICE: usize = 100;
/// New events per slice of a run with several simulated tabs.
const TABS_SLICE: usize = 10;
/// The most distinct events a run with several simulated tabs sends. Their
/// lagging views merge out of order all the time, and each time a tab
/// derives its state again, so the work grows with the square of the run:
/// 2,000 events over 8 tabs take seconds, 80,000 took minutes.
const TABS_MAX_EVENTS: usize = 2_000;

/// One polyline over simulated time: `value` of each point, scaled to `max`.
fn polyline(
    points: &[TimelinePoint],
    span: i64,
    max: usize,
    value: fn(&TimelinePoint) -> usize,
) -> String {
    let step = (points.len() / 300).max(1);
    points
        .iter()
        .step_by(step)
        .chain(points.last())
        .map(|p| {
            let x = 40.0 + p.at_ms as f64 / span.max(1) as f64 * 620.0;
            let y = 190.0 - value(p) as f64 / max.max(1) as f64 * 170.0;
            format!("{},{}", display::tenths(x), display::tenths(y))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The run over simulated time: Accepted answers, duplicates caught and
/// failed attempts (cumulative), and what waited in the clients' outboxes;
/// then how many attempts each send took.
fn timeline(stats: &SimStats) -> impl IntoView {
    let points = &stats.timeline;
    let span = points.last().map_or(1, |p| p.at_ms);
    let top = points
        .last()
        .map_or(1, |p| p.accepted.max(p.duplicates).max(p.failures));
    let most_waiting = points.iter().map(|p| p.waiting).max().unwrap_or(0);
    let lines = [
        (
            "committed",
            "line",
            polyline(points, span, top, |p| p.accepted),
        ),
        (
            "duplicates",
            "line dup",
            polyline(points, span, top, |p| p.duplicates),
        ),
        (
            "failed attempts",
            "line fail",
            polyline(points, span, top, |p| p.failures),
        ),
        (
            "waiting",
            "line wait",
            polyline(points, span, most_waiting, |p| p.waiting),
        ),
    ];
    let [before, mid, lost, storage] = stats.failures_at;
    let legend = format!(
        "Over {} simulated: {} answered Accepted, {} duplicates caught, {} failed attempts ({} before the raw write, {} mid-request, {} lost acknowledgements{}); at most {} waiting in outboxes at once (dotted, own scale). A lost acknowledgement commits without an Accepted answer; its retry is a duplicate. These are the answers clients received: the glance's Duplicates caught counts every duplicate recorded, also those whose answer was lost, so it rises by more.",
        if span >= 1000 { format!("{} s", display::tenths(span as f64 / 1000.0)) } else { format!("{span} ms") },
        display::count(stats.accepted as u64),
        display::count(stats.duplicates as u64),
        display::count(stats.failures as u64),
        display::count(before as u64),
        display::count(mid as u64),
        display::count(lost as u64),
        if storage > 0 { format!(", {storage} storage errors") } else { String::new() },
        display::count(most_waiting as u64),
    );
    let most = stats
        .attempts_per_send
        .iter()
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let bars = stats.attempts_per_send.iter().enumerate().map(|(i, n)| {
        // 110 of the 140 units above the axis: the tallest bar's figure
        // above it was cut off on a phone at 120 (an outside review).
        let height = *n as f64 / most as f64 * 110.0;
        let x = 40 + i * 70;
        view! {
            <rect class="bar" x=x.to_string() y=display::tenths(140.0 - height) width="50" height=display::tenths(height)></rect>
            <text class="chart-value" x=x.to_string() y=display::tenths(134.0 - height)>{display::count(*n as u64)}</text>
            <text class="chart-label" x=(x + 25).to_string() y="158" text-anchor="middle">{(i + 1).to_string()}</text>
        }
    }).collect_view();
    view! {
        <figure>
            <figcaption>"The run over simulated time"</figcaption>
            <svg role="img" aria-label="The run over simulated time" data-testid="sim-timeline" class="sim" data-points=points.len().to_string()
                viewBox="0 0 680 210" width="100%">
                {lines.into_iter().map(|(name, class, path)| view! {
                    <polyline class=class points=path><title>{name}</title></polyline>
                }).collect_view()}
                <text class="chart-label" x="40" y="206">"0"</text>
                <text class="chart-label" x="660" y="206" text-anchor="end">{format!("{} ms", display::count(span.max(0) as u64))}</text>
            </svg>
            <ul class="legend" aria-hidden="true">
                <li><span class="swatch committed"></span>"answered Accepted"</li>
                <li><span class="swatch dup"></span>"duplicates caught"</li>
                <li><span class="swatch fail"></span>"failed attempts"</li>
                <li><span class="swatch wait"></span>"waiting in outboxes"</li>
            </ul>
            <p class="hint" data-testid="sim-timeline-legend">{legend}</p>
        </figure>
        <figure>
            <figcaption>"Attempts each send took (how many sends took 1, 2, 3… attempts)"</figcaption>
            <svg role="img" aria-label="Attempts each send took" data-testid="sim-histogram" class="sim" viewBox="0 0 680 165" width="100%">{bars}</svg>
            <p class="hint">"A send still failing after its last attempt waits in its client's outbox; draining it once the database recovers is one more attempt, so bars can go past the limit."</p>
        </figure>
    }
}

/// The run's verdict in one sentence.
fn verdict(report: &SimReport, tabs: usize) -> String {
    let counts = format!(
        "{} distinct events sent, {} counted",
        display::count(report.expected_events),
        display::count(report.actual_events)
    );
    let tabs = match tabs {
        0 | 1 => String::new(),
        n if report.converged => format!(
            " {n} tabs converged; {} {} revised when their records merged.",
            display::count(report.revised as u64),
            display::plural(report.revised, "answer was", "answers were")
        ),
        n => format!(" {n} tabs did NOT converge on the same state."),
    };
    match report.pass {
        true => format!("PASS: {counts}, every total exact.{tabs}"),
        false => format!("FAIL: {counts}.{tabs}"),
    }
}

/// What a run found, with the settings it ran with: the form may have
/// changed since, and the result must still say what it is.
#[derive(Debug, Clone)]
struct SimResult {
    report: SimReport,
    stats: SimStats,
    run_id: String,
    config: SimConfig,
}

/// A run's progress and result, owned by the app rather than the view:
/// following a row's link to its events and coming back finds the result,
/// and a run still going keeps reporting.
#[derive(Debug, Clone, Copy)]
pub struct SimSession {
    /// The Simulator's address with the settings last shown, which the
    /// navigation links to: leaving the view and coming back keeps them.
    pub address: RwSignal<String>,
    progress: RwSignal<(usize, usize)>,
    running: RwSignal<bool>,
    result: RwSignal<Option<SimResult>>,
    error: RwSignal<Option<String>>,
    /// Boxes whose text is not a valid setting: by id, with why and the
    /// text typed. Kept here so that leaving the view and coming back
    /// finds them refused still, not the last valid value in their place.
    refused: RwSignal<Vec<(&'static str, String, String)>>,
    /// Settings a link asked for and could not have.
    link_refused: RwSignal<Vec<AddressRefusal>>,
}

impl Default for SimSession {
    fn default() -> Self {
        SimSession {
            address: RwSignal::new(Route::Simulator.hash().to_string()),
            progress: RwSignal::new((0, 0)),
            running: RwSignal::new(false),
            result: RwSignal::new(None),
            error: RwSignal::new(None),
            refused: RwSignal::new(Vec::new()),
            link_refused: RwSignal::new(Vec::new()),
        }
    }
}

/// A settings box's text as its setting (`sim-<name>` is the box of the
/// address parameter `name`), or what is wrong with it, naming the box: a
/// value out of range is refused, never quietly changed into another run
/// than the one asked for.
fn number(text: &str, id: &str, label: &str) -> Result<u64, String> {
    SimConfig::setting(setting_name(id), text.trim())
        .map_err(|why| format!("{label}: '{text}' is {why}."))
}

/// The address parameter a settings box edits.
fn setting_name(id: &str) -> &str {
    id.trim_start_matches("sim-")
}

#[component]
pub fn SimulatorView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    // The settings live in the address, so a run can be shared and replays
    // identically from it.
    let session = use_context::<SimSession>().unwrap_or_default();
    // The bare address names no run: the settings last shown come back
    // (those of the result below, if a run was made), not the defaults.
    let asked = match query() {
        pairs if pairs.is_empty() => query_of(&session.address.get_untracked()),
        pairs => pairs,
    };
    let (read, mut notes) = SimConfig::from_address(&asked);
    let config = RwSignal::new(read);
    // Back on the settings last shown (the navigation's link, or the bare
    // address): what was refused then is refused still.
    let here = window().location().hash().unwrap_or_default();
    let returning = !here.contains('?') || here == session.address.get_untracked();
    if !returning {
        session.refused.set(Vec::new());
        session.link_refused.set(Vec::new());
    }
    // What the address asked for and could not have, by setting: said, not
    // clamped, and the run waits until each such box is set, also after a
    // visit elsewhere (the address then holds the default in its place).
    if !notes.is_empty() || !returning {
        // The address also holds what a box refused as typed (below): said
        // once, as the box's own refusal, not a second time as the link's.
        session.refused.with_untracked(|typed| {
            notes.retain(|(name, ..)| !typed.iter().any(|(id, ..)| setting_name(id) == *name))
        });
        session.link_refused.set(notes);
    }
    let address_notes = session.link_refused;
    // The address is the form as shown: a box refusing its text puts that
    // text there, not the last valid value, so a reload or a shared link
    // refuses it again instead of running with a value nobody typed last
    // (typing 95 passes through a valid 9).
    let refused = session.refused;
    Effect::new(move |_| {
        let mut pairs = config.with(SimConfig::to_pairs);
        for (name, text) in pairs.iter_mut() {
            let typed = refused.with(|r| {
                r.iter()
                    .find(|(id, ..)| setting_name(id) == *name)
                    .map(|(.., text)| text.clone())
            });
            let linked = || {
                address_notes.with(|n| {
                    n.iter()
                        .find(|(setting, ..)| setting == name)
                        .map(|(.., text)| text.clone())
                })
            };
            if let Some(asked) = typed.or_else(linked) {
                *text = asked;
            }
        }
        replace_query(Route::Simulator, &pairs);
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        session.address.set(href_with(Route::Simulator, &pairs));
    });
    // Boxes whose text is not a valid setting, by id, with why: the run
    // waits until they are fixed. Those of the settings last shown come
    // back with them.
    let invalid = RwSignal::new(
        refused
            .get_untracked()
            .into_iter()
            .map(|(id, why, _)| (id, why))
            .collect::<Vec<(&'static str, String)>>(),
    );
    // Counts the times the address replaced the settings: every box then
    // shows its setting again, even one whose setting did not change.
    let replaced = RwSignal::new(0u32);
    // Another run's link opened on this view (pasted, or Back and Forward):
    // its settings replace the form's, as they do when arriving from
    // another view. The bare `#/simulator` (the navigation's link) names no
    // run, so it keeps the form as it is.
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        let hash = window().location().hash().unwrap_or_default();
        if Route::from_hash(&hash) != Route::Simulator || !hash.contains('?') {
            return;
        }
        let (wanted, notes) = SimConfig::from_address(&query());
        let refusing = !notes.is_empty();
        address_notes.set(notes);
        if refusing
            || config.with_untracked(|c| *c != wanted)
            || invalid.with_untracked(|i| !i.is_empty())
        {
            invalid.set(Vec::new());
            refused.set(Vec::new());
            config.set(wanted);
            replaced.update(|n| *n += 1);
        }
    });
    on_cleanup(move || listener.remove());
    // The session's own signals, not `split()` halves: those would belong to
    // this view and be disposed with it, so work still running after the
    // user left (an import, a simulation) would update nothing and the view
    // would come back stuck (found by an outside review).
    let (progress, set_progress) = (session.progress, session.progress);
    let (running, set_running) = (session.running, session.running);
    let (result, set_result) = (session.result, session.result);
    let (error, set_error) = (session.error, session.error);

    let run = move |_| {
        if running.get_untracked() {
            return;
        }
        let cfg = config.get_untracked();
        // One tab writes into the user's own data, for good: asked first,
        // as Clear all data is (an outside review ran it unawares).
        if cfg.tabs <= 1 {
            let events = display::count((cfg.clients.max(1) * cfg.events_per_client) as u64);
            let question = format!("Add this run's {events} simulated events to this browser's data? They stay in every view, under clients named sim…, until you Clear all data. Set Tabs to 2 or more to run in memory instead.");
            if !window().confirm_with_message(&question).unwrap_or(false) {
                return;
            }
        }
        let ran_with = cfg.clone();
        let run_id = format!(
            "sim{}-{}",
            cfg.seed,
            crate::browser::now().timestamp_millis() % 1_000_000
        );
        let tabs = cfg.tabs;
        let refresh = cfg.refresh_per_million;
        let mut sim = Simulation::new(cfg, &run_id, crate::browser::now());
        set_running.set(true);
        set_result.set(None);
        set_progress.set((0, sim.total()));
        if tabs > 1 {
            // Several tabs: simulated in memory, each with its own lagging view
            // of one store, so their answers race; this browser's data is
            // untouched.
            leptos::task::spawn_local(async move {
                let report = match SimTabs::new(tabs, refresh, crate::browser::now()) {
                    Ok(mut tabs) => {
                        tabs.set_faults(sim.fault_plan());
                        // Smaller slices than one tab's: every send may
                        // re-derive a tab whose merge was reordered.
                        while sim.step(&mut tabs, TABS_SLICE) > 0 {
                            set_progress.set((sim.total() - sim.remaining(), sim.total()));
                            yield_to_browser().await;
                        }
                        while sim.finish_step(&mut tabs, TABS_SLICE) > 0 {
                            yield_to_browser().await;
                        }
                        sim.report_tabs(&mut tabs)
                    }
                    Err(e) => Err(e),
                };
                match report {
                    Ok(report) => set_result.set(Some(SimResult {
                        report,
                        stats: sim.stats.clone(),
                        run_id,
                        config: ran_with,
                    })),
                    Err(e) => set_error.set(Some(format!("The simulated tabs' store failed: {e}"))),
                }
                set_running.set(false);
            });
            return;
        }
        // Received when really sent, not at the simulated time.
        sim.received_by_real_clock(crate::browser::now);
        leptos::task::spawn_local(async move {
            // Into this browser's own ledger, one slice per commit under the
            // cross-tab lock; the user's failure setting is restored after.
            let saved = state.faults();
            state.set_faults(sim.fault_plan());
            let sim = std::rc::Rc::new(std::cell::RefCell::new(sim));
            loop {
                let stepping = sim.clone();
                let sent = state
                    .commit_quietly(move |t| stepping.borrow_mut().step(&mut t.ledger, SLICE))
                    .await
                    .unwrap_or(0);
                let (done, total) = {
                    let sim = sim.borrow();
                    (sim.total() - sim.remaining(), sim.total())
                };
                set_progress.set((done, total));
                if sent == 0 {
                    break;
                }
                yield_to_browser().await;
            }
            // The outboxes drain a slice per commit, as the sends did.
            loop {
                let finishing = sim.clone();
                let sent = state
                    .commit_quietly(move |t| {
                        finishing.borrow_mut().finish_step(&mut t.ledger, SLICE)
                    })
                    .await
                    .unwrap_or(0);
                if sent == 0 {
                    break;
                }
                yield_to_browser().await;
            }
            // The slices were quiet commits: the views re-derive once now.
            state.changed();
            state.set_faults(saved);
            let report = state.peek(|t| sim.borrow().report(t.ledger.state()));
            if let Some(report) = report {
                let stats = sim.borrow().stats.clone();
                set_result.set(Some(SimResult {
                    report,
                    stats,
                    run_id,
                    config: ran_with,
                }));
            }
            set_running.set(false);
        });
    };

    let field = move |id: &'static str,
                      label: &'static str,
                      get: fn(&SimConfig) -> u64,
                      set: fn(&mut SimConfig, u64)| {
        let (min, max) = SimConfig::range(setting_name(id));
        let on_input = move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            let checked = number(&text, id, label);
            invalid.update(|i| i.retain(|(box_id, _)| *box_id != id));
            refused.update(|r| r.retain(|(box_id, _, _)| *box_id != id));
            address_notes.update(|n| n.retain(|(name, ..)| *name != setting_name(id)));
            match checked {
                Ok(v) => config.update(|c| set(c, v)),
                Err(why) => {
                    invalid.update(|i| i.push((id, why.clone())));
                    refused.update(|r| r.push((id, why, text)));
                }
            }
        };
        // Refused as typed, or as a link gave it (the run waits for this
        // box).
        let wrong = move || {
            invalid.with(|i| i.iter().any(|(box_id, _)| *box_id == id))
                || address_notes.with(|n| n.iter().any(|(name, ..)| *name == setting_name(id)))
        };
        // A box is written only when its own setting changes (or the address
        // replaced them all), so fixing one box never wipes the text another
        // box is still refusing.
        let shown = Memo::new(move |_| (config.with(get), replaced.get()));
        // A box refused when the view was last shown opens with the text
        // it refused, once; then it follows its setting again.
        let refused_text = StoredValue::new(refused.with_untracked(|r| {
            r.iter()
                .find(|(box_id, _, _)| *box_id == id)
                .map(|(_, _, text)| text.clone())
        }));
        view! {
            <label for=id>{label}</label>
            <input id=id type="number" min=min.to_string() max=max.to_string() prop:value=move || {
                let setting = shown.get().0.to_string();
                // What a link asked for and this box refuses is shown as
                // asked; read untracked, so typing over it is never undone.
                let linked = address_notes.with_untracked(|n| {
                    n.iter()
                        .find(|(name, ..)| *name == setting_name(id))
                        .map(|(.., text)| text.clone())
                });
                refused_text.try_update_value(Option::take).flatten().or(linked).unwrap_or(setting)
            }
                aria-invalid=move || wrong().then_some("true") on:input=on_input />
        }
    };
    let too_big = move || {
        config.with(|c| {
            (c.tabs > 1 && c.clients * c.events_per_client > TABS_MAX_EVENTS).then(|| {
                format!(
                    "With 2 or more tabs a run sends at most {} distinct events (Clients × Events per client, now {}): each tab derives its state again whenever the tabs' records merge out of order, so a bigger run would take minutes. Lower one of them, or use 1 tab.",
                    display::count(TABS_MAX_EVENTS as u64),
                    display::count((c.clients * c.events_per_client) as u64)
                )
            })
        })
    };
    let blocked = move || {
        running.get()
            || invalid.with(|i| !i.is_empty())
            || address_notes.with(|n| !n.is_empty())
            || too_big().is_some()
    };

    view! {
        <section class="panel" aria-labelledby="sim-title">
            <h2 id="sim-title">"Simulator"</h2>
            <p class="hint">
                "Simulated clients, each with its own payload shape, send events through the real pipeline and this browser's storage,
                with resends, reshaped duplicates and database failures. Clients retry with exponential backoff and keep what
                still fails in their outbox, which is drained when the database recovers. Then Tally's totals are compared with
                the clients' ground truth. The same seed gives the same run."
            </p>
            <div class="sim-grid">
                {field("sim-seed", "Seed", |c| c.seed, |c, v| c.seed = v)}
                {field("sim-clients", "Clients", |c| c.clients as u64, |c, v| c.clients = v as usize)}
                {field("sim-events", "Events per client", |c| c.events_per_client as u64, |c, v| c.events_per_client = v as usize)}
                {field("sim-resend", "Exact resends (%)", |c| u64::from(c.resend_per_million / 10_000), |c, v| c.resend_per_million = v as u32 * 10_000)}
                {field("sim-reshape", "Reshaped duplicates (%)", |c| u64::from(c.reshape_per_million / 10_000), |c, v| c.reshape_per_million = v as u32 * 10_000)}
                {field("sim-failure", "Database failure rate (%, at each failure point)", |c| u64::from(c.failure_per_million / 10_000), |c, v| c.failure_per_million = v as u32 * 10_000)}
                {field("sim-attempts", "Attempts per send", |c| u64::from(c.attempts), |c, v| c.attempts = v as u32)}
                {field("sim-backoff", "First backoff (ms, simulated)", |c| c.backoff_ms, |c, v| c.backoff_ms = v)}
                {field("sim-tabs", "Tabs (2 or more: simulated tabs racing in memory)", |c| c.tabs as u64, |c, v| c.tabs = v as usize)}
                {field("sim-refresh", "Tab refreshes before a send (%)", |c| u64::from(c.refresh_per_million / 10_000), |c, v| c.refresh_per_million = v as u32 * 10_000)}
            </div>
            <fieldset class="points">
                <legend>"Failure points"</legend>
                {FaultPoint::ALL.into_iter().map(|p| view! {
                    <label class="inline">
                        <input type="checkbox" prop:checked=move || config.with(|c| c.failure_points.contains(&p))
                            on:change=move |ev| config.update(|c| {
                                c.failure_points.retain(|x| *x != p);
                                if event_target_checked(&ev) { c.failure_points.push(p); }
                            }) />
                        {p.label()}
                    </label>
                }).collect_view()}
            </fieldset>
            <p class="hint" data-testid="sim-where">{move || if config.with(|c| c.tabs) > 1 {
                "With 2 or more tabs the run stays in memory: this browser's data is not touched.".to_string()
            } else {
                "With 1 tab the run goes through this browser's own storage: its events stay in your data under clients named sim…, in every view, until you Clear all data (About). Set Tabs to 2 or more to keep a run apart.".to_string()
            }}</p>
            {move || address_notes.get().into_iter().map(|(_, why, _)| why).chain(invalid.get().into_iter().map(|(_, why)| why)).chain(too_big()).map(|why| view! { <p class="error" role="alert">{why}</p> }).collect_view()}
            <button type="button" on:click=run prop:disabled=blocked>"Run simulation"</button>
            <Show when=move || running.get() || result.with(Option::is_some)>
                <progress max=move || progress.get().1.max(1).to_string() value=move || progress.get().0.to_string() aria-label="Simulation progress"></progress>
                <span>{move || format!(" {} of {} new events", display::count(progress.get().0 as u64), display::count(progress.get().1 as u64))}</span>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || result.get().map(|SimResult { report, stats, run_id, config: ran_with }| {
                // A run with one tab went into this browser's data, so each
                // row's events can be listed; a multi-tab run lived in memory.
                let stored = ran_with.tabs <= 1;
                let tabs = ran_with.tabs;
                let pairs = ran_with.to_pairs();
                let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let its_settings = href_with(Route::Simulator, &pairs);
                let other = move || config.with(|c| *c != ran_with);
                view! {
                <Show when=other>
                    <p class="hint" data-testid="sim-result-settings">
                        "The result below is from the last run, whose settings differ from the form's: "
                        <a href=its_settings.clone()>"show its settings"</a>
                        ", or run the form's."
                    </p>
                </Show>
                <p class=if report.pass { "verdict pass" } else { "verdict fail" } data-testid="sim-verdict" role="status">
                    {verdict(&report, tabs)}
                </p>
                {timeline(&stats)}
                <p class="hint" data-testid="sim-stats">{format!(
                    "Run {run_id}: {} sends, {} attempts, {} failed attempts, {} accepted, {} duplicates, {} parked in outboxes and drained.",
                    display::count(stats.sends as u64),
                    display::count(stats.attempts as u64),
                    display::count(stats.failures as u64),
                    display::count(stats.accepted as u64),
                    display::count(stats.duplicates as u64),
                    display::count(stats.parked as u64)
                )}</p>
                <div class="scroll"><table class="list">
                    <thead><tr>
                        <th scope="col">"Client"</th><th scope="col">"Metric"</th>
                        <th scope="col" class="num">"Sent (distinct)"</th><th scope="col" class="num">"Counted"</th>
                        <th scope="col" class="num">"Expected sum"</th><th scope="col" class="num">"Tally's sum"</th><th scope="col">"Match"</th>
                    </tr></thead>
                    <tbody>{report.rows.into_iter().map(|r| view! {
                        <tr>
                            <td class="name">{r.client_id.clone()}</td><td>{r.metric.clone()}</td>
                            <td class="num">{display::count(r.expected_count)}</td>
                            <td class="num">{if stored {
                                let href = href_with(Route::Processed, &[("client", &r.client_id), ("metric", &r.metric)]);
                                view! { <a href=href title="The events behind this count, in Processed" data-testid="sim-events">{display::count(r.actual_count)}</a> }.into_any()
                            } else {
                                view! { <span>{display::count(r.actual_count)}</span> }.into_any()
                            }}</td>
                            <td class="num" title=r.expected_sum.to_string()>{display::amount(r.expected_sum, 2)}</td>
                            <td class="num" title=r.actual_sum.to_string()>{display::amount(r.actual_sum, 2)}</td>
                            <td>{if r.matches() { "yes" } else { "NO" }}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table></div>
                }
            })}
        </section>
    }
}
