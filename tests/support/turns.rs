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
        _ => Lane::Compose,
    }
}

/// The modules holding a turn, with how many of their tests run.
static HOLDERS: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
static CHANGED: Condvar = Condvar::new();

fn may_enter(holders: &BTreeMap<String, usize>, module: &str) -> bool {
    let mine = lane(module);
    holders.iter().filter(|(_, n)| **n > 0).all(|(m, n)| {
        if m == module {
            *n < PER_MODULE
        } else {
            let theirs = lane(m);
            mine != Lane::Alone && theirs != Lane::Alone && theirs != mine
        }
    })
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
        let mut holders = HOLDERS.lock().unwrap_or_else(|p| p.into_inner());
        while !may_enter(&holders, &module) {
            holders = CHANGED.wait(holders).unwrap_or_else(|p| p.into_inner());
        }
        *holders.entry(module.clone()).or_default() += 1;
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
        let mut holders = HOLDERS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = holders.get_mut(&self.module) {
            *n = n.saturating_sub(1);
        }
        drop(holders);
        CHANGED.notify_all();
    }
}
