//! The event loop: terminal input, backend events and a one-second tick in; update();
//! draw when something changed. Never waits on the network: all I/O is in the
//! environment actors.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use color_eyre::Result;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::action::{Effect, Msg};
use crate::backend::{self, EnvCommand, EnvHandle};
use crate::config::Config;
use crate::keymap::Keymap;
use crate::state::State;
use crate::theme::Theme;
use crate::ui;
use crate::update::update;

/// Test hook: when set, the console panics right after its first frame, so tests can
/// check that the panic hook restores the terminal.
pub const PANIC_AFTER_FIRST_FRAME_ENV: &str = "PILOTHOUSE_TEST_PANIC_AFTER_FIRST_FRAME";

/// Wall-clock Unix seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Starts one actor per environment.
pub fn spawn_backends(
    config: &Config,
    events: &mpsc::Sender<(usize, backend::BackendEvent)>,
) -> Vec<EnvHandle> {
    config
        .environments
        .values()
        .enumerate()
        .map(|(i, env)| {
            let project = env
                .compose
                .effective_project_name()
                .map(|p| p.to_string())
                .unwrap_or_default();
            backend::spawn(i, env.clone(), project, events.clone())
        })
        .collect()
}

/// Runs the console until the operator quits.
pub async fn run(
    terminal: &mut DefaultTerminal,
    mut state: State,
    config: &Config,
    theme: &Theme,
    keymap: &Keymap,
) -> Result<()> {
    let (tx, mut backend_events) = mpsc::channel(256);
    let handles = spawn_backends(config, &tx);
    drop(tx);
    // A closed terminal (SIGHUP) or a kill (SIGTERM) ends the console like `q` does:
    // the SSH sessions are closed, not left running behind it.
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let panic_after_first_frame = std::env::var_os(PANIC_AFTER_FIRST_FRAME_ENV).is_some();
    state.now = unix_now();
    let mut dirty = true;
    let result = loop {
        if dirty {
            if let Err(e) = terminal.draw(|f| ui::draw(f, &state, theme, keymap)) {
                break Err(e.into());
            }
            dirty = false;
            if panic_after_first_frame {
                panic!("test panic after the first frame ({PANIC_AFTER_FIRST_FRAME_ENV})");
            }
        }
        if state.quit {
            break Ok(());
        }
        let msg = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(Event::Key(key))) => key_msg(&state, keymap, &key),
                Some(Ok(Event::Resize(..))) => Some(Msg::Resize),
                Some(Ok(_)) => None,
                Some(Err(e)) => break Err(e.into()),
                None => break Ok(()),
            },
            Some((env, event)) = backend_events.recv() => Some(Msg::Backend { env, event, now: unix_now() }),
            _ = hangup.recv() => break Ok(()),
            _ = terminate.recv() => break Ok(()),
            _ = tick.tick() => {
                crate::diagnostics::move_records();
                Some(Msg::Tick { now: unix_now() })
            }
        };
        if let Some(msg) = msg {
            dirty = apply(&mut state, msg, &handles);
        }
    };
    shutdown(handles).await;
    result
}

/// Runs update() and performs its effects; returns whether the screen needs a redraw.
/// The frequent messages (ticks, stats, latency) say cheaply whether they changed
/// anything; only the others pay for comparing the whole state.
fn apply(state: &mut State, msg: Msg, handles: &[EnvHandle]) -> bool {
    use crate::backend::BackendEvent;
    match &msg {
        Msg::Resize => {
            update(state, msg);
            true
        }
        Msg::Tick { .. } => {
            let before = state.now;
            update(state, msg);
            state.now != before
        }
        Msg::Backend {
            event: BackendEvent::Stats(_),
            ..
        } => {
            update(state, msg);
            true
        }
        // The header shows whole milliseconds: an unchanged figure is no redraw.
        Msg::Backend {
            env,
            event: BackendEvent::Latency(_),
            ..
        } => {
            let env = *env;
            let shown = |s: &State| {
                s.envs
                    .get(env)
                    .and_then(|e| e.latency)
                    .map(|d| d.as_millis())
            };
            let before = shown(state);
            update(state, msg);
            env == state.selected && shown(state) != before
        }
        _ => {
            let before = state.clone();
            let effects = update(state, msg);
            for effect in effects {
                perform(effect, handles);
            }
            *state != before
        }
    }
}

/// What a key press means: its binding in the current mode, else, in a text box, the
/// character typed.
fn key_msg(state: &State, keymap: &Keymap, key: &crossterm::event::KeyEvent) -> Option<Msg> {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    let mode = state.mode();
    if let Some(action) = keymap.resolve(mode, key) {
        return Some(Msg::Action(action));
    }
    match (mode, key.code) {
        (crate::action::Mode::Filter, KeyCode::Char(c))
            if key.kind != KeyEventKind::Release
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Msg::Input(c))
        }
        _ => None,
    }
}

fn perform(effect: Effect, handles: &[EnvHandle]) {
    match effect {
        Effect::Reconnect { env } => {
            if let Some(h) = handles.get(env) {
                // A full queue means a reconnect is already pending.
                let _ = h.commands.try_send(EnvCommand::ReconnectNow);
            }
        }
    }
}

/// Asks every actor to close its connection (removing the forwarded sockets), waiting at
/// most two seconds in all.
pub async fn shutdown(handles: Vec<EnvHandle>) {
    for h in &handles {
        let _ = h.commands.try_send(EnvCommand::Shutdown);
    }
    let all = futures::future::join_all(handles.into_iter().map(|h| h.task));
    let _ = tokio::time::timeout(Duration::from_secs(2), all).await;
}
