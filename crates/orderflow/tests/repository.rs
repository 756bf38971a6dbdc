//! The repository stands alone: every relative link in the README and
//! `docs/` names a file that is in it, and no committed path is a symbolic
//! link (one made on another machine dangles everywhere else).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn markdown_files() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md")];
    let mut dirs = vec![root().join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out
}

/// The targets of `[text](target)` links in `text`.
fn link_targets(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].trim());
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn relative_links_in_docs_resolve() {
    let mut broken = Vec::new();
    let files = markdown_files();
    assert!(files.len() > 3, "README.md and docs/ are found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let path = target.split('#').next().unwrap_or(target);
            let base = file.parent().unwrap_or(Path::new("."));
            if !base.join(path).exists() {
                broken.push(format!("{}: {target}", file.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links that resolve to nothing: {broken:#?}"
    );
}

#[test]
fn no_symbolic_links_in_the_tree() {
    let mut links = Vec::new();
    let mut dirs = vec![root()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name == "target" || name == ".git" || name == "orderflow-data" {
                continue;
            }
            match entry.file_type() {
                Ok(t) if t.is_symlink() => links.push(path),
                Ok(t) if t.is_dir() => dirs.push(path),
                _ => {}
            }
        }
    }
    assert!(links.is_empty(), "symbolic links: {links:?}");
}
