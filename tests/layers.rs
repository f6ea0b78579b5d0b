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
