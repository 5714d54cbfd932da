//! Deploy and rollback in `update()` and on screen: the tag picker, the plan it makes,
//! and the automatic rollback as the runner reports it. No I/O.

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
use pilothouse::update::update;
use pilothouse_core::model::event::BackendEvent;
use pilothouse_core::model::job::{JobEvent, Outcome};
use pilothouse_core::model::requests::{TagInfo, Tags};
use pilothouse_core::ops::OpKind;

fn press(state: &mut State, action: Action) -> Vec<Effect> {
    update(state, Msg::Action(action))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, Msg::Input(c));
    }
}

/// Staging live with web selected (its containers run `:v2`).
fn staging_on_web() -> State {
    let mut s = staging_live();
    let row = s.envs[0]
        .visible()
        .iter()
        .position(|c| c.service == "web")
        .expect("web row");
    s.envs[0].selected_row = row;
    s
}

fn tags(list: &[(&str, Option<&str>, bool, bool)]) -> BackendEvent {
    BackendEvent::Tags(Ok(Tags {
        tags: list
            .iter()
            .map(|(t, c, h, r)| TagInfo {
                tag: t.to_string(),
                created: c.map(str::to_string),
                on_host: *h,
                in_registry: *r,
            })
            .collect(),
        rollback_is: None,
        note: None,
    }))
}

#[test]
fn the_deploy_key_opens_the_picker_and_asks_the_host_for_tags() {
    let mut s = staging_on_web();
    let effects = press(&mut s, Action::Deploy);
    assert_eq!(s.mode(), Mode::TagInput);
    assert_eq!(
        effects,
        vec![Effect::ReadTags {
            env: 0,
            repos: vec!["registry.example.com/acme/web".into()]
        }]
    );
    let p = s.envs[0].picker().cloned().expect("picker");
    assert_eq!(p.targets, vec!["web".to_string()]);
    assert_eq!(p.current, vec![("web".to_string(), "v2".to_string())]);
    let screen = screen_text(&render(&s, 140, 40));
    assert!(screen.contains("deploy to staging: pick a tag"), "{screen}");
    assert!(screen.contains("reading the tags"), "{screen}");
    // The list arrives, nothing highlighted; down picks the first row, typing filters
    // and highlights the first match.
    crate::common::send(
        &mut s,
        0,
        tags(&[
            ("v3", Some("2026-11-20 10:00:00 +0000 UTC"), true, true),
            ("v2", Some("2026-11-15 14:30:00 +0000 UTC"), true, true),
            ("v1", None, false, true),
        ]),
    );
    press(&mut s, Action::Down);
    press(&mut s, Action::Down);
    assert_eq!(
        s.envs[0].picker().and_then(|p| p.chosen()).as_deref(),
        Some("v2")
    );
    typed(&mut s, "3");
    assert_eq!(
        s.envs[0].picker().and_then(|p| p.chosen()).as_deref(),
        Some("v3")
    );
    let screen = screen_text(&render(&s, 140, 40));
    assert!(
        screen.contains("v3") && screen.contains("2026-11-20 10:00:00") && !screen.contains("v1  "),
        "{screen}"
    );
    // Nothing was planned yet, nothing runs.
    assert!(s.envs[0].queue.items.is_empty());
}

#[test]
fn enter_makes_the_preview_with_current_to_new_tags_the_steps_and_the_rollback() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    crate::common::send(&mut s, 0, tags(&[("v3", Some("2026-11-20"), true, true)]));
    press(&mut s, Action::Down);
    press(&mut s, Action::TagDone);
    assert_eq!(s.mode(), Mode::Confirm);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(
        item.plan.kind,
        OpKind::Deploy {
            tag: "v3".into(),
            migrate: false,
            breaking: false
        }
    );
    assert_eq!(
        item.plan.changes,
        vec![("web".to_string(), "v2".to_string(), "v3".to_string())]
    );
    let tag_check = item.checks.iter().find(|c| c.what == "tag").cloned();
    assert_eq!(tag_check.and_then(|c| c.ok), Some(true));
    let screen = screen_text(&render(&s, 160, 60));
    assert!(screen.contains("changes      web v2 → v3"), "{screen}");
    assert!(screen.contains("automatic rollback"), "{screen}");
    assert!(
        screen.contains("docker tag \"$id\" 'registry.example.com/acme/web:rollback'"),
        "{screen}"
    );
    assert!(
        screen.contains("s/^WEB_IMAGE_TAG=.*/WEB_IMAGE_TAG=v3/"),
        "{screen}"
    );
    assert!(
        screen.contains("docker> watch the engine's events until web run"),
        "{screen}"
    );
    let effects = press(&mut s, Action::Confirm);
    assert!(
        matches!(effects.first(), Some(Effect::Run { .. })),
        "{effects:?}"
    );
}

#[test]
fn a_tag_that_is_not_one_is_refused_in_the_picker_and_shell_characters_cannot_be_typed() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    typed(&mut s, "v2;$(id)`x` '");
    assert_eq!(
        s.envs[0].picker().map(|p| p.text.as_str()),
        Some("v2idx"),
        "only tag characters are typed"
    );
    for _ in 0..10 {
        press(&mut s, Action::TagBackspace);
    }
    typed(&mut s, "-v2");
    press(&mut s, Action::TagDone);
    assert_eq!(s.mode(), Mode::TagInput, "still in the picker");
    let m = s.envs[0]
        .picker()
        .and_then(|p| p.message.clone())
        .unwrap_or_default();
    assert!(m.contains("is not an image tag"), "{m}");
    assert!(s.envs[0].queue.items.is_empty(), "nothing planned");
    // A tag in neither place fails its check (the pull would).
    for _ in 0..10 {
        press(&mut s, Action::TagBackspace);
    }
    crate::common::send(&mut s, 0, tags(&[("v2", None, true, true)]));
    typed(&mut s, "v9");
    press(&mut s, Action::TagDone);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    let check = item.checks.iter().find(|c| c.what == "tag").cloned();
    assert_eq!(check.as_ref().and_then(|c| c.ok), Some(false), "{check:?}");
    press(&mut s, Action::CancelAction);
}

#[test]
fn tab_cycles_the_targets_through_the_groups_and_all() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    let effects = press(&mut s, Action::CycleTargets);
    let p = s.envs[0].picker().cloned().expect("picker");
    assert_eq!(p.scope, "group backend");
    assert!(matches!(effects.first(), Some(Effect::ReadTags { .. })));
    press(&mut s, Action::CycleTargets);
    let p = s.envs[0].picker().cloned().expect("picker");
    assert_eq!(p.scope, "all");
    assert_eq!(p.targets.len(), 5);
    press(&mut s, Action::CycleTargets);
    assert_eq!(
        s.envs[0].picker().map(|p| p.scope.as_str()),
        Some("selected")
    );
    press(&mut s, Action::TagCancel);
    assert_eq!(s.mode(), Mode::Normal);
}

#[test]
fn rollback_offers_the_rollback_images_first_and_is_refused_read_only() {
    let mut s = staging_on_web();
    press(&mut s, Action::Rollback);
    let p = s.envs[0].picker().cloned().expect("picker");
    assert_eq!(p.chosen().as_deref(), Some("rollback"));
    // Not before the host said which tag names those images too.
    press(&mut s, Action::TagDone);
    assert!(s.envs[0].queue.pending().is_none());
    assert!(
        s.envs[0]
            .picker()
            .and_then(|p| p.message.as_deref())
            .is_some_and(|m| m.contains("still reading")),
    );
    // The host read, and no other tag names them: the env file gets `rollback`.
    crate::common::send(&mut s, 0, tags(&[("v1", None, true, true)]));
    press(&mut s, Action::TagDone);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(
        item.plan.kind,
        OpKind::Rollback {
            to: "rollback".into(),
            known_as: None
        }
    );
    assert!(item.plan.undo.is_none());
    press(&mut s, Action::CancelAction);

    // When the host says v1 names the :rollback images too, the row says so and the
    // env file gets v1, not the word `rollback`.
    press(&mut s, Action::Rollback);
    crate::common::send(
        &mut s,
        0,
        BackendEvent::Tags(Ok(Tags {
            tags: Vec::new(),
            rollback_is: Some("v1".into()),
            note: None,
        })),
    );
    let rows = s.envs[0].picker().map(|p| p.rows()).unwrap_or_default();
    assert_eq!(rows[0].2, "the images the last deploy replaced (v1)");
    press(&mut s, Action::TagDone);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(
        item.plan.kind,
        OpKind::Rollback {
            to: "rollback".into(),
            known_as: Some("v1".into())
        }
    );
    assert_eq!(
        item.plan.changes,
        vec![("web".into(), "v2".into(), "v1".into())]
    );
    assert!(
        item.plan
            .steps
            .iter()
            .any(|st| st.command.contains("WEB_IMAGE_TAG=v1/")),
        "{:?}",
        item.plan.steps
    );
    press(&mut s, Action::CancelAction);

    let mut s = staging_on_web();
    s.read_only = true;
    let effects = press(&mut s, Action::Deploy);
    assert!(effects.is_empty());
    assert!(s.envs[0].picker().is_none());
    assert!(
        s.envs[0]
            .queue
            .message
            .as_deref()
            .is_some_and(|m| m.contains("read-only")),
        "{:?}",
        s.envs[0].queue.message
    );
}

#[test]
fn a_rolled_back_deploy_says_so_with_its_reason_and_its_rollback_steps() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    typed(&mut s, "broken");
    press(&mut s, Action::TagDone);
    press(&mut s, Action::Confirm);
    let id = s.envs[0].queue.items[0].id;
    let own = s.envs[0].queue.items[0].plan.steps.len();
    let job = |s: &mut State, ev: JobEvent| crate::common::send(s, 0, BackendEvent::Job(ev));
    job(&mut s, JobEvent::Started { id });
    job(&mut s, JobEvent::Step { id, index: own });
    let screen = screen_text(&render(&s, 160, 40));
    assert!(screen.contains("ROLLING BACK step 1/4"), "{screen}");
    job(
        &mut s,
        JobEvent::Finished {
            id,
            outcome: Outcome::RolledBack,
            error: Some("ROLLED BACK: step 5 of 7 (wait until web are healthy) failed the health gate: web: unhealthy".into()),
        },
    );
    assert_eq!(s.envs[0].queue.items[0].status, ItemStatus::RolledBack);
    let t = render(&s, 160, 40);
    let screen = screen_text(&t);
    assert!(screen.contains("ROLLED BACK deploy web"), "{screen}");
    assert!(
        screen.contains("failed the health gate: web: unhealthy"),
        "{screen}"
    );
    assert!(screen.contains("── rollback step 1 of 4"), "{screen}");
    assert_eq!(
        fg_at(t.backend().buffer(), "ROLLED BACK deploy"),
        pilothouse::ui::theme::Theme::default_theme()
            .unwrap_or_else(|e| panic!("{e}"))
            .colors
            .warning
            .0
    );
}

#[test]
fn the_migrations_toggle_cycles_none_then_migrations_then_breaking_ones() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    let state = |s: &State| {
        s.envs[0]
            .picker()
            .map(|p| (p.migrate, p.breaking))
            .unwrap_or_default()
    };
    assert_eq!(state(&s), (false, false));
    press(&mut s, Action::ToggleMigrations);
    assert_eq!(state(&s), (true, false));
    press(&mut s, Action::ToggleMigrations);
    assert_eq!(state(&s), (true, true));
    let screen = screen_text(&render(&s, 140, 40));
    assert!(screen.contains("yes, BREAKING"), "{screen}");
    typed(&mut s, "v3");
    press(&mut s, Action::TagDone);
    let item = s.envs[0].queue.pending().expect("pending").clone();
    assert_eq!(item.plan.kind.label(), "deploy with breaking migrations");
    let labels: Vec<&str> = item.plan.steps.iter().map(|s| s.label.as_str()).collect();
    let stop = labels
        .iter()
        .position(|l| l.starts_with("stop order-service for the breaking migration"));
    let run = labels
        .iter()
        .position(|l| l.starts_with("run the migrations"));
    let up = labels.iter().position(|l| *l == "start web");
    assert!(stop < run && run < up && stop.is_some(), "{labels:?}");
    press(&mut s, Action::CancelAction);
    press(&mut s, Action::Deploy);
    press(&mut s, Action::ToggleMigrations);
    press(&mut s, Action::ToggleMigrations);
    press(&mut s, Action::ToggleMigrations);
    assert_eq!(state(&s), (false, false), "and back to none");
}

#[test]
fn the_picker_and_the_deploy_preview_fit_small_terminals_without_panicking() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    crate::common::send(
        &mut s,
        0,
        tags(&[("v3", Some("2026-11-20 10:00:00 +0000 UTC"), true, true)]),
    );
    press(&mut s, Action::Down);
    for (w, h) in [(80, 24), (40, 10), (12, 5)] {
        let screen = screen_text(&render(&s, w, h));
        if w >= 80 {
            assert!(
                screen.contains("pick a tag") && screen.contains("v3"),
                "{screen}"
            );
        }
    }
    press(&mut s, Action::TagDone);
    for (w, h) in [(80, 24), (40, 10), (12, 5)] {
        let screen = screen_text(&render(&s, w, h));
        if w >= 80 {
            // How to confirm comes first, whatever is cut below it.
            assert!(screen.contains("y confirm"), "{screen}");
        }
    }
}

#[test]
fn a_long_preview_scrolls_under_its_pinned_confirmation_line() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    typed(&mut s, "v3");
    press(&mut s, Action::TagDone);
    let screen = screen_text(&render(&s, 80, 24));
    assert!(screen.contains("y confirm"), "{screen}");
    assert!(
        screen.contains("more lines (scroll with the arrows)"),
        "{screen}"
    );
    assert!(!screen.contains("risk "), "{screen}");
    for _ in 0..8 {
        press(&mut s, Action::PageDown);
    }
    let screen = screen_text(&render(&s, 80, 24));
    assert!(screen.contains("y confirm"), "still pinned: {screen}");
    assert!(screen.contains("high: the targets stay down"), "{screen}");
    assert!(!screen.contains("more lines"), "{screen}");
}

#[test]
fn while_a_preview_is_open_the_mode_decides_and_no_other_handler_gets_a_key() {
    let mut s = staging_on_web();
    press(&mut s, Action::Restart);
    assert_eq!(s.mode(), Mode::Confirm);
    // Keys of other modes (a keymap cannot bind them here, but a click or a stray
    // message could send them): no pane opens behind the preview, nothing else runs.
    for stray in [
        Action::Logs,
        Action::FollowAll,
        Action::Deploy,
        Action::HealthView,
    ] {
        assert!(press(&mut s, stray).is_empty(), "{stray:?}");
    }
    assert!(
        !s.envs[0].logs.open,
        "the log pane opened behind the preview"
    );
    assert!(
        s.envs[0].picker().is_none(),
        "the picker opened behind the preview"
    );
    assert_eq!(s.mode(), Mode::Confirm);
}

#[test]
fn the_deploy_picker_lists_newest_first_and_highlights_nothing_until_asked() {
    let mut s = staging_on_web();
    press(&mut s, Action::Deploy);
    crate::common::send(
        &mut s,
        0,
        tags(&[
            ("broken", Some("2026-11-20 17:45"), true, true),
            ("v2", Some("2026-11-15 14:30"), true, true),
            ("v1", Some("2026-11-01 09:00"), true, true),
        ]),
    );
    let p = s.envs[0].picker().cloned().expect("picker");
    assert_eq!(p.rows()[0].0, "broken", "newest build first");
    assert_eq!(p.cursor, None);
    assert_eq!(p.chosen(), None, "nothing pre-selected");
    // A stray enter deploys nothing.
    press(&mut s, Action::TagDone);
    assert!(s.envs[0].queue.pending().is_none());
    assert!(s.envs[0].picker().is_some());
    // The arrows pick a row on purpose.
    press(&mut s, Action::Down);
    press(&mut s, Action::Down);
    let p = s.envs[0].picker().cloned().expect("picker");
    assert_eq!(p.chosen().as_deref(), Some("v2"));
    let screen = screen_text(&render(&s, 100, 30));
    assert!(screen.contains("▶ v2"), "{screen}");
    assert!(!screen.contains("▶ broken"), "{screen}");
}
