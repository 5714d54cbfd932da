//! The tags a deploy or rollback can pick: those on the host (`docker image ls`, with
//! when each image was built) and those in the registry (its `tags/list`), for every
//! target's repository.

use super::remote::{Remote, quote};
use crate::logs::sanitize::clean_str;

/// One tag every target has somewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagInfo {
    pub tag: String,
    /// When the image was built, as the host's engine says (the newest across the
    /// targets); None when only the registry has it.
    pub created: Option<String>,
    pub on_host: bool,
    pub in_registry: bool,
}

/// The tags of `repos` (repository references, registry included): the ones every
/// repository has, newest first. A registry that cannot be read (or is not a loopback
/// one over plain HTTP) leaves the host's tags, with a note.
pub async fn read(
    remote: &Remote,
    repos: &[String],
) -> Result<(Vec<TagInfo>, Option<String>), String> {
    if repos.is_empty() {
        return Ok((Vec::new(), None));
    }
    let script = format!(
        "docker image ls --format '{{{{.Repository}}}}\t{{{{.Tag}}}}\t{{{{.CreatedAt}}}}' {}",
        repos.iter().map(|r| quote(r)).collect::<Vec<_>>().join(" ")
    );
    let out = remote
        .sh(&script, std::time::Duration::from_secs(20))
        .await?;
    if out.status != Some(0) {
        return Err(format!(
            "docker image ls failed: {}",
            clean_str(&out.stderr)
        ));
    }
    let host = parse_image_ls(&String::from_utf8_lossy(&out.stdout));
    let mut registry: Vec<Vec<String>> = Vec::new();
    let mut note = None;
    for r in repos {
        match registry_tags(remote, r).await {
            Ok(t) => registry.push(t),
            Err(e) => {
                note = Some(e);
                registry.clear();
                break;
            }
        }
    }
    Ok((merge(repos, &host, &registry), note))
}

/// (repository, tag, created) lines of `docker image ls`.
fn parse_image_ls(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, '\t');
            let (repo, tag, created) = (f.next()?, f.next()?, f.next()?);
            (tag != "<none>" && crate::ops::valid_tag(tag).is_ok()).then(|| {
                (
                    repo.to_string(),
                    tag.to_string(),
                    clean_str(created.as_bytes()),
                )
            })
        })
        .collect()
}

/// Tags every repository has, on the host or in the registry; newest built first, the
/// registry-only ones after, by name.
fn merge(
    repos: &[String],
    host: &[(String, String, String)],
    registry: &[Vec<String>],
) -> Vec<TagInfo> {
    let mut all: Vec<String> = host.iter().map(|(_, t, _)| t.clone()).collect();
    all.extend(registry.iter().flatten().cloned());
    all.sort();
    all.dedup();
    let mut out: Vec<TagInfo> = all
        .into_iter()
        .filter_map(|tag| {
            let mut on_host = true;
            let mut in_registry = !registry.is_empty();
            let mut created: Option<String> = None;
            for (i, repo) in repos.iter().enumerate() {
                let h = host.iter().find(|(r, t, _)| r == repo && *t == tag);
                let g = registry.get(i).is_some_and(|ts| ts.contains(&tag));
                if h.is_none() && !g {
                    return None;
                }
                on_host &= h.is_some();
                in_registry &= g;
                if let Some((_, _, c)) = h
                    && created.as_ref().is_none_or(|x| c > x)
                {
                    created = Some(c.clone());
                }
            }
            Some(TagInfo {
                tag,
                created,
                on_host,
                in_registry,
            })
        })
        .collect();
    out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.tag.cmp(&b.tag)));
    out
}

/// The tags of one repository in its registry, when that is a loopback registry over
/// plain HTTP (which is what Docker itself allows without TLS).
async fn registry_tags(remote: &Remote, repo: &str) -> Result<Vec<String>, String> {
    let (registry, name) = repo
        .split_once('/')
        .filter(|(r, _)| r.contains(':') || r.contains('.') || *r == "localhost")
        .ok_or("registry tags: not read (the image names no registry)")?;
    let (host, port) = match registry.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| "registry tags: bad port")?),
        None => (registry, 443),
    };
    if !(host == "127.0.0.1" || host == "localhost" || host == "[::1]") || port == 443 {
        return Err(
            "registry tags: not read (only a loopback registry over plain HTTP is asked)".into(),
        );
    }
    let way = remote.reach(host, port).await?;
    let stream = way.connect(std::time::Duration::from_secs(5)).await?;
    let path = format!("/v2/{name}/tags/list");
    let resp = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        super::http::get(stream, host, port, &path),
    )
    .await
    .map_err(|_| "registry tags: no answer within 10 s".to_string())??;
    if resp.status != 200 {
        return Err(format!("registry tags: HTTP {} for {name}", resp.status));
    }
    let v: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|_| "registry tags: the answer is not JSON".to_string())?;
    Ok(v["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str())
                .filter(|t| crate::ops::valid_tag(t).is_ok())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tags_every_target_has_are_offered_newest_first() {
        let host = parse_image_ls(
            "r/a\tv1\t2026-11-01 09:00:00 +0000 UTC\nr/a\tv2\t2026-11-15 14:30:00 +0000 UTC\nr/b\tv2\t2026-11-15 14:30:01 +0000 UTC\nr/a\t<none>\tx\nr/b\tbad;tag\tx\n",
        );
        let repos = vec!["r/a".to_string(), "r/b".to_string()];
        let registry = vec![
            vec!["v1".to_string(), "v2".to_string(), "v3".to_string()],
            vec!["v1".to_string(), "v2".to_string(), "v3".to_string()],
        ];
        let tags = merge(&repos, &host, &registry);
        let names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(names, vec!["v2", "v1", "v3"]);
        assert!(tags[0].on_host && tags[0].in_registry);
        assert!(!tags[1].on_host, "v1 is not on the host for r/b");
        assert_eq!(tags[2].created, None);
        // Without the registry, only what the host has for both.
        let tags = merge(&repos, &host, &[]);
        let names: Vec<&str> = tags.iter().map(|t| t.tag.as_str()).collect();
        assert_eq!(names, vec!["v2"]);
    }
}
