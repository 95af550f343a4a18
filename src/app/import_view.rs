//! Bulk import: NDJSON or a JSON array, pasted or from a file, committed in
//! chunks so the page never freezes, with a progress bar and a summary.

use super::router::{event_href, submission_href};
use super::widgets::{read_chosen_file, read_dropped_file, yield_to_browser};
use super::AppState;
use crate::ledger::{renamed, Kind, Outcome, SubmissionId};
use crate::pipeline::bulk;
use crate::pipeline::fingerprint::Fingerprint;
use crate::pipeline::normalize::Rejection;
use crate::report::display;
use crate::service::item_id;
use leptos::prelude::*;

/// Events per commit: one raw write and one commit per chunk.
const CHUNK: usize = 500;
/// Work between two yields to the browser, in milliseconds: long enough that
/// the page's own frames are a small part of an import, short enough that
/// it never feels frozen (a frame is about 16 ms; 50 ms is a "long task").
const SLICE_MS: f64 = 40.0;
/// Milliseconds on a clock that never goes back (the wall clock can, and an
/// import that measured its slices on it would then never yield).
fn monotonic_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Where an import leaves how far it got, in this tab's session storage
/// (`done/of` lines): its lines are only in the box, which a reload empties,
/// so a reload mid-import would otherwise leave no word of the lines it
/// never reached.
const PLACE_KEY: &str = "tally-import-place";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Notes that `done` of `of` lines are committed (or clears the note).
fn note_place(place: Option<(usize, usize)>) {
    if let Some(storage) = session_storage() {
        let _ = match place {
            Some((done, of)) => storage.set_item(PLACE_KEY, &format!("{done}/{of}")),
            None => storage.remove_item(PLACE_KEY),
        };
    }
}

/// The place an import in this tab noted and never cleared: it was cut
/// short by a reload (or a crash) after at least `done` of `of` lines.
fn cut_short_import() -> Option<(usize, usize)> {
    let text = session_storage()?.get_item(PLACE_KEY).ok()??;
    let (done, of) = text.split_once('/')?;
    Some((done.parse().ok()?, of.parse().ok()?))
}

/// Per-line outcomes listed at once.
const SHOWN: usize = 200;

/// The answers a line of an import can get, in filter order.
const LINE_KINDS: [Kind; 5] = [
    Kind::Accepted,
    Kind::Duplicate,
    Kind::Rejected,
    Kind::Failed,
    Kind::Conflict,
];

/// What one line became.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LineOutcome {
    /// Where the item was: `line 3`, `item 2 (line 1)`.
    place: String,
    kind: Kind,
    detail: String,
    /// The event the answer names (committed as, duplicate of), to say so
    /// when a later key claimed it and gave it the id Processed now lists.
    named: Option<Fingerprint>,
    /// The submission, for a link to its page. (The address is made only
    /// for the lines shown: making 20,000 cost an import 3%.)
    page: SubmissionId,
    /// A failed or rejected line's text. A failed line's attempt may or may
    /// not have been recorded (a failure before the raw write records
    /// nothing and takes no number, so `page` may then name a later line's
    /// submission): it is linked only if the submission `page` names holds
    /// exactly this text. Rejected lines can be put back in the box to fix.
    text: Option<String>,
}

/// Totals of an import.
#[derive(Debug, Clone, Default, PartialEq)]
struct Summary {
    accepted: usize,
    duplicates: usize,
    rejected: usize,
    failed: usize,
    conflicts: usize,
    elapsed_ms: f64,
    /// Blank lines of the input, which hold no item: said, so that "Read 15
    /// items" of a 16-line file is not a line gone missing.
    blank: usize,
    /// Whether every line was recorded and the box emptied.
    emptied: bool,
}

impl Summary {
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Accepted { .. } => self.accepted += 1,
            Outcome::Duplicate { .. } => self.duplicates += 1,
            Outcome::Rejected { .. } => self.rejected += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Conflict { .. } => self.conflicts += 1,
        }
    }

    fn total(&self) -> usize {
        self.accepted + self.duplicates + self.rejected + self.failed + self.conflicts
    }
}

/// An import's text, progress and results, owned by the app rather than
/// the view: following a line's link to its submission and coming back
/// finds them again, and an import still running keeps reporting.
#[derive(Debug, Clone, Copy)]
pub struct ImportSession {
    input: RwSignal<String>,
    progress: RwSignal<(usize, usize)>,
    running: RwSignal<bool>,
    summary: RwSignal<Option<Summary>>,
    error: RwSignal<Option<String>>,
    lines: RwSignal<Vec<LineOutcome>>,
    only: RwSignal<Option<Kind>>,
}

impl ImportSession {
    /// Forgets the last import's results (after Clear all data deleted
    /// what they describe); an import still running keeps reporting.
    pub fn forget_results(&self) {
        if self.running.get_untracked() {
            return;
        }
        self.summary.set(None);
        self.lines.set(Vec::new());
        self.progress.set((0, 0));
        self.error.set(None);
        self.only.set(None);
    }

    /// Puts `text` in the box, brought from the Submit form (an array
    /// refused there as one event), unless the box holds a draft, which is
    /// never replaced, or an import is reading it.
    pub fn bring(&self, text: String) {
        if !self.running.get_untracked() && self.input.with_untracked(|i| i.trim().is_empty()) {
            self.input.set(text);
        }
    }

    /// An empty session, for the app to provide as context.
    pub fn new() -> ImportSession {
        ImportSession {
            input: RwSignal::new(String::new()),
            progress: RwSignal::new((0, 0)),
            running: RwSignal::new(false),
            summary: RwSignal::new(None),
            error: RwSignal::new(None),
            lines: RwSignal::new(Vec::new()),
            only: RwSignal::new(None),
        }
    }
}

impl Default for ImportSession {
    fn default() -> Self {
        ImportSession::new()
    }
}

/// The event an answer names.
fn named_event(outcome: &Outcome) -> Option<Fingerprint> {
    match outcome {
        Outcome::Accepted { event, .. } => Some(event.event_id.clone()),
        Outcome::Duplicate { original, .. } => Some(original.event_id.clone()),
        Outcome::Conflict { existing, .. } => Some(existing.event_id.clone()),
        _ => None,
    }
}

/// What the line list says of one line's outcome. A line is one payload on
/// one line of the input, so a JSON error's place in it is a column: "line
/// 4: invalid JSON at line 1, column 2" read as two lines at once.
fn line_detail(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Rejected {
            rejection:
                Rejection::InvalidJson {
                    line: 1,
                    column,
                    message,
                },
        } => format!("invalid JSON at column {column}: {message}"),
        other => other.reason(),
    }
}

#[component]
pub fn ImportView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let session = use_context::<ImportSession>().unwrap_or_default();
    // The session's own signals, not `split()` halves: those would belong to
    // this view and be disposed with it, so work still running after the
    // user left (an import, a simulation) would update nothing and the view
    // would come back stuck (found by an outside review).
    let (input, set_input) = (session.input, session.input);
    let (progress, set_progress) = (session.progress, session.progress);
    let (running, set_running) = (session.running, session.running);
    let (summary, set_summary) = (session.summary, session.summary);
    let (error, set_error) = (session.error, session.error);
    let (lines, set_lines) = (session.lines, session.lines);
    let (only, set_only) = (session.only, session.only);
    // The failure switch lives on Submit; an import goes through it too, so
    // say so here rather than let a whole import fail unexplained.
    let failing = state.faults().is_active();
    // How many lines are listed; "Show more" adds SHOWN at a time, so line
    // 15,000 of an import can be reached without listing 20,000 at once.
    let limit = RwSignal::new(SHOWN);
    // An import of this tab that a reload cut short (none while one runs).
    let cut_short = RwSignal::new(if running.get_untracked() {
        None
    } else {
        cut_short_import()
    });
    let dismiss = move |_| {
        note_place(None);
        cut_short.set(None);
    };

    let load_file = move |ev: leptos::ev::Event| {
        if running.get_untracked() {
            return; // the box is being read; its input is disabled too
        }
        read_chosen_file(&ev, move |text| match text {
            Ok(text) => set_input.set(text),
            Err(e) => set_error.set(Some(e)),
        });
    };

    let run = move |_| {
        if running.get_untracked() {
            return;
        }
        let text = input.get_untracked();
        // From before the split, which reading a large array takes a part
        // of: the time said is the import's whole.
        let started = monotonic_ms();
        let mut blank = 0;
        let items: Vec<(String, String)> = match bulk::split(&text) {
            Ok(items) => {
                if items.first().is_some_and(|i| i.element.is_none()) {
                    // As the split reads it: a byte-order mark is not text.
                    let lines = text.strip_prefix('\u{feff}').unwrap_or(&text).lines();
                    blank = lines.filter(|l| l.trim().is_empty()).count();
                }
                items
                    .into_iter()
                    .map(|i| (i.place(), i.text.to_string()))
                    .collect()
            }
            Err(e) => {
                set_error.set(Some(format!("Nothing was imported: {e}")));
                // The last import's results would read as this one's.
                set_summary.set(None);
                set_lines.set(Vec::new());
                return;
            }
        };
        if items.is_empty() {
            // The last import's results stay: after an import empties the
            // box, a second click must not erase the only per-line list.
            set_error.set(Some(
                if summary.with_untracked(Option::is_some) {
                    "Nothing to import: the box is empty. Paste events (one JSON object per line, or a JSON array) or choose a file. The results below are the last import's."
                } else {
                    "Nothing to import: paste events (one JSON object per line, or a JSON array) or choose a file."
                }
                .into(),
            ));
            return;
        }
        set_error.set(None);
        // A new import shows all its lines, not the last one's filter.
        set_only.set(None);
        limit.set(SHOWN);
        set_running.set(true);
        set_summary.set(None);
        set_lines.set(Vec::new());
        set_progress.set((0, items.len()));
        cut_short.set(None);
        note_place(Some((0, items.len())));
        let items = std::rc::Rc::new(items);
        leptos::task::spawn_local(async move {
            let mut totals = Summary {
                blank,
                ..Summary::default()
            };
            let mut outcomes = Vec::with_capacity(items.len());
            // The first line no commit has taken yet.
            let mut next = 0;
            while next < items.len() {
                // One slice per hold of the cross-tab commit lock, one commit
                // per chunk within it: every request of the lock is a round
                // trip through the browser, and one per chunk left the page
                // idle for a third of an import.
                let from = next;
                let slice = items.clone();
                let Some(committed) = state
                    .commit_quietly(move |t| {
                        let slice_started = monotonic_ms();
                        let mut committed = Vec::new();
                        for chunk in slice[from..].chunks(CHUNK) {
                            let raws: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
                            // The batch numbers its submissions on from here.
                            let first = t.ledger.next_submission();
                            committed.push((first, chunk.len(), t.submit_batch(&raws)));
                            let done = from + committed.iter().map(|(_, n, _)| n).sum::<usize>();
                            note_place(Some((done, slice.len())));
                            if monotonic_ms() - slice_started >= SLICE_MS {
                                break;
                            }
                        }
                        committed
                    })
                    .await
                else {
                    break;
                };
                for (first, len, results) in committed {
                    let chunk = &items[next..next + len];
                    next += len;
                    for (i, ((place, text), outcome)) in chunk.iter().zip(&results).enumerate() {
                        totals.count(outcome);
                        outcomes.push(LineOutcome {
                            place: place.clone(),
                            kind: outcome.kind(),
                            detail: line_detail(outcome),
                            named: named_event(outcome),
                            page: first.plus(i as u64),
                            text: matches!(outcome.kind(), Kind::Failed | Kind::Rejected)
                                .then(|| text.clone()),
                        });
                    }
                }
                set_progress.set((next, items.len()));
                if next < items.len() {
                    // The figures above follow the import as it goes, as the
                    // Raw log and Processed already do; the yield lets the
                    // browser paint them and the progress.
                    state.changed();
                    yield_to_browser().await;
                }
            }
            if next == items.len() {
                note_place(None);
            }
            totals.elapsed_ms = monotonic_ms() - started;
            // Whether each failed line waits in Failed, read once at the end:
            // storage that is full keeps neither the line nor its retry.
            if totals.failed > 0 {
                let waiting = state
                    .peek(|t| t.outbox.waiting_ids().unwrap_or_default())
                    .unwrap_or_default();
                for line in outcomes.iter_mut().filter(|o| o.kind == Kind::Failed) {
                    let kept = line
                        .text
                        .as_ref()
                        .is_some_and(|text| waiting.contains(&item_id(text)));
                    line.detail.push_str(if kept {
                        "; it waits in Failed"
                    } else {
                        "; storage had no room to keep it in Failed: import it again when there is room"
                    });
                }
            }
            // When every line is recorded with its outcome, the box empties:
            // a second click would only record every line again as a
            // duplicate, and a large text shown again would cost the page a
            // layout of it (about a second for 3 MB). A failed line keeps the
            // text: Failed may not have been able to keep it (a full storage
            // refuses both), and importing the box again is safe.
            totals.emptied = outcomes.len() == items.len() && totals.failed == 0;
            if totals.emptied {
                set_input.set(String::new());
            }
            set_lines.set(outcomes);
            set_summary.set(Some(totals));
            set_running.set(false);
            // On a phone the summary is below the fold once the box is back:
            // bring its bottom to the window's bottom edge, as it is the
            // answer to the click (where it is in view already, at the top
            // of the page, nothing moves).
            request_animation_frame(|| {
                let summary = document()
                    .query_selector("[data-testid=import-summary]")
                    .ok()
                    .flatten();
                if let Some(summary) = summary {
                    summary.scroll_into_view_with_bool(false);
                }
            });
            state.changed();
        });
    };

    let shown = move || {
        let o = only.get();
        let limit = limit.get();
        lines.with(|l| {
            let matching = l.iter().filter(|x| o.is_none_or(|k| x.kind == k));
            let count = matching.clone().count();
            (matching.take(limit).cloned().collect::<Vec<_>>(), count)
        })
    };

    view! {
        <section class="panel" aria-labelledby="import-title">
            <h2 id="import-title">"Bulk import"</h2>
            {move || cut_short.get().map(|(done, of)| view! {
                <p class="error" role="alert" data-testid="import-cut-short">
                    {format!(
                        "An import of {} {} in this tab stopped after at least {} of them, when the page was reloaded or closed. What it committed is in the Raw log; the rest was never read. Import the file again to finish: items already counted report duplicates. ",
                        display::count(of as u64),
                        display::plural(of, "item", "items"),
                        display::count(done as u64)
                    )}
                    <button type="button" on:click=dismiss>"Dismiss"</button>
                </p>
            })}
            {failing.then(|| view! {
                <p class="error" data-testid="import-failing">{format!("Simulate database failure is on (see Submit): an import sends its items in batches of up to {CHUNK}, one database request each, so a failure fails a whole batch as it would a single submission, and its items wait under Failed.")}</p>
            })}
            <label for="bulk-events">"Events (NDJSON or JSON array)"</label>
            // Hidden while an import reads it: a textarea holding megabytes is
            // laid out again at every frame, which made an import of 20,000
            // lines twice as slow as its work.
            <textarea id="bulk-events" rows="10" spellcheck="false" placeholder="Paste events here, or drop a file on this box."
                class:importing=move || running.get()
                prop:value=move || input.get()
                on:input=move |ev| set_input.set(event_target_value(&ev))
                on:dragover=|ev| ev.prevent_default()
                on:drop=move |ev| {
                    if running.get_untracked() {
                        ev.prevent_default();
                        return;
                    }
                    read_dropped_file(&ev, move |text| match text {
                        Ok(text) => set_input.set(text),
                        Err(e) => set_error.set(Some(e)),
                    })
                }></textarea>
            <Show when=move || running.get()>
                <p class="hint">"The box is hidden while its items are imported; it empties once every item is recorded, and keeps its text if an item fails."</p>
            </Show>
            <div class="actions">
                <label class="file">"Choose a file" <input type="file" accept=".json,.ndjson,.jsonl,.txt,application/json" on:change=load_file prop:disabled=move || running.get() /></label>
                <button type="button" on:click=run prop:disabled=move || running.get()>"Import"</button>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <Show when=move || running.get() || summary.get().is_some()>
                <progress max=move || progress.get().1.max(1).to_string() value=move || progress.get().0.to_string()
                    aria-label="Import progress"></progress>
                <span>{move || {
                    let (done, all) = progress.get();
                    format!(" {} of {}", display::count(done as u64), display::count(all as u64))
                }}</span>
            </Show>
            {move || summary.get().map(|s| {
                let rate = if s.elapsed_ms > 0.0 { s.total() as f64 / (s.elapsed_ms / 1000.0) } else { 0.0 };
                view! {
                    <p data-testid="import-summary">
                        {format!(
                            "Read {} {} in {} ms ({} items/s): {} accepted, {} {}, {} rejected, {} failed, {} {}.",
                            display::count(s.total() as u64), display::plural(s.total(), "item", "items"),
                            // The milliseconds stay ungrouped: the benchmark reads them.
                            display::whole(s.elapsed_ms), display::count(rate.round() as u64),
                            display::count(s.accepted as u64), display::count(s.duplicates as u64), display::plural(s.duplicates, "duplicate", "duplicates"),
                            display::count(s.rejected as u64), display::count(s.failed as u64), display::count(s.conflicts as u64), display::plural(s.conflicts, "conflict", "conflicts")
                        )}
                        {(s.blank > 0).then(|| format!(
                            " {} blank {} skipped.",
                            display::count(s.blank as u64), display::plural(s.blank, "line", "lines")
                        ))}
                    </p>
                    {move || (s.emptied && input.with(String::is_empty)).then(|| view! {
                        <p class="hint">"The box is emptied: every item is in the Raw log with what became of it, and listed below."</p>
                        // To fix a refused line the user had to copy it back
                        // from the Raw log (an outside review).
                        {(s.rejected > 0).then(|| view! {
                            <button type="button" class="secondary" on:click=move |_| {
                                // One per line: an array's item written over several
                                // lines is put back compact (it parsed, or it would
                                // not be an item), or each of its lines would be one.
                                let one_line = |text: String| match text.contains('\n') {
                                    true => crate::pipeline::json::parse(&text).map_or(text, |v| v.to_compact()),
                                    false => text,
                                };
                                let refused: Vec<String> = lines.with_untracked(|l| {
                                    l.iter().filter(|o| o.kind == Kind::Rejected).filter_map(|o| o.text.clone()).map(one_line).collect()
                                });
                                set_input.set(refused.join("\n"));
                            }>{format!("Put the {} rejected {} back in the box", display::count(s.rejected as u64), display::plural(s.rejected, "item", "items"))}</button>
                        })}
                    })}
                    {(s.failed > 0).then(|| view! {
                        <p class="hint">{format!(
                            "The box keeps its text because {} {} failed. Each item's outcome below says whether it waits under Failed (identical items wait there as one). Importing the box again is safe: what was counted reports a duplicate.",
                            display::count(s.failed as u64), display::plural(s.failed, "item", "items")
                        )}</p>
                    })}
                }
            })}
            <Show when=move || lines.with(|l| !l.is_empty())>
                <label for="import-only">"Show"</label>
                <select id="import-only" on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    set_only.set(Kind::ALL.into_iter().find(|k| k.label() == chosen));
                    limit.set(SHOWN);
                }>
                    <option value="">"All items"</option>
                    {LINE_KINDS.into_iter().map(|k| view! {
                        <option value=k.label() selected=only.get_untracked() == Some(k)>{k.label()}</option>
                    }).collect_view()}
                </select>
                {move || {
                    let (rows, count) = shown();
                    let rows_len = rows.len();
                    view! {
                        <p class="hint">{format!("Showing {} of {} {}.", display::count(rows.len() as u64), display::count(count as u64), display::plural(count, "item", "items"))}</p>
                        <div class="scroll"><table class="list" data-testid="import-lines">
                            <thead><tr><th scope="col">"Where"</th><th scope="col">"Outcome"</th><th scope="col">"Detail"</th></tr></thead>
                            <tbody>{rows.into_iter().map(|r| {
                                let failed = r.text.as_ref().filter(|_| r.kind == Kind::Failed);
                                let recorded = failed.is_none_or(|text| state.read(|t| {
                                    t.ledger.state().submission(&r.page).is_some_and(|s| *s.raw == **text)
                                }));
                                // As the Raw log says it: the id the answer
                                // named is no longer the one Processed lists.
                                let now = r.named.as_ref().and_then(|named| state.read(|t| renamed(t.ledger.state(), named)));
                                let detail = r.detail + &now.unwrap_or_default();
                                view! {
                                <tr>
                                    <td class="place">{if recorded {
                                        view! { <a href=submission_href(&r.page) title="This item's submission: what became of it and why">{r.place}</a> }.into_any()
                                    } else {
                                        view! { <span title="Not in the raw log: it failed before its text was written.">{r.place}</span> }.into_any()
                                    }}</td>
                                    <td>{r.kind.label()}</td>
                                    // As the Raw log does: the event the line
                                    // became (or was a duplicate of) in one click.
                                    <td>{detail}{r.named.as_ref().map(|id| view! {
                                        " " <a href=event_href(id) class="story">"The event's story"</a>
                                    })}</td>
                                </tr>
                                }
                            }).collect_view()}</tbody>
                        </table></div>
                        {(rows_len < count).then(|| view! {
                            <button type="button" on:click=move |_| limit.update(|n| *n += SHOWN)>
                                {format!("Show {} more", display::count(SHOWN.min(count - rows_len) as u64))}
                            </button>
                        })}
                    }
                }}
            </Show>
        </section>
    }
}
