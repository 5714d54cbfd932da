//! The job queues' actions (the jobs view): restart a queue's consumer, pause or resume
//! it, retry its failed jobs, and clean, which first asks how old the jobs it removes
//! must be; each then makes the action queue's usual preview.

use super::action_queue::{proposed, refuse_read_only};
use crate::input::action::{Action, Effect};
use crate::state::{EnvState, Overlay, State, View};
use pilothouse_core::ops::{OpKind, QueueOp};

/// A jobs-view action on the selected queue; None when `action` is not one (or the
/// jobs view is not shown).
pub fn act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    if state.view != View::Jobs
        || !matches!(
            action,
            Action::PauseQueue | Action::RetryFailed | Action::CleanQueue | Action::Restart
        )
    {
        return None;
    }
    let (now, global_read_only) = (state.now, state.read_only);
    let e = state.envs.get_mut(state.selected)?;
    Some(queue_action(e, action, global_read_only, now))
}

/// An action on the selected BullMQ queue (the jobs view): restart its consumer, pause
/// or resume it, retry its failed jobs; clean first asks how old the jobs it removes
/// must be.
fn queue_action(e: &mut EnvState, action: Action, global_read_only: bool, now: i64) -> Vec<Effect> {
    let chosen = (|| {
        let jobs = e.jobs.as_ref().ok_or("no [queues] for this environment")?;
        let row = jobs
            .queues
            .get(jobs.selected)
            .ok_or("select a queue first (up/down in the jobs view)")?;
        let queue = row.reading.name.clone();
        let op = match action {
            Action::Restart => {
                let service = jobs.consumer_of(&queue).ok_or_else(|| {
                    format!("no consumer is configured for queue {queue} ([queues] consumers)")
                })?;
                return Ok(Some((OpKind::Restart, vec![service.to_string()])));
            }
            Action::PauseQueue if row.reading.paused => QueueOp::Resume,
            Action::PauseQueue => QueueOp::Pause,
            Action::RetryFailed => QueueOp::RetryFailed,
            _ => return Ok(None),
        };
        Ok::<_, String>(Some((queue_kind(jobs, &queue, op)?, vec![queue])))
    })();
    match chosen {
        Ok(Some((kind, targets))) => proposed(e, kind, targets, global_read_only, now),
        Ok(None) => ask_clean_age(e, global_read_only),
        Err(why) => e.queue.message = Some(format!("refused: {why}; nothing queued")),
    }
    Vec::new()
}

/// The BullMQ runner's action `op` on `queue`, run in its runner's container.
fn queue_kind(
    jobs: &crate::state::jobs::QueuesState,
    queue: &str,
    op: QueueOp,
) -> Result<OpKind, String> {
    let runner = jobs.runner_for(queue).ok_or_else(|| {
        format!(
            "no runner_service and no consumer configured for queue {queue}: nothing runs bullmq"
        )
    })?;
    Ok(OpKind::Queue {
        op,
        prefix: jobs.prefix.clone(),
        runner: runner.to_string(),
        url_variable: jobs.url_variable.clone(),
    })
}

/// Opens the clean prompt for the selected queue, prefilled with the config's age.
fn ask_clean_age(e: &mut EnvState, global_read_only: bool) {
    let Some(jobs) = e.jobs.as_ref() else {
        return;
    };
    let Some(row) = jobs.queues.get(jobs.selected) else {
        e.queue.message = Some("refused: select a queue first; nothing queued".into());
        return;
    };
    // Refused before the age is asked when nothing could run it.
    let known = e.known_services();
    let probe = match queue_kind(
        jobs,
        &row.reading.name,
        QueueOp::Clean { older_than_secs: 0 },
    ) {
        Ok(OpKind::Queue { runner, .. }) if !known.contains(&runner) => {
            e.queue.message = Some(format!(
                "refused: {runner} (the queue's bullmq runner) is not a service of this project; nothing queued"
            ));
            return;
        }
        Ok(kind) => kind,
        Err(why) => {
            e.queue.message = Some(format!("refused: {why}; nothing queued"));
            return;
        }
    };
    let prompt = crate::state::jobs::CleanPrompt {
        queue: row.reading.name.clone(),
        text: pilothouse_core::time::exact_age(jobs.clean_older_than),
        message: None,
    };
    if refuse_read_only(e, global_read_only, &probe) || e.queue.pending().is_some() {
        return;
    }
    e.overlay = Some(Overlay::CleanPrompt(prompt));
}

/// The clean prompt's keys (its characters come through [`clean_input`]); None when it
/// is not open.
pub fn clean_act(state: &mut State, action: Action) -> Option<Vec<Effect>> {
    let now = state.now;
    let read_only = state.read_only;
    let e = state.envs.get_mut(state.selected)?;
    let prompt = e.clean_prompt_mut()?;
    match action {
        Action::TagCancel => e.overlay = None,
        Action::TagBackspace => {
            prompt.text.pop();
            prompt.message = None;
        }
        Action::TagDone => match crate::state::jobs::parse_age(&prompt.text) {
            Err(why) => prompt.message = Some(why),
            Ok(secs) => {
                let queue = prompt.queue.clone();
                e.overlay = None;
                let op = QueueOp::Clean {
                    older_than_secs: secs,
                };
                match e.jobs.as_ref().map(|j| queue_kind(j, &queue, op)) {
                    Some(Ok(kind)) => proposed(e, kind, vec![queue], read_only, now),
                    Some(Err(why)) => {
                        e.queue.message = Some(format!("refused: {why}; nothing queued"));
                    }
                    None => {}
                }
            }
        },
        // Every other key does nothing while the prompt is open.
        _ => {}
    }
    Some(Vec::new())
}

/// A character typed into the clean prompt.
pub fn clean_input(e: &mut EnvState, c: char) {
    if let Some(p) = e.clean_prompt_mut()
        && !c.is_control()
        && p.text.chars().count() < 16
    {
        p.text.push(c);
        p.message = None;
    }
}
