//! Small pieces several views share: the event filter form, a pager, and
//! file download.

use crate::report::{display, Filter};
use chrono::{NaiveDate, TimeDelta};
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};

/// Rows per page in long lists; keeps the DOM small with 50,000 events.
pub const PAGE_SIZE: usize = 50;

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let anchor: web_sys::HtmlAnchorElement = document().create_element("a")?.dyn_into()?;
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    web_sys::Url::revoke_object_url(&url)
}

/// Reads `file` as text, then calls `done` with it or with a message for
/// the user.
fn read_file(file: web_sys::File, done: impl FnOnce(Result<String, String>) + 'static) {
    leptos::task::spawn_local(async move {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        done(
            text.ok()
                .and_then(|t| t.as_string())
                .ok_or_else(|| "The file could not be read as text.".to_string()),
        );
    });
}

/// Reads the file chosen in a file input as text (see [`read_file`]), and
/// clears the input so the same file can be chosen again.
pub fn read_chosen_file(
    ev: &leptos::ev::Event,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
    let Some(file) = input
        .as_ref()
        .and_then(|i| i.files())
        .and_then(|f| f.get(0))
    else {
        return;
    };
    if let Some(input) = &input {
        // The File keeps its contents; the input can be reset at once.
        input.set_value("");
    }
    read_file(file, done);
}

/// Reads a file dropped on an element as text (see [`read_file`]).
pub fn read_dropped_file(
    ev: &web_sys::DragEvent,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    ev.prevent_default();
    let Some(file) = ev
        .data_transfer()
        .and_then(|d| d.files())
        .and_then(|f| f.get(0))
    else {
        return;
    };
    read_file(file, done);
}

/// Lets the browser paint and handle input before long work continues.
pub async fn yield_to_browser() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback(&resolve);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// An instant as the page writes it (RFC 3339, UTC), breakable only between
/// its date and its time: "2026-12-" over "06T23:35Z" read as two values.
/// Two inline blocks, so a copy of the text is the instant exactly.
pub fn instant(at: &chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let text = crate::pipeline::timestamp::canonical(at);
    let (date, time) = text.split_at(text.find('T').unwrap_or(text.len()));
    let (date, time) = (date.to_string(), time.to_string());
    view! { <span class="instant"><span>{date}</span><span>{time}</span></span> }
}

/// An amount as the page writes it ("1,234,567.5"), breakable only after
/// its group separators: a phone broke "999,999,999,999,99" over
/// "9,999.999999999" (an outside review). Inline blocks, as [`instant`]'s,
/// so a copy of the text is the amount exactly. The figure spaces that
/// align a column's decimals are a block of their own (`pad`), which a
/// phone's card, with nothing to align, leaves out.
pub fn amount(text: String) -> impl IntoView {
    let figures = text.trim_end_matches(display::FIGURE_SPACE);
    let pad = text[figures.len()..].to_string();
    let mut groups: Vec<String> = figures.split_inclusive(',').map(str::to_string).collect();
    let last = groups.pop().unwrap_or_default();
    // The padding goes inside the last group's block, so that a line never
    // breaks between them: on a line of its own, it left the figure flush
    // right, out of line with its column's decimals (an outside review).
    view! {
        <span class="groups">
            {groups.into_iter().map(|g| view! { <span>{g}</span> }).collect_view()}
            <span>{last}{(!pad.is_empty()).then(|| view! { <span class="pad">{pad}</span> })}</span>
        </span>
    }
}

/// A client's text as sent, broken between its words where it has spaces
/// and inside a word only when the word is wider than the line: a phone
/// broke `"2024-03-03T10:00:00Z",` at a hyphen with a space at hand. Each
/// word is an inline block, the whitespace between them plain text in a
/// span, so a copy is the text exactly. A text beyond a few thousand characters
/// stays one text: a block per word of a huge payload costs more than it
/// helps.
pub fn raw_text(raw: &str) -> impl IntoView {
    const WORDS_UP_TO: usize = 4_000;
    let runs = if raw.len() > WORDS_UP_TO {
        vec![(false, raw)]
    } else {
        display::words(raw)
    };
    runs.into_iter()
        .map(|(word, run)| view! { <span class:word=word>{run.to_string()}</span> })
        .collect_view()
}

/// A date input's value (`YYYY-MM-DD`, or empty) as a day; read by hand,
/// as chrono's format strings cost the bundle KBs.
fn day(text: &str) -> Option<NaiveDate> {
    let mut parts = text.splitn(3, '-').map(|p| p.parse::<u32>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// The first instant of the day `text` names.
fn start_of(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    day(text).map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// The first instant after the day `text` names: the end day is included.
fn end_of(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    start_of(text)?.checked_add_signed(TimeDelta::days(1))
}

/// The days a filter's range shows in its date inputs and its address:
/// the first day, and the last day included.
fn days_of(f: &Filter) -> (Option<String>, Option<String>) {
    let text = |t: chrono::DateTime<chrono::Utc>| t.date_naive().to_string();
    (
        f.from.map(text),
        f.to.and_then(|t| t.checked_sub_signed(TimeDelta::days(1)))
            .map(text),
    )
}

/// The filter the address names (`client`, `metric`, `from` and `to` as
/// `YYYY-MM-DD`), none of it when absent: Back from an event's story, a
/// reload or a shared link shows the same choice (a review came Back to
/// Processed with its dates gone, and Aggregates kept none of it).
pub fn filter_in_address() -> Filter {
    // `client=` names no client: no filter, not the client "".
    let value = |name| super::router::query_value(name).filter(|v| !v.is_empty());
    Filter {
        client_id: value("client"),
        metric: value("metric"),
        from: value("from").as_deref().and_then(start_of),
        to: value("to").as_deref().and_then(end_of),
    }
}

/// A filter as the address's settings, the way [`filter_in_address`]
/// reads them.
pub fn filter_pairs(f: &Filter) -> Vec<(&'static str, String)> {
    let (from, to) = days_of(f);
    [
        ("client", f.client_id.clone()),
        ("metric", f.metric.clone()),
        ("from", from),
        ("to", to),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k, v?)))
    .collect()
}

/// A menu's choices: the names stored, and the one the filter asks for if
/// no event has it (a link's), so the menu shows what is filtered on rather
/// than "All", which it is not.
fn listed(names: Signal<Vec<String>>, asked: Option<String>) -> Vec<String> {
    let mut names = names.get();
    if let Some(asked) = asked.filter(|a| !names.contains(a)) {
        names.push(asked);
    }
    names
}

/// Client, metric and date range. Dates are UTC days; the end day is included.
#[component]
pub fn FilterForm(
    filter: RwSignal<Filter>,
    clients: Signal<Vec<String>>,
    metrics: Signal<Vec<String>>,
    /// Distinguishes the ids of two forms on one page.
    prefix: &'static str,
) -> impl IntoView {
    let id = move |name: &str| format!("{prefix}-{name}");
    // The boxes show the filter's days, also those the address set.
    let days = Memo::new(move |_| filter.with(days_of));
    let choice = |text: String| (!text.is_empty()).then_some(text);
    view! {
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            <span class="pair"><label for=id("client")>"Client"</label>
            <select id=id("client") prop:value=move || filter.with(|f| f.client_id.clone().unwrap_or_default()) on:change=move |ev| filter.update(|f| f.client_id = choice(event_target_value(&ev)))>
                <option value="">"All clients"</option>
                {move || listed(clients, filter.with(|f| f.client_id.clone())).into_iter().map(|c| {
                    // A filter set by the address (a simulator cell's link) shows as chosen.
                    let chosen = filter.with_untracked(|f| f.client_id.as_ref() == Some(&c));
                    view! { <option value=c.clone() selected=chosen>{display::spaces_kept(&c)}</option> }
                }).collect_view()}
            </select></span>
            <span class="pair"><label for=id("metric")>"Metric"</label>
            <select id=id("metric") prop:value=move || filter.with(|f| f.metric.clone().unwrap_or_default()) on:change=move |ev| filter.update(|f| f.metric = choice(event_target_value(&ev)))>
                <option value="">"All metrics"</option>
                {move || listed(metrics, filter.with(|f| f.metric.clone())).into_iter().map(|m| {
                    let chosen = filter.with_untracked(|f| f.metric.as_ref() == Some(&m));
                    view! { <option value=m.clone() selected=chosen>{display::spaces_kept(&m)}</option> }
                }).collect_view()}
            </select></span>
            <span class="pair"><label for=id("from")>"From"</label>
            <input id=id("from") type="date" prop:value=move || days.get().0.unwrap_or_default()
                on:change=move |ev| filter.update(|f| f.from = start_of(&event_target_value(&ev))) /></span>
            <span class="pair"><label for=id("to")>"To"</label>
            <input id=id("to") type="date" prop:value=move || days.get().1.unwrap_or_default()
                on:change=move |ev| filter.update(|f| f.to = end_of(&event_target_value(&ev))) /></span>
        </form>
        {move || {
            let why = filter.with(|f| clients.with(|c| metrics.with(|m| f.why_nothing(c, m))));
            why.map(|why| view! { <p class="error" role="status" data-testid=id("why-nothing")>{why}</p> })
        }}
    }
}

/// The page the address names (`page=3` is the third, shown as such), the
/// first when it names none: Back from a row's page, a reload or a shared
/// link comes back to the same page.
pub fn page_in_address() -> usize {
    super::router::query_value("page")
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(0, |p| p.saturating_sub(1))
}

/// The address's `page` setting for `page`, none for the first.
pub fn page_pair(page: usize) -> Option<(&'static str, String)> {
    (page > 0).then(|| ("page", (page + 1).to_string()))
}

/// Sets `page` to the first when `filter` changes after the view opened:
/// another filter is another list. Not when it opens, nor when the
/// address set the filter with its page (`from_address`, which the next
/// change consumes): the address's page is for the address's filter.
pub fn first_page_on_change<T: PartialEq + Clone + Send + Sync + 'static>(
    filter: impl Fn() -> T + 'static,
    page: RwSignal<usize>,
    from_address: RwSignal<bool>,
) {
    Effect::new(move |before: Option<T>| {
        let now = filter();
        if before.is_some_and(|b| b != now) && !from_address.get_untracked() {
            page.set(0);
        }
        from_address.set(false);
        now
    });
}

/// First / Previous / Next / Last over `total` rows, and which rows show.
/// A long page on a phone is thousands of pixels tall, so the list has a
/// pager below it too (`bottom`), which brings the top of the list back
/// into view with the next page. Neither shows where it would be noise:
/// the one above over an empty list (whose view says why it is empty),
/// the one below over a single page ("No rows" twice, a review saw).
#[component]
pub fn Pager(
    page: RwSignal<usize>,
    total: Signal<usize>,
    #[prop(optional)] bottom: bool,
) -> impl IntoView {
    let pages = move || total.get().div_ceil(PAGE_SIZE).max(1);
    let shown = move || if bottom { pages() > 1 } else { total.get() > 0 };
    // Filters can shrink the list under the current page.
    Effect::new(move |_| {
        if page.get() >= pages() {
            page.set(pages() - 1);
        }
    });
    // Conditions live in closures: a `>` inside a `view!` attribute would
    // close the tag (that bug once left Next disabled and labelled with code).
    let at_start = move || page.get() == 0;
    let at_end = move || page.get() + 1 >= pages();
    let range = move || display::page_range(page.get(), PAGE_SIZE, total.get());
    // `button` is the pressed one's place in its pager (1 to 4).
    let go = move |to: usize, button: u8| {
        if to == page.get_untracked() || to >= pages() {
            return;
        }
        page.set(to);
        if bottom {
            // The list starts again above: there, and the keyboard's place
            // with it (left on the pager below, it was out of sight).
            let top = document().query_selector("nav.pager").ok().flatten();
            if let Some(top) = top {
                top.scroll_into_view();
                let same = top.query_selector(&format!("button:nth-of-type({button})"));
                if let Some(same) = same.ok().flatten() {
                    let _ = same.unchecked_into::<web_sys::HtmlElement>().focus();
                }
            }
        }
    };
    view! {
        <Show when=shown>
            <nav class="pager" aria-label=if bottom { "Pages, below the list" } else { "Pages" }>
                // Marked, not disabled, at the ends: a disabled button
                // drops the keyboard focus on it to the page's start, so
                // pressing Last would send a keyboard user back through the
                // navigation (an outside review). A press there does nothing.
                <button type="button" aria-disabled=move || at_start().then_some("true") on:click=move |_| go(0, 1)>"First"</button>
                <button type="button" aria-disabled=move || at_start().then_some("true") on:click=move |_| go(page.get_untracked().saturating_sub(1), 2)>"Previous"</button>
                <span data-testid=if bottom { "page-bottom" } else { "page" } aria-live=if bottom { "off" } else { "polite" }>{range}</span>
                <button type="button" aria-disabled=move || at_end().then_some("true") on:click=move |_| go(page.get_untracked() + 1, 3)>"Next"</button>
                <button type="button" aria-disabled=move || at_end().then_some("true") on:click=move |_| go(pages() - 1, 4)>"Last"</button>
            </nav>
        </Show>
    }
}

/// A view's answer to the user's last action, and whether it says that
/// something failed: then it is shown as a failure (a refused restore read
/// like a note, an outside review).
#[derive(Debug, Clone, Copy)]
pub struct StatusLine(RwSignal<(String, bool)>);

impl StatusLine {
    /// An empty line.
    pub fn new() -> StatusLine {
        StatusLine(RwSignal::new((String::new(), false)))
    }

    /// Says how an action went.
    pub fn say(self, text: String) {
        self.0.set((text, false));
    }

    /// Says that an action failed, and why.
    pub fn fail(self, text: String) {
        self.0.set((text, true));
    }

    /// The line, under `testid`.
    pub fn view(self, testid: &'static str) -> impl IntoView {
        let StatusLine(line) = self;
        view! {
            <p role="status" data-testid=testid class:error=move || line.with(|l| l.1)>{move || line.with(|l| l.0.clone())}</p>
        }
    }
}
