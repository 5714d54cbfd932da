//! The action queue in `update()` and on screen: keys in, items, effects and the drawn
//! preview out. No I/O: the runner's reports are fed in as messages.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::too_many_lines,
    reason = "a test that cannot go on panics, naming what it found"
)]

use crate::common::*;
use pilothouse::input::action::{Action, Effect, Mode, Msg};
use pilothouse::state::{ItemStatus, State};
use pilothouse::ui::theme::Theme;
use pilothouse::update::update;
use pilothouse_core::model::event::BackendEvent;
use pilothouse_core::model::job::LockOwner;
use pilothouse_core::model::job::{JobEvent, Outcome};

fn press(state: &mut State, action: Action) -> Vec<Effect> {
    update(state, Msg::Action(action))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, Msg::Input(c));
    }
}

fn job(state: &mut State, env: usize, ev: JobEvent) {
    send(state, env, BackendEvent::Job(ev));
}

fn text(t: &ratatui::Terminal<ratatui::backend::TestBackend>) -> String {
    screen_text(t)
}

/// Staging live with gateway selected (the table's second row).
fn staging_on_gateway() -> State {
    let mut s = staging_live();
    let row = s.envs[0]
        .visible()
        .iter()
        .position(|c| c.service == "gateway")
        .expect("gateway row");
    s.envs[0].selected_row = row;
    s
}

/// Production live, selected, with its containers.
fn production_live() -> State {
    let mut s = staging_live();
    send(&mut s, 1, BackendEvent::Connecting { attempt: 1 });
    send(
        &mut s,
        1,
        BackendEvent::Connected {
            docker_version: "20.10".into(),
        },
    );
    send(
        &mut s,
        1,
        BackendEvent::Snapshot(vec![container(
            "gateway",
            pilothouse_core::model::container::RunState::Running,
            pilothouse_core::model::container::Health::Healthy,
        )]),
    );
    press(&mut s, Action::NextEnv);
    s
}

#[test]
fn an_action_key_only_previews_and_y_queues_it_for_the_runner() {
    let mut s = staging_on_gateway();
    let effects = press(&mut s, Action::Restart);
    assert!(
        effects.is_empty(),
        "nothing may run before confirmation: {effects:?}"
    );
    assert_eq!(s.mode(), Mode::Confirm);
    let item = s.envs[0].queue.pending().expect("a pending item");
    assert_eq!(item.plan.targets, vec!["gateway".to_string()]);
    assert!(
        item.plan.steps[0]
            .command
            .ends_with("restart -t 10 'gateway'")
    );
    // A second action key while one is pending adds nothing.
    press(&mut s, Action::Stop);
    assert_eq!(s.envs[0].queue.items.len(), 1);
    let effects = press(&mut s, Action::Confirm);
    let Some(Effect::Run { env: 0, job }) = effects.first() else {
        panic!("no run effect: {effects:?}");
    };
    assert_eq!(job.plan.targets, vec!["gateway".to_string()]);
    assert_eq!(job.env_name, "staging");
    assert_eq!(s.envs[0].queue.items[0].status, ItemStatus::Queued);
    assert_eq!(s.mode(), Mode::Normal);
}

#[test]
fn the_runner_moves_an_item_through_running_to_its_end() {
    let mut s = staging_on_gateway();
    s.envs[0].operator = "ops@laptop".into();
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    job(&mut s, 0, JobEvent::Started { id });
    job(&mut s, 0, JobEvent::Step { id, index: 0 });
    job(
        &mut s,
        0,
        JobEvent::Output {
            id,
            line: "Restarting acme_gateway_1 ... done".into(),
        },
    );
    let item = &s.envs[0].queue.items[0];
    assert_eq!(item.status, ItemStatus::Running);
    assert!(item.log.iter().any(|l| l.contains("step 1 of 1")));
    job(
        &mut s,
        0,
        JobEvent::StepDone {
            id,
            index: 0,
            code: Some(0),
        },
    );
    job(
        &mut s,
        0,
        JobEvent::Finished {
            id,
            outcome: Outcome::Succeeded,
            error: None,
        },
    );
    let item = &s.envs[0].queue.items[0];
    assert_eq!((item.status, item.steps_done), (ItemStatus::Succeeded, 1));
    // The timeline has it at once, as the host's audit trail will tell it.
    let told: Vec<&str> = s.envs[0]
        .timeline
        .entries
        .iter()
        .filter(|e| e.kind == pilothouse_core::model::timeline::Kind::Action)
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(told, ["restart by ops@laptop: succeeded"]);
}

#[test]
fn a_failed_step_and_a_lost_connection_end_as_failed_and_unknown() {
    for (outcome, status) in [
        (Outcome::Failed, ItemStatus::Failed),
        (Outcome::Unknown, ItemStatus::Unknown),
        (Outcome::Cancelled, ItemStatus::Cancelled),
    ] {
        let mut s = staging_on_gateway();
        press(&mut s, Action::Restart);
        press(&mut s, Action::Confirm);
        let id = s.envs[0].queue.items[0].id;
        job(&mut s, 0, JobEvent::Started { id });
        job(
            &mut s,
            0,
            JobEvent::Finished {
                id,
                outcome,
                error: Some("why".into()),
            },
        );
        assert_eq!(s.envs[0].queue.items[0].status, status);
        assert_eq!(s.envs[0].queue.items[0].error.as_deref(), Some("why"));
    }
}

#[test]
fn n_or_esc_cancels_and_nothing_runs() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    let effects = press(&mut s, Action::CancelAction);
    assert!(effects.is_empty());
    assert_eq!(s.envs[0].queue.items[0].status, ItemStatus::Cancelled);
    assert_eq!(s.mode(), Mode::Normal);
}

#[test]
fn a_cancelled_item_s_clock_stops_when_it_is_cancelled() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    let created = s.envs[0].queue.items[0].created;
    update(&mut s, Msg::Tick { now: created + 10 });
    press(&mut s, Action::CancelAction);
    let item = &s.envs[0].queue.items[0];
    assert_eq!(item.elapsed(created + 10), 10);
    assert_eq!(
        item.elapsed(created + 187),
        10,
        "still counting after the cancel"
    );
}

#[test]
fn a_protected_environment_needs_its_name_typed_and_a_wrong_name_runs_nothing() {
    let mut s = production_live();
    press(&mut s, Action::Restart);
    assert_eq!(s.mode(), Mode::ConfirmTyped);
    // y and n are just letters here.
    typed(&mut s, "yn");
    assert_eq!(s.envs[1].queue.typed, "yn");
    press(&mut s, Action::ConfirmBackspace);
    press(&mut s, Action::ConfirmBackspace);
    typed(&mut s, "staging");
    let effects = press(&mut s, Action::ConfirmTyped);
    assert!(
        effects.is_empty(),
        "a wrong name ran something: {effects:?}"
    );
    assert_eq!(
        s.envs[1].queue.pending().map(|i| i.status),
        Some(ItemStatus::Pending)
    );
    assert!(
        s.envs[1]
            .queue
            .message
            .as_deref()
            .is_some_and(|m| m.contains("does not match"))
    );
    typed(&mut s, "production");
    let effects = press(&mut s, Action::ConfirmTyped);
    assert!(
        matches!(effects.first(), Some(Effect::Run { env: 1, .. })),
        "{effects:?}"
    );
}

#[test]
fn read_only_queues_nothing_and_says_so() {
    let mut s = staging_on_gateway();
    s.read_only = true;
    for a in [
        Action::Restart,
        Action::Stop,
        Action::Migrate,
        Action::PgAdmin,
    ] {
        let effects = press(&mut s, a);
        assert!(effects.is_empty());
    }
    assert!(s.envs[0].queue.items.is_empty());
    assert!(
        s.envs[0]
            .queue
            .message
            .as_deref()
            .is_some_and(|m| m.contains("read-only"))
    );
    let mut s = staging_on_gateway();
    s.envs[0].read_only = true;
    press(&mut s, Action::Restart);
    assert!(s.envs[0].queue.items.is_empty());
}

#[test]
fn a_failed_preflight_needs_a_second_confirmation() {
    let mut s = staging_on_gateway();
    // Not connected: the preflight fails.
    send(
        &mut s,
        0,
        BackendEvent::Disconnected {
            error: "gone".into(),
            retry_in: std::time::Duration::from_secs(1),
        },
    );
    press(&mut s, Action::Restart);
    assert!(
        press(&mut s, Action::Confirm).is_empty(),
        "ran despite a failed check"
    );
    assert!(
        s.envs[0]
            .queue
            .message
            .as_deref()
            .is_some_and(|m| m.contains("once more"))
    );
    assert!(matches!(
        press(&mut s, Action::Confirm).first(),
        Some(Effect::Run { .. })
    ));
}

#[test]
fn a_held_lock_is_shown_with_its_owner() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    job(
        &mut s,
        0,
        JobEvent::LockHeld {
            id,
            owner: LockOwner::from_json(
                r#"{"operator":"ana@laptop","action":"restart web","pid":7,"since":1795312700}"#,
            ),
        },
    );
    job(
        &mut s,
        0,
        JobEvent::Finished {
            id,
            outcome: Outcome::Failed,
            error: Some("the host is locked by another console".into()),
        },
    );
    let holder = s.envs[0].queue.lock_holder.clone().expect("holder");
    assert_eq!(
        (holder.owner.as_str(), holder.since),
        ("ana@laptop", Some(1_795_312_700))
    );
    let t = render(&s, 120, 40);
    assert!(
        text(&t).contains("host LOCKED by ana@laptop (restart web) · for 1m"),
        "{}",
        text(&t)
    );
    // The next preview says so before anything runs.
    press(&mut s, Action::Restart);
    let check = s.envs[0]
        .queue
        .pending()
        .expect("pending")
        .checks
        .iter()
        .find(|c| c.what == "host lock")
        .cloned();
    assert_eq!(check.and_then(|c| c.ok), Some(false));
}

#[test]
fn cancelling_a_queued_item_skips_it_and_a_running_one_stops_between_steps() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let effects = press(&mut s, Action::CancelItem);
    assert!(matches!(
        effects.first(),
        Some(Effect::Cancel { env: 0, .. })
    ));
    assert_eq!(s.envs[0].queue.items[0].status, ItemStatus::Cancelled);
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[1].id;
    job(&mut s, 0, JobEvent::Started { id });
    press(&mut s, Action::CancelItem);
    let item = &s.envs[0].queue.items[1];
    assert_eq!(item.status, ItemStatus::Running);
    assert!(item.cancel_requested);
}

#[test]
fn the_preview_shows_the_exact_command_checks_and_risk() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    let t = render(&s, 140, 40);
    let screen = text(&t);
    assert!(
        screen.contains("confirm: restart gateway on staging"),
        "{screen}"
    );
    assert!(screen.contains("$ cd '/opt/acme' && 'docker' 'compose' -p 'acme' -f 'docker-compose.yml' restart -t 10 'gateway'"), "{screen}");
    assert!(screen.contains("✓ connected"), "{screen}");
    assert!(
        screen.contains("medium: the targets are briefly unavailable"),
        "{screen}"
    );
    assert!(screen.contains("y confirm · n / esc cancel"), "{screen}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_typed_confirmation_is_red_and_shows_what_is_typed() {
    let mut s = production_live();
    press(&mut s, Action::Restart);
    typed(&mut s, "produ");
    let t = render(&s, 140, 40);
    let screen = text(&t);
    assert!(screen.contains("PRODUCTION · PROTECTED"), "{screen}");
    assert!(
        screen.contains("type production and press enter to confirm, esc to cancel: produ▏"),
        "{screen}"
    );
    let theme = Theme::default_theme().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        fg_at(
            t.backend().buffer(),
            "confirm: restart gateway on production"
        ),
        theme.colors.protected.0
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn the_queue_pane_lists_items_with_progress_and_output() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    job(&mut s, 0, JobEvent::Started { id });
    job(&mut s, 0, JobEvent::Step { id, index: 0 });
    job(
        &mut s,
        0,
        JobEvent::Output {
            id,
            line: "Restarting acme_gateway_1 ...".into(),
        },
    );
    let t = render(&s, 120, 30);
    let screen = text(&t);
    assert!(
        screen.contains("#1   running    restart gateway step 1/1"),
        "{screen}"
    );
    assert!(screen.contains("Restarting acme_gateway_1 ..."), "{screen}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn services_that_are_not_in_the_project_are_refused() {
    let mut s = staging_on_gateway();
    s.envs[0].marked.insert("gateway; reboot".into());
    press(&mut s, Action::Restart);
    assert!(s.envs[0].queue.items.is_empty());
    assert!(
        s.envs[0]
            .queue
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("refused"))
    );
}

#[test]
fn pgadmin_stops_by_itself_when_its_auto_stop_comes_and_counts_down_meanwhile() {
    use pilothouse_core::model::container::{Health, RunState};
    let mut s = staging_on_gateway();
    s.envs[0].pgadmin_auto_stop = Some(90);
    press(&mut s, Action::PgAdmin);
    let preview = text(&render(&s, 140, 40));
    assert!(preview.contains("stops it by itself after 1m"), "{preview}");
    // The example's pool has no reading: the check is unknown, not failed.
    let effects = press(&mut s, Action::Confirm);
    assert!(
        matches!(effects.first(), Some(Effect::Run { .. })),
        "{effects:?}"
    );
    let id = s.envs[0].queue.items[0].id;
    job(&mut s, 0, JobEvent::Started { id });
    job(
        &mut s,
        0,
        JobEvent::Finished {
            id,
            outcome: Outcome::Succeeded,
            error: None,
        },
    );
    send(
        &mut s,
        0,
        BackendEvent::Container(Box::new(container(
            "pgadmin",
            RunState::Running,
            Health::Healthy,
        ))),
    );
    assert_eq!(s.envs[0].queue.pgadmin_stop_at, Some(NOW + 90));
    assert!(text(&render(&s, 160, 30)).contains("pgAdmin stops in 1m"));
    assert!(update(&mut s, Msg::Tick { now: NOW + 89 }).is_empty());
    let effects = update(&mut s, Msg::Tick { now: NOW + 90 });
    let Some(Effect::Run { job: j, .. }) = effects.first() else {
        panic!("no auto-stop: {effects:?}");
    };
    assert_eq!(j.plan.kind, pilothouse_core::ops::OpKind::PgAdminStop);
    assert!(j.plan.steps[0].command.ends_with("rm -s -f pgadmin"));
    assert_eq!(s.envs[0].queue.pgadmin_stop_at, None);
    // Once, not every tick after.
    assert!(update(&mut s, Msg::Tick { now: NOW + 91 }).is_empty());
}

/// Staging with a pool reading: every budgeted service at its size, and order-service
/// with three connections more, the first idle in a transaction (pid 212, the top row
/// of the pool view's sessions).
fn staging_with_pool() -> State {
    let mut s = staging_live();
    send(
        &mut s,
        0,
        BackendEvent::Pool(pilothouse_core::model::pool::PoolEvent::Sample(Box::new(
            pool_sample("order-service", 3),
        ))),
    );
    press(&mut s, Action::PoolView);
    s
}

fn select_session(s: &mut State, pid: i32) {
    for _ in 0..40 {
        press(s, Action::Up);
    }
    for _ in 0..40 {
        if s.envs[0].pool.as_ref().and_then(|p| p.cursor) == Some(pid) {
            return;
        }
        press(s, Action::Down);
    }
    panic!("session {pid} never selected");
}

#[test]
fn a_session_selected_in_the_pool_view_is_terminated_by_its_exact_statement() {
    let mut s = staging_with_pool();
    press(&mut s, Action::Down);
    assert_eq!(
        s.envs[0].pool.as_ref().and_then(|p| p.cursor),
        Some(212),
        "the first row is the one idle in a transaction"
    );
    // The arrows moved the session cursor, not the container table's.
    assert_eq!(s.envs[0].selected_row, 0);
    let effects = press(&mut s, Action::TerminateSession);
    assert!(effects.is_empty(), "nothing runs unconfirmed: {effects:?}");
    let item = s.envs[0].queue.pending().expect("a pending item").clone();
    assert_eq!(
        item.plan.kind,
        pilothouse_core::ops::OpKind::Terminate {
            pid: 212,
            backend_start: 1_763_800_000_000_212
        }
    );
    assert_eq!(
        item.plan.targets,
        vec!["session 212 (order-service, user acme, idle in transaction)".to_string()]
    );
    let screen = text(&render(&s, 150, 45));
    assert!(
        screen.contains(
            "sql> SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = 212 AND"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("✓ runs on") && screen.contains("needs no free slot"),
        "{screen}"
    );
    assert!(
        screen.contains("its transaction is rolled back"),
        "{screen}"
    );
    let effects = press(&mut s, Action::Confirm);
    let Some(Effect::Run { job, .. }) = effects.first() else {
        panic!("no run effect: {effects:?}");
    };
    assert_eq!(
        job.plan.steps[0].exec,
        pilothouse_core::ops::Exec::Terminate {
            pid: 212,
            backend_start: 1_763_800_000_000_212
        }
    );
}

#[test]
fn the_console_s_own_connection_and_no_selection_are_refused() {
    let mut s = staging_with_pool();
    press(&mut s, Action::TerminateSession);
    assert!(s.envs[0].queue.pending().is_none());
    let m = s.envs[0].queue.message.clone().unwrap_or_default();
    assert!(m.contains("select a session"), "{m}");
    select_session(&mut s, 100);
    press(&mut s, Action::TerminateSession);
    assert!(s.envs[0].queue.pending().is_none());
    let m = s.envs[0].queue.message.clone().unwrap_or_default();
    assert!(m.contains("this console's own connection"), "{m}");
    let screen = text(&render(&s, 150, 45));
    assert!(screen.contains("this console's own connection"), "{screen}");
}

#[test]
fn restart_in_the_pool_view_reclaims_the_connections_of_the_session_s_service() {
    let mut s = staging_with_pool();
    // Nothing selected: the services over their budget.
    press(&mut s, Action::Restart);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(item.plan.targets, vec!["order-service".to_string()]);
    let held = item
        .checks
        .iter()
        .find(|c| c.what == "order-service connections")
        .map(|c| c.detail.clone());
    assert_eq!(
        held.as_deref(),
        Some("holds 6 (pool size 3); the restart closes them")
    );
    press(&mut s, Action::CancelAction);
    // A gateway session: gateway.
    select_session(&mut s, 201);
    press(&mut s, Action::Restart);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(item.plan.targets, vec!["gateway".to_string()]);
    press(&mut s, Action::CancelAction);
    // The console's own session belongs to no service: refused, with what to do.
    select_session(&mut s, 100);
    press(&mut s, Action::Restart);
    assert!(s.envs[0].queue.pending().is_none());
    let m = s.envs[0].queue.message.clone().unwrap_or_default();
    assert!(m.contains("belongs to no service"), "{m}");
}

#[test]
fn a_stale_pool_reading_fails_the_terminate_checks() {
    let mut s = staging_with_pool();
    press(&mut s, Action::Down);
    // Twenty seconds on with no new reading (the interval is 2 s).
    update(
        &mut s,
        Msg::Backend {
            env: 0,
            event: BackendEvent::Latency(std::time::Duration::from_millis(5)),
            now: NOW + 20,
        },
    );
    press(&mut s, Action::TerminateSession);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    let failed: Vec<&str> = item
        .failed_checks()
        .iter()
        .map(|c| c.what.as_str())
        .collect();
    assert_eq!(failed, vec!["session", "runs on"], "{:?}", item.checks);
    let free = item
        .checks
        .iter()
        .find(|c| c.what == "database connections")
        .map(|c| c.detail.clone());
    assert_eq!(
        free.as_deref(),
        Some("no reading"),
        "a stale count is no count"
    );
}

#[test]
fn another_console_s_lock_shows_in_the_header_before_any_action_and_our_own_does_not() {
    let mut s = staging_live();
    let theirs = r#"{"operator":"ana@laptop","action":"restart web","pid":7,"console":"7-1","since":1795312700}"#;
    send(
        &mut s,
        0,
        BackendEvent::Lock(Some(LockOwner::from_json(theirs))),
    );
    let screen = text(&render(&s, 160, 30));
    assert!(
        screen.contains("LOCKED by ana@laptop (restart web) · for 1m"),
        "{screen}"
    );
    assert!(!screen.contains("stopped answering"), "{screen}");
    // The same lock, its console quiet for 5 minutes: it may be stale, and says so.
    let quiet = r#"{"operator":"ana@laptop","action":"restart web","pid":7,"console":"7-1","since":1795312700,"quiet_secs":300}"#;
    send(
        &mut s,
        0,
        BackendEvent::Lock(Some(LockOwner::from_json(quiet))),
    );
    let screen = text(&render(&s, 200, 30));
    assert!(
        screen.contains("its console stopped answering 5m ago: it may be stale"),
        "{screen}"
    );
    let ours = format!(
        r#"{{"operator":"me@here","action":"restart gateway","pid":8,"console":"{}","since":1795312700}}"#,
        s.owner.console
    );
    // While one of this console's items runs, the lock is its own doing.
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    job(&mut s, 0, JobEvent::Started { id });
    send(
        &mut s,
        0,
        BackendEvent::Lock(Some(LockOwner::from_json(&ours))),
    );
    assert_eq!(s.envs[0].queue.lock_holder, None);
    // Once nothing runs, it is a leftover (say, an item that ended unknown): shown.
    job(
        &mut s,
        0,
        JobEvent::Finished {
            id,
            outcome: Outcome::Unknown,
            error: Some("outcome unknown".into()),
        },
    );
    send(
        &mut s,
        0,
        BackendEvent::Lock(Some(LockOwner::from_json(&ours))),
    );
    assert_eq!(
        s.envs[0]
            .queue
            .lock_holder
            .as_ref()
            .map(|h| h.owner.as_str()),
        Some("me@here")
    );
    send(
        &mut s,
        0,
        BackendEvent::Lock(Some(LockOwner::from_json(theirs))),
    );
    send(&mut s, 0, BackendEvent::Lock(None));
    let screen = text(&render(&s, 160, 30));
    assert!(!screen.contains("LOCKED"), "{screen}");
}

#[test]
fn a_lock_reading_taken_just_before_our_own_release_is_not_shown() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    job(&mut s, 0, JobEvent::Started { id });
    job(
        &mut s,
        0,
        JobEvent::Finished {
            id,
            outcome: Outcome::Succeeded,
            error: None,
        },
    );
    // The probe read the lock while the restart still held it; its answer comes late.
    let ours = format!(
        r#"{{"operator":"me@here","action":"restart gateway","pid":8,"console":"{}","since":1795312790}}"#,
        s.owner.console
    );
    send(
        &mut s,
        0,
        BackendEvent::Lock(Some(LockOwner::from_json(&ours))),
    );
    assert_eq!(s.envs[0].queue.lock_holder, None, "released, not held");
}

#[test]
fn quitting_while_an_action_runs_asks_first_then_stops_it_at_a_step_boundary() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    job(&mut s, 0, JobEvent::Started { id });
    // A second item waits behind it.
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let now = s.now;
    assert!(press(&mut s, Action::Quit).is_empty());
    assert!(!s.may_exit(now, 35), "quit at once while an action ran");
    assert!(
        s.envs[0]
            .queue
            .message
            .as_deref()
            .is_some_and(|m| m.contains("quit again to stop it")),
        "{:?}",
        s.envs[0].queue.message
    );
    let effects = press(&mut s, Action::Quit);
    assert_eq!(effects, vec![Effect::Interrupt { env: 0 }]);
    assert_eq!(s.envs[0].queue.items[1].status, ItemStatus::Cancelled);
    assert!(!s.may_exit(now, 35), "exited before the item ended");
    job(
        &mut s,
        0,
        JobEvent::Finished {
            id,
            outcome: Outcome::Succeeded,
            error: None,
        },
    );
    assert!(s.may_exit(now, 35), "the item ended and the console stays");
}

#[test]
fn a_signal_stops_at_once_when_nothing_runs_and_waits_a_bounded_time_when_something_does() {
    let mut s = staging_on_gateway();
    assert!(update(&mut s, Msg::Stop).is_empty());
    assert!(s.quit);
    let mut s = staging_on_gateway();
    press(&mut s, Action::Restart);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    job(&mut s, 0, JobEvent::Started { id });
    let now = s.now;
    assert_eq!(
        update(&mut s, Msg::Stop),
        vec![Effect::Interrupt { env: 0 }]
    );
    assert!(!s.may_exit(now + 10, 35));
    assert!(s.may_exit(now + 36, 35), "waited for ever");
    // A second signal while stopping: now.
    update(&mut s, Msg::Stop);
    assert!(s.quit);
}

#[test]
fn the_jobs_view_restarts_a_queue_s_consumer_and_previews_bullmq_actions_run_in_it() {
    let mut s = staging_live();
    send(&mut s, 0, jobs_reading());
    press(&mut s, Action::JobsView);
    // order-sync is the first row; its consumer (example config) is order-service.
    press(&mut s, Action::Restart);
    let item = s.envs[0].queue.pending().expect("a pending restart");
    assert_eq!(item.plan.title(), "restart order-service");
    press(&mut s, Action::CancelAction);
    // Pause: the real bullmq in the consumer's container, every value quoted.
    press(&mut s, Action::PauseQueue);
    let item = s.envs[0].queue.pending().expect("a pending pause");
    assert_eq!(item.plan.title(), "pause queue order-sync");
    let cmd = &item.plan.steps[0].command;
    assert!(cmd.contains("exec -T 'order-service' node -e '"), "{cmd}");
    assert!(
        cmd.ends_with("-- 'pause' 'bull' 'order-sync' 'REDIS_URL' '0'"),
        "{cmd}"
    );
    assert!(s.envs[0].queue.pending().is_some());
    let effects = press(&mut s, Action::Confirm);
    assert!(
        matches!(effects.first(), Some(Effect::Run { env: 0, .. })),
        "{effects:?}"
    );
    // Clean asks the age first, offering the configured one (24 h); nothing is pending
    // while it is asked, and esc leaves nothing behind.
    press(&mut s, Action::CleanQueue);
    assert!(
        s.envs[0].queue.pending().is_none(),
        "{:?}",
        s.envs[0].queue.pending().map(|i| i.plan.title())
    );
    let asked = s.envs[0].clean_prompt().cloned().expect("the age asked");
    assert_eq!(
        (asked.queue.as_str(), asked.text.as_str()),
        ("order-sync", "1d")
    );
    press(&mut s, Action::TagCancel);
    assert!(s.envs[0].clean_prompt().is_none() && s.envs[0].queue.pending().is_none());
    // Enter with what is offered: 24 h, in ms.
    press(&mut s, Action::CleanQueue);
    press(&mut s, Action::TagDone);
    // The pending item's one step: its label and command.
    let step = |s: &State| {
        let item = s.envs[0].queue.pending().expect("a pending clean");
        let step = &item.plan.steps[0];
        (step.label.clone(), step.command.clone())
    };
    let (label, cmd) = step(&s);
    assert!(
        cmd.ends_with("-- 'clean' 'bull' 'order-sync' 'REDIS_URL' '86400000'"),
        "{cmd}"
    );
    assert!(label.contains("order-sync older than 1d"), "{label}");
    press(&mut s, Action::CancelAction);
    // Another age: a bad one is refused where it is typed, a good one reaches the runner.
    press(&mut s, Action::CleanQueue);
    press(&mut s, Action::TagBackspace);
    press(&mut s, Action::TagBackspace);
    for c in "6x".chars() {
        update(&mut s, Msg::Input(c));
    }
    press(&mut s, Action::TagDone);
    let asked = s.envs[0].clean_prompt().cloned().expect("still asked");
    assert!(
        asked
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("not an age"),
        "{asked:?}"
    );
    assert!(s.envs[0].queue.pending().is_none());
    press(&mut s, Action::TagBackspace);
    update(&mut s, Msg::Input('h'));
    press(&mut s, Action::TagDone);
    let (label, cmd) = step(&s);
    assert!(
        cmd.ends_with("-- 'clean' 'bull' 'order-sync' 'REDIS_URL' '21600000'"),
        "{cmd}"
    );
    assert!(label.contains("order-sync older than 6h"), "{label}");
    press(&mut s, Action::CancelAction);
    // prints' consumer is not a service this project runs: refused, nothing pending;
    // clean is refused before it asks an age.
    press(&mut s, Action::Down);
    press(&mut s, Action::RetryFailed);
    assert!(s.envs[0].queue.pending().is_none());
    let msg = s.envs[0].queue.message.clone().unwrap_or_default();
    assert!(
        msg.contains("print-service") && msg.contains("nothing queued"),
        "{msg}"
    );
    s.envs[0].queue.message = None;
    press(&mut s, Action::CleanQueue);
    assert!(s.envs[0].clean_prompt().is_none());
    let msg = s.envs[0].queue.message.clone().unwrap_or_default();
    assert!(msg.contains("print-service"), "{msg}");
    // Outside the jobs view R is the table's restart again.
    press(&mut s, Action::JobsView);
    press(&mut s, Action::Restart);
    let title = s.envs[0]
        .queue
        .pending()
        .map(|i| i.plan.title())
        .unwrap_or_default();
    assert_ne!(title, "restart order-service", "R outside the jobs view");
}

#[test]
fn a_maintenance_lock_is_taken_with_a_message_shown_everywhere_and_released_with_the_same_key() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Maintenance);
    assert_eq!(s.mode(), Mode::TagInput, "the message box is open");
    // Empty: refused in the box, nothing planned.
    press(&mut s, Action::TagDone);
    assert!(s.envs[0].queue.pending().is_none());
    typed(&mut s, "DB maintenance until 14:00 — Sam's 'fix'");
    press(&mut s, Action::TagDone);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(item.plan.title(), "maintenance lock");
    let cmd = &item.plan.steps[0].command;
    // The message goes into the owner file as JSON, quoted for the shell.
    assert!(cmd.contains("mkdir "), "{cmd}");
    assert!(
        cmd.contains(r#""maintenance":"DB maintenance until 14:00 — Sam'\''s '\''fix'\''""#),
        "{cmd}"
    );
    let screen = text(&render(&s, 160, 40));
    assert!(
        screen.contains("no action runs on this host, from any console"),
        "{screen}"
    );
    let effects = press(&mut s, Action::Confirm);
    assert!(
        matches!(effects.first(), Some(Effect::Run { env: 0, .. })),
        "{effects:?}"
    );
    // The lock as every console then reads it.
    let owner = r#"{"operator":"sam@laptop","action":"maintenance","maintenance":"DB maintenance until 14:00","console":"maintenance","since":1795312700}"#;
    send(
        &mut s,
        0,
        BackendEvent::Lock(Some(LockOwner::from_json(owner))),
    );
    let screen = text(&render(&s, 200, 40));
    assert!(
        screen.contains("MAINTENANCE: DB maintenance until 14:00 (sam@laptop) · for 1m"),
        "{screen}"
    );
    assert!(!screen.contains("LOCKED by MAINTENANCE"), "{screen}");
    // Every action's preview shows it in its lock check.
    press(&mut s, Action::Restart);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    let lock = item
        .checks
        .iter()
        .find(|c| c.what.contains("lock"))
        .expect("lock check");
    assert!(
        lock.detail.contains("DB maintenance until 14:00"),
        "{lock:?}"
    );
    press(&mut s, Action::CancelAction);
    // The same key releases it.
    press(&mut s, Action::Maintenance);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(item.plan.title(), "end the maintenance lock");
    assert!(
        item.plan.steps[0].command.contains("rm -rf"),
        "{:?}",
        item.plan.steps
    );
}

#[test]
fn a_team_action_asks_for_its_parameters_refuses_hostile_values_and_previews_the_command() {
    let mut s = staging_on_gateway();
    // Help lists them with the keys that reach them.
    press(&mut s, Action::Help);
    let screen = text(&render(&s, 160, 60));
    assert!(
        screen.contains("x p") && screen.contains("purge cdn (team action)"),
        "{screen}"
    );
    press(&mut s, Action::Help);
    let effects = press(&mut s, Action::Actions);
    assert!(effects.is_empty());
    assert_eq!(s.mode(), Mode::TagInput);
    let screen = text(&render(&s, 120, 40));
    assert!(
        screen.contains("actions on staging")
            && screen.contains("purge cdn")
            && screen.contains("recreate service")
            && screen.contains("purge one path from the CDN's cache"),
        "{screen}"
    );
    // Its key picks "purge cdn"; shell syntax is not a path and is refused, saying so.
    typed(&mut s, "p");
    let hostile = "/img'; rm -rf / #";
    typed(&mut s, hostile);
    let effects = press(&mut s, Action::TagDone);
    assert!(effects.is_empty());
    assert!(s.envs[0].queue.pending().is_none());
    let screen = text(&render(&s, 140, 40));
    assert!(
        screen.contains("refused") && screen.contains("it must match"),
        "{screen}"
    );
    for _ in hostile.chars() {
        press(&mut s, Action::TagBackspace);
    }
    typed(&mut s, "/img/logo.png");
    press(&mut s, Action::TagDone);
    assert_eq!(s.mode(), Mode::Confirm, "{:?}", s.envs[0].overlay);
    let item = s.envs[0].queue.pending().expect("a pending item");
    assert_eq!(item.plan.kind.name(), "purge cdn");
    assert!(item.plan.targets.is_empty(), "{:?}", item.plan.targets);
    let step = &item.plan.steps[0];
    assert_eq!(
        step.label,
        "purge cdn: curl -fsS -X POST https://cdn.example/purge --data-urlencode path='/img/logo.png'"
    );
    assert!(
        step.command.contains("PILOTHOUSE_ENV='staging'") && step.command.contains(" sh -c "),
        "{}",
        step.command
    );
    let screen = text(&render(&s, 140, 40));
    assert!(
        screen.contains("confirm: purge cdn on staging")
            && screen.contains("low: purge one path from the CDN's cache"),
        "{screen}"
    );
    // Confirmed, it runs like any other action, under its own name.
    let effects = press(&mut s, Action::Confirm);
    let Some(Effect::Run { job, .. }) = effects.first() else {
        panic!("no run effect: {effects:?}");
    };
    assert_eq!(job.plan.kind.name(), "purge cdn");
}

#[test]
fn a_service_parameter_offers_the_project_s_services_and_takes_only_one_of_them() {
    let mut s = staging_on_gateway();
    press(&mut s, Action::Actions);
    // Down to the second action, enter picks it.
    press(&mut s, Action::Down);
    press(&mut s, Action::TagDone);
    let screen = text(&render(&s, 120, 40));
    assert!(
        screen.contains("recreate service on staging") && screen.contains("order-service"),
        "{screen}"
    );
    typed(&mut s, "nosuch");
    press(&mut s, Action::TagDone);
    assert!(s.envs[0].queue.pending().is_none());
    let menu = s.envs[0].menu().expect("still open");
    assert!(
        menu.message
            .as_deref()
            .is_some_and(|m| m.contains("not a service of this environment")),
        "{menu:?}"
    );
    for _ in 0..6 {
        press(&mut s, Action::TagBackspace);
    }
    // Typing highlights the first match; enter takes it.
    typed(&mut s, "order");
    press(&mut s, Action::TagDone);
    let item = s.envs[0].queue.pending().expect("a pending item");
    assert_eq!(item.plan.targets, vec!["order-service".to_string()]);
    assert!(
        item.plan.steps[0]
            .label
            .ends_with("--force-recreate 'order-service'"),
        "{}",
        item.plan.steps[0].label
    );
    // Esc in the preview cancels; the menu is closed and nothing is queued.
    press(&mut s, Action::CancelAction);
    assert_eq!(s.mode(), Mode::Normal);
    assert!(
        s.envs[0]
            .queue
            .items
            .iter()
            .all(|i| i.status == ItemStatus::Cancelled)
    );
}

#[test]
fn read_only_and_an_environment_without_actions_open_no_menu_and_say_why() {
    let mut s = staging_on_gateway();
    s.read_only = true;
    press(&mut s, Action::Actions);
    assert_eq!(s.mode(), Mode::Normal);
    assert_message(&s, "read-only");
    let mut s = staging_on_gateway();
    s.envs[0].actions.clear();
    press(&mut s, Action::Actions);
    assert_eq!(s.mode(), Mode::Normal);
    assert_message(&s, "has no actions of its own");
}

/// The queue's message (why nothing was queued) says `what`.
fn assert_message(s: &State, what: &str) {
    let m = s.envs[0].queue.message.as_deref();
    assert!(m.is_some_and(|m| m.contains(what)), "{m:?}");
}

#[test]
fn forwards_open_and_close_from_their_list_and_pgadmin_s_follows_pgadmin() {
    use pilothouse_core::model::forwards::{ForwardEvent, ForwardState};
    let mut s = staging_on_gateway();
    press(&mut s, Action::Forwards);
    assert_eq!(s.mode(), Mode::TagInput);
    let screen = text(&render(&s, 140, 40));
    assert!(
        screen.contains("port forwards of staging")
            && screen.contains("127.0.0.1:3000 → closed")
            && screen.contains("(follows pgAdmin)"),
        "{screen}"
    );
    press(&mut s, Action::Down);
    let effects = press(&mut s, Action::TagDone);
    assert_eq!(effects, forward("grafana", true));
    let opened = |state| {
        BackendEvent::Forward(ForwardEvent {
            name: "grafana".into(),
            state,
        })
    };
    send(
        &mut s,
        0,
        opened(ForwardState::Open {
            local: "127.0.0.1:13000".into(),
        }),
    );
    assert!(text(&render(&s, 140, 40)).contains("127.0.0.1:3000 → http://127.0.0.1:13000/"));
    // c copies the highlighted forward's URL; enter on an open one closes it.
    let effects = update(&mut s, Msg::Input('c'));
    assert_eq!(
        effects,
        vec![Effect::Copy {
            text: "http://127.0.0.1:13000/".into()
        }]
    );
    let effects = press(&mut s, Action::TagDone);
    assert_eq!(effects, forward("grafana", false));
    press(&mut s, Action::TagCancel);
    assert_eq!(s.mode(), Mode::Normal);
    assert!(text(&render(&s, 220, 30)).contains("fwd grafana http://127.0.0.1:13000/"));
    // A forward waiting for the connection is not shown as open.
    send(&mut s, 0, opened(ForwardState::Waiting));
    assert!(!text(&render(&s, 220, 30)).contains("fwd grafana"));
    // pgAdmin started through the queue opens its forward; stopped, closes it.
    for (action, open) in [(Action::PgAdmin, true), (Action::PgAdmin, false)] {
        press(&mut s, action);
        press(&mut s, Action::Confirm);
        let id = s.envs[0].queue.items.last().expect("an item").id;
        job(&mut s, 0, JobEvent::Started { id });
        let effects = update(
            &mut s,
            Msg::Backend {
                env: 0,
                event: BackendEvent::Job(JobEvent::Finished {
                    id,
                    outcome: Outcome::Succeeded,
                    error: None,
                }),
                now: NOW,
            },
        );
        // (and the item kept in the timeline's store)
        let effects: Vec<Effect> = effects
            .into_iter()
            .filter(|e| !matches!(e, Effect::KeepTimeline { .. }))
            .collect();
        assert_eq!(effects, forward("pgadmin", open), "open: {open}");
        let state = if open {
            ForwardState::Open {
                local: "127.0.0.1:40000".into(),
            }
        } else {
            ForwardState::Closed
        };
        send(
            &mut s,
            0,
            BackendEvent::Forward(ForwardEvent {
                name: "pgadmin".into(),
                state,
            }),
        );
        if open {
            // pgAdmin is running now: the next P stops it.
            send(
                &mut s,
                0,
                BackendEvent::Container(Box::new(container(
                    "pgadmin",
                    pilothouse_core::model::container::RunState::Running,
                    pilothouse_core::model::container::Health::Healthy,
                ))),
            );
        }
    }
}

/// The effect that opens (or closes) staging's forward `name`.
fn forward(name: &str, open: bool) -> Vec<Effect> {
    vec![Effect::Forward {
        env: 0,
        name: name.into(),
        open,
    }]
}
