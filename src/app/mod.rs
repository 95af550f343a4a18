//! The browser interface. Thin by design: components hold signals, call the
//! core, and render what it returns as text (never as HTML, so markup in an
//! event is shown, not executed).

mod outcome;
mod submit;

pub use outcome::OutcomePanel;
pub use submit::SubmitView;

use crate::ledger::{Ledger, MemoryJournal};
use leptos::prelude::*;

/// The ledger shared by the views. In memory for now; the durable browser
/// store replaces the journal without changing the views.
pub type AppLedger = Ledger<MemoryJournal>;

/// The whole application.
#[component]
pub fn App() -> impl IntoView {
    let ledger = StoredValue::new(Ledger::in_memory("tab"));
    view! {
        <header class="masthead">
            <h1>"Tally"</h1>
            <p class="tagline">"Every real event counted exactly once, even when clients resend and storage fails."</p>
        </header>
        <main>
            <SubmitView ledger=ledger />
        </main>
    }
}
