//! The team's actions in update(): `x` opens their menu; a picked action asks for its
//! parameters one by one (each validated as it is given); the last makes the pending
//! item (the preview), confirmed like any other.

use crate::input::action::{Action, Effect};
use crate::state::custom::{ActionMenu, ParamForm};
use crate::state::{EnvState, Overlay, State};
use pilothouse_core::config::custom::{ActionSettings, RiskLevel};
use pilothouse_core::ops::{CustomOp, CustomParam, OpKind, Risk};

/// Handles the menu's keys and the key that opens it; None if `action` is not one.
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let now = state.now;
    let read_only = state.read_only;
    let e = state.envs.get_mut(state.selected)?;
    let Some(Overlay::Menu(menu)) = &mut e.overlay else {
        if action != Action::Actions {
            return None;
        }
        open(e, read_only);
        return Some(Vec::new());
    };
    match (action, menu.form.as_mut()) {
        (Action::TagCancel, None) => e.overlay = None,
        (Action::TagCancel, Some(_)) => {
            menu.form = None;
            menu.message = None;
        }
        (Action::Up, None) => menu.cursor = menu.cursor.saturating_sub(1),
        (Action::Down, None) => {
            menu.cursor = (menu.cursor + 1).min(e.actions.len().saturating_sub(1));
        }
        (Action::TagDone, None) => {
            let at = menu.cursor;
            pick(e, at, now);
        }
        (Action::Up, Some(form)) => form.cursor = form.cursor.map(|c| c.saturating_sub(1)),
        (Action::Down, Some(_)) => move_down(e),
        (Action::TagBackspace, Some(form)) => {
            form.text.pop();
            retarget(e);
        }
        (Action::TagDone, Some(_)) => given(e, now),
        // Every other key does nothing while the menu is open.
        _ => {}
    }
    Some(Vec::new())
}

/// Opens the menu, or says why not.
fn open(e: &mut EnvState, read_only: bool) {
    if e.queue.pending().is_some() {
        return;
    }
    if e.actions.is_empty() {
        e.queue.message = Some(format!(
            "{} has no actions of its own ([[environments.{}.actions]] in the config)",
            e.name, e.name
        ));
        return;
    }
    let probe = OpKind::Custom(Box::new(CustomOp {
        name: "the team's actions".into(),
        template: String::new(),
        description: String::new(),
        risk: Risk::Medium,
        params: Vec::new(),
    }));
    if super::action_queue::refuse_read_only(e, read_only, &probe) {
        return;
    }
    e.queue.message = None;
    e.overlay = Some(Overlay::Menu(ActionMenu {
        cursor: 0,
        form: None,
        message: None,
    }));
}

/// A character typed in the menu: an action's key in the list, else part of a value.
pub fn input(e: &mut EnvState, c: char, now: i64) {
    let Some(Overlay::Menu(menu)) = &mut e.overlay else {
        return;
    };
    match menu.form.as_mut() {
        None => {
            if let Some(at) = e
                .actions
                .iter()
                .position(|a| a.key.is_some_and(|k| k.0 == c))
            {
                menu.cursor = at;
                pick(e, at, now);
            }
        }
        Some(form) => {
            if !c.is_control() && form.text.chars().count() < pilothouse_core::ops::PARAM_VALUE_MAX
            {
                form.text.push(c);
                menu.message = None;
                retarget(e);
            }
        }
    }
}

/// The action at `at` picked: its first parameter is asked for, or, with none, it is
/// proposed at once.
fn pick(e: &mut EnvState, at: usize, now: i64) {
    let Some(action) = e.actions.get(at) else {
        return;
    };
    if action.params.is_empty() {
        return propose(e, at, Vec::new(), now);
    }
    if let Some(menu) = e.menu_mut() {
        menu.message = None;
        menu.form = Some(ParamForm {
            action: at,
            values: Vec::new(),
            text: String::new(),
            cursor: None,
        });
    }
}

/// Typing highlights the first matching choice; nothing once the text is empty.
fn retarget(e: &mut EnvState) {
    let services = e.param_services();
    let Some(Overlay::Menu(menu)) = &mut e.overlay else {
        return;
    };
    let Some(form) = menu.form.as_mut() else {
        return;
    };
    let Some(action) = e.actions.get(form.action) else {
        return;
    };
    let any = !form.choices(action, &services).is_empty();
    form.cursor = (!form.text.is_empty() && any).then_some(0);
}

fn move_down(e: &mut EnvState) {
    let services = e.param_services();
    let Some(Overlay::Menu(ActionMenu {
        form: Some(form), ..
    })) = &mut e.overlay
    else {
        return;
    };
    let Some(action) = e.actions.get(form.action) else {
        return;
    };
    let last = form.choices(action, &services).len().checked_sub(1);
    form.cursor = match (form.cursor, last) {
        (_, None) => None,
        (None, Some(_)) => Some(0),
        (Some(c), Some(last)) => Some((c + 1).min(last)),
    };
}

/// Enter on a parameter: the value is validated and kept (or refused, saying why);
/// after the last, the action is proposed.
fn given(e: &mut EnvState, now: i64) {
    let services = e.param_services();
    let Some(form) = e.menu().and_then(|m| m.form.clone()) else {
        return;
    };
    let Some(action) = e.actions.get(form.action) else {
        return;
    };
    let Some(param) = action.params.get(form.values.len()) else {
        return;
    };
    let value = form.chosen(action, &services);
    let p = param_of(param, value.clone());
    let refused = pilothouse_core::ops::valid_param(&p, &value)
        .err()
        .map(|r| r.0)
        .or_else(|| {
            (p.kind == pilothouse_core::config::custom::ParamKind::Service
                && !services.contains(&value))
            .then(|| {
                format!(
                    "{:?} is not a service of this environment",
                    pilothouse_core::text::clean(&value, 40)
                )
            })
        });
    if let Some(why) = refused {
        if let Some(menu) = e.menu_mut() {
            menu.message = Some(format!("refused: {why}"));
        }
        return;
    }
    let mut values = form.values;
    values.push(value);
    if values.len() == action.params.len() {
        return propose(e, form.action, values, now);
    }
    if let Some(f) = e.menu_mut().and_then(|m| m.form.as_mut()) {
        f.values = values;
        f.text.clear();
        f.cursor = None;
    }
}

fn param_of(p: &pilothouse_core::config::custom::ParamSettings, value: String) -> CustomParam {
    CustomParam {
        name: p.name.as_str().to_string(),
        kind: p.kind,
        pattern: p.pattern.as_ref().map(|x| x.0.clone()),
        value,
    }
}

/// The op of action `a` with `values`.
pub fn custom_op(a: &ActionSettings, values: Vec<String>) -> CustomOp {
    CustomOp {
        name: a.name.as_str().to_string(),
        template: a.command.as_str().to_string(),
        description: a.description.clone(),
        risk: match a.risk {
            RiskLevel::Low => Risk::Low,
            RiskLevel::Medium => Risk::Medium,
            RiskLevel::High => Risk::High,
        },
        params: a
            .params
            .iter()
            .zip(values)
            .map(|(p, v)| param_of(p, v))
            .collect(),
    }
}

/// The action at `at` with its values becomes the pending item; its service values are
/// its targets.
fn propose(e: &mut EnvState, at: usize, values: Vec<String>, now: i64) {
    let Some(action) = e.actions.get(at) else {
        return;
    };
    let op = custom_op(action, values);
    let targets: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.kind == pilothouse_core::config::custom::ParamKind::Service)
        .map(|p| p.value.clone())
        .collect();
    match super::action_queue::propose(e, OpKind::Custom(Box::new(op)), targets, now) {
        Ok(()) => e.overlay = None,
        Err(why) => {
            if let Some(menu) = e.menu_mut() {
                menu.message = Some(why);
            }
        }
    }
}
