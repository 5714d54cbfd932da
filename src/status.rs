//! `pilothouse status`: one look at every environment, no TUI, for scripts and cron.
//!
//! Exit codes: 0 every container is running and every health check healthy; 1 any is
//! not; 2 a config error; 3 a host could not be reached.

use serde::Serialize;

use crate::backend::docker;
use crate::backend::link::Link;
use crate::backend::model::{ContainerInfo, Health, RunState};
use crate::config::{Config, Environment};
use crate::state::EnvState;

pub const EXIT_OK: u8 = 0;
pub const EXIT_PROBLEM: u8 = 1;
pub const EXIT_UNREACHABLE: u8 = 3;

/// What one environment looked like.
#[derive(Debug, Serialize)]
pub struct EnvReport {
    pub environment: String,
    pub host: String,
    pub project: String,
    pub reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
    pub containers: Vec<ContainerReport>,
}

#[derive(Debug, Serialize)]
pub struct ContainerReport {
    pub service: String,
    pub name: String,
    pub image: String,
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    pub health: &'static str,
    pub failing_streak: u32,
    pub restart_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    pub ok: bool,
}

/// Whether a container is as it should be: running, and healthy if it has a check.
pub fn container_ok(c: &ContainerInfo) -> bool {
    c.run_state == RunState::Running && matches!(c.health, Health::Healthy | Health::None)
}

fn report(c: &ContainerInfo) -> ContainerReport {
    let (state, exit_code) = match c.run_state {
        RunState::Running => ("running", None),
        RunState::Exited { code } => ("exited", Some(code)),
        RunState::Restarting => ("restarting", None),
        RunState::Paused => ("paused", None),
        RunState::Created => ("created", None),
        RunState::Removing => ("removing", None),
        RunState::Dead => ("dead", None),
    };
    ContainerReport {
        service: c.service.clone(),
        name: c.name.clone(),
        image: c.image.clone(),
        state,
        exit_code,
        health: c.health.label(),
        failing_streak: c.failing_streak,
        restart_count: c.restart_count,
        started_at: c.started_at,
        ok: container_ok(c),
    }
}

/// Connects to one environment, lists its project and disconnects.
pub async fn look(name: &str, env: &Environment) -> EnvReport {
    let view = EnvState::from_config(name, env, 100);
    let mut out = EnvReport {
        environment: name.to_string(),
        host: view.target,
        project: view.project_name.clone(),
        reachable: false,
        error: None,
        docker_version: None,
        containers: Vec::new(),
    };
    let tunnel = match Link::open(env).await {
        Ok(t) => t,
        Err(e) => {
            out.error = Some(e);
            return out;
        }
    };
    let result = async {
        let (client, version) = docker::connect(tunnel.docker_socket()).await?;
        let project = env
            .compose
            .effective_project_name()
            .map(|p| p.to_string())
            .unwrap_or_default();
        let mut list = docker::snapshot(&client, &project).await?;
        // The console's default order: deployment order, then by service.
        crate::state::sort_containers(
            &mut list,
            crate::state::SortKey::Service,
            &env.deploy.flat_order(),
            &Default::default(),
        );
        Ok::<_, String>((version, list))
    }
    .await;
    tunnel.close().await;
    match result {
        Ok((version, list)) => {
            out.reachable = true;
            out.docker_version = Some(version);
            out.containers = list.iter().map(report).collect();
        }
        Err(e) => out.error = Some(e),
    }
    out
}

/// Looks at the chosen environments concurrently.
pub async fn look_all(config: &Config, only: Option<&str>) -> Vec<EnvReport> {
    let looks = config
        .environments
        .iter()
        .filter(|(name, _)| only.is_none_or(|o| o == name.as_str()))
        .map(|(name, env)| look(name.as_str(), env));
    futures::future::join_all(looks).await
}

/// The exit code for a set of reports.
pub fn exit_code(reports: &[EnvReport]) -> u8 {
    if reports.iter().any(|r| !r.reachable) {
        EXIT_UNREACHABLE
    } else if reports.iter().flat_map(|r| &r.containers).any(|c| !c.ok) {
        EXIT_PROBLEM
    } else {
        EXIT_OK
    }
}

/// The plain-text table.
pub fn render_text(reports: &[EnvReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let head = match (&r.error, &r.docker_version) {
            (Some(e), _) => format!("UNREACHABLE: {e}"),
            (None, Some(v)) => format!("Docker {v}"),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "{} ({}, project {}): {head}\n",
            r.environment, r.host, r.project
        ));
        if !r.reachable {
            continue;
        }
        if r.containers.is_empty() {
            out.push_str("  no containers\n");
        }
        let w = |f: fn(&ContainerReport) -> usize| r.containers.iter().map(f).max().unwrap_or(0);
        let (ws, wn, wi) = (
            w(|c| c.service.len()).max(7),
            w(|c| c.name.len()).max(9),
            w(|c| c.image.len()).max(5),
        );
        if !r.containers.is_empty() {
            out.push_str(&format!(
                "  {:<ws$}  {:<wn$}  {:<wi$}  {:<12}  {:<13}  RESTARTS\n",
                "SERVICE", "CONTAINER", "IMAGE", "STATE", "HEALTH"
            ));
        }
        for c in &r.containers {
            let state = match c.exit_code {
                Some(code) => format!("{} ({code})", c.state),
                None => c.state.to_string(),
            };
            let health = if c.failing_streak > 0 {
                format!("{} ({})", c.health, c.failing_streak)
            } else {
                c.health.to_string()
            };
            let mark = if c.ok { "" } else { "  <-" };
            out.push_str(&format!(
                "  {:<ws$}  {:<wn$}  {:<wi$}  {state:<12}  {health:<13}  {}{mark}\n",
                c.service, c.name, c.image, c.restart_count
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(reachable: bool, ok: &[bool]) -> EnvReport {
        EnvReport {
            environment: "e".into(),
            host: "h".into(),
            project: "p".into(),
            reachable,
            error: None,
            docker_version: None,
            containers: ok
                .iter()
                .map(|&ok| ContainerReport {
                    service: "s".into(),
                    name: "n".into(),
                    image: "i".into(),
                    state: "running",
                    exit_code: None,
                    health: "healthy",
                    failing_streak: 0,
                    restart_count: 0,
                    started_at: None,
                    ok,
                })
                .collect(),
        }
    }

    #[test]
    fn unreachable_beats_a_problem_beats_ok() {
        assert_eq!(exit_code(&[env(true, &[true, true])]), EXIT_OK);
        assert_eq!(exit_code(&[env(true, &[true, false])]), EXIT_PROBLEM);
        assert_eq!(
            exit_code(&[env(true, &[false]), env(false, &[])]),
            EXIT_UNREACHABLE
        );
        assert_eq!(exit_code(&[]), EXIT_OK);
    }

    #[test]
    fn a_container_without_a_health_check_is_ok_when_running() {
        let mut c = crate::backend::model::ContainerInfo {
            id: String::new(),
            name: String::new(),
            service: String::new(),
            image: String::new(),
            run_state: RunState::Running,
            health: Health::None,
            failing_streak: 0,
            started_at: None,
            finished_at: None,
            restart_count: 0,
            ports: Vec::new(),
            details: Default::default(),
            inspected: true,
        };
        assert!(container_ok(&c));
        c.health = Health::Starting;
        assert!(!container_ok(&c));
        c.health = Health::Healthy;
        c.run_state = RunState::Exited { code: 0 };
        assert!(!container_ok(&c));
    }
}
