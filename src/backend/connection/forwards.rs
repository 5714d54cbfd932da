//! An environment's port forwards: a task that outlives connections, opens and closes
//! forwards on request through the current one, and opens the wanted ones again after a
//! reconnect. Several open at once: each is its own request to the ssh master.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, watch};

use crate::connection::remote::Remote;
use pilothouse_core::config::forwards::ForwardSettings;
use pilothouse_core::model::forwards::{ForwardEvent, ForwardState};

/// Open (`true`) or close a forward, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardCommand {
    pub name: String,
    pub open: bool,
}

/// Runs until `commands` closes. `events` gets every change of state.
pub async fn run(
    settings: Vec<ForwardSettings>,
    mut remote: watch::Receiver<Option<Remote>>,
    mut commands: mpsc::UnboundedReceiver<ForwardCommand>,
    events: mpsc::Sender<ForwardEvent>,
) {
    // Wanted open: name and the local port it has (kept across reconnects).
    let mut wanted: BTreeMap<String, u16> = BTreeMap::new();
    loop {
        tokio::select! {
            cmd = commands.recv() => {
                let Some(cmd) = cmd else { return };
                // What else was asked meanwhile is carried out with it, side by side.
                let mut batch = vec![cmd];
                while let Ok(more) = commands.try_recv() {
                    batch.push(more);
                }
                let current = remote.borrow().clone();
                let asked = batch.iter().filter_map(|c| {
                    settings
                        .iter()
                        .find(|f| f.name.as_str() == c.name)
                        .map(|f| (f, c.open, wanted.get(f.name.as_str()).copied()))
                });
                let done = futures::future::join_all(
                    asked.map(|(f, open, port)| carry_out(f, open, port, current.as_ref(), &events)),
                )
                .await;
                for (name, port) in done {
                    match port {
                        Some(p) => wanted.insert(name, p),
                        None => wanted.remove(&name),
                    };
                }
            }
            changed = remote.changed() => {
                if changed.is_err() {
                    return;
                }
                let current = remote.borrow().clone();
                reopen(&settings, current.as_ref(), &wanted, &events).await;
            }
        }
    }
}

/// Opens or closes `f` (which has `port` when it is wanted open); its name and the
/// port it is wanted open on afterwards (None: not wanted).
async fn carry_out(
    f: &ForwardSettings,
    open: bool,
    port: Option<u16>,
    remote: Option<&Remote>,
    events: &mpsc::Sender<ForwardEvent>,
) -> (String, Option<u16>) {
    let name = f.name.as_str().to_string();
    let after = if open {
        self::open(f, port, remote, events).await
    } else {
        close(f, port, remote, events).await;
        None
    };
    (name, after)
}

fn event(name: &str, state: ForwardState) -> ForwardEvent {
    ForwardEvent {
        name: name.to_string(),
        state,
    }
}

/// A free port on 127.0.0.1 (the kernel's pick; released at once for ssh to bind).
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free local port: {e}"))
}

async fn open(
    f: &ForwardSettings,
    wanted_on: Option<u16>,
    remote: Option<&Remote>,
    events: &mpsc::Sender<ForwardEvent>,
) -> Option<u16> {
    let name = f.name.as_str();
    let port = match wanted_on.or(f.local_port) {
        Some(p) => p,
        None => match free_port() {
            Ok(p) => p,
            Err(e) => {
                let _ = events.send(event(name, ForwardState::Failed(e))).await;
                return None;
            }
        },
    };
    let Some(remote) = remote else {
        let _ = events.send(event(name, ForwardState::Waiting)).await;
        return Some(port);
    };
    let _ = events.send(event(name, ForwardState::Opening)).await;
    let state = request(f, remote, port, true).await;
    let opened = matches!(state, ForwardState::Open { .. });
    if opened {
        log::info!("forward {name} open on 127.0.0.1:{port}");
    }
    let _ = events.send(event(name, state)).await;
    opened.then_some(port)
}

async fn close(
    f: &ForwardSettings,
    wanted_on: Option<u16>,
    remote: Option<&Remote>,
    events: &mpsc::Sender<ForwardEvent>,
) {
    let name = f.name.as_str();
    let Some(port) = wanted_on else {
        let _ = events.send(event(name, ForwardState::Closed)).await;
        return;
    };
    // With no connection there is no forward left to cancel: the master is gone.
    let state = match remote {
        Some(r) if r.is_ssh() => match request(f, r, port, false).await {
            ForwardState::Failed(e) => ForwardState::Failed(e),
            _ => ForwardState::Closed,
        },
        _ => ForwardState::Closed,
    };
    log::info!("forward {name} closed");
    let _ = events.send(event(name, state)).await;
}

/// After a reconnect (or a loss), the wanted forwards open again (all at once), or wait.
async fn reopen(
    settings: &[ForwardSettings],
    remote: Option<&Remote>,
    wanted: &BTreeMap<String, u16>,
    events: &mpsc::Sender<ForwardEvent>,
) {
    let again: Vec<(&ForwardSettings, u16)> = settings
        .iter()
        .filter_map(|f| wanted.get(f.name.as_str()).map(|p| (f, *p)))
        .collect();
    let Some(remote) = remote else {
        for (f, _) in again {
            let _ = events
                .send(event(f.name.as_str(), ForwardState::Waiting))
                .await;
        }
        return;
    };
    let states = futures::future::join_all(
        again
            .iter()
            .map(|(f, port)| request(f, remote, *port, true)),
    )
    .await;
    for ((f, port), state) in again.iter().zip(states) {
        match &state {
            ForwardState::Open { .. } => {
                log::info!("forward {} open again on 127.0.0.1:{port}", f.name.as_str());
            }
            ForwardState::Failed(e) => {
                log::warn!("forward {} not open again: {e}", f.name.as_str());
            }
            _ => {}
        }
        let _ = events.send(event(f.name.as_str(), state)).await;
    }
}

async fn request(f: &ForwardSettings, remote: &Remote, port: u16, open: bool) -> ForwardState {
    match remote
        .loopback_forward(port, &f.remote.host, f.remote.port, open)
        .await
    {
        Ok(local) => ForwardState::Open { local },
        Err(e) => ForwardState::Failed(e),
    }
}
