//! A campaign for real: two scenarios over three chunks, killed (SIGKILL)
//! in its second chunk, resumed, merged into one labelled dataset.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use detgen::campaign::{self, Plan};

const PLAN: &str = "\
seed: 1201
chunk_seconds: 20
concurrency: 2
gap_seconds: 3
scenarios:
  - scenario: ping
    count: 2
  - scenario: ftp
    subscenarios: [\"1\", \"8\"]
    count: 4
dataset:
  packet_labels: true
";

fn plan_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("plan.yaml");
    std::fs::write(&p, PLAN).unwrap();
    p
}

#[test]
fn the_run_list_is_a_function_of_plan_and_seed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = plan_file(tmp.path());
    let (plan, _) = campaign::read_plan(&path).unwrap();
    let a = campaign::draw(&plan, &scenarios()).unwrap();
    let b = campaign::draw(&plan, &scenarios()).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 6);
    assert_eq!(
        a.iter().filter(|r| r.scenario == "ping").count(),
        2,
        "counts are exact"
    );
    assert_eq!(
        a.iter().map(|r| r.chunk).max(),
        Some(2),
        "6 runs, 2 per chunk"
    );
    assert!(a
        .iter()
        .filter(|r| r.scenario == "ftp")
        .all(|r| r.subscenario == "1" || r.subscenario == "8"));
    let other = Plan {
        seed: 1202,
        ..plan.clone()
    };
    let c = campaign::draw(&other, &scenarios()).unwrap();
    assert_ne!(
        a.iter()
            .map(|r| (&r.scenario, &r.subscenario))
            .collect::<Vec<_>>(),
        c.iter()
            .map(|r| (&r.scenario, &r.subscenario))
            .collect::<Vec<_>>(),
        "another seed, another order"
    );
}

#[test]
fn plan_mistakes_are_located() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("bad.yaml");
    std::fs::write(&p, "seed: 1\nchunk_seconds: 10\nconcurrency: 2\nscenarios:\n  - scenario: ping\n    count: 2\n  - scenario: ftp\n    weight: 1\n").unwrap();
    let e = campaign::read_plan(&p).unwrap_err().to_string();
    assert!(
        e.contains("bad.yaml:4") && e.contains("`count` for every entry"),
        "{e}"
    );
    std::fs::write(
        &p,
        "seed: 1\nchunk_seconds: 10\nconcurrency: 2\nchunk: 3\nscenarios: []\n",
    )
    .unwrap();
    let e = campaign::read_plan(&p).unwrap_err().to_string();
    assert!(
        e.contains("bad.yaml:4") && e.contains("unknown field `chunk`"),
        "{e}"
    );
}

#[test]
fn a_killed_campaign_resumes_and_yields_one_labelled_dataset() {
    if !docker_required("campaign") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let plan = plan_file(tmp.path());
    let out = tmp.path().join("camp");
    let args = |json: bool| {
        let mut a = vec![
            "--scenarios".to_string(),
            scenarios().display().to_string(),
            "campaign".into(),
            plan.display().to_string(),
            "--out".into(),
            out.display().to_string(),
        ];
        if json {
            a.push("--json".into());
        }
        a
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_detgen"))
        .args(args(false))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once the first chunk is complete and the second has started.
    let first = out.join("runs/chunk-000/COMPLETE");
    let second = out.join("runs/chunk-001");
    let t0 = Instant::now();
    while !(first.is_file() && second.is_dir()) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the campaign ended before it could be killed"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "chunk 0 never completed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(8));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !out.join("runs/chunk-001/COMPLETE").exists(),
        "killed within chunk 1"
    );
    let kept_mark = std::fs::read(&first).unwrap();
    let chunk0: Vec<(String, Vec<u8>)> = tree(&out.join("runs/chunk-000"));

    let o = Command::new(env!("CARGO_BIN_EXE_detgen"))
        .args(args(true))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("chunk 0: complete before, kept"),
        "{stderr}"
    );
    assert!(
        stderr.contains("chunk 1: left incomplete, redoing it"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&first).unwrap(), kept_mark);
    assert_eq!(
        tree(&out.join("runs/chunk-000")),
        chunk0,
        "finished chunk untouched"
    );

    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(summary["chunks"], 3);
    assert_eq!(summary["chunks_kept"], 1);
    let ds = out.join("dataset");
    let m = detgen::dataset::DatasetManifest::read(&ds).unwrap();
    assert_eq!(m.chunks.len(), 3);
    assert_eq!(m.inputs.len(), 6);
    assert!(m.totals.packets > 0 && m.totals.skipped == 0);
    // Chunks follow each other with the planned gap.
    let times = tshark(&ds.join("dataset.pcap"), "", &["frame.time_epoch"]);
    assert_eq!(
        times.len() as u64,
        m.totals.packets,
        "tshark reads every packet"
    );
    let t: Vec<f64> = times.iter().map(|x| x.parse().unwrap()).collect();
    assert!(t.windows(2).all(|w| w[0] <= w[1]));
    for c in &m.chunks[1..] {
        let first = c.first_packet as usize - 1;
        let gap = t[first] - t[first - 1];
        assert!(
            (gap - 3.0).abs() < 1e-5,
            "gap before chunk {}: {gap}",
            c.index
        );
    }
    // Every packet labelled, both scenarios present.
    let packets = std::fs::read_to_string(ds.join("packets.csv")).unwrap();
    assert_eq!(packets.lines().count() as u64 - 1, m.totals.packets);
    let flows = std::fs::read_to_string(ds.join("flows.csv")).unwrap();
    assert!(flows.contains(",ping,") && flows.contains(",ftp,"));
    assert!(flows.lines().skip(1).all(|l| l.contains(",benign,")));
    // Nothing left running.
    for r in &m.inputs {
        let run = out
            .join("runs")
            .join(campaign::chunk_dir(r.chunk as u32))
            .join(&r.run_id);
        let project = manifest(&run).run.project;
        assert!(leftovers(&project).is_empty(), "{project} left behind");
    }
    // The features and a verify of the dataset work on it.
    let o = detgen(&["verify", ds.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let o = detgen(&["features", ds.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count() as u64 - 1,
        m.totals.flows
    );
    // KS between the campaign's runs: ICMP echoes and FTP sessions differ
    // in packet sizes (exit 3); a run against itself is the same.
    let run_of = |scenario: &str| {
        let r = m.inputs.iter().find(|r| r.scenario == scenario).unwrap();
        out.join("runs")
            .join(campaign::chunk_dir(r.chunk as u32))
            .join(&r.run_id)
    };
    let (ping, ftp) = (run_of("ping"), run_of("ftp"));
    let ks = |a: &Path, b: &Path| {
        let o = detgen(&[
            "compare",
            "--json",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("compare --json");
        let verdict = |metric: &str| {
            v["tests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["metric"] == metric && t["direction"] == "overall")
                .map(|t| t["verdict"].as_str().unwrap().to_string())
                .unwrap()
        };
        (o.status.code(), verdict("size"), verdict("iat"))
    };
    let (code, size, _) = ks(&ping, &ftp);
    assert_eq!((code, size.as_str()), (Some(3), "different"));
    let (code, size, iat) = ks(&ftp, &ftp);
    assert_eq!(
        (code, size.as_str(), iat.as_str()),
        (Some(0), "same", "same")
    );
}
