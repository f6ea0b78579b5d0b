//! The direction of dependencies, kept by a test: what each layer of `src/`
//! may not name. (`cargo` keeps the rest: a module cannot use what it cannot see.)

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/<dir>`.
fn sources(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    if root.is_file() {
        return vec![root];
    }
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found.sort();
    assert!(!found.is_empty(), "no sources under {dir}");
    found
}

/// The places in `dir` whose code names one of `forbidden`, skipping comments.
fn naming(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for path in sources(dir) {
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for name in forbidden {
                if code.contains(name) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    found
}

#[test]
fn the_panels_never_reach_into_the_app() {
    let found = naming("ui", &["crate::app", "super::app", "tranche::app"]);
    assert!(found.is_empty(), "ui names app:\n{}", found.join("\n"));
    let found = naming("model", &["crate::app", "crate::ui", "egui"]);
    assert!(
        found.is_empty(),
        "model names app or ui:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_domain_and_the_analysis_are_pure() {
    for dir in ["domain", "analysis"] {
        let found = naming(
            dir,
            &[
                "egui",
                "rusqlite",
                "std::fs",
                "crate::storage",
                "crate::ui",
                "crate::app",
            ],
        );
        assert!(found.is_empty(), "{dir} is not pure:\n{}", found.join("\n"));
    }
}

#[test]
fn only_the_storage_speaks_sql_and_it_draws_nothing() {
    let found = naming("storage", &["egui", "crate::ui", "crate::app"]);
    assert!(
        found.is_empty(),
        "storage names the app:\n{}",
        found.join("\n")
    );
    // The journal writes what it is given: it depends on the domain only.
    let found = naming(
        "storage",
        &[
            "crate::import",
            "crate::analysis",
            "crate::model",
            "crate::ui",
            "crate::app",
            "crate::interchange",
            "crate::report",
        ],
    );
    assert!(
        found.is_empty(),
        "storage depends on more than the domain:\n{}",
        found.join("\n")
    );
    for dir in ["ui", "model", "domain", "analysis", "import"] {
        let found = naming(dir, &["rusqlite", "CREATE TABLE", "INSERT INTO"]);
        assert!(found.is_empty(), "{dir} speaks SQL:\n{}", found.join("\n"));
    }
}

#[test]
fn the_panels_write_no_files_open_no_dialogs_and_start_no_threads() {
    // Files are written by the app's worker, and dialogs opened by the app,
    // when a panel asks with a command; work off the UI thread is started
    // by what the app hands the panels.
    let found = naming(
        "ui",
        &[
            "std::thread",
            "thread::Builder",
            "thread::spawn",
            "rayon::spawn",
            "rfd::",
            "std::fs",
            "crate::files",
            "write_atomically",
            "File::create",
        ],
    );
    assert!(
        found.is_empty(),
        "ui writes files, asks for them or starts threads itself:\n{}",
        found.join("\n")
    );
}

/// The files of `src/<dir>` (other than `mod.rs`) that each one names as
/// `super::x` or `crate::<dir>::x`.
fn sibling_uses(dir: &str) -> Vec<(String, Vec<String>)> {
    let files: Vec<(String, String)> = sources(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "mod.rs"))
        .filter(|p| p.parent().is_some_and(|d| d.ends_with(dir)))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let code: String = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            // A file's unit tests may use what they like.
            let code = code.split("#[cfg(test)]").next().unwrap_or("").to_owned();
            (name, code)
        })
        .collect();
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    files
        .iter()
        .map(|(name, code)| {
            let uses = names
                .iter()
                .filter(|other| *other != name)
                .filter(|other| {
                    code.contains(&format!("super::{other}"))
                        || code.contains(&format!("crate::{dir}::{other}"))
                })
                .cloned()
                .collect();
            (name.clone(), uses)
        })
        .collect()
}

#[test]
fn the_apps_files_do_not_go_round_in_circles() {
    let graph = sibling_uses("app");
    assert!(
        graph.iter().any(|(_, uses)| !uses.is_empty()),
        "the files use one another: {graph:?}"
    );
    let uses = |name: &str| {
        graph
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, u)| u.clone())
            .unwrap_or_default()
    };
    // Depth first from each file: a path back to where it started is a circle.
    for (start, _) in &graph {
        let mut stack: Vec<Vec<String>> = vec![vec![start.clone()]];
        while let Some(path) = stack.pop() {
            let last = path.last().unwrap().clone();
            for next in uses(&last) {
                assert!(next != *start, "a circle: {} -> {next}", path.join(" -> "));
                if !path.contains(&next) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
    }
    assert!(!uses("statement").contains(&"worker".to_owned()));
    assert!(!uses("worker").contains(&"dialogs".to_owned()));
}
