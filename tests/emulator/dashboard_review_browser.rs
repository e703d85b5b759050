//! The rendered dashboard in a real browser: headless Chromium, driven by
//! chromedriver's WebDriver HTTP API, opens the HTML file from disk, and the
//! test checks that every widget of the deployed dashboard body (pattern 4,
//! the largest) is laid out at its grid position and size, every graph has
//! lines, text widgets show their markdown and alarm widgets their states.
//! The page and a screenshot stay in `target/dashboard-review/` (CI
//! artifacts). Needs the Debian packages `chromium` and `chromium-driver`
//! (`.ci/run` installs them; `STREAMKIT_CHROMIUM` / `STREAMKIT_CHROMEDRIVER`
//! override the paths).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};
use streamkit_testkit::{free_port, Emulator};

use crate::support::cli::{fake_dist, run, streamkit};
use crate::support::Clients;

use crate::dashboard_traffic as traffic;

const COLUMN_PX: f64 = 60.0;
const ROW_PX: f64 = 45.0;
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

fn tool(var: &str, default: &str) -> PathBuf {
    let path = std::env::var(var)
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(default));
    assert!(
        path.exists(),
        "{} not found: install the Debian packages chromium and chromium-driver (apt-get install chromium chromium-driver) or set {var}",
        path.display()
    );
    path
}

/// chromedriver on a free port, killed (by its own handle) when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver(http: &reqwest::Client) -> Driver {
    let port = free_port();
    let child = Command::new(tool("STREAMKIT_CHROMEDRIVER", "/usr/bin/chromedriver"))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await {
            if r.json::<Value>()
                .await
                .is_ok_and(|v| v["value"]["ready"] == true)
            {
                return driver;
            }
        }
        assert!(
            Instant::now() < deadline,
            "chromedriver did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Value {
    let mut req = http.request(method, &url);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let out: Value = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"))
        .json()
        .await
        .unwrap();
    assert!(out["value"].get("error").is_none(), "{url}: {out}");
    out["value"].clone()
}

const MEASURE: &str = r#"
const grid = document.querySelector('main.grid').getBoundingClientRect();
return {
  scripts: document.querySelectorAll('script').length,
  widgets: [...document.querySelectorAll('[data-widget]')].map(e => {
    const r = e.getBoundingClientRect();
    const svg = e.querySelector('figure svg');
    const lines = svg ? [...svg.querySelectorAll('polyline[stroke-width="2"]')] : [];
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {
      i: +e.dataset.widget, type: e.dataset.type,
      x: +e.dataset.x, y: +e.dataset.y, w: +e.dataset.width, h: +e.dataset.height,
      left: r.left - grid.left, top: r.top - grid.top, width: r.width, height: r.height,
      svgWidth: box.width, svgHeight: box.height,
      points: lines.reduce((n, p) => n + p.getAttribute('points').trim().split(/\s+/).length, 0),
      markers: svg ? svg.querySelectorAll('circle').length : 0,
      heading: (e.querySelector('h2') || {textContent: ''}).textContent,
      states: [...e.querySelectorAll('[data-state]')].map(s => s.dataset.state),
    };
  }),
};
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_rendered_dashboard_draws_every_widget_in_place_in_chromium() {
    let chromium = tool("STREAMKIT_CHROMIUM", "/usr/bin/chromium");
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    fake_dist(dir.path(), "sk-browser-assets");
    let c = Clients::new(&emu, "us-east-1").await;
    let vpc = format!("ProducerVpcId={}", crate::support::default_vpc(&c).await);
    let subnet = format!(
        "ProducerSubnetId={}",
        crate::support::default_subnet(&c).await
    );
    let (code, out, err) = run(streamkit(&emu, dir.path()).args([
        "deploy",
        "--pattern",
        "4",
        "--parameter",
        &vpc,
        "--parameter",
        &subnet,
        "--yes",
    ]));
    assert_eq!(code, 0, "{out}\n{err}");
    traffic::generate(&c, "streamkit-pattern-4").await;
    use aws_sdk_cloudwatch::types::StandardUnit::{Count, Milliseconds};
    for (metric, values, unit) in [
        ("EnrichmentRequests", vec![5.0], Count),
        ("EnrichmentFailures", vec![1.0], Count),
        ("EnrichmentLatency", vec![80.0, 95.0, 120.0], Milliseconds),
    ] {
        traffic::put(
            &c,
            "Streamkit/Enrichment",
            metric,
            &[("StackName", "streamkit-pattern-4")],
            &values,
            unit,
        )
        .await;
    }

    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/dashboard-review");
    std::fs::create_dir_all(&artifacts).unwrap();
    let page = artifacts.join("pattern-4.html");
    let (code, out, err) = run(streamkit(&emu, dir.path())
        .args(["dashboard", "--pattern", "4", "--render", "--out"])
        .arg(&page));
    assert_eq!(code, 0, "{out}\n{err}");
    let body = c
        .cloudwatch
        .get_dashboard()
        .dashboard_name("streamkit-pattern-4-us-east-1")
        .send()
        .await
        .unwrap();
    let body: Value = serde_json::from_str(body.dashboard_body().unwrap()).unwrap();
    let widgets = body["widgets"].as_array().unwrap();
    let rows = widgets
        .iter()
        .map(|w| w["y"].as_f64().unwrap() + w["height"].as_f64().unwrap())
        .fold(0.0, f64::max);

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let driver = driver(&http).await;
    let profile = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    args.push(format!(
        "--window-size=1500,{}",
        (rows * ROW_PX) as u32 + 200
    ));
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
        "goog:chromeOptions": {"binary": chromium, "args": args}}}});
    let session = call(
        &http,
        reqwest::Method::POST,
        format!("{}/session", driver.url),
        Some(caps),
    )
    .await;
    let session = format!(
        "{}/session/{}",
        driver.url,
        session["sessionId"].as_str().unwrap()
    );
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    call(
        &http,
        reqwest::Method::POST,
        format!("{session}/url"),
        Some(json!({ "url": url })),
    )
    .await;
    let seen = call(
        &http,
        reqwest::Method::POST,
        format!("{session}/execute/sync"),
        Some(json!({"script": MEASURE, "args": []})),
    )
    .await;
    let shot = call(
        &http,
        reqwest::Method::GET,
        format!("{session}/screenshot"),
        None,
    )
    .await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(shot.as_str().unwrap())
        .unwrap();
    std::fs::write(artifacts.join("pattern-4.png"), &png).unwrap();
    call(&http, reqwest::Method::DELETE, session, None).await;
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a screenshot was taken"
    );

    assert_eq!(seen["scripts"], 0, "no script in the page");
    let drawn = seen["widgets"].as_array().unwrap();
    assert_eq!(
        drawn.len(),
        widgets.len(),
        "every widget of the body is drawn"
    );
    for (i, w) in widgets.iter().enumerate() {
        let d = &drawn[i];
        let at = |key: &str| w[key].as_f64().unwrap();
        let ctx = format!("widget {i} ({} {})", w["type"], w["properties"]["title"]);
        assert_eq!(
            (d["i"].as_u64(), d["type"].as_str()),
            (Some(i as u64), w["type"].as_str()),
            "{ctx}"
        );
        for (got, want) in [
            (d["left"].as_f64().unwrap(), at("x") * COLUMN_PX),
            (d["top"].as_f64().unwrap(), at("y") * ROW_PX),
            (d["width"].as_f64().unwrap(), at("width") * COLUMN_PX),
            (d["height"].as_f64().unwrap(), at("height") * ROW_PX),
        ] {
            assert!(
                (got - want).abs() <= 1.0,
                "{ctx}: laid out at {d} instead of the grid position"
            );
        }
        match w["type"].as_str().unwrap() {
            "metric" => {
                assert!(
                    d["svgWidth"].as_f64().unwrap() > 100.0
                        && d["svgHeight"].as_f64().unwrap() > 60.0,
                    "{ctx}: a graph: {d}"
                );
                assert!(
                    d["points"].as_u64().unwrap() + d["markers"].as_u64().unwrap() > 0,
                    "{ctx}: the graph has data: {d}"
                );
                assert_eq!(d["heading"], w["properties"]["title"], "{ctx}");
            }
            "text" => {
                let markdown = w["properties"]["markdown"].as_str().unwrap();
                assert_eq!(
                    d["heading"].as_str().unwrap(),
                    markdown.trim_start_matches("## "),
                    "{ctx}"
                );
            }
            "alarm" => {
                let states = d["states"].as_array().unwrap();
                assert!(!states.is_empty(), "{ctx}: alarm states");
                assert!(
                    states.iter().all(
                        |s| ["OK", "ALARM", "INSUFFICIENT_DATA"].contains(&s.as_str().unwrap())
                    ),
                    "{ctx}: {d}"
                );
            }
            other => panic!("{ctx}: unexpected widget type {other}"),
        }
    }
}
