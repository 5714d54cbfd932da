//! The event loop: terminal input and (later) backend events in, `update()`, draw when
//! something changed.

use color_eyre::Result;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::DefaultTerminal;

use crate::action::Msg;
use crate::keymap::Keymap;
use crate::state::State;
use crate::theme::Theme;
use crate::ui;
use crate::update::update;

/// Test hook: when set, the console panics right after its first frame, so tests can
/// check that the panic hook restores the terminal.
pub const PANIC_AFTER_FIRST_FRAME_ENV: &str = "PILOTHOUSE_TEST_PANIC_AFTER_FIRST_FRAME";

/// Runs the console until the operator quits.
pub async fn run(
    terminal: &mut DefaultTerminal,
    mut state: State,
    theme: &Theme,
    keymap: &Keymap,
) -> Result<()> {
    let mut events = EventStream::new();
    let panic_after_first_frame = std::env::var_os(PANIC_AFTER_FIRST_FRAME_ENV).is_some();
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|f| ui::draw(f, &state, theme, keymap))?;
            dirty = false;
            if panic_after_first_frame {
                panic!("test panic after the first frame ({PANIC_AFTER_FIRST_FRAME_ENV})");
            }
        }
        if state.quit {
            return Ok(());
        }
        let msg = match events.next().await {
            Some(Ok(Event::Key(key))) => keymap.resolve(state.mode(), &key).map(Msg::Action),
            Some(Ok(Event::Resize(..))) => Some(Msg::Resize),
            Some(Ok(_)) => None,
            Some(Err(e)) => return Err(e.into()),
            None => return Ok(()),
        };
        if let Some(msg) = msg {
            let before = state.clone();
            let _effects = update(&mut state, msg.clone());
            dirty = state != before || msg == Msg::Resize;
        }
    }
}
