//! Which services a compose project declares, for the console's "missing" check (a
//! declared service with nothing running). Read from the compose files themselves when
//! they are plain: Compose v1 is a Python program that takes the host ~0.7 s of CPU to
//! print the same list, once per connection and per `pilothouse status`. Anything only
//! Compose can resolve (`include`, `profiles`, a merge key or a name that is not a
//! service name under `services`, the old format without `services`) is left to
//! `config --services`, as before.

use std::time::Duration;

use serde_norway::Value;

use crate::connection::remote::Remote;
use pilothouse_core::config::{ComposeSettings, ServiceName};
use pilothouse_core::shell::quote;

/// At most this many services are taken from any listing.
const MAX_SERVICES: usize = 500;
/// A compose file larger than this is left to Compose.
const MAX_FILE_BYTES: usize = 1 << 20;

/// The services the project's compose files declare; None for an environment that
/// watches every project (no project directory).
pub async fn declared_services(
    remote: &Remote,
    c: &ComposeSettings,
) -> Option<Result<Vec<String>, String>> {
    let cmd = pilothouse_core::ops::declared_services_command(c)?;
    if let Some(list) = read_files(remote, c).await {
        return Some(Ok(list));
    }
    Some(run_compose(remote, &cmd).await)
}

/// The services of the files as read on the host, or None when any of them cannot be
/// read or is not plain (see the module's text).
async fn read_files(remote: &Remote, c: &ComposeSettings) -> Option<Vec<String>> {
    let mut texts = Vec::new();
    for file in &c.files {
        let cmd = format!("cat -- {}", quote(&c.project_dir.join(file)));
        let out = remote.poll(&cmd, Duration::from_secs(10)).await.ok()?;
        if out.status != Some(0) || out.stdout.len() > MAX_FILE_BYTES {
            return None;
        }
        texts.push(String::from_utf8(out.stdout).ok()?);
    }
    from_texts(&texts)
}

/// The union, in file order, of the services the texts declare; None when one of
/// them is not plain.
pub fn from_texts(texts: &[String]) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        let doc: Value = serde_norway::from_str(text).ok()?;
        let top = doc.as_mapping()?;
        if top.contains_key("include") {
            return None;
        }
        for (name, spec) in top.get("services")?.as_mapping()? {
            let name = name.as_str()?;
            ServiceName::parse(name).ok()?;
            if spec.get("profiles").is_some() {
                return None;
            }
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        }
    }
    out.truncate(MAX_SERVICES);
    Some(out)
}

/// Runs `config --services`; the service names it printed (at most 500, each a valid
/// service name; anything else is dropped).
async fn run_compose(remote: &Remote, cmd: &str) -> Result<Vec<String>, String> {
    let out = remote.poll_slow(cmd, Duration::from_secs(20)).await?;
    if out.status != Some(0) {
        return Err(format!(
            "exit {:?}: {}",
            out.status,
            pilothouse_core::logs::sanitize::clean_str(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| ServiceName::parse(l).is_ok())
        .take(MAX_SERVICES)
        .map(str::to_string)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::from_texts;

    fn list(texts: &[&str]) -> Option<Vec<String>> {
        from_texts(&texts.iter().map(|t| t.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn plain_files_give_their_services_in_order_without_repeats() {
        let base = "version: '3.8'\nx-common: &c\n  restart: always\nservices:\n  gateway:\n    <<: *c\n    image: gw\n  web:\n    image: web\n";
        let prod = "services:\n  web:\n    environment: [A=1]\n  worker:\n    image: w\n";
        assert_eq!(
            list(&[base, prod]),
            Some(vec!["gateway".into(), "web".into(), "worker".into()])
        );
    }

    #[test]
    fn what_only_compose_resolves_is_left_to_compose() {
        let cases = [
            "include:\n  - other.yml\nservices:\n  a:\n    image: a\n",
            "services:\n  a:\n    image: a\n    profiles: [debug]\n",
            "services:\n  <<: *x\n",
            "web:\n  image: web\n",
            "services:\n  'bad name;rm':\n    image: a\n",
            "services: [a, b]\n",
            "services:\n  a: {image: a\n",
        ];
        for text in cases {
            assert_eq!(list(&[text]), None, "{text}");
        }
    }
}
