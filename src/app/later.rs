//! The view each route shows, and which parts of the app a visit downloads
//! only when it first uses them.
//!
//! Why: the views and the pipeline are most of the app's code, and a visit
//! needs neither to show the Submit form. The release build
//! (`scripts/build-wasm.sh`, with the `split` feature) turns each view
//! below, and the commit path, into a split point: the function and the code
//! only it uses go into WebAssembly chunks of their own, which the browser
//! fetches the first time the view opens or an event is submitted (the
//! service worker then keeps every chunk for offline use). Without the
//! feature (the tests, `cargo build`) they are ordinary functions and every
//! view shows at once.
//!
//! Contract: [`RoutedView`] shows every route; Submit's view is never split
//! off, since a visit starts there. A chunk that cannot be fetched (offline
//! before the service worker kept it) changes nothing and leaves the rest of
//! the app working: the view says so and offers to try again, and [`submit`]
//! sends nothing and records nothing.

use super::*;
use crate::ledger::Outcome;

/// Shows the view a split point returns: once its chunk has arrived in the
/// split build, at once otherwise.
macro_rules! open {
    ($view:ident, $route:expr, $state:expr, $retry:expr) => {{
        #[cfg(feature = "split")]
        let view = arriving($route, Box::pin(views::$view($state)), $retry);
        #[cfg(not(feature = "split"))]
        let view = shown(views::$view($state), $retry);
        view
    }};
}

/// A view whose chunk is on its way. One boxed type for every view, so the
/// code that waits for it is compiled once.
#[cfg(feature = "split")]
type Arriving = std::pin::Pin<Box<dyn std::future::Future<Output = Result<AnyView, NotLoaded>>>>;

/// Says the view is opening while its chunk is on its way (on a slow
/// network a view's area stayed empty for seconds, or the previous view
/// stayed under the new one's link: an outside review). A chunk already
/// here shows its view at once, without a frame of "Opening…". Hand-made
/// rather than Leptos's `Suspense`, which cost 4.7 KB of every first visit.
#[cfg(feature = "split")]
fn arriving(route: Route, mut view: Arriving, retry: RwSignal<u64>) -> AnyView {
    if let Some(view) = ready_now(view.as_mut()) {
        return shown(view, retry);
    }
    let arrived = RwSignal::new_local(None::<Result<AnyView, NotLoaded>>);
    leptos::task::spawn_local(async move {
        let view = view.await;
        // The user may have gone on to another view meanwhile.
        let _ = arrived.try_set(Some(view));
    });
    let opening = format!("Opening {}…", route.title());
    (move || {
        arrived.track();
        match arrived.try_update_untracked(Option::take).flatten() {
            Some(view) => shown(view, retry),
            None => {
                view! { <p class="panel opening" role="status">{opening.clone()}</p> }.into_any()
            }
        }
    })
    .into_any()
}

/// What a split point's future gives if it is ready without waiting: it
/// is once its chunk has arrived (the loader keeps only successes).
#[cfg(feature = "split")]
fn ready_now<F: std::future::Future + ?Sized>(future: std::pin::Pin<&mut F>) -> Option<F::Output> {
    use std::task::{Context, Poll, Waker};
    match future.poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// The view the address names; a view whose chunk did not arrive is tried
/// again on request.
#[component]
pub fn RoutedView(route: ReadSignal<Route>, state: AppState) -> impl IntoView {
    let retry = RwSignal::new(0u64);
    move || {
        retry.track();
        view_of(route.get(), state, retry)
    }
}

/// The view a route shows.
fn view_of(route: Route, state: AppState, retry: RwSignal<u64>) -> AnyView {
    match route {
        Route::Submit => view! { <SubmitView state=state /> }.into_any(),
        Route::Import => open!(import, route, state, retry),
        Route::Processed => open!(processed, route, state, retry),
        Route::Failed => open!(failed, route, state, retry),
        Route::Log => open!(log, route, state, retry),
        Route::Aggregates => open!(aggregates, route, state, retry),
        Route::Rules => open!(rules, route, state, retry),
        Route::Simulator => open!(simulator, route, state, retry),
        Route::About => open!(about, route, state, retry),
        Route::Event => open!(event, route, state, retry),
        Route::Submission => open!(submission, route, state, retry),
    }
}

/// A view's chunk could not be fetched.
#[derive(Debug)]
pub struct NotLoaded;

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

fn shown(view: Result<AnyView, NotLoaded>, retry: RwSignal<u64>) -> AnyView {
    view.unwrap_or_else(|NotLoaded| {
        // Following the view's link again changes no address, so it would
        // not try again (an outside review): the button does. The time of
        // the attempt shows that it did, when it failed again at once.
        let now = js_sys::Date::new_0();
        let tried = format!(
            "Last tried at {:02}:{:02}:{:02}.",
            now.get_hours(),
            now.get_minutes(),
            now.get_seconds()
        );
        view! {
            <div class="panel" role="alert" data-testid="view-not-loaded">
                <p class="error">
                    "This view could not be loaded: its part of the app did not arrive (offline \
                     before the app was kept for offline use?). Nothing was lost."
                </p>
                <p class="validation">{tried}</p>
                <button type="button" on:click=move |_| retry.update(|n| *n += 1)>"Try again"</button>
            </div>
        }
        .into_any()
    })
}

/// The split points. `fallible`: a failed fetch is an error the view shows,
/// not a panic, which would stop the whole app.
mod views {
    use super::*;

    macro_rules! split_view {
        ($name:ident($state:ident) => $($view:tt)*) => {
            #[cfg_attr(
                feature = "split",
                leptos::wasm_split::wasm_split($name, wasm_split_path = leptos::wasm_split, fallible)
            )]
            pub fn $name($state: AppState) -> Result<AnyView, NotLoaded> {
                Ok(view! { $($view)* }.into_any())
            }
        };
    }

    split_view!(import(state) => <ImportView state=state />);
    split_view!(processed(state) => <ProcessedView state=state />);
    split_view!(failed(state) => <OutboxView state=state />);
    split_view!(log(state) => <LogView state=state />);
    split_view!(aggregates(state) => <AggregatesView state=state />);
    split_view!(rules(state) => <RulesView state=state />);
    split_view!(simulator(state) => <SimulatorView state=state />);
    split_view!(about(state) => <AboutView /> <BackupView state=state />);
    split_view!(event(state) => <EventView state=state />);
    split_view!(submission(state) => <SubmissionView state=state />);
}

/// Submits one payload under the cross-tab commit lock (see
/// [`AppState::commit`]) and returns the submission's number with the
/// answer. The pipeline (normalizing, fingerprinting, deciding, writing) is
/// a chunk of its own in the split build, fetched before the first submit
/// takes the lock: a visit that only looks needs none of it. `None` when the
/// state is gone.
pub async fn submit(state: AppState, text: String) -> Option<Result<Submitted, NotLoaded>> {
    #[cfg(feature = "split")]
    if pipeline::load().await.is_err() {
        return Some(Err(NotLoaded));
    }
    let decided =
        state.commit(move |t| (t.ledger.next_submission(), pipeline::submit_now(t, &text)));
    decided
        .await
        .map(|(id, answer)| answer.map(|answer| (id, answer)))
}

/// A submission's number, its outcome and why Failed could not keep it, if
/// it could not (see [`Tally::submit`]).
pub type Submitted = (crate::ledger::SubmissionId, (Outcome, Option<String>));

mod pipeline {
    use super::*;

    /// The split point of the commit path.
    #[cfg_attr(
        feature = "split",
        leptos::wasm_split::wasm_split(pipeline, wasm_split_path = leptos::wasm_split, fallible, preload(load))
    )]
    pub fn submit(tally: &mut Tally, text: &str) -> Result<(Outcome, Option<String>), NotLoaded> {
        Ok(tally.submit(text))
    }

    /// Runs the split point, whose chunk [`load`] has brought: its future is
    /// ready at once, which the commit lock's synchronous closure needs.
    #[cfg(feature = "split")]
    pub fn submit_now(
        tally: &mut Tally,
        text: &str,
    ) -> Result<(Outcome, Option<String>), NotLoaded> {
        ready_now(std::pin::pin!(submit(tally, text)).as_mut()).unwrap_or(Err(NotLoaded))
    }

    #[cfg(not(feature = "split"))]
    pub use submit as submit_now;
}
