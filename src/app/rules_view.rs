//! Rules: the mapping rules as editable, validated JSON.

use super::widgets::StatusLine;
use super::AppState;
use crate::pipeline::rules::{Rules, CLIENT_RULE_EXAMPLE};
use leptos::prelude::*;

/// Rules being edited and not yet saved, owned by the app rather than the
/// view: looking at another view while writing them loses nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RulesDraft {
    text: RwSignal<Option<String>>,
    /// The stored rules when the edit began: another tab may save others
    /// meanwhile, which saving this edit would replace unasked (an outside
    /// review lost a rule that way).
    base: RwSignal<Option<String>>,
}

#[component]
pub fn RulesView(
    /// The shared app state.
    state: AppState,
) -> impl IntoView {
    let RulesDraft { text: draft, base } = use_context::<RulesDraft>().unwrap_or_default();
    let stored = move || state.read(|t| t.ledger.rules.to_json());
    // Saved elsewhere since this edit began.
    let replaced = move || base.with(|b| b.as_ref().is_some_and(|b| *b != stored()));
    let (text, set_text) = signal(
        draft
            .get_untracked()
            .unwrap_or_else(|| state.peek(|t| t.ledger.rules.to_json()).unwrap_or_default()),
    );
    // Rules another tab saved (or cleared) replace the text shown, unless
    // the user is editing: saving the old text would overwrite them.
    Effect::new(move |_| {
        let stored = stored();
        if draft.get_untracked().is_none() && stored != text.get_untracked() {
            set_text.set(stored);
        }
    });
    let message = StatusLine::new();
    // What is wrong with the document as typed, checked once per edit.
    let problem = Memo::new(move |_| Rules::from_edited(&text.get()).err().map(|e| e.to_string()));
    let validation = move || problem.get().unwrap_or_else(|| "Valid rules.".to_string());
    let save = move |_| {
        // The problem is said under the box already: once is enough.
        if problem.with_untracked(Option::is_some) {
            message.fail("Not saved: the rules above are not valid.".into());
            return;
        }
        // What another tab stored since is read first.
        state.update_quietly(|t| t.refresh());
        if untrack(replaced) {
            let confirmed = window()
                .confirm_with_message("Another tab saved other rules since you began editing here. Replace them with yours?")
                .unwrap_or(false);
            if !confirmed {
                message.fail("Not saved: the other tab's rules stay.".into());
                return;
            }
        }
        let result = state
            .update(|t| t.save_rules(&text.get_untracked()))
            .unwrap_or(Ok(()));
        match result {
            Ok(()) => {
                draft.set(None);
                base.set(None);
                message.say(
                    "Saved. New submissions use these rules; committed events keep their values."
                        .into(),
                );
            }
            Err(e) => message.fail(e),
        }
    };
    let reset = move |_| {
        // The user's rules are gone once replaced: ask first.
        let confirmed = window()
            .confirm_with_message(
                "Replace your mapping rules with the defaults? Copy them first if you may want them back.",
            )
            .unwrap_or(false);
        if !confirmed {
            return;
        }
        let result = state.update(|t| t.reset_rules()).unwrap_or(Ok(()));
        match result {
            Ok(()) => {
                draft.set(None);
                base.set(None);
                set_text.set(Rules::default().to_json());
                message.say("Back to the default rules.".into());
            }
            Err(e) => message.fail(e),
        }
    };
    view! {
        <section class="panel" aria-labelledby="rules-title">
            <h2 id="rules-title">"Mapping rules"</h2>
            <p class="hint">
                "Which input names feed each canonical field, the envelopes searched, and per-client overrides
                (extra aliases, explicit defaults, date_order: \"day_first\" or \"month_first\"). Changes apply to new events only."
            </p>
            <p class="hint">"A client's rule, for example: "<code>{format!("\"clients\": {CLIENT_RULE_EXAMPLE}")}</code></p>
            <label for="rules-json">"Mapping rules (JSON)"</label>
            <textarea id="rules-json" rows="24" spellcheck="false" prop:value=move || text.get()
                on:input=move |ev| {
                    let edited = event_target_value(&ev);
                    set_text.set(edited.clone());
                    // Back to rules equal to the saved ones (a letter typed
                    // and deleted, or the same rules laid out otherwise):
                    // nothing is left to save, and the page says nothing.
                    let saved = state.peek(|t| Rules::from_edited(&edited).is_ok_and(|r| r == t.ledger.rules));
                    let editing = !saved.unwrap_or(false);
                    if editing && base.with_untracked(Option::is_none) {
                        base.set(state.peek(|t| t.ledger.rules.to_json()));
                    } else if !editing {
                        base.set(None);
                    }
                    draft.set(editing.then_some(edited));
                    // A message about the last Save or Reset no longer
                    // describes what is being edited.
                    message.say(String::new());
                }></textarea>
            <p class="validation" class:invalid=move || problem.with(Option::is_some) role="status" data-testid="rules-validation">{validation}</p>
            <div class="actions">
                <button type="button" on:click=save>"Save rules"</button>
                <button type="button" on:click=reset>"Reset to defaults"</button>
            </div>
            {message.view("rules-message")}
            {move || replaced().then(|| view! {
                <p class="error" data-testid="rules-replaced">"Another tab saved other rules since you began editing here: saving yours replaces them."</p>
            })}
            {move || (draft.with(Option::is_some) && problem.with(Option::is_none)).then(|| view! {
                <p class="hint" data-testid="rules-unsaved">"Not saved yet: Save rules applies these rules to new events."</p>
            })}
        </section>
    }
}
