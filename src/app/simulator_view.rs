//! Simulator: chaos in the app, and a visible verdict on exactly-once.

use super::widgets::yield_to_browser;
use super::AppState;
use crate::chaos::{SimConfig, SimReport, SimStats, SimTabs, SimTarget, Simulation};
use crate::ledger::FaultPoint;
use crate::report::display;
use leptos::prelude::*;

/// New events per slice between paints.
const SLICE: usize = 100;

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
            " {n} tabs converged; {} answers were revised when their records merged.",
            display::count(report.revised as u64)
        ),
        n => format!(" {n} tabs did NOT converge on the same state."),
    };
    match report.pass {
        true => format!("PASS: {counts}, every total exact.{tabs}"),
        false => format!("FAIL: {counts}.{tabs}"),
    }
}

fn number(ev: &leptos::ev::Event, max: u64) -> u64 {
    event_target_value(ev).parse::<u64>().unwrap_or(0).min(max)
}

#[component]
pub fn SimulatorView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let config = RwSignal::new(SimConfig::default());
    let (progress, set_progress) = signal((0usize, 0usize));
    let (running, set_running) = signal(false);
    let (result, set_result) = signal(None::<(SimReport, SimStats, String)>);
    let (error, set_error) = signal(None::<String>);

    let run = move |_| {
        if running.get_untracked() {
            return;
        }
        let cfg = config.get_untracked();
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
                        while sim.step(&mut tabs, SLICE) > 0 {
                            set_progress.set((sim.total() - sim.remaining(), sim.total()));
                            yield_to_browser().await;
                        }
                        sim.finish(&mut tabs);
                        sim.report_tabs(&mut tabs)
                    }
                    Err(e) => Err(e),
                };
                match report {
                    Ok(report) => set_result.set(Some((report, sim.stats.clone(), run_id))),
                    Err(e) => set_error.set(Some(format!("The simulated tabs' store failed: {e}"))),
                }
                set_running.set(false);
            });
            return;
        }
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
            let finishing = sim.clone();
            state
                .commit(move |t| finishing.borrow_mut().finish(&mut t.ledger))
                .await;
            state.set_faults(saved);
            let report = state.peek(|t| sim.borrow().report(t.ledger.state()));
            if let Some(report) = report {
                let stats = sim.borrow().stats.clone();
                set_result.set(Some((report, stats, run_id)));
            }
            set_running.set(false);
        });
    };

    let field = move |id: &'static str,
                      label: &'static str,
                      get: fn(&SimConfig) -> u64,
                      set: fn(&mut SimConfig, u64),
                      max: u64| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="number" min="0" max=max.to_string() prop:value=move || config.with(get).to_string()
                on:input=move |ev| config.update(|c| set(c, number(&ev, max))) />
        }
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
                {field("sim-seed", "Seed", |c| c.seed, |c, v| c.seed = v, u64::MAX)}
                {field("sim-clients", "Clients", |c| c.clients as u64, |c, v| c.clients = v.max(1) as usize, 20)}
                {field("sim-events", "Events per client", |c| c.events_per_client as u64, |c, v| c.events_per_client = v as usize, 20_000)}
                {field("sim-resend", "Exact resends (%)", |c| u64::from(c.resend_per_million / 10_000), |c, v| c.resend_per_million = v as u32 * 10_000, 90)}
                {field("sim-reshape", "Reshaped duplicates (%)", |c| u64::from(c.reshape_per_million / 10_000), |c, v| c.reshape_per_million = v as u32 * 10_000, 90)}
                {field("sim-failure", "Database failure rate (%)", |c| u64::from(c.failure_per_million / 10_000), |c, v| c.failure_per_million = v as u32 * 10_000, 90)}
                {field("sim-attempts", "Attempts per send", |c| u64::from(c.attempts), |c, v| c.attempts = v.max(1) as u32, 10)}
                {field("sim-backoff", "First backoff (ms, simulated)", |c| c.backoff_ms, |c, v| c.backoff_ms = v, 60_000)}
                {field("sim-tabs", "Tabs (2 or more: simulated tabs racing in memory)", |c| c.tabs as u64, |c, v| c.tabs = v.max(1) as usize, 8)}
                {field("sim-refresh", "Tab refreshes before a send (%)", |c| u64::from(c.refresh_per_million / 10_000), |c, v| c.refresh_per_million = v as u32 * 10_000, 100)}
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
            <button type="button" on:click=run prop:disabled=move || running.get()>"Run simulation"</button>
            <Show when=move || running.get() || result.with(Option::is_some)>
                <progress max=move || progress.get().1.max(1).to_string() value=move || progress.get().0.to_string() aria-label="Simulation progress"></progress>
                <span>{move || format!(" {} of {} new events", progress.get().0, progress.get().1)}</span>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || result.get().map(|(report, stats, run_id)| view! {
                <p class=if report.pass { "verdict pass" } else { "verdict fail" } data-testid="sim-verdict" role="status">
                    {verdict(&report, config.with_untracked(|c| c.tabs))}
                </p>
                <p class="hint" data-testid="sim-stats">{format!(
                    "Run {run_id}: {} sends, {} attempts, {} failed attempts, {} accepted, {} duplicates, {} parked in outboxes and drained.",
                    stats.sends, stats.attempts, stats.failures, stats.accepted, stats.duplicates, stats.parked
                )}</p>
                <div class="scroll"><table class="list">
                    <thead><tr>
                        <th scope="col">"Client"</th><th scope="col">"Metric"</th>
                        <th scope="col" class="num">"Sent (distinct)"</th><th scope="col" class="num">"Counted"</th>
                        <th scope="col" class="num">"Expected sum"</th><th scope="col" class="num">"Tally's sum"</th><th scope="col">"Match"</th>
                    </tr></thead>
                    <tbody>{report.rows.into_iter().map(|r| view! {
                        <tr>
                            <td>{r.client_id.clone()}</td><td>{r.metric.clone()}</td>
                            <td class="num">{display::count(r.expected_count)}</td><td class="num">{display::count(r.actual_count)}</td>
                            <td class="num" title=r.expected_sum.to_string()>{display::amount(r.expected_sum, 2)}</td>
                            <td class="num" title=r.actual_sum.to_string()>{display::amount(r.actual_sum, 2)}</td>
                            <td>{if r.matches() { "yes" } else { "NO" }}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table></div>
            })}
        </section>
    }
}
