//! Whose turn it is on the sandbox host. The sandbox tests are one binary, but the
//! modules were written as separate ones that never overlapped: a module's tests run
//! side by side (two at a time, as the machine's two threads ran them), while the
//! other modules of its lane wait. Two lanes run at once, as two processes did: the
//! swarm's engines (`sandbox_swarm*`), and the compose host with its databases (the
//! rest). The compose host's fault suite stops its engine, databases and registry (its
//! sshd cases kill sshds of their own), none of which the swarm's engines use: it is a
//! module of the compose lane, beside the swarm's. The person's session, which changes
//! the host on purpose, runs alone; the swarm's own faults take the swarm's lane as a
//! module of it (`sandbox_swarm_faults`).

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How many tests of one module run at once.
const PER_MODULE: usize = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Swarm,
    Compose,
    Alone,
}

fn lane(module: &str) -> Lane {
    match module {
        "sandbox_person" => Lane::Alone,
        m if m.starts_with("sandbox_swarm") => Lane::Swarm,
        // Reads the compose host and changes nothing there but its own container: in
        // the swarm's lane, the shorter one.
        "sandbox_fleet" => Lane::Swarm,
        _ => Lane::Compose,
    }
}

/// Which module of a lane goes first when several wait: the compose host's fault suite
/// (its cases mostly wait for engines and daemons to stop and start, so it costs little
/// beside the swarm's lane, while the other compose modules are slowed by it); then by
/// name. Left to the threads' race, the faults went last in rehearsal 54 and the host
/// phase took 689 s instead of 565.
fn rank(module: &str) -> (u8, &str) {
    (u8::from(module != "faults"), module)
}

/// How long after the first test asks no turn is given: every test thread starts in
/// that time, so the first turns go by rank, not to whichever thread ran first.
const GATHER: Duration = Duration::from_millis(500);

/// Who holds a turn and who waits for one.
struct Turns {
    /// The modules holding a turn, with how many of their tests run.
    holders: BTreeMap<String, usize>,
    /// The modules waiting, with how many of their tests wait.
    waiting: BTreeMap<String, usize>,
    /// When the first test asked.
    first_ask: Option<Instant>,
}

static TURNS: Mutex<Turns> = Mutex::new(Turns {
    holders: BTreeMap::new(),
    waiting: BTreeMap::new(),
    first_ask: None,
});
static CHANGED: Condvar = Condvar::new();

fn may_enter(t: &Turns, module: &str) -> bool {
    let mine = lane(module);
    let room = t.holders.iter().filter(|(_, n)| **n > 0).all(|(m, n)| {
        if m == module {
            *n < PER_MODULE
        } else {
            let theirs = lane(m);
            mine != Lane::Alone && theirs != Lane::Alone && theirs != mine
        }
    });
    // A module already in keeps its place; a new one lets a better-ranked one of its
    // lane that waits go first.
    let inside = t.holders.get(module).is_some_and(|n| *n > 0);
    let first = t
        .waiting
        .iter()
        .filter(|(m, n)| **n > 0 && lane(m) == mine && m.as_str() != module)
        .all(|(m, _)| rank(m) > rank(module));
    room && (inside || first)
}

/// One test's turn, given back when dropped.
pub struct Turn {
    module: String,
    waited: Duration,
    since: Instant,
}

impl Turn {
    /// Waits until a test of `module` may run, and takes the turn.
    pub fn take(module: String) -> Turn {
        let asked = Instant::now();
        let mut t = TURNS.lock().unwrap_or_else(|p| p.into_inner());
        let first_ask = *t.first_ask.get_or_insert(asked);
        *t.waiting.entry(module.clone()).or_default() += 1;
        loop {
            let gathering = GATHER.saturating_sub(first_ask.elapsed());
            if gathering.is_zero() && may_enter(&t, &module) {
                break;
            }
            t = if gathering.is_zero() {
                CHANGED.wait(t).unwrap_or_else(|p| p.into_inner())
            } else {
                CHANGED
                    .wait_timeout(t, gathering)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            };
        }
        if let Some(n) = t.waiting.get_mut(&module) {
            *n = n.saturating_sub(1);
        }
        *t.holders.entry(module.clone()).or_default() += 1;
        drop(t);
        // Those waiting behind this module in rank may now go in their lane.
        CHANGED.notify_all();
        Turn {
            module,
            waited: asked.elapsed(),
            since: Instant::now(),
        }
    }
}

/// Where each test's time went, one line per test (tests/run prints the slowest):
/// seconds it ran, seconds it waited for its turn, its name.
fn note_time(turn: &Turn) {
    let test = std::thread::current().name().unwrap_or("?").to_string();
    let line = format!(
        "{:7.1} {:7.1} {test}\n",
        turn.since.elapsed().as_secs_f64(),
        turn.waited.as_secs_f64()
    );
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("turns.txt");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    if let Ok(mut file) = file {
        let _ = file.write_all(line.as_bytes());
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        note_time(self);
        let mut t = TURNS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = t.holders.get_mut(&self.module) {
            *n = n.saturating_sub(1);
        }
        drop(t);
        CHANGED.notify_all();
    }
}
