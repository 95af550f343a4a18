//! The browser entry point: mounts the Tally app. Native builds have no UI;
//! the core is a library (`cargo test`, `cargo bench`).

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(tally::app::App);
    // The app is rendered and its state loaded: the benchmark's "interactive".
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("tally-interactive");
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("Tally runs in the browser: use scripts/serve.sh (see README.md).");
}
