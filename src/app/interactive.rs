//! A command an item runs on the operator's terminal (a shell in a container): the
//! console steps aside (its input reader parked; the alternate screen, raw mode, the
//! mouse and bracketed paste given back), the command gets the terminal, and when it
//! ends the console takes the terminal back and draws its screen whole. Meanwhile the
//! event loop keeps applying what the environments report; nothing is drawn.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::DefaultTerminal;

/// What runs on the terminal, and for which item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interactive {
    pub env: usize,
    pub id: u64,
    pub argv: Vec<String>,
    /// The line written above it on the normal screen.
    pub title: String,
}

/// The terminal reader's pause: the event loop asks for it before a command gets the
/// terminal, and the reader says when it no longer reads.
#[derive(Debug, Default)]
pub struct Pause {
    wanted: AtomicBool,
    parked: AtomicBool,
}

impl Pause {
    /// For the reader: whether it must not read now (it says it is parked).
    pub fn holds_reader(&self) -> bool {
        let wanted = self.wanted.load(Ordering::SeqCst);
        self.parked.store(wanted, Ordering::SeqCst);
        wanted
    }

    /// Asks the reader to stop reading; Err when it did not within a second (a key
    /// may then still go to the console instead of the command). A reader blocked in
    /// its read is woken by a SIGWINCH to this process: the terminal library answers
    /// it with a resize event (harmless: the screen is drawn whole afterwards).
    async fn park(&self) -> Result<(), String> {
        self.wanted.store(true, Ordering::SeqCst);
        self.wake_reader();
        let asked = Instant::now();
        while !self.parked.load(Ordering::SeqCst) {
            if asked.elapsed() > Duration::from_secs(1) {
                return Err("the console's terminal reader did not step aside".into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// `kill -WINCH` to this process (not a signal that stops or ends anything).
    fn wake_reader(&self) {
        let _ = std::process::Command::new("kill")
            .arg("-WINCH")
            .arg(std::process::id().to_string())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }

    fn resume(&self) {
        self.wanted.store(false, Ordering::SeqCst);
    }
}

/// Gives the terminal to a command: the reader parked, the console's screen and modes
/// given back, `title` written on the normal screen.
pub async fn hand_over(pause: &Pause, mouse: bool, title: &str) -> Result<(), String> {
    pause.park().await?;
    let mut out = std::io::stdout();
    if mouse {
        let _ = crossterm::execute!(out, crossterm::event::DisableMouseCapture);
    }
    let _ = crossterm::execute!(
        out,
        crossterm::event::DisableBracketedPaste,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = crossterm::terminal::disable_raw_mode();
    let title: String = title.chars().filter(|c| !c.is_control()).collect();
    let _ = write!(out, "pilothouse: {title}\r\n");
    let _ = out.flush();
    Ok(())
}

/// Starts `argv` with the terminal as its standard input, output and error.
pub fn spawn(argv: &[String]) -> Result<tokio::process::Child, String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "nothing to run".to_string())?;
    tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{program} could not be started: {e}"))
}

/// Takes the terminal back as the console had it, and has the next frame drawn whole.
pub fn take_back(terminal: &mut DefaultTerminal, pause: &Pause, mouse: bool) {
    let mut out = std::io::stdout();
    let _ = crossterm::terminal::enable_raw_mode();
    let _ = crossterm::execute!(
        out,
        crossterm::terminal::EnterAlternateScreen,
        crossterm::event::EnableBracketedPaste
    );
    if mouse {
        let _ = crossterm::execute!(out, crossterm::event::EnableMouseCapture);
    }
    let _ = terminal.clear();
    pause.resume();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn the_reader_is_parked_only_once_it_says_so_and_reads_again_after() {
        let pause = std::sync::Arc::new(Pause::default());
        assert!(!pause.holds_reader());
        let reader = pause.clone();
        let thread = std::thread::spawn(move || {
            // A reader that looks every 5 ms, as the real one does between reads.
            let until = Instant::now() + Duration::from_secs(5);
            while Instant::now() < until {
                if reader.holds_reader() {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        pause.park().await.unwrap();
        assert!(pause.parked.load(Ordering::SeqCst));
        pause.resume();
        assert!(!pause.wanted.load(Ordering::SeqCst));
        drop(thread);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_reader_that_never_looks_fails_the_pause_within_a_second() {
        let pause = Pause::default();
        let started = Instant::now();
        assert!(pause.park().await.is_err());
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
