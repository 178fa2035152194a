//! `report.html` in a real browser: a run on the tiny fixture (real local model, installed by
//! `make models`) writes the report, headless Debian chromium (installed by `make test`, see
//! scripts/ensure-chromium.sh) loads it, and the test checks the page loads without a console
//! message or a failed request and shows every table row and figure. A control page with a
//! deliberate error proves the console check sees errors. The figures written beside the report
//! are checked too: valid SVG and PNG, the same bytes from `chunkbench plot` as from the run.

use std::path::{Path, PathBuf};
mod common;

use common::{chunkbench, fixture};
use std::process::Command;

/// The browser: `$CHUNKBENCH_CHROMIUM`, else `chromium` on PATH. Missing is a failure, not a skip.
fn chromium() -> PathBuf {
    let exe = std::env::var_os("CHUNKBENCH_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("chromium"));
    let found = Command::new(&exe)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "headless chromium not found ({}): install it with `apt-get install -y chromium` (Debian; \
         `make test` runs scripts/ensure-chromium.sh, which does it), or point CHUNKBENCH_CHROMIUM \
         at a Chromium binary",
        exe.display()
    );
    exe
}

/// Loads `page` headless with a fresh profile; returns (DOM after load, browser log lines that
/// report console messages or failed loads).
fn load(browser: &Path, page: &Path, extra: &[&str]) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problems = stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Uncaught")
                || l.contains("net::ERR_")
                || l.contains("Failed to load resource")
        })
        .map(String::from)
        .collect();
    assert!(
        out.status.success(),
        "chromium failed on {}: {stderr}",
        page.display()
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), problems)
}

#[test]
fn report_loads_in_headless_chromium_and_shows_the_tables() {
    let browser = chromium();
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    chunkbench(&[
        "run",
        "--dataset",
        fixture().to_str().unwrap(),
        "--strategies",
        "fixed:size=48",
        "sliding:size=48,overlap=16",
        "recursive:size=48,splitter=markdown",
        "--out",
        run_dir.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
        "--quiet",
    ]);
    let report = run_dir.join("report.html");
    let html = std::fs::read_to_string(&report).expect("the run writes report.html");

    // Self-contained: nothing is fetched from anywhere.
    for needle in [
        "src=\"http",
        "href=\"http",
        "url(",
        "@import",
        "<link",
        "<script",
    ] {
        assert!(!html.contains(needle), "report.html contains {needle:?}");
    }

    // Control: the console check catches a page error in this browser.
    let control = tmp.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><title>x</title><script>throw new Error('deliberate')</script>",
    )
    .unwrap();
    let (_, problems) = load(&browser, &control, &["--dump-dom"]);
    assert!(
        problems.iter().any(|l| l.contains("deliberate")),
        "the console check did not see a deliberate error: {problems:?}"
    );

    let started = std::time::Instant::now();
    let (dom, problems) = load(&browser, &report, &["--dump-dom"]);
    eprintln!(
        "chromium loaded the report in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "console messages or failed loads: {problems:#?}"
    );

    // The tables are there, one row per strategy.
    let strategies = [
        "fixed:size=48",
        "sliding:size=48,overlap=16",
        "recursive:size=48,splitter=markdown",
    ];
    for table in ["span-metrics", "rank-metrics"] {
        let start = dom
            .find(&format!("<table id=\"{table}\""))
            .unwrap_or_else(|| panic!("table {table} missing from the DOM"));
        let body = &dom[start..start + dom[start..].find("</table>").unwrap()];
        assert_eq!(
            body.matches("<tr data-strategy=").count(),
            strategies.len(),
            "{table} rows"
        );
        for s in strategies {
            assert!(
                body.contains(&format!("data-strategy=\"{s}\"")),
                "{s} missing from {table}"
            );
        }
    }
    for corpus in ["apiary-log", "lighthouse-manual", "sourdough-notes"] {
        assert!(
            dom.contains(&format!("<table id=\"corpus-{corpus}\"")),
            "{corpus} table missing"
        );
    }
    assert!(dom.contains("id=\"differences-table\""));
    // Figures inline, one histogram per strategy.
    for fig in [
        "metric-vs-size",
        "precision-vs-recall",
        "per-corpus",
        "quality-vs-cost",
    ] {
        assert!(
            dom.contains(&format!("<figure id=\"fig-{fig}\"")),
            "figure {fig} missing"
        );
    }
    assert_eq!(dom.matches("class=\"hist\"").count(), strategies.len());
    assert!(
        dom.contains("all-MiniLM-L6-v2"),
        "embedder metadata missing"
    );

    // A screenshot renders (look at it by hand: CHUNKBENCH_KEEP_SCREENSHOT=path).
    let shot = tmp.path().join("report.png");
    let (_, problems) = load(
        &browser,
        &report,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
            "--hide-scrollbars",
        ],
    );
    assert!(problems.is_empty(), "{problems:#?}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    if let Some(keep) = std::env::var_os("CHUNKBENCH_KEEP_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

#[test]
fn figures_are_written_by_run_and_redrawn_identically_by_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tmp.path().join("run");
    chunkbench(&[
        "run",
        "--dataset",
        fixture().to_str().unwrap(),
        "--strategies",
        "fixed:size=32",
        "fixed:size=64",
        "recursive:size=64,splitter=markdown",
        "--out",
        run_dir.to_str().unwrap(),
        "--cache-dir",
        tmp.path().join("cache").to_str().unwrap(),
        "--quiet",
    ]);
    let redrawn = tmp.path().join("redrawn");
    chunkbench(&[
        "plot",
        run_dir.join("results.json").to_str().unwrap(),
        "--out",
        redrawn.to_str().unwrap(),
    ]);
    for stem in [
        "metric-vs-size",
        "precision-vs-recall",
        "per-corpus",
        "quality-vs-cost",
    ] {
        let svg = std::fs::read(run_dir.join(format!("figures/{stem}.svg"))).unwrap();
        let png = std::fs::read(run_dir.join(format!("figures/{stem}.png"))).unwrap();
        assert!(svg.starts_with(b"<svg"), "{stem}.svg");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}.png");
        // Same results and timings: same bytes.
        for ext in ["svg", "png"] {
            assert_eq!(
                std::fs::read(run_dir.join(format!("figures/{stem}.{ext}"))).unwrap(),
                std::fs::read(redrawn.join(format!("figures/{stem}.{ext}"))).unwrap(),
                "{stem}.{ext} differs between run and plot"
            );
        }
    }
    assert_eq!(
        std::fs::read(run_dir.join("report.html")).unwrap(),
        std::fs::read(redrawn.join("report.html")).unwrap()
    );
}
