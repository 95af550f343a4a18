//! About: what Tally promises, in plain words.

use leptos::prelude::*;

/// The guarantees, in plain words.
#[component]
pub fn AboutView() -> impl IntoView {
    view! {
        <section class="panel about" aria-labelledby="about-title">
            <h2 id="about-title">"What Tally guarantees"</h2>
            <ul>
                <li><strong>"Counted once."</strong>" The same event, resent or reshaped (other names, key order, number or date spelling), gets the same id and is counted once. An idempotency key (event_id, messageId, …) makes the client's id the identity; reusing it for different content is a Conflict."</li>
                <li><strong>"Nothing lost."</strong>" Every submission is recorded exactly as received before anything is decided, with its outcome. A failed write leaves everything as it was; the submission waits under Failed until a retry succeeds, even across reloads."</li>
                <li><strong>"No half-writes."</strong>" A commit becomes visible all at once or not at all, even if the tab is closed in the middle of it."</li>
                <li><strong>"Exact numbers."</strong>" Amounts are decimals with nine places, never floating point: 0.1 + 0.2 is 0.3. Totals are recomputed from the committed events, so they cannot drift."</li>
                <li><strong>"No guessing."</strong>" An event without a client, metric, amount or timestamp, or with two names that disagree, or a date like 01/02/2024, is rejected with the field and the reason. The timestamp is never set to \"now\": a retry would become a new event."</li>
                <li><strong>"Your data stays here."</strong>" Everything lives in this browser's localStorage under keys starting with tally:. Damaged data is set aside and reported, never silently reset. Export a backup before clearing your browser data."</li>
                <li><strong>"Several tabs."</strong>" Tabs write to separate keys and merge by event id, so two tabs submitting at once still count every event once."</li>
            </ul>
            <p>"Timestamps without a zone are read as UTC. Day-first or month-first dates need a client rule when the values cannot decide."</p>
        </section>
    }
}
