//! Driving the app with egui_kittest, shared by the app's tests: wait for its
//! work to finish, click, and type as a user would.

use std::time::Duration;

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tranche::app::TrancheApp;
use tranche::app::store::MemoryStore;

/// The app in a test harness.
pub type App = Harness<'static, TrancheApp>;

/// The app over an in-memory journal, in a 1280×800 window, settled.
pub fn app_with(store: MemoryStore) -> App {
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| TrancheApp::with_store(&cc.egui_ctx, store));
    settle(&mut harness);
    harness
}

/// Steps until the app's work (the journal worker, the review's statistics)
/// is done and the UI is still. A frame drawn once the work is done may ask
/// for more (a section asking for what it shows, with a spinner until it
/// comes): that work is waited for in turn, however slow the machine.
pub fn settle(harness: &mut App) {
    for _ in 0..5000 {
        harness.step();
        if !harness.state().is_busy() && harness.try_run().is_ok() && !harness.state().is_busy() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("the app's work did not finish, or its UI kept moving");
}

/// Clicks the widget labelled `label`, then settles.
pub fn click(harness: &mut App, label: &str) {
    harness.get_by_label(label).click();
    settle(harness);
}

/// Replaces the text of the field named `label` with `text`, as a user would,
/// then settles.
pub fn fill(harness: &mut App, label: &str, text: &str) {
    harness
        .get_by_role_and_label(Role::TextInput, label)
        .focus();
    harness.run();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.key_press(Key::Backspace);
    harness.run();
    if !text.is_empty() {
        harness
            .get_by_role_and_label(Role::TextInput, label)
            .type_text(text);
    }
    settle(harness);
}

/// Whether some widget's label contains `text`.
pub fn has_text_containing(harness: &App, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}
