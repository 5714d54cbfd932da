//! The event loop: terminal input, backend events and a one-second tick in; update();
//! draw when something changed. Never waits on the network: all I/O is in the
//! environment actors.

pub mod audit_command;
pub mod cli;
pub mod diagnostics;
pub mod hangup;
pub mod interactive;
pub mod logs_command;
pub mod notify;
pub mod status;
pub mod timeline_command;
pub mod timeline_store;

use std::time::{Duration, Instant};

use color_eyre::Result;
use crossterm::event::{Event, KeyEvent};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::input::action::{Effect, Msg};
use crate::input::alt_keys::AltKeys;
use crate::input::keymap::Keymap;
use crate::state::State;
use crate::ui;
use crate::ui::theme::Theme;
use crate::update::update;
use pilothouse_backend::{EnvCommand, EnvHandle};
use pilothouse_core::config::Config;

/// Test hook: when set, the console panics right after its first frame (with the value
/// `connected`: its first frame with the environment on screen connected), so tests
/// can check that a panic restores the terminal and leaves no ssh process behind.
pub const PANIC_AFTER_FIRST_FRAME_ENV: &str = "PILOTHOUSE_TEST_PANIC_AFTER_FIRST_FRAME";

/// Queued backend messages are applied for at most this long before input is looked
/// at again and the next frame drawn.
const DRAIN_FOR: Duration = Duration::from_millis(5);
/// The shortest time between two frames drawn for backend news (keys draw at once).
const FRAME: Duration = Duration::from_millis(100);

/// What effects are performed with: the actors, and the way back into the loop for
/// work done elsewhere (a saved file).
struct Io<'a> {
    handles: &'a [EnvHandle],
    done: mpsc::UnboundedSender<Msg>,
    /// A command an item asked to run on the terminal, for the loop to hand over to.
    interactive: std::cell::RefCell<Option<interactive::Interactive>>,
    /// Whether the console runs inside tmux (its notifications are passed through).
    in_tmux: bool,
}

use pilothouse_core::time::unix_now;

/// Starts one actor per environment.
pub fn spawn_backends(
    config: &Config,
    events: &mpsc::Sender<(usize, pilothouse_core::model::event::BackendEvent)>,
) -> Vec<EnvHandle> {
    config
        .environments
        .values()
        .enumerate()
        .map(|(i, env)| pilothouse_backend::spawn(i, env.clone(), env.watched(), events.clone()))
        .collect()
}

/// What decides when a frame is drawn. Keys redraw at once; what the backends report
/// redraws at most once a frame.
struct Frames {
    dirty: bool,
    dirty_backend: bool,
    last_draw: Instant,
    /// When the key being drawn for arrived (the key-to-frame measurement).
    key_at: Option<Instant>,
    /// The terminal is gone (a hangup): nothing is drawn or read any more.
    hung_up: bool,
    /// The test hook: None, or whether to wait for a live connection first.
    panic_after_first_frame: Option<bool>,
}

impl Frames {
    /// Draws when something changed (and a frame is due for backend news). A failed
    /// draw ends the loop, unless the console is stopping anyway.
    fn draw(
        &mut self,
        terminal: &mut DefaultTerminal,
        state: &State,
        theme: &Theme,
        keymap: &Keymap,
    ) -> Result<()> {
        if self.dirty_backend && self.last_draw.elapsed() >= FRAME {
            self.dirty = true;
        }
        if !self.dirty || self.hung_up {
            return Ok(());
        }
        let d0 = Instant::now();
        if let Err(e) = terminal.draw(|f| ui::draw(f, state, theme, keymap)) {
            if state.stopping_since.is_none() {
                return Err(e.into());
            }
            self.hung_up = true;
        }
        // For the log benchmark (PILOTHOUSE_LOG=debug): how long a key took to be on
        // the terminal, as far as the console can tell.
        if let Some(k) = self.key_at.take() {
            log::debug!(
                "key frame written in {} us (draw {} us)",
                k.elapsed().as_micros(),
                d0.elapsed().as_micros()
            );
        }
        self.dirty = false;
        self.dirty_backend = false;
        self.last_draw = Instant::now();
        if let Some(when_live) = self.panic_after_first_frame
            && (!when_live || state.current().is_some_and(|e| e.is_live()))
        {
            test_panic();
        }
        Ok(())
    }

    fn handled(&mut self, h: &Handled) {
        if let Some(read_at) = h.key_at {
            self.key_at = Some(self.key_at.map_or(read_at, |k| k.min(read_at)));
        }
        self.dirty |= h.dirty;
        self.hung_up |= h.lost;
    }
}

/// The signals that stop the console: a closed terminal (SIGHUP), a kill (SIGTERM) or
/// an interrupt (SIGINT) end it like a confirmed `q`: a running item stops at its next
/// step boundary and is audited, and the SSH sessions are closed, not left behind.
/// They come first in the loop: a stream of backend news never holds them up.
struct Signals {
    hangup: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    /// The terminal hung up, seen without a SIGHUP (see [`hangup`]).
    terminal_gone: mpsc::UnboundedReceiver<()>,
    /// A hang-up was acted on: the SIGHUP and the watch may both tell of it, and a
    /// second stop would end a running item's grace at once.
    hangup_seen: bool,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            hangup: signal(SignalKind::hangup())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            terminal_gone: hangup::watch(),
            hangup_seen: false,
        })
    }

    /// The terminal is gone: nothing is drawn or read any more, and the console stops
    /// (once, however many times it is told).
    fn hung_up(&mut self, frames: &mut Frames, how: &str) -> Option<Msg> {
        frames.hung_up = true;
        if std::mem::replace(&mut self.hangup_seen, true) {
            return None;
        }
        log::info!("{how}: stopping");
        Some(Msg::Stop)
    }
}

/// A signal to stop: said in the console's log (a second one stops at once).
fn told_to_stop(signal: &str) -> Option<Msg> {
    log::info!("{signal}: stopping");
    Some(Msg::Stop)
}

/// The terminal's input: its reader and the escape-time joiner.
struct Input {
    events: mpsc::UnboundedReceiver<Read>,
    alt_keys: AltKeys,
    /// Parks the reader while a command has the terminal.
    pause: std::sync::Arc<interactive::Pause>,
}

impl Input {
    /// `first`, then everything the terminal has already sent, handled before the next
    /// frame is drawn: a burst of keys is one redraw, and nothing sits unread.
    fn burst(
        &mut self,
        first: Option<Read>,
        state: &mut State,
        ui: (&Keymap, &Theme),
        io: &Io<'_>,
    ) -> Handled {
        let (keymap, theme) = ui;
        let mut h = on_event(first, state, &mut self.alt_keys, keymap, theme, io);
        for _ in 0..MAX_EVENTS_PER_FRAME {
            if h.end.is_some() || h.lost {
                break;
            }
            let ev = match self.events.try_recv() {
                Ok(ev) => Some(ev),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => None,
            };
            h.merge(on_event(ev, state, &mut self.alt_keys, keymap, theme, io));
        }
        h
    }
}

/// Runs the console until the operator quits.
pub async fn run(
    terminal: &mut DefaultTerminal,
    mut state: State,
    config: &Config,
    theme: &Theme,
    keymap: &Keymap,
    mouse: bool,
) -> Result<()> {
    let (tx, mut backend_events) = mpsc::channel(256);
    let handles = spawn_backends(config, &tx);
    drop(tx);
    let mut signals = Signals::new()?;
    let stop_limit =
        i64::try_from(pilothouse_core::model::job::STEP_GRACE.as_secs()).unwrap_or(20) + 15;
    let pause = std::sync::Arc::new(interactive::Pause::default());
    let mut input = Input {
        events: spawn_input_reader(pause.clone()),
        alt_keys: AltKeys::default(),
        pause,
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    state.now = unix_now();
    let (done_tx, mut done) = mpsc::unbounded_channel();
    let io = Io {
        handles: &handles,
        done: done_tx,
        interactive: std::cell::RefCell::new(None),
        in_tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
    };
    tell_on_screen(&handles, looked_at(&state));
    if let Ok(size) = terminal.size() {
        let (rows, cols) = (size.height, size.width);
        apply(&mut state, Msg::Resize { rows, cols }, &io);
    }
    let mut frames = Frames {
        dirty: true,
        dirty_backend: false,
        last_draw: Instant::now(),
        key_at: None,
        hung_up: false,
        panic_after_first_frame: std::env::var_os(PANIC_AFTER_FIRST_FRAME_ENV)
            .map(|v| v == "connected"),
    };
    let result = loop {
        if let Err(e) = frames.draw(terminal, &state, theme, keymap) {
            break Err(e);
        }
        if state.may_exit(unix_now(), stop_limit) {
            break Ok(());
        }
        let frame_due = frames.last_draw + FRAME;
        let escape_due = input.alt_keys.due();
        let msg = tokio::select! {
            // Signals first (rare, and a stop waits for nothing), then keys: a flood of
            // log lines never makes the operator wait.
            biased;
            _ = signals.hangup.recv() => signals.hung_up(&mut frames, "the terminal hung up (SIGHUP)"),
            Some(()) = signals.terminal_gone.recv() => signals.hung_up(&mut frames, "the terminal is gone"),
            _ = signals.terminate.recv() => told_to_stop("SIGTERM"),
            _ = signals.interrupt.recv() => told_to_stop("SIGINT"),
            ev = input.events.recv(), if !frames.hung_up => {
                let h = input.burst(ev, &mut state, (keymap, theme), &io);
                frames.handled(&h);
                if let Some(end) = h.end {
                    break end;
                }
                None
            },
            // An escape nothing followed is the escape key; a split sequence is over.
            _ = tokio::time::sleep_until(escape_due.unwrap_or(frame_due).into()), if escape_due.is_some() => {
                if let Some(escape) = input.alt_keys.flush() {
                    frames.dirty = true;
                    frames.key_at = Some(Instant::now());
                    press(&mut state, keymap, &io, [escape]);
                }
                None
            }
            Some(msg) = done.recv() => Some(msg),
            Some((env, event)) = backend_events.recv() => Some(Msg::Backend { env, event, now: unix_now() }),
            _ = tokio::time::sleep_until(frame_due.into()), if frames.dirty_backend => None,
            _ = tick.tick() => {
                crate::app::diagnostics::move_records();
                Some(Msg::Tick { now: unix_now() })
            }
        };
        if let Some(msg) = msg {
            frames.dirty_backend |= apply(&mut state, msg, &io);
        }
        frames.dirty_backend |= drain_backend(&mut backend_events, &mut state, &io);
        let asked = io.interactive.borrow_mut().take();
        if let Some(command) = asked {
            let aside = Aside {
                terminal: &mut *terminal,
                pause: &input.pause,
                mouse,
            };
            step_aside(aside, command, &mut backend_events, &mut state, &io).await;
            frames.dirty = true;
        }
    };
    // Nothing reads the backends' events any more: an actor waiting to send one hears
    // that at once and closes its connection, instead of waiting out the limit.
    drop(backend_events);
    shutdown(handles).await;
    result
}

/// The terminal as the console holds it, for a command that borrows it.
struct Aside<'a> {
    terminal: &'a mut DefaultTerminal,
    pause: &'a interactive::Pause,
    mouse: bool,
}

/// Runs an item's command on the terminal (see [`interactive`]), applying what the
/// environments report meanwhile, then tells the item's runner how it ended.
async fn step_aside(
    aside: Aside<'_>,
    command: interactive::Interactive,
    backend_events: &mut mpsc::Receiver<(usize, pilothouse_core::model::event::BackendEvent)>,
    state: &mut State,
    io: &Io<'_>,
) {
    let ended = match interactive::hand_over(aside.pause, aside.mouse, &command.title).await {
        Err(e) => Err(e),
        Ok(()) => match interactive::spawn(&command.argv) {
            Err(e) => Err(e),
            Ok(mut child) => loop {
                tokio::select! {
                    status = child.wait() => break status.map_err(|e| format!("waiting for it: {e}")),
                    Some((env, event)) = backend_events.recv() => {
                        apply(state, Msg::Backend { env, event, now: unix_now() }, io);
                    }
                }
            },
        },
    };
    interactive::take_back(aside.terminal, aside.pause, aside.mouse);
    if let Ok(size) = aside.terminal.size() {
        let (rows, cols) = (size.height, size.width);
        apply(state, Msg::Resize { rows, cols }, io);
    }
    let (code, error) = match ended {
        Ok(status) => (status.code(), None),
        Err(e) => (None, Some(e)),
    };
    if let Some(h) = io.handles.get(command.env) {
        let ended = EnvCommand::ShellEnded {
            id: command.id,
            code,
            error,
        };
        let _ = h.commands.send(ended);
    }
}

/// What the backends have already sent goes into the same frame (a heartbeat and its
/// stats batch, a burst of log lines), up to a bound that keeps keys prompt. Whether
/// anything of it is on screen.
fn drain_backend(
    events: &mut mpsc::Receiver<(usize, pilothouse_core::model::event::BackendEvent)>,
    state: &mut State,
    io: &Io<'_>,
) -> bool {
    let mut dirty = false;
    let draining = Instant::now();
    while draining.elapsed() < DRAIN_FOR {
        match events.try_recv() {
            Ok((env, event)) => {
                let now = unix_now();
                dirty |= apply(state, Msg::Backend { env, event, now }, io);
            }
            Err(_) => break,
        }
    }
    dirty
}

/// Reads the terminal on a thread of its own and hands every event over as soon as it
/// is parsed. crossterm's async stream takes a thread hand-off per event, and its
/// default (edge-triggered) reader can leave the rest of a big paste unread in the
/// tty until the next key arrives; the level-triggered `/dev/tty` reader (the
/// `use-dev-tty` feature) read from one blocking loop drains a burst at once.
fn spawn_input_reader(pause: std::sync::Arc<interactive::Pause>) -> mpsc::UnboundedReceiver<Read> {
    let (tx, rx) = mpsc::unbounded_channel();
    let spawned = std::thread::Builder::new()
        .name("terminal-input".into())
        .spawn(move || {
            loop {
                // While a command has the terminal, nothing here reads it. (The pause
                // wakes a read in progress with a SIGWINCH: no polling at idle.)
                if pause.holds_reader() {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    continue;
                }
                let ev = crossterm::event::read();
                let failed = ev.is_err();
                if tx.send((Instant::now(), ev)).is_err() || failed {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        log::error!("the terminal cannot be read: {e}");
    }
    rx
}

/// The test hook's panic (see [`PANIC_AFTER_FIRST_FRAME_ENV`]).
#[allow(clippy::panic, reason = "a test asks for exactly this panic")]
fn test_panic() -> ! {
    panic!("test panic after the first frame ({PANIC_AFTER_FIRST_FRAME_ENV})");
}

/// Terminal events handled before a frame is drawn, at most.
const MAX_EVENTS_PER_FRAME: usize = 4096;

/// A terminal event and when the input thread read it.
type Read = (Instant, std::io::Result<Event>);

/// What handling terminal events did.
#[derive(Default)]
struct Handled {
    dirty: bool,
    /// A key was acted on: when the earliest of them was read from the terminal (the
    /// key-to-frame measurement starts there, so time spent queued is counted).
    key_at: Option<Instant>,
    /// The terminal went while the console is stopping: nothing is read any more.
    lost: bool,
    /// The loop ends: the terminal closed or failed.
    end: Option<Result<()>>,
}

impl Handled {
    fn merge(&mut self, other: Handled) {
        self.dirty |= other.dirty;
        self.key_at = match (self.key_at, other.key_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.lost |= other.lost;
        if self.end.is_none() {
            self.end = other.end;
        }
    }
}

/// One terminal event: keys through the escape timer and the keymap, a paste into the
/// text field that has the keyboard (never as keys), a resize, the mouse.
fn on_event(
    read: Option<Read>,
    state: &mut State,
    alt_keys: &mut AltKeys,
    keymap: &Keymap,
    theme: &Theme,
    io: &Io<'_>,
) -> Handled {
    let mut h = Handled::default();
    let (read_at, ev) = match read {
        Some((at, ev)) => (Some(at), Some(ev)),
        None => (None, None),
    };
    let keys = match &ev {
        Some(Ok(Event::Key(key))) => alt_keys.key(*key, read_at.unwrap_or_else(Instant::now)),
        // Anything else lets a held escape through first.
        _ => alt_keys.flush().into_iter().collect(),
    };
    if !keys.is_empty() {
        h.dirty = true;
        h.key_at = read_at;
        press(state, keymap, io, keys);
    }
    match ev {
        Some(Ok(Event::Key(_) | Event::FocusGained | Event::FocusLost)) => {}
        Some(Ok(Event::Paste(text))) => {
            h.dirty = true;
            h.key_at = read_at;
            apply(state, Msg::Paste(text), io);
        }
        Some(Ok(Event::Resize(cols, rows))) => {
            h.dirty = true;
            apply(state, Msg::Resize { rows, cols }, io);
        }
        Some(Ok(Event::Mouse(m))) => {
            let msgs = mouse_msgs(state, theme, keymap, &m);
            h.dirty |= !msgs.is_empty();
            for msg in msgs {
                apply(state, msg, io);
            }
        }
        // The terminal went while the console is stopping: finish quietly.
        Some(Err(_)) | None if state.stopping_since.is_some() => h.lost = true,
        Some(Err(e)) => h.end = Some(Err(e.into())),
        None => h.end = Some(Ok(())),
    }
    h
}

/// Runs update() and performs its effects; returns whether the screen needs a redraw.
/// The frequent messages (ticks, stats, latency, log lines) say cheaply whether they
/// changed anything on screen; everything else redraws.
fn apply(state: &mut State, msg: Msg, io: &Io<'_>) -> bool {
    use pilothouse_core::model::event::BackendEvent;
    // The fleet view shows no environment's usage, latency or logs.
    let on_screen =
        |env: usize, s: &State| env == s.selected && s.view != crate::state::View::Fleet;
    let (redraw, effects) = match &msg {
        Msg::Tick { .. } => {
            let before = state.now;
            let effects = update(state, msg);
            (state.now != before, effects)
        }
        Msg::Backend {
            env,
            event: BackendEvent::Stats(_),
            ..
        } => {
            let shown = on_screen(*env, state);
            (shown, update(state, msg))
        }
        Msg::Backend {
            env,
            event: BackendEvent::Logs(_),
            ..
        } => {
            let shown = on_screen(*env, state) && state.envs.get(*env).is_some_and(|e| e.logs.open);
            (shown, update(state, msg))
        }
        // Error lines are counted, not shown: a redraw only when a burst starts or ends.
        Msg::Backend {
            env,
            event: BackendEvent::ErrorLines { .. },
            ..
        } => {
            let env = *env;
            let mark = |s: &State| {
                s.envs
                    .get(env)
                    .map(|e| (e.timeline.entries.len(), e.timeline.alerts.len()))
            };
            let before = mark(state);
            let effects = update(state, msg);
            (on_screen(env, state) && mark(state) != before, effects)
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
            let effects = update(state, msg);
            (env == state.selected && shown(state) != before, effects)
        }
        _ => {
            let selected = looked_at(state);
            let focus = state.queue_focus();
            let details = state.detail_focus();
            let effects = update(state, msg);
            if looked_at(state) != selected {
                tell_on_screen(io.handles, looked_at(state));
            }
            let now_focus = state.queue_focus();
            if now_focus != focus {
                tell_focus(io.handles, focus, now_focus, EnvCommand::QueueFocus);
            }
            let now_details = state.detail_focus();
            if now_details != details {
                tell_focus(io.handles, details, now_details, EnvCommand::DetailFocus);
            }
            (true, effects)
        }
    };
    for effect in effects {
        perform(effect, io);
    }
    redraw
}

/// The environment whose views are on screen; none in the fleet view (where every
/// environment is a row read at its background rates).
fn looked_at(state: &State) -> Option<usize> {
    (state.view != crate::state::View::Fleet).then_some(state.selected)
}

/// Tells each environment's actor whether it is on screen (off screen, its usage is read
/// at the slower background interval, its health, pool and queues at theirs).
fn tell_on_screen(handles: &[EnvHandle], selected: Option<usize>) {
    for (i, h) in handles.iter().enumerate() {
        let _ = h.commands.send(EnvCommand::OnScreen(Some(i) == selected));
    }
}

/// Tells the actors what the console now looks at (the jobs view's queue, the detail
/// pane's container): the environment that showed it before hears None.
fn tell_focus(
    handles: &[EnvHandle],
    before: Option<(usize, String)>,
    now: Option<(usize, String)>,
    command: fn(Option<String>) -> EnvCommand,
) {
    if let Some((i, _)) = &before
        && now.as_ref().is_none_or(|(j, _)| j != i)
        && let Some(h) = handles.get(*i)
    {
        let _ = h.commands.send(command(None));
    }
    if let Some((i, what)) = now
        && let Some(h) = handles.get(i)
    {
        let _ = h.commands.send(command(Some(what)));
    }
}

/// What a key press means: its binding in the current mode, else, in a text box, the
/// character typed.
/// Acts on keys read from the terminal, in order: each one sees what the one before did.
fn press(
    state: &mut State,
    keymap: &Keymap,
    io: &Io<'_>,
    keys: impl IntoIterator<Item = KeyEvent>,
) {
    for key in keys {
        if let Some(msg) = key_msg(state, keymap, &key) {
            apply(state, msg, io);
        }
    }
}

fn key_msg(state: &State, keymap: &Keymap, key: &KeyEvent) -> Option<Msg> {
    use crossterm::event::{KeyCode, KeyEventKind, KeyModifiers};
    let mode = state.mode();
    if let Some(action) = keymap.resolve(mode, key) {
        return Some(Msg::Action(action));
    }
    match (mode, key.code) {
        (
            crate::input::action::Mode::Filter
            | crate::input::action::Mode::Search
            | crate::input::action::Mode::ConfirmTyped
            | crate::input::action::Mode::TagInput,
            KeyCode::Char(c),
        ) if key.kind != KeyEventKind::Release
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Msg::Input(c))
        }
        _ => None,
    }
}

/// What a mouse event means: a click on a tab, a table row or a status-bar hint, or
/// the wheel over the table, the log pane, a preview or the help.
pub fn mouse_msgs(
    state: &State,
    theme: &Theme,
    keymap: &Keymap,
    m: &crossterm::event::MouseEvent,
) -> Vec<Msg> {
    use crate::input::action::{Action, Mode};
    use crate::ui::layout::{self, Lower};
    use crossterm::event::{MouseButton, MouseEventKind};
    let area = ratatui::layout::Rect::new(0, 0, state.cols, state.rows);
    let a = layout::areas(state, area);
    let (col, row) = (m.column, m.row);
    let mode = state.mode();
    let env = state.current();
    let split = env
        .filter(|_| state.view == crate::state::View::Containers)
        .map(|e| layout::containers_split(state, e, a.body));
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if layout::contains(a.status, col, row) {
                return ui::hint_at(state, theme, keymap, col)
                    .map(Msg::Action)
                    .into_iter()
                    .collect();
            }
            if !matches!(mode, Mode::Normal | Mode::Logs) {
                return Vec::new();
            }
            if layout::contains(a.tabs, col, row) {
                return layout::tab_at(state, col)
                    .map(Msg::SelectEnv)
                    .into_iter()
                    .collect();
            }
            match (env, split) {
                (Some(e), Some((table, _))) if layout::contains(table, col, row) => {
                    let mut out: Vec<Msg> = layout::table_row_at(e, table, row)
                        .map(Msg::SelectRow)
                        .into_iter()
                        .collect();
                    // A click on the table gives it the keyboard back from the logs.
                    if mode == Mode::Logs {
                        out.insert(0, Msg::Action(Action::LogsBack));
                    }
                    out
                }
                (_, Some((_, Some((pane, Lower::Logs)))))
                    if layout::contains(pane, col, row) && mode == Mode::Normal =>
                {
                    vec![Msg::Action(Action::Logs)]
                }
                _ => Vec::new(),
            }
        }
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let up = m.kind == MouseEventKind::ScrollUp;
            let (line, step) = if up {
                (Action::ScrollUp, Action::Up)
            } else {
                (Action::ScrollDown, Action::Down)
            };
            let action = match mode {
                Mode::Help | Mode::Confirm | Mode::ConfirmTyped => Some(line),
                Mode::TagInput => Some(step),
                Mode::Normal | Mode::Logs => match split {
                    Some((_, Some((pane, Lower::Logs)))) if layout::contains(pane, col, row) => {
                        Some(line)
                    }
                    Some((table, _)) if layout::contains(table, col, row) => Some(step),
                    // The pool view's sessions move with the wheel too.
                    None if state.view == crate::state::View::Pool => Some(step),
                    _ => None,
                },
                Mode::Filter | Mode::Search => None,
            };
            // The wheel moves three lines in a pane, one row in a table.
            let times = if action == Some(line) { 3 } else { 1 };
            action
                .map(|a| vec![Msg::Action(a); times])
                .unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

fn perform(effect: Effect, io: &Io<'_>) {
    match effect {
        Effect::Forward { env, name, open } => {
            if let Some(h) = io.handles.get(env) {
                let cmd = pilothouse_backend::ForwardCommand { name, open };
                let _ = h.commands.send(EnvCommand::Forward(cmd));
            }
        }
        Effect::Copy { text } => copy_to_clipboard(&text),
        Effect::Interactive {
            env,
            id,
            argv,
            title,
        } => {
            let command = interactive::Interactive {
                env,
                id,
                argv,
                title,
            };
            *io.interactive.borrow_mut() = Some(command);
        }
        Effect::Notify(notice) => notify::tell(&notice, io.in_tmux),
        Effect::KeepTimeline { env, key, entries } => {
            let done = io.done.clone();
            tokio::task::spawn_blocking(move || {
                let [name, target, project] = key;
                let dir = pilothouse_core::config::state_dir();
                let path = timeline_store::path(&dir, &name, &target, &project);
                if let Err(error) = timeline_store::append(&path, &entries) {
                    log::warn!("the timeline store was not written: {error}");
                    let _ = done.send(Msg::TimelineNotKept { env, error });
                }
            });
        }
        Effect::Reconnect { env } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::ReconnectNow);
            }
        }
        Effect::Run { env, job } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::Run(job));
            }
        }
        Effect::ReadAudit { env } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::ReadAudit);
            }
        }
        Effect::ReadTags { env, repos } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::ReadTags(repos));
            }
        }
        Effect::ReadStackFile { env, path, stack } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::ReadStackFile { path, stack });
            }
        }
        Effect::Snapshot { env, request } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::Snapshot(request));
            }
        }
        Effect::Cancel { env, id } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::Cancel(id));
            }
        }
        Effect::Interrupt { env } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::Interrupt);
            }
        }
        Effect::FollowLogs { env, request } => {
            if let Some(h) = io.handles.get(env) {
                let _ = h.commands.send(EnvCommand::Logs(request));
            }
        }
        Effect::SaveLogs {
            env,
            dir,
            name,
            lines,
        } => {
            let done = io.done.clone();
            tokio::task::spawn_blocking(move || {
                let result = pilothouse_core::logs::save::save(&dir, &name, &lines)
                    .map(|p| p.display().to_string());
                let _ = done.send(Msg::Saved { env, result });
            });
        }
    }
}

/// Puts `text` on the clipboard of the terminal (and of the machine it runs on) with
/// OSC 52; a terminal that does not take it ignores it. The text is this console's own
/// (a forward's local URL), never the host's.
fn copy_to_clipboard(text: &str) {
    use std::io::Write;
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let mut out = std::io::stdout();
    let _ = write!(
        out,
        "\x1b]52;c;{}\x07",
        pilothouse_core::model::queues::base64(clean.as_bytes())
    );
    let _ = out.flush();
}

/// Asks every actor to close its connection (removing the forwarded sockets), waiting at
/// most two seconds in all.
pub async fn shutdown(handles: Vec<EnvHandle>) {
    let started = Instant::now();
    log::info!("stopping: closing {} connections", handles.len());
    for h in &handles {
        let _ = h.commands.send(EnvCommand::Shutdown);
    }
    let all = futures::future::join_all(handles.into_iter().map(|h| h.task));
    if tokio::time::timeout(Duration::from_secs(2), all)
        .await
        .is_err()
    {
        log::warn!("a connection did not close within 2 s; its ssh processes are stopped");
    } else {
        log::info!("connections closed in {} ms", started.elapsed().as_millis());
    }
}
