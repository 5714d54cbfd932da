//! Image references as the engine reports them.

use crate::ops::plan::valid_tag;

/// An image reference split into its repository (registry included) and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub repo: String,
    pub tag: String,
}

/// `127.0.0.1:5000/acme/gateway:v1` → (`127.0.0.1:5000/acme/gateway`, `v1`); no tag
/// is `latest`. None for digests and anything that is not a plain reference.
pub fn image_ref(image: &str) -> Option<ImageRef> {
    if image.contains('@') {
        return None;
    }
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match crate::text::after(image, name_start).rfind(':') {
        Some(i) => (
            crate::text::before(image, name_start + i),
            crate::text::after(image, name_start + i + 1),
        ),
        None => (image, "latest"),
    };
    let ok = !repo.is_empty()
        && !repo.starts_with('-')
        && repo
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:-".contains(c));
    (ok && valid_tag(tag).is_ok()).then(|| ImageRef {
        repo: repo.to_string(),
        tag: tag.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_into_repository_and_tag() {
        let r = image_ref("127.0.0.1:5000/acme/gateway:v1").expect("ref");
        assert_eq!(
            (r.repo.as_str(), r.tag.as_str()),
            ("127.0.0.1:5000/acme/gateway", "v1")
        );
        let r = image_ref("127.0.0.1:5000/acme/web").expect("ref");
        assert_eq!(
            (r.repo.as_str(), r.tag.as_str()),
            ("127.0.0.1:5000/acme/web", "latest")
        );
        assert_eq!(image_ref("acme/web@sha256:abc"), None);
        assert_eq!(image_ref("acme/web:v1;id"), None);
        assert_eq!(image_ref("acme/$(id):v1"), None);
    }
}
