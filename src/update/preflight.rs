//! The preflight checks a preview shows before an action is confirmed: the host lock,
//! the targets, disk space, the database pool, and what each says.

use crate::state::EnvState;
use crate::state::action_queue::Check;
use pilothouse_core::ops::OpKind;

/// What can be known before it runs.
pub fn preflight(e: &EnvState, kind: &OpKind, now: i64) -> Vec<Check> {
    let mut checks = vec![Check {
        what: "connected".into(),
        ok: Some(e.is_live()),
        detail: if e.is_live() {
            "the host answers".into()
        } else {
            "not connected: it would fail".into()
        },
    }];
    checks.push(match &e.queue.lock_holder {
        // This console's own, left by an item whose outcome is unknown: releasing it
        // is one confirmation, once the targets were looked at.
        Some(h) if h.ours && *kind == OpKind::BreakLock => Check {
            what: "host lock".into(),
            ok: Some(true),
            detail: format!(
                "held by this console since an item ended unknown ({}); check its targets, then release it",
                h.action
            ),
        },
        Some(h) if h.maintenance.is_some() && *kind == OpKind::MaintenanceEnd => Check {
            what: "host lock".into(),
            ok: Some(true),
            detail: format!("{}: this releases it", h.describe()),
        },
        // A shell takes no lock: someone else's deploy does not keep it out (and it is
        // shown, so the operator knows what runs meanwhile).
        Some(h) if matches!(kind, OpKind::Shell(_)) => Check {
            what: "host lock".into(),
            ok: Some(true),
            detail: format!("held by {}; a shell does not take it", h.describe()),
        },
        Some(h) if h.ours => Check {
            what: "host lock".into(),
            ok: Some(false),
            detail: format!(
                "still held by this console after an unknown outcome ({}); check the targets and release it first (break the lock)",
                h.action
            ),
        },
        Some(h) => Check {
            what: "host lock".into(),
            ok: Some(false),
            detail: format!("held by {}", h.describe()),
        },
        None if matches!(kind, OpKind::Shell(_)) => Check {
            what: "host lock".into(),
            ok: None,
            detail: "not taken: a shell may stay open long".into(),
        },
        None => Check {
            what: "host lock".into(),
            ok: None,
            detail: "taken when it runs".into(),
        },
    });
    checks.push(Check {
        what: "targets exist".into(),
        ok: Some(true),
        detail: if e.engine.schedules_replicas() {
            "every target is a service (or node) of the swarm as last read".into()
        } else {
            "every target is a service of the project".into()
        },
    });
    if let Some(r) = &e.health.host
        && let Some(root) = r.disks.first()
    {
        let pct = root.used_pct();
        checks.push(Check {
            what: "disk space".into(),
            ok: Some(pct < crate::state::health::DISK_CRITICAL),
            detail: format!("{} is {pct}% used", root.path),
        });
    }
    if let Some(p) = &e.pool {
        // A stale reading says nothing about the slots free now.
        let free = p.free().filter(|_| !p.is_stale(now));
        let need = if *kind == OpKind::PgAdminStart {
            i64::from(p.pgadmin_connections)
        } else {
            0
        };
        // Only what opens connections can run out of them; stopping or restarting
        // (which reclaims leaked ones) is the cure, not the risk.
        checks.push(Check {
            what: "database connections".into(),
            ok: free.map(|f| need == 0 || f - need > crate::state::pool::WARN_FREE),
            detail: match free {
                Some(f) if need > 0 => {
                    format!("{f} free; pgAdmin needs up to {need}, leaving {}", f - need)
                }
                Some(f) => format!("{f} free"),
                None => "no reading".into(),
            },
        });
    }
    checks
}

/// What the pool says about a plan that acts on database sessions: the connections a
/// restart frees, and for a terminate, the session and the connection it runs on.
pub fn database_checks(e: &EnvState, plan: &pilothouse_core::ops::Plan, now: i64) -> Vec<Check> {
    let Some(pool) = &e.pool else {
        return Vec::new();
    };
    // Without a fresh reading there is nothing true to say about the sessions.
    let fresh = !pool.is_stale(now);
    match plan.kind {
        OpKind::Restart if fresh => pool
            .budgets
            .iter()
            .filter(|b| plan.targets.contains(&b.service))
            .map(|b| {
                let held = pool.held_by(&b.application_name);
                Check {
                    what: format!("{} connections", b.service),
                    ok: Some(true),
                    detail: format!(
                        "holds {held} (pool size {}){}",
                        b.size,
                        if held > 0 {
                            "; the restart closes them"
                        } else {
                            ""
                        }
                    ),
                }
            })
            .collect(),
        OpKind::Terminate { pid, .. } => {
            let session = pool.selected_session().filter(|s| s.pid == pid && fresh);
            let age = |ms: Option<u64>| ms.map_or("-".to_string(), |m| format!("{} s", m / 1000));
            vec![
                Check {
                    what: "session".into(),
                    ok: Some(session.is_some()),
                    detail: match session {
                        Some(s) => format!(
                            "{} for {}, transaction open {}; its transaction is rolled back",
                            s.state.label(),
                            age(s.state_ms),
                            age(s.xact_ms)
                        ),
                        None if fresh => "no longer in the latest reading".into(),
                        None => "the pool reading is stale: it may have ended or changed".into(),
                    },
                },
                Check {
                    what: "runs on".into(),
                    ok: Some(pool.error.is_none() && fresh),
                    detail: "the console's own database connection (needs no free slot)".into(),
                },
            ]
        }
        _ => Vec::new(),
    }
}
