//! The `sqli` scenario for real: all six subscenarios run under Docker over
//! plain HTTP. The attacker's requests carry the injection strings
//! (classic bypasses, ORDER BY, UNION SELECT, SLEEP, sqlmap's payloads);
//! against the sign-in page they work - the injected UNION reaches the
//! database, the responses and the attacker's log hold the drawn
//! administrator and the dumped accounts - and against the registration
//! page they do not. Every capture begins with a TCP handshake and every
//! attack exits 0 (a designed failure included).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// Form values the attacker posted (URL-decoded by tshark), with the URI.
fn posted(pcap: &Path) -> Vec<(String, String)> {
    tshark(
        pcap,
        "http.request.method == \"POST\"",
        &["http.request.uri", "urlencoded-form.value"],
    )
    .into_iter()
    .map(|l| {
        let (u, v) = l.split_once('\t').unwrap_or((l.as_str(), ""));
        (u.to_string(), v.to_string())
    })
    .collect()
}

fn any_posted(posts: &[(String, String)], uri: &str, needle: &str) -> bool {
    posts
        .iter()
        .any(|(u, v)| u == uri && v.to_uppercase().contains(&needle.to_uppercase()))
}

/// Response bodies the app sent that contain a string.
fn responses_with(pcap: &Path, needle: &str) -> usize {
    tshark(
        pcap,
        &format!("http.response && http.file_data contains \"{needle}\""),
        &["frame.number"],
    )
    .len()
}

fn attacker_log(run: &Path) -> String {
    std::fs::read_to_string(run.join("logs/attacker.log")).unwrap()
}

#[test]
fn injections_work_on_the_sign_in_page_and_fail_on_the_registration_page() {
    if !docker_required("sqli runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "sqli",
        "--subscenario",
        "all",
        "--seed",
        "780",
        "--set",
        "scheme=http",
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let mut runs = Vec::new();
    for sub in ["1", "2", "3", "4", "5", "6"] {
        let run = out.path().join(format!("sqli-{sub}-0"));
        let m = manifest(&run);
        let results = m.results.as_ref().unwrap();
        assert_eq!(
            results.outcome,
            "completed",
            "sqli {sub}\n{}",
            logs_tail(&run, 40)
        );
        assert_eq!(results.exit_codes["attacker"], 0, "sqli {sub}");
        for side in ["attacker", "app", "db"] {
            let pcap = run.join(format!("pcap/{side}.pcap"));
            // (a registration page that refuses every injection by its
            // input checks never talks to the database)
            if side == "db" && tshark(&pcap, "tcp", &["frame.number"]).is_empty() {
                assert_eq!(sub, "5", "sqli {sub}: no database traffic");
                assert_eq!(param(&m, "register_check"), "strict");
                continue;
            }
            assert!(
                first_tcp_is_syn(&pcap),
                "sqli {sub} {side}: first TCP packet is not a SYN"
            );
        }
        // the attacker's capture and the app's hold the same requests
        let a = posted(&run.join("pcap/attacker.pcap"));
        assert_eq!(a, posted(&run.join("pcap/app.pcap")), "sqli {sub}");
        runs.push((run, m, a));
    }

    // 1: by hand - bypasses, ORDER BY, UNION SELECT and SLEEP on the
    // sign-in page; the UNION reached MariaDB; the responses greet the
    // administrator and carry the dump; the attacker signed in as them.
    let (run, m, posts) = &runs[0];
    for needle in [
        "' OR ",
        "ORDER BY ",
        "' UNION SELECT ",
        "SLEEP(1)",
        "GROUP_CONCAT(",
    ] {
        assert!(
            any_posted(posts, "/login.php", needle),
            "sqli 1: no {needle:?} in {posts:?}"
        );
    }
    let stmts = tshark(&run.join("pcap/db.pcap"), "mysql.query", &["mysql.query"]);
    assert!(
        stmts
            .iter()
            .any(|s| s.contains("WHERE username = '' UNION SELECT")),
        "sqli 1: no injected UNION reached the database: {stmts:?}"
    );
    let app = run.join("pcap/app.pcap");
    let admin = param(m, "admin_user");
    assert!(responses_with(&app, &format!("Welcome back, {admin}!")) > 0);
    assert!(responses_with(&app, &format!("{admin}:")) > 0, "no dump");
    if param(m, "password_storage") == "plain" {
        let pw = param(m, "admin_password");
        assert!(responses_with(&app, &format!("{admin}:{pw}:admin")) > 0);
    }
    let log = attacker_log(run);
    assert!(
        log.contains(&format!("signed in as the administrator {admin}")),
        "{log}"
    );

    // 2: sqlmap dumps the users table through the sign-in form: the drawn
    // administrator and the attacker's own account are in its output.
    let (run, m, posts) = &runs[1];
    assert!(any_posted(posts, "/login.php", "SELECT"), "sqli 2");
    let log = attacker_log(run);
    let admin = param(m, "admin_user");
    assert!(log.contains("Table: users"), "{log}");
    assert!(
        log.contains(&admin) && log.contains(&param(m, "own_user")),
        "{log}"
    );
    let agents = tshark(
        &run.join("pcap/attacker.pcap"),
        "http.request",
        &["http.user_agent"],
    );
    if param(m, "random_agent") == "no" {
        assert!(
            agents.iter().any(|a| a.starts_with("sqlmap/")),
            "{agents:?}"
        );
    }

    // 3: boolean-based blind reads the administrator.
    let (run, m, posts) = &runs[2];
    assert!(any_posted(posts, "/login.php", "SELECT"), "sqli 3");
    let log = attacker_log(run);
    let admin = param(m, "admin_user");
    assert!(log.contains("boolean-based blind"), "{log}");
    assert!(log.contains(&format!("| {admin} ")), "{log}");

    // 4: time-based blind (SLEEP of the drawn seconds) reads the number of
    // accounts: the administrator, the drawn users and the attacker's own.
    let (run, m, posts) = &runs[3];
    let sleep = format!("SLEEP({})", param(m, "time_sec"));
    assert!(
        any_posted(posts, "/login.php", &sleep),
        "sqli 4: no {sleep}"
    );
    let users: i64 = param(m, "n_users").parse().unwrap();
    let log = attacker_log(run);
    assert!(
        log.contains(&format!("SELECT COUNT(*) FROM users: '{}'", users + 2)),
        "{log}"
    );

    // 5: by hand on the registration page: refused or stored as text, no
    // database error, and nothing injected reached MariaDB as SQL.
    let (run, _, posts) = &runs[4];
    let injected: Vec<&(String, String)> = posts
        .iter()
        .filter(|(u, v)| u == "/register.php" && v.contains('\''))
        .collect();
    assert!(injected.len() >= 3, "sqli 5: {posts:?}");
    let app = run.join("pcap/app.pcap");
    assert_eq!(responses_with(&app, "Database error"), 0);
    let codes: BTreeSet<String> = tshark(&app, "http.response", &["http.response.code"])
        .into_iter()
        .collect();
    assert!(
        codes.iter().all(|c| c == "200" || c == "422"),
        "sqli 5: {codes:?}"
    );
    let stmts = tshark(&run.join("pcap/db.pcap"), "mysql.query", &["mysql.query"]);
    for marker in ["'1'='1", "UNION", "SLEEP", "EXTRACTVALUE", "DROP TABLE"] {
        assert!(
            stmts.iter().all(|s| !s.contains(marker)),
            "sqli 5: {marker} reached the database as SQL: {stmts:?}"
        );
    }
    assert!(
        attacker_log(run).contains("no injection into the registration page worked"),
        "sqli 5"
    );

    // 6: sqlmap on the registration page finds nothing.
    let (run, _, posts) = &runs[5];
    assert!(any_posted(posts, "/register.php", "SELECT"), "sqli 6");
    let log = attacker_log(run);
    assert!(
        log.contains("all tested parameters do not appear to be injectable"),
        "{log}"
    );
    assert_eq!(
        responses_with(&run.join("pcap/app.pcap"), "Database error"),
        0
    );

    // labels: malicious web attacks, three services per run; runs verify
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 6 * 3, "{labels}");
    assert!(labels.contains(",malicious,web-attack,"), "{labels}");
    assert!(labels.contains(",attacker,attacker,"), "{labels}");
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
}
