//! Deploy and rollback in update(): the keys open the tag picker; enter in it makes
//! the pending item (the preview), which is confirmed like any other action.

use crate::input::action::{Action, Effect};
use crate::state::action_queue::Check;
use crate::state::picker::{PickerKind, TagPicker};
use crate::state::{EnvState, Overlay, State};
use pilothouse_core::ops::ROLLBACK_TAG;
use pilothouse_core::ops::{OpKind, image_ref, valid_tag};

/// Handles the picker's actions and the keys that open it; None if `action` is not
/// one of them.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let now = state.now;
    let env = state.selected;
    let read_only = state.read_only;
    let operator = state.owner.operator.clone();
    let e = state.envs.get_mut(env)?;
    if e.picker().is_none() {
        let kind = match action {
            // A maintenance lock held: the same key releases it.
            Action::Maintenance
                if e.queue
                    .lock_holder
                    .as_ref()
                    .is_some_and(|h| h.maintenance.is_some()) =>
            {
                let op = OpKind::MaintenanceEnd;
                if !super::action_queue::refuse_read_only(e, read_only, &op)
                    && e.queue.pending().is_none()
                {
                    let _ = super::action_queue::propose(e, op, Vec::new(), now);
                }
                return Some(Vec::new());
            }
            Action::Maintenance => PickerKind::Maintenance,
            Action::Deploy => PickerKind::Deploy,
            Action::Rollback => PickerKind::Rollback,
            Action::Scale => PickerKind::Scale,
            _ => return None,
        };
        return Some(open(e, env, kind, read_only));
    }
    let Some(Overlay::Picker(picker)) = &mut e.overlay else {
        return None;
    };
    match action {
        Action::TagCancel => e.overlay = None,
        Action::TagBackspace => {
            picker.text.pop();
            picker.cursor = typed_row(picker);
        }
        Action::Up => picker.cursor = picker.cursor.map(|c| c.saturating_sub(1)),
        Action::Down => {
            let last = picker.rows().len().checked_sub(1);
            picker.cursor = match (picker.cursor, last) {
                (_, None) => None,
                (None, Some(_)) => Some(0),
                (Some(c), Some(last)) => Some((c + 1).min(last)),
            };
        }
        Action::ToggleMigrations => {
            if picker.kind == PickerKind::Deploy && e.migrate.is_some() {
                // No migrations, then migrations, then breaking ones.
                (picker.migrate, picker.breaking) = match (picker.migrate, picker.breaking) {
                    (false, _) => (true, false),
                    (true, false) => (true, true),
                    (true, true) => (false, false),
                };
            } else {
                picker.message = Some(
                    "no migrations here ([migrate] is not configured, or this is a rollback)"
                        .into(),
                );
            }
        }
        Action::CycleTargets
            if matches!(picker.kind, PickerKind::Scale | PickerKind::Maintenance) => {}
        Action::CycleTargets => {
            let scopes = scopes(e);
            let Some(picker) = e.picker() else {
                return Some(Vec::new());
            };
            let at = scopes.iter().position(|(s, _)| *s == picker.scope);
            let next = at.map_or(0, |i| (i + 1) % scopes.len());
            if let Some((scope, targets)) = scopes.get(next).cloned() {
                let current = current_tags(e, &targets);
                if let Some(p) = e.picker_mut() {
                    p.scope = scope;
                    p.targets = targets;
                    p.current = current;
                    p.tags = None;
                    p.cursor = first_row(p.kind);
                }
                return Some(read_tags(e, env));
            }
        }
        Action::TagDone => done(e, now, &operator),
        // Every other key does nothing while the picker is open.
        _ => {}
    }
    Some(Vec::new())
}

/// Opens the picker of `kind` on the selected (or marked) services.
fn open(e: &mut EnvState, env: usize, kind: PickerKind, read_only: bool) -> Vec<Effect> {
    let op = match kind {
        PickerKind::Deploy => OpKind::Deploy {
            tag: String::new(),
            migrate: false,
            breaking: false,
        },
        PickerKind::Rollback => OpKind::Rollback {
            to: String::new(),
            known_as: None,
        },
        PickerKind::Scale => OpKind::Scale { replicas: 0 },
        PickerKind::Maintenance => OpKind::MaintenanceEnd,
    };
    if super::action_queue::refuse_read_only(e, read_only, &op) || e.queue.pending().is_some() {
        return Vec::new();
    }
    let (scope, targets) = if kind == PickerKind::Maintenance {
        ("the host".to_string(), Vec::new())
    } else {
        first_scope(e)
    };
    if targets.is_empty() && kind != PickerKind::Maintenance {
        e.queue.message = Some("select or mark the services to deploy first".into());
        return Vec::new();
    }
    e.queue.message = None;
    let current = if kind == PickerKind::Scale {
        replicas_now(e, &targets)
    } else if kind == PickerKind::Maintenance {
        Vec::new()
    } else {
        current_tags(e, &targets)
    };
    e.overlay = Some(Overlay::Picker(TagPicker {
        kind,
        scope,
        engine: e.engine,
        current,
        targets,
        text: String::new(),
        migrate: false,
        breaking: false,
        tags: None,
        cursor: first_row(kind),
        message: None,
    }));
    if matches!(kind, PickerKind::Scale | PickerKind::Maintenance) {
        return Vec::new();
    }
    read_tags(e, env)
}

/// What the picker highlights first: a rollback's `rollback` row; nothing for a deploy
/// (enter takes what is typed, so no tag is deployed by a stray enter).
fn first_row(kind: PickerKind) -> Option<usize> {
    (kind == PickerKind::Rollback).then_some(0)
}

/// What typing highlights: the first row that matches (typing is choosing); nothing
/// once the text is empty again or matches no row.
fn typed_row(p: &TagPicker) -> Option<usize> {
    (!p.text.is_empty() && !p.rows().is_empty()).then_some(0)
}

/// A character typed into the picker: only what a tag may hold.
pub fn input(e: &mut EnvState, c: char) {
    if let Some(p) = e.picker_mut()
        && (if p.kind == PickerKind::Scale {
            c.is_ascii_digit() && p.text.len() < 4
        } else if p.kind == PickerKind::Maintenance {
            !c.is_control()
                && p.text.chars().count() < pilothouse_core::ops::MAINTENANCE_MESSAGE_MAX
        } else {
            (c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) && p.text.len() < 128
        })
    {
        p.text.push(c);
        p.cursor = typed_row(p);
        p.message = None;
    }
}

/// Enter: the highlighted or typed tag, validated, becomes the pending item.
fn done(e: &mut EnvState, now: i64, operator: &str) {
    let Some(p) = e.picker().cloned() else { return };
    if p.kind == PickerKind::Scale {
        return done_scale(e, &p, now);
    }
    if p.kind == PickerKind::Maintenance {
        let kind = OpKind::Maintenance {
            message: p.text.trim().to_string(),
            operator: operator.to_string(),
            since: now,
        };
        match super::action_queue::propose(e, kind, Vec::new(), now) {
            Err(why) => set_message(e, why),
            Ok(()) => e.overlay = None,
        }
        return;
    }
    let Some(tag) = p.chosen() else {
        set_message(e, "type a tag or pick one from the list".into());
        return;
    };
    if let Err(refused) = valid_tag(&tag) {
        set_message(e, format!("refused: {refused}"));
        return;
    }
    if p.kind == PickerKind::Rollback
        && tag == ROLLBACK_TAG
        && p.tags.is_none()
        && !p.engine.keeps_previous_spec()
    {
        set_message(
            e,
            "still reading which tag names the :rollback images: enter again in a moment".into(),
        );
        return;
    }
    let kind = match p.kind {
        PickerKind::Deploy => OpKind::Deploy {
            tag: tag.clone(),
            migrate: p.migrate,
            breaking: p.breaking,
        },
        PickerKind::Rollback => OpKind::Rollback {
            known_as: p
                .rollback_is()
                .filter(|_| tag == ROLLBACK_TAG)
                .map(str::to_string),
            to: tag.clone(),
        },
        PickerKind::Scale | PickerKind::Maintenance => return,
    };
    match super::action_queue::propose(e, kind, p.targets.clone(), now) {
        Err(why) => set_message(e, why),
        Ok(()) => {
            e.overlay = None;
            if let Some(item) = e.queue.pending_mut() {
                item.checks.push(tag_check(&p, &tag));
            }
        }
    }
}

/// Enter in the scale picker: the typed number of replicas becomes the pending item.
fn done_scale(e: &mut EnvState, p: &TagPicker, now: i64) {
    let Ok(replicas) = p.text.parse::<u64>() else {
        set_message(e, "type the number of replicas".into());
        return;
    };
    match super::action_queue::propose(e, OpKind::Scale { replicas }, p.targets.clone(), now) {
        Err(why) => set_message(e, why),
        Ok(()) => e.overlay = None,
    }
}

/// (service, "N replicas") for the scale picker.
fn replicas_now(e: &EnvState, targets: &[String]) -> Vec<(String, String)> {
    let services = e.swarm.as_ref().map(|v| v.visible("")).unwrap_or_default();
    targets
        .iter()
        .map(|t| {
            let now = services
                .iter()
                .find(|s| s.name == *t)
                .map_or_else(|| "?".to_string(), |s| s.desired.to_string());
            (t.clone(), now)
        })
        .collect()
}

fn set_message(e: &mut EnvState, m: String) {
    if let Some(p) = e.picker_mut() {
        p.message = Some(m);
    }
}

/// Whether the tag exists where the deploy will look for it.
fn tag_check(p: &TagPicker, tag: &str) -> Check {
    let what = "tag".to_string();
    if tag == ROLLBACK_TAG && p.kind == PickerKind::Rollback && p.engine.keeps_previous_spec() {
        return Check {
            what,
            ok: None,
            detail: "the service's previous spec, as the engine keeps it".into(),
        };
    }
    if tag == ROLLBACK_TAG && p.kind == PickerKind::Rollback {
        return Check {
            what,
            ok: None,
            detail: match p.rollback_is() {
                Some(t) => format!(
                    "the :rollback images on the host (the last deploy's previous ones, also tagged {t})"
                ),
                None => "the :rollback images on the host (the last deploy's previous ones; no other tag names them, so the env file gets `rollback`)".into(),
            },
        };
    }
    match &p.tags {
        Some(Ok(read)) => match read.tags.iter().find(|t| t.tag == tag) {
            Some(t) => Check {
                what,
                ok: Some(true),
                detail: format!(
                    "{tag} is {}{}",
                    match (t.on_host, t.in_registry) {
                        (true, true) => "on the host and in the registry",
                        (true, false) => "on the host",
                        (false, _) => "in the registry",
                    },
                    t.created
                        .as_ref()
                        .map(|c| format!(" (built {c})"))
                        .unwrap_or_default()
                ),
            },
            None => Check {
                what,
                ok: Some(false),
                detail: format!(
                    "{tag} is not on the host{} for every target: the pull would fail",
                    if p.note().is_none() {
                        " or in the registry"
                    } else {
                        ""
                    }
                ),
            },
        },
        _ => Check {
            what,
            ok: None,
            detail: "the tags could not be read: the pull will tell".into(),
        },
    }
}

/// The marked services, else the selected one.
fn first_scope(e: &EnvState) -> (String, Vec<String>) {
    if e.swarm.is_some() {
        let selected = e.selected_service().map(|s| vec![s.name.clone()]);
        return ("selected".into(), selected.unwrap_or_default());
    }
    if !e.marked.is_empty() {
        return ("marked".into(), e.marked.iter().cloned().collect());
    }
    match e.selected_container() {
        Some(c) => ("selected".into(), vec![c.service.clone()]),
        None => ("selected".into(), Vec::new()),
    }
}

/// What the targets can be, in turn: selected or marked, each group, every service.
fn scopes(e: &EnvState) -> Vec<(String, Vec<String>)> {
    let mut v = vec![first_scope(e)];
    for (name, services) in &e.groups {
        v.push((format!("group {name}"), services.clone()));
    }
    // Every compose service: a container outside compose has a deploy of its own.
    let outside = e.outside_names();
    let mut all: Vec<String> = Vec::new();
    for service in e.known_services() {
        if !all.contains(&service) && !outside.contains(&service) {
            all.push(service);
        }
    }
    v.push(("all".into(), all));
    v
}

/// (service, the tag it runs) for the targets.
fn current_tags(e: &EnvState, targets: &[String]) -> Vec<(String, String)> {
    let images = super::action_queue::images(e);
    targets
        .iter()
        .map(|t| {
            let tag = images
                .iter()
                .find(|(s, _)| s == t)
                .and_then(|(_, i)| image_ref(i))
                .map_or_else(|| "?".to_string(), |r| r.tag);
            (t.clone(), tag)
        })
        .collect()
}

/// Asks the host for the targets' tags.
fn read_tags(e: &EnvState, env: usize) -> Vec<Effect> {
    let images = super::action_queue::images(e);
    let Some(p) = e.picker() else {
        return Vec::new();
    };
    let mut repos: Vec<String> = Vec::new();
    for t in &p.targets {
        if let Some(r) = images
            .iter()
            .find(|(s, _)| s == t)
            .and_then(|(_, i)| image_ref(i))
            && !repos.contains(&r.repo)
        {
            repos.push(r.repo);
        }
    }
    vec![Effect::ReadTags { env, repos }]
}

/// The host's answer.
pub fn tags_read(e: &mut EnvState, result: Result<pilothouse_core::model::requests::Tags, String>) {
    if let Some(p) = e.picker_mut() {
        p.tags = Some(result);
        let last = p.rows().len().checked_sub(1);
        p.cursor = p.cursor.and_then(|c| last.map(|l| c.min(l)));
    }
}
