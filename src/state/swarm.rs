//! What the console knows about a swarm environment: the last reading of its manager
//! and what the operator selected in it.

use crate::config::SwarmSettings;
use crate::model::swarm::{SwarmService, SwarmState};

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
        }
    }

    /// The node selected in the nodes view.
    pub fn selected_node(&self) -> Option<&crate::model::swarm::SwarmNode> {
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
        Some(SwarmCounts {
            services: s.services.len(),
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
    pub services: usize,
    /// Services with their replicas and no update stopped or rolled back.
    pub converged: usize,
    pub running: u64,
    pub desired: u64,
    pub nodes: usize,
    pub nodes_ready: usize,
}
