//! The container a shell is opened in (see `shell_in`), and the commands that check it
//! and open the shell there, every value quoted.

use crate::shell::quote;

/// The Docker socket the CLI uses when `-H` is not given.
pub(crate) const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// The shell run when the environment names none: bash where the image has it, else sh.
pub const DEFAULT_SHELL: &str = "command -v bash >/dev/null && exec bash || exec sh";

/// The container a shell is opened in, as the console last read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellTarget {
    /// The engine's id of the container (hex).
    pub id: String,
    /// Its name, for people.
    pub name: String,
    /// The image it runs, for the preview.
    pub image: String,
    /// The Docker socket on the host that runs it.
    pub socket: String,
    /// The environment's `shell_command` (a shell that takes `-c`), as words; None:
    /// bash where the image has it, else sh.
    pub command: Option<Vec<String>>,
    /// A swarm task's node, for the preview (None: a compose container).
    pub node: Option<String>,
}

/// A container id as the engine writes it: 12 to 64 lowercase hex digits.
pub(crate) fn valid_id(id: &str) -> bool {
    (12..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl ShellTarget {
    /// `docker` (with `-H unix://SOCKET` when the socket is not the default one).
    fn docker(&self) -> String {
        if self.socket == DEFAULT_SOCKET {
            "docker".into()
        } else {
            format!("docker -H {}", quote(&format!("unix://{}", self.socket)))
        }
    }

    /// The words after the container in `docker exec`: the configured shell, or sh
    /// choosing bash when there is one.
    fn shell_words(&self) -> String {
        match &self.command {
            Some(words) => crate::shell::quote_all(words),
            None => format!("sh -c {}", quote(DEFAULT_SHELL)),
        }
    }

    /// The check before the terminal is handed over: the container runs and has the
    /// shell. Its one line of output says what is wrong, and the console shows it.
    pub(crate) fn check_command(&self) -> String {
        let (docker, id) = (self.docker(), quote(&self.id));
        let name = quote(&crate::text::clean(&self.name, 80));
        let probe = match &self.command {
            Some(words) => format!("{} -c :", crate::shell::quote_all(words)),
            None => "sh -c :".to_string(),
        };
        let advice = if self.command.is_some() {
            "its shell_command is not in the image"
        } else {
            "the image has no sh; set shell_command for this environment to a shell it has"
        };
        // A swarm task may run on another node, whose engine this host cannot reach.
        let elsewhere = match &self.node {
            Some(node) => format!(
                "{docker} inspect {id} >/dev/null 2>&1 || {{ echo {name}' runs on node '{node}', not on the host this environment reaches: ssh to that node and run: docker exec -it '{id}' sh'; exit 1; }}; ",
                node = quote(&crate::text::clean(node, 80)),
            ),
            None => String::new(),
        };
        format!(
            "{elsewhere}state=$({docker} inspect -f '{{{{.State.Status}}}}' {id} 2>&1) || {{ echo \"$state\"; exit 1; }}; \
             [ \"$state\" = running ] || {{ echo {name}\" is $state: a shell needs it running\"; exit 1; }}; \
             {docker} exec {id} {probe} >/dev/null 2>&1 || {{ echo {name}': no shell: '{advice}; exit 1; }}",
            advice = quote(advice),
        )
    }

    /// The interactive command, exactly as the host runs it.
    pub fn exec_command(&self) -> String {
        format!(
            "{} exec -it {} {}",
            self.docker(),
            quote(&self.id),
            self.shell_words()
        )
    }
}
