//! The regression gate on real runs of the bundled dataset with the real model: a strategy whose
//! chunks are degraded is caught (exit 1, naming the strategy and the metric); identical runs and
//! runs that differ only by a negligible change pass (exit 0); runs of another k are refused (2).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn chunkbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chunkbench"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs")
}

/// Runs the bundled dataset on a two-strategy grid; `fixed_size` is the size of strategy "fixed".
fn run(dir: &Path, cache: &Path, fixed_size: usize, k: usize) -> PathBuf {
    let grid = dir.join(format!("grid-{fixed_size}.toml"));
    std::fs::write(
        &grid,
        format!(
            "[[strategy]]\nname = \"fixed\"\nfamily = \"fixed\"\nsize = {fixed_size}\n\n[[strategy]]\nname = \"markdown\"\nfamily = \"recursive\"\nsplitter = \"markdown\"\nsize = 256\n"
        ),
    )
    .unwrap();
    let out = dir.join(format!("run-{fixed_size}-{k}"));
    let o = chunkbench(&[
        "run",
        "--quiet",
        "--dataset",
        "datasets/larkspur",
        "--strategies",
        grid.to_str().unwrap(),
        "--k",
        &k.to_string(),
        "--out",
        out.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ]);
    common::succeeded(o, "chunkbench run");
    out
}

#[test]
fn gate_catches_a_real_drop_and_ignores_noise() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let base = run(tmp.path(), &cache, 256, 5);
    let same = run(tmp.path(), &cache, 256, 5);
    let nudged = run(tmp.path(), &cache, 250, 5);
    let degraded = run(tmp.path(), &cache, 32, 5);
    let other_k = run(tmp.path(), &cache, 256, 3);

    let saved = tmp.path().join("baseline.json");
    let o = chunkbench(&[
        "baseline",
        "save",
        base.to_str().unwrap(),
        "--to",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    for (current, what) in [(&same, "identical"), (&nudged, "negligible change")] {
        let o = chunkbench(&[
            "compare",
            saved.to_str().unwrap(),
            current.to_str().unwrap(),
        ]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{what} run flagged:\n{stdout}");
        assert!(stdout.contains("no regression"), "{stdout}");
    }

    let md = tmp.path().join("summary.md");
    let o = chunkbench(&[
        "compare",
        saved.to_str().unwrap(),
        degraded.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "degraded run not caught:\n{stdout}"
    );
    let flagged: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with("REGRESSION"))
        .collect();
    assert!(
        flagged
            .iter()
            .any(|l| l.starts_with("fixed ") && l.contains("recall")),
        "{stdout}"
    );
    assert!(
        !flagged.iter().any(|l| l.starts_with("markdown ")),
        "untouched strategy flagged:\n{stdout}"
    );
    let summary = std::fs::read_to_string(&md).unwrap();
    assert!(
        summary.contains("### Regressions") && summary.contains("| fixed | recall |"),
        "{summary}"
    );

    let o = chunkbench(&[
        "compare",
        saved.to_str().unwrap(),
        other_k.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("k: baseline 5, current 3"));
}
