//! A shell in a running container: `docker exec -it` on the host, on the operator's
//! terminal. Like every action it is a plan (previewed, confirmed, audited); what is
//! typed in the shell is never seen by the console, so never recorded.

use crate::ops::plan::{Exec, OpKind, Plan, Refused, Step};
use crate::ops::shell_target::{ShellTarget, valid_id};

/// The plan of a shell in `target`: the check, then the shell on this terminal.
pub fn shell_plan(target: &ShellTarget) -> Result<Plan, Refused> {
    if !valid_id(&target.id) {
        return Err(Refused("no container selected".into()));
    }
    if let Some(words) = &target.command
        && (words.is_empty() || words.iter().any(|w| w.chars().any(char::is_control)))
    {
        return Err(Refused("shell_command is empty or not printable".into()));
    }
    let name = crate::text::clean(&target.name, 80);
    Ok(Plan {
        kind: OpKind::Shell(Box::new(target.clone())),
        targets: vec![name.clone()],
        steps: vec![
            Step {
                label: format!("check that {name} runs and has the shell"),
                command: target.check_command(),
                exec: Exec::Shell,
            },
            Step {
                label: format!(
                    "a shell in {name} ({}) on this terminal; exit it to come back",
                    crate::text::clean(&target.image, 120)
                ),
                command: target.exec_command(),
                exec: Exec::Interactive,
            },
        ],
        changes: Vec::new(),
        undo: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::shell_target::DEFAULT_SOCKET;

    fn target() -> ShellTarget {
        ShellTarget {
            id: "0123456789abcdef".into(),
            name: "acme-web-1".into(),
            image: "registry/acme/web:v1".into(),
            socket: DEFAULT_SOCKET.into(),
            command: None,
            node: None,
        }
    }

    #[test]
    fn the_shell_is_bash_where_there_is_one_and_every_value_is_quoted() {
        let plan = shell_plan(&target()).unwrap();
        assert_eq!(plan.targets, vec!["acme-web-1".to_string()]);
        assert_eq!(
            plan.steps[1].command,
            "docker exec -it '0123456789abcdef' sh -c 'command -v bash >/dev/null && exec bash || exec sh'"
        );
        assert_eq!(plan.steps[1].exec, Exec::Interactive);
        assert!(
            plan.steps[0]
                .command
                .contains("inspect -f '{{.State.Status}}'")
        );
        assert!(plan.changes_state(), "a shell is confirmed and audited");
        let mut t = target();
        t.command = Some(vec!["/bin/ash".into()]);
        t.socket = "/run/other.sock".into();
        let plan = shell_plan(&t).unwrap();
        assert_eq!(
            plan.steps[1].command,
            "docker -H 'unix:///run/other.sock' exec -it '0123456789abcdef' '/bin/ash'"
        );
        assert!(plan.steps[0].command.contains("'/bin/ash' -c :"));
    }

    #[test]
    fn an_id_that_is_not_the_engines_is_refused() {
        for bad in ["", "web", "0123456789abcdef; rm -rf /", "0123456789abcdeg"] {
            let mut t = target();
            t.id = bad.into();
            assert!(shell_plan(&t).is_err(), "{bad}");
        }
        let mut t = target();
        t.command = Some(vec!["sh\n-i".into()]);
        assert!(shell_plan(&t).is_err());
    }

    #[test]
    fn a_swarm_task_elsewhere_names_its_node_and_how_to_reach_it() {
        let mut t = target();
        t.node = Some("worker-1".into());
        let check = &shell_plan(&t).unwrap().steps[0].command;
        assert!(
            check.starts_with("docker inspect '0123456789abcdef' >/dev/null 2>&1 || { echo 'acme-web-1'' runs on node ''worker-1'"),
            "{check}"
        );
        assert!(check.contains("docker exec -it '"), "{check}");
    }
}
