//! The team's actions menu (`[[environments.X.actions]]`): first the list of actions,
//! then one prompt per parameter; the last enter makes the pending item (the preview).

use pilothouse_core::config::custom::{ActionSettings, ParamKind};

/// The menu while it is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionMenu {
    /// The highlighted action of the list.
    pub cursor: usize,
    /// Once an action is picked: its parameters being given.
    pub form: Option<ParamForm>,
    /// Why the last enter did nothing.
    pub message: Option<String>,
}

/// The parameters of the picked action, given one after another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamForm {
    /// The action's index in the environment's actions.
    pub action: usize,
    /// The values given so far, in parameter order.
    pub values: Vec<String>,
    /// What is typed for the current parameter.
    pub text: String,
    /// The highlighted choice of a service parameter (filtered by `text`); None: none.
    pub cursor: Option<usize>,
}

impl ParamForm {
    /// The choices of the current parameter: the services matching what is typed for a
    /// service, nothing to pick from otherwise.
    pub fn choices(&self, action: &ActionSettings, services: &[String]) -> Vec<String> {
        let Some(p) = action.params.get(self.values.len()) else {
            return Vec::new();
        };
        if p.kind != ParamKind::Service {
            return Vec::new();
        }
        let typed = self.text.to_lowercase();
        services
            .iter()
            .filter(|s| s.to_lowercase().contains(&typed))
            .cloned()
            .collect()
    }

    /// The value enter would give: the highlighted choice, else what is typed.
    pub fn chosen(&self, action: &ActionSettings, services: &[String]) -> String {
        self.cursor
            .and_then(|c| self.choices(action, services).get(c).cloned())
            .unwrap_or_else(|| self.text.clone())
    }
}
