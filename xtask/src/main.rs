//! Maintainers' tasks: `cargo xtask codegen [--check]` and
//! `cargo xtask bench [--quick]` (see `bench.rs` and BENCHMARKS.md).
//!
//! `codegen` rebuilds `spec/openapi.json` from `spec/upstream/` through the
//! named fix-ups, then writes the reviewable snapshot of the generated client.
//! With `--check` it writes nothing and fails, with a diff, if either is stale.

mod bench;
mod bundle;
#[path = "../../crates/api/codegen.rs"]
mod codegen;
mod fixups;

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

const USAGE: &str = "usage: cargo xtask codegen [--check] | cargo xtask bench [--quick]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => codegen_task(false),
        ["codegen", "--check"] => codegen_task(true),
        ["bench"] => bench::run(&workspace_root(), false),
        ["bench", "--quick"] => bench::run(&workspace_root(), true),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

fn codegen_task(check: bool) -> Result<(), String> {
    let root = workspace_root();
    let mut spec = bundle::bundle(&root.join("spec"))?;
    fixups::apply_all(&mut spec)?;
    let spec_text = format!("{}\n", to_sorted_pretty_json(&spec));
    let client = codegen::generate(&spec_text)?;

    let mut stale = false;
    stale |= ensure_file_contents(&root, "spec/openapi.json", &spec_text, check)?;
    stale |= ensure_file_contents(&root, "crates/api/generated.rs", &client, check)?;
    if stale {
        return Err("generated files are stale: run `cargo xtask codegen` and commit".into());
    }
    Ok(())
}

/// Up to date: nothing happens. Stale: rewritten, or with `check` a unified
/// diff is printed and `true` returned.
fn ensure_file_contents(
    root: &Path,
    relative: &str,
    contents: &str,
    check: bool,
) -> Result<bool, String> {
    let path = root.join(relative);
    let old = fs::read_to_string(&path).unwrap_or_default();
    if old == contents {
        return Ok(false);
    }
    if check {
        let diff = similar::TextDiff::from_lines(old.as_str(), contents);
        eprintln!(
            "{relative} is stale:\n{}",
            diff.unified_diff()
                .context_radius(3)
                .header(&format!("a/{relative}"), &format!("b/{relative}"))
        );
        return Ok(true);
    }
    fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    eprintln!("updated {relative}");
    Ok(false)
}

/// Pretty JSON with every object's keys sorted, whatever serde_json's map type.
fn to_sorted_pretty_json(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    serde_json::to_string_pretty(&sorted(value)).expect("a JSON value always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic() {
        let mut spec = bundle::bundle(&workspace_root().join("spec")).unwrap();
        fixups::apply_all(&mut spec).unwrap();
        let text = to_sorted_pretty_json(&spec);
        assert_eq!(text, to_sorted_pretty_json(&spec));
        assert_eq!(
            codegen::generate(&text).unwrap(),
            codegen::generate(&text).unwrap()
        );
    }
}
