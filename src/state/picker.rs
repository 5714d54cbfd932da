//! The tag picker of a deploy or rollback: what it acts on, the tag typed or picked
//! from the ones the host and registry have, and whether migrations run.

use pilothouse_core::model::requests::Tags;

use pilothouse_core::ops::ROLLBACK_TAG;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Deploy,
    Rollback,
    /// A swarm service's replicas: a number is typed.
    Scale,
    /// A maintenance lock's message is typed.
    Maintenance,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPicker {
    pub kind: PickerKind,
    /// What the targets are, in words ("selected", "marked", "group backend", "all").
    pub scope: String,
    pub targets: Vec<String>,
    /// (service, its current tag) for "current → new".
    pub current: Vec<(String, String)>,
    pub text: String,
    pub migrate: bool,
    /// The migrations are breaking: the API stops before them.
    pub breaking: bool,
    /// What the host and registry said: None while they are being asked.
    pub tags: Option<Result<Tags, String>>,
    /// The highlighted row of the list (filtered by `text`); None: nothing is, and
    /// enter takes what is typed. A deploy starts with nothing highlighted (its newest
    /// tag may be the one that is broken); a rollback with its first row.
    pub cursor: Option<usize>,
    /// Why the last enter did nothing.
    pub message: Option<String>,
    /// What runs there: when it keeps a service's previous spec (a swarm), the
    /// rollback row is that spec.
    pub engine: pilothouse_core::config::Engine,
}

impl TagPicker {
    /// Why the registry was not read, when it was not.
    pub fn note(&self) -> Option<&str> {
        match &self.tags {
            Some(Ok(t)) => t.note.as_deref(),
            _ => None,
        }
    }

    /// The tag that names the `:rollback` images too, when the host said.
    pub fn rollback_is(&self) -> Option<&str> {
        match &self.tags {
            Some(Ok(t)) => t.rollback_is.as_deref(),
            _ => None,
        }
    }

    /// The rows on offer: (tag, when built or "", where), filtered by what is typed;
    /// a rollback offers the `:rollback` images first.
    pub fn rows(&self) -> Vec<(String, String, String)> {
        let mut rows = Vec::new();
        if matches!(self.kind, PickerKind::Scale | PickerKind::Maintenance) {
            return rows;
        }
        if self.kind == PickerKind::Rollback {
            rows.push((
                ROLLBACK_TAG.to_string(),
                String::new(),
                match self.rollback_is() {
                    _ if self.engine.keeps_previous_spec() => {
                        "the previous spec (docker service rollback)".to_string()
                    }
                    Some(t) => format!("the images the last deploy replaced ({t})"),
                    None => "the images the last deploy replaced".to_string(),
                },
            ));
        }
        if let Some(Ok(read)) = &self.tags {
            for t in &read.tags {
                let place = match (t.on_host, t.in_registry) {
                    (true, true) => "host + registry",
                    (true, false) => "host",
                    (false, _) => "registry",
                };
                rows.push((
                    t.tag.clone(),
                    t.created.clone().unwrap_or_default(),
                    place.to_string(),
                ));
            }
        }
        let typed = self.text.to_lowercase();
        rows.retain(|(t, _, _)| t.to_lowercase().contains(&typed));
        rows
    }

    /// The tag enter would use: the highlighted row, else what is typed.
    pub fn chosen(&self) -> Option<String> {
        let rows = self.rows();
        match self.cursor.and_then(|c| rows.get(c)) {
            Some((t, _, _)) => Some(t.clone()),
            None if !self.text.is_empty() => Some(self.text.clone()),
            None => None,
        }
    }
}
