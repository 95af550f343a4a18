//! Export everything to a file, restore from one, or clear all data.

use super::widgets::{download, read_chosen_file, StatusLine};
use super::AppState;
use crate::report::display;
use chrono::{Datelike, Timelike};
use leptos::prelude::*;

/// Backup, restore and clear.
#[component]
pub fn BackupView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let message = StatusLine::new();
    let export = move |_| {
        let result = state.export();
        match result {
            Some(Ok(text)) => {
                let t = crate::browser::now();
                // Spelled out: chrono's format strings cost the bundle KBs.
                let name = format!(
                    "tally-backup-{:04}{:02}{:02}-{:02}{:02}{:02}.json",
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second()
                );
                match download(&name, "application/json", &text) {
                    Ok(()) => message.say(format!(
                        "Exported {} characters to {name}.",
                        display::count(text.chars().count() as u64)
                    )),
                    Err(e) => message.fail(format!("The download could not start: {e:?}")),
                }
            }
            Some(Err(e)) => message.fail(format!("Export failed: {e}")),
            None => {}
        }
    };
    let restore = move |ev: leptos::ev::Event| {
        read_chosen_file(&ev, move |text| match text {
            Err(e) => message.fail(e),
            Ok(text) => leptos::task::spawn_local(async move {
                let summary = state
                    .commit(move |t| t.restore(&text))
                    .await
                    .unwrap_or_else(|| Err("the app is closing".into()));
                match summary {
                    Ok(summary) => message.say(summary),
                    Err(e) => message.fail(e),
                }
            }),
        });
    };
    // What Bulk import shows of its last import, and Submit of its last
    // answer, describe deleted data.
    let import = use_context::<super::import_view::ImportSession>();
    let submit = use_context::<super::submit::SubmitSession>();
    let clear = move |_| {
        let confirmed = window()
            .confirm_with_message("Delete every event, the raw log, the Failed list, your mapping rules and quarantined data Tally keeps in this browser? Export a backup first if you may need it.")
            .unwrap_or(false);
        if confirmed {
            leptos::task::spawn_local(async move {
                let result = state.commit(|t| t.clear_all()).await;
                match result {
                    Some(Ok(())) => {
                        if let Some(import) = import {
                            import.forget_results();
                        }
                        if let Some(submit) = submit {
                            submit.forget_answer();
                        }
                        message.say("All Tally data was deleted.".into());
                    }
                    Some(Err(e)) => message.fail(format!("Clearing failed: {e}")),
                    None => {}
                }
            });
        }
    };
    view! {
        <section class="panel" aria-labelledby="backup-title">
            <h2 id="backup-title">"Backup"</h2>
            <div class="actions">
                <button type="button" on:click=export>"Export backup"</button>
                <label class="file">"Restore backup" <input type="file" accept=".json,application/json" on:change=restore /></label>
                <button type="button" class="danger" on:click=clear>"Clear all data"</button>
            </div>
            {message.view("backup-message")}
            {move || {
                let keys = state.read(|t| t.set_aside());
                (!keys.is_empty()).then(|| view! {
                    <p class="hint" data-testid="set-aside">{format!(
                        "Unreadable data is set aside here, not counted: {}. Clear all data deletes it with everything else.",
                        keys.join(", ")
                    )}</p>
                })
            }}
        </section>
    }
}
