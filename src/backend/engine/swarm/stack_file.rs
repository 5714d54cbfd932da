//! Reading a swarm stack file for the preview of a stack deploy: each service's image
//! (compose-style variables replaced by their defaults) and replicas. Only what the
//! preview shows is read; `docker stack deploy` itself reads the file when it runs.

use pilothouse_core::model::swarm::{StackFile, StackFileService};
use serde_norway::Value;

/// The stack file's services, or why it cannot be read.
pub fn parse(text: &str, stack: &str, path: &str) -> Result<StackFile, String> {
    let doc: Value =
        serde_norway::from_str(text).map_err(|e| format!("{path}: not a stack file: {e}"))?;
    let services = doc
        .get("services")
        .and_then(Value::as_mapping)
        .ok_or_else(|| format!("{path}: no services"))?;
    let mut out = Vec::new();
    for (name, spec) in services {
        let name = name
            .as_str()
            .ok_or_else(|| format!("{path}: a service name is not text"))?;
        pilothouse_core::config::ServiceName::parse(name).map_err(|e| format!("{path}: {e}"))?;
        let (image, unknown) = interpolate(spec.get("image").and_then(Value::as_str).unwrap_or(""));
        let deploy = spec.get("deploy");
        let global = deploy
            .and_then(|d| d.get("mode"))
            .and_then(Value::as_str)
            .is_some_and(|m| m == "global");
        let replicas = match deploy.and_then(|d| d.get("replicas")) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => interpolate(s).0.parse().ok(),
            _ if global => None,
            _ => Some(1),
        };
        out.push(StackFileService {
            name: format!("{stack}_{name}"),
            image: pilothouse_core::text::clean(&image, 200),
            replicas,
            global,
            unknown,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(StackFile {
        stack: stack.to_string(),
        path: path.to_string(),
        services: out,
    })
}

/// `${VAR:-default}`, `${VAR-default}`, `${VAR}` and `$VAR` with their defaults (an
/// empty text without one), and the variables that had no default.
fn interpolate(s: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut unknown = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(pilothouse_core::text::before(rest, at));
        let after = pilothouse_core::text::after(rest, at + 1);
        if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else {
                out.push_str(pilothouse_core::text::after(rest, at));
                return (out, unknown);
            };
            let body = pilothouse_core::text::before(inner, end);
            let (var, default) = match body.split_once(":-").or_else(|| body.split_once('-')) {
                Some((v, d)) => (v, Some(d)),
                None => (body, None),
            };
            match default {
                Some(d) => out.push_str(d),
                None => unknown.push(var.to_string()),
            }
            rest = pilothouse_core::text::after(inner, end + 1);
        } else if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            unknown.push(pilothouse_core::text::before(after, len).to_string());
            rest = pilothouse_core::text::after(after, len);
        }
    }
    out.push_str(rest);
    (out, unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_take_their_defaults_and_replicas_default_to_one() {
        let text = "services:\n  app:\n    image: reg/app:${APP_TAG:-v1}\n    deploy:\n      replicas: 2\n  worker:\n    image: reg/worker:${WORKER_TAG}\n  agent:\n    image: reg/agent:$$x\n    deploy:\n      mode: global\n";
        let f = parse(text, "acme", "/opt/acme/docker-stack.yml").unwrap();
        let by = |n: &str| f.services.iter().find(|s| s.name == n).unwrap().clone();
        assert_eq!(by("acme_app").image, "reg/app:v1");
        assert_eq!(by("acme_app").replicas, Some(2));
        assert_eq!(by("acme_worker").replicas, Some(1));
        assert_eq!(by("acme_worker").unknown, ["WORKER_TAG"]);
        assert!(by("acme_agent").global && by("acme_agent").replicas.is_none());
        assert_eq!(by("acme_agent").image, "reg/agent:$x");
    }

    #[test]
    fn a_file_that_is_not_a_stack_file_or_names_a_bad_service_is_refused() {
        assert!(parse("nope: [", "acme", "f").is_err());
        assert!(parse("version: '3'\n", "acme", "f").is_err());
        assert!(parse("services:\n  'a;b':\n    image: x\n", "acme", "f").is_err());
    }
}
