//! Noticing that the terminal is gone. A closed terminal sends SIGHUP to the process
//! that leads its session, but not always to the console (started by a wrapper, under
//! `sh -c 'pilothouse; …'`), and the terminal library's reader then spins: its read
//! of a hung-up terminal returns nothing, at once, for ever (a whole core, measured).
//! A thread of its own waits for the terminal's hang-up, parks the reader on a pipe
//! that never speaks, and tells the event loop, which stops as on SIGHUP. The wait
//! asks for input as well: a hang-up wakes only those waiting for input or output
//! (a `poll` asking for no events slept through it in 3 tries of 5), so a key wakes
//! the watch too, which then leaves the reader a moment to take it.

use std::io::IsTerminal;

use tokio::sync::mpsc;

/// Starts the watch on the console's standard output; the receiver hears once that
/// the terminal hung up. Output that is not a terminal is not watched (a file is
/// always readable: the watch would wake twenty times a second for nothing).
pub fn watch() -> mpsc::UnboundedReceiver<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    if !std::io::stdout().is_terminal() {
        return rx;
    }
    let spawned = std::thread::Builder::new()
        .name("terminal-watch".into())
        .spawn(move || {
            let reads_stdin = std::io::stdin().is_terminal();
            if wait_for_hangup() {
                if reads_stdin {
                    park_stdin();
                }
                let _ = tx.send(());
            }
        });
    if let Err(e) = spawned {
        log::warn!("a closed terminal will not be noticed at once: {e}");
    }
    rx
}

/// Blocks until the terminal (standard output) hangs up (true) or cannot be watched
/// (false).
fn wait_for_hangup() -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    let out = std::io::stdout();
    loop {
        let mut fds = [PollFd::new(&out, PollFlags::IN)];
        match poll(&mut fds, None) {
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => {
                log::warn!("a closed terminal will not be noticed at once: {e}");
                return false;
            }
            Ok(_) => {}
        }
        let gone = PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL;
        if fds[0].revents().intersects(gone) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Puts a pipe nothing writes to in place of standard input: a reader polling it
/// waits instead of spinning on the hung-up terminal. Its writing end stays open (a
/// closed one would read as the end of input, at once, again).
fn park_stdin() {
    match rustix::pipe::pipe() {
        Ok((read, write)) => {
            if rustix::stdio::dup2_stdin(&read).is_ok() {
                std::mem::forget(write);
            }
        }
        Err(e) => log::warn!("the terminal's reader could not be parked: {e}"),
    }
}
