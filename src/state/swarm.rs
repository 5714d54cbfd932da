//! What the console knows about a swarm environment: the last reading of its manager
//! and what the operator selected in it.

use pilothouse_core::config::SwarmSettings;
use pilothouse_core::model::swarm::{MissingService, SwarmService, SwarmState};

/// A swarm environment's services, tasks, nodes and secrets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmView {
    /// The stacks watched (empty: every stack).
    pub stacks: Vec<String>,
    /// The last reading (None: none yet). Only as fresh as the environment's link.
    pub state: Option<SwarmState>,
    /// The manager's Docker socket (for the commands of actions).
    pub socket: String,
    /// Whether service updates resolve the image's digest (else `--no-resolve-image`).
    pub resolve_image: bool,
    /// The selected row of the nodes view.
    pub node_row: usize,
    /// The stack file on the manager's host, when configured.
    pub stack_file: Option<String>,
    /// The services the stack file names (`STACK_service`), once read.
    pub declared: Vec<String>,
    /// Every service a reading has had since the console started, sorted.
    pub seen: Vec<String>,
}

impl SwarmView {
    pub fn new(settings: &SwarmSettings, socket: &str) -> SwarmView {
        SwarmView {
            stacks: settings.stacks.iter().map(|s| s.to_string()).collect(),
            state: None,
            socket: socket.to_string(),
            resolve_image: settings.resolve_image,
            node_row: 0,
            stack_file: settings.stack_file.as_ref().map(|f| f.to_string()),
            declared: Vec::new(),
            seen: Vec::new(),
        }
    }

    /// Takes a reading, remembering every service it has.
    pub fn record(&mut self, reading: SwarmState) {
        for svc in &reading.services {
            if let Err(at) = self.seen.binary_search(&svc.name) {
                self.seen.insert(at, svc.name.clone());
            }
        }
        self.state = Some(reading);
    }

    /// The services declared or seen that the last reading does not have.
    pub fn missing(&self) -> Vec<MissingService> {
        self.state
            .as_ref()
            .map(|s| s.missing(&self.declared, &self.seen))
            .unwrap_or_default()
    }

    /// The watched stacks the last reading has no service of.
    pub fn empty_stacks(&self) -> Vec<String> {
        self.state
            .as_ref()
            .map(|s| s.empty_stacks(&self.stacks))
            .unwrap_or_default()
    }

    /// A service missing or a watched stack empty: an alert of its own.
    pub fn something_gone(&self) -> bool {
        !self.missing().is_empty() || !self.empty_stacks().is_empty()
    }

    /// The node selected in the nodes view.
    pub fn selected_node(&self) -> Option<&pilothouse_core::model::swarm::SwarmNode> {
        self.state.as_ref()?.nodes.get(self.node_row)
    }

    /// The services as the table lists them, filtered by `filter` (case-insensitive,
    /// on name and image).
    pub fn visible(&self, filter: &str) -> Vec<&SwarmService> {
        let Some(s) = &self.state else {
            return Vec::new();
        };
        let filter = filter.to_lowercase();
        s.services
            .iter()
            .filter(|svc| {
                filter.is_empty()
                    || svc.name.to_lowercase().contains(&filter)
                    || svc.image.to_lowercase().contains(&filter)
            })
            .collect()
    }

    /// Counts for the header: services at their desired replicas, tasks running of
    /// desired, nodes ready, and the alerts among them.
    pub fn counts(&self) -> Option<SwarmCounts> {
        let s = self.state.as_ref()?;
        let missing = self.missing().len();
        Some(SwarmCounts {
            services: s.services.len() + missing,
            missing,
            empty_stacks: self.empty_stacks().len(),
            converged: s.services.iter().filter(|x| !x.alert()).count(),
            running: s.services.iter().map(|x| x.running).sum(),
            desired: s.services.iter().map(|x| x.desired).sum(),
            nodes: s.nodes.len(),
            nodes_ready: s.nodes.iter().filter(|n| !n.alert()).count(),
        })
    }
}

/// What the header says about a swarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwarmCounts {
    /// The services read and the ones missing.
    pub services: usize,
    pub missing: usize,
    /// Watched stacks with no service.
    pub empty_stacks: usize,
    /// Services with their replicas and no update stopped or rolled back.
    pub converged: usize,
    pub running: u64,
    pub desired: u64,
    pub nodes: usize,
    pub nodes_ready: usize,
}
