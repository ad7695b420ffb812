//! The `sql` scenario for real: all six subscenarios run under Docker over
//! plain HTTP; the client's capture holds the HTTP requests each
//! subscenario is about, the app's and the database's captures hold the
//! MySQL protocol between them with the statements those requests cause
//! (as text, or as server-side prepared statements), every capture begins
//! with a TCP handshake and every client exits 0. One more run over HTTPS
//! shows TLS instead of HTTP on the client's side.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;

/// A subscenario, the HTTP requests (method, start of the URI) its client
/// must send, and pieces of SQL the app must send to the database.
type Expected = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const EXPECTED: &[Expected] = &[
    (
        "1",
        &[("GET", "/"), ("GET", "/category.php?id=")],
        &["FROM categories", "FROM products"],
    ),
    ("2", &[("GET", "/search.php?q=")], &["LIKE"]),
    (
        "3",
        &[
            ("GET", "/register.php"),
            ("POST", "/register.php"),
            ("POST", "/login.php"),
            ("POST", "/profile.php"),
            ("GET", "/logout.php"),
        ],
        &[
            "INSERT INTO users",
            "FROM users WHERE username",
            "UPDATE users SET email",
        ],
    ),
    (
        "4",
        &[("POST", "/register.php"), ("POST", "/order.php")],
        &[
            "INSERT INTO users",
            "FOR UPDATE",
            "UPDATE products SET stock",
            "INSERT INTO orders",
            "COMMIT",
        ],
    ),
    (
        "5",
        &[
            ("GET", "/api.php/categories"),
            ("GET", "/api.php/products?limit="),
            ("POST", "/api.php/products"),
            ("PUT", "/api.php/products/"),
            ("DELETE", "/api.php/products/"),
        ],
        &[
            "INSERT INTO products",
            "UPDATE products SET",
            "DELETE FROM products",
        ],
    ),
    (
        "6",
        &[("GET", "/robots.txt"), ("GET", "/category.php?id=")],
        &["FROM categories", "FROM products"],
    ),
];

fn completed(run: &Path, what: &str) -> Manifest {
    let m = manifest(run);
    let results = m.results.as_ref().unwrap();
    assert_eq!(
        results.outcome,
        "completed",
        "{what}\n{}",
        logs_tail(run, 40)
    );
    assert_eq!(results.exit_codes["client"], 0, "{what}");
    for side in ["client", "app", "db"] {
        assert!(
            first_tcp_is_syn(&run.join(format!("pcap/{side}.pcap"))),
            "{what} {side}: first TCP packet is not a SYN"
        );
    }
    m
}

/// The statements the app sent (COM_QUERY and COM_STMT_PREPARE texts).
fn statements(pcap: &Path) -> Vec<String> {
    tshark(pcap, "mysql.query", &["mysql.query"])
}

#[test]
fn sql_subscenarios_carry_http_and_the_mysql_statements_behind_it() {
    if !docker_required("sql runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "sql",
        "--subscenario",
        "all",
        "--seed",
        "750",
        "--set",
        "scheme=http",
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for (sub, requests, sql) in EXPECTED {
        let run = out.path().join(format!("sql-{sub}-0"));
        let what = format!("sql {sub}");
        let m = completed(&run, &what);
        // HTTP between the client and the app, the same on both ends.
        let client = run.join("pcap/client.pcap");
        let app = run.join("pcap/app.pcap");
        let fields = ["http.request.method", "http.request.uri"];
        let seen = tshark(&client, "http.request", &fields);
        assert_eq!(
            seen,
            tshark(&app, "http.request", &fields),
            "{what}: both ends see the same requests"
        );
        for (method, uri) in *requests {
            assert!(
                seen.iter().any(|l| {
                    let (m, u) = l.split_once('\t').unwrap_or_default();
                    m == *method && (u.starts_with(uri) && (uri.len() > 1 || u == "/"))
                }),
                "{what}: no {method} {uri} in {seen:?}"
            );
        }
        let codes: BTreeSet<String> = tshark(&client, "http.response", &["http.response.code"])
            .into_iter()
            .collect();
        assert!(
            codes.iter().all(|c| c.len() == 3 && !c.starts_with('5')),
            "{what}: {codes:?}"
        );
        // MySQL between the app and the database: MariaDB's greeting, the
        // statements, the same in both captures.
        let greeting = tshark(&app, "mysql.version", &["mysql.version"]);
        assert!(
            greeting.iter().any(|v| v.contains("MariaDB")),
            "{what}: {greeting:?}"
        );
        let stmts = statements(&app);
        assert_eq!(
            stmts,
            statements(&run.join("pcap/db.pcap")),
            "{what}: the app and the database see the same statements"
        );
        for piece in *sql {
            assert!(
                stmts.iter().any(|s| s.contains(piece)),
                "{what}: no statement with {piece:?} in {stmts:?}"
            );
        }
        // Text statements carry the values, prepared ones are prepared
        // and executed.
        let commands: BTreeSet<String> = tshark(&app, "mysql.command", &["mysql.command"])
            .into_iter()
            .collect();
        if param(&m, "db_statements") == "prepared" {
            assert!(
                commands.contains("22") && commands.contains("23"),
                "{what}: no COM_STMT_PREPARE/EXECUTE in {commands:?}"
            );
        } else {
            assert!(
                commands.contains("3") && !commands.contains("22"),
                "{what}: {commands:?}"
            );
            if *sub == "3" || *sub == "4" {
                let user = param(&m, "new_user");
                assert!(
                    stmts
                        .iter()
                        .any(|s| s.starts_with("INSERT INTO users") && s.contains(&user)),
                    "{what}: {user} is not in the INSERT"
                );
            }
        }
        // The drawn user agent (wget's own for the crawler's default).
        let agents: BTreeSet<String> = tshark(&client, "http.request", &["http.user_agent"])
            .into_iter()
            .collect();
        let drawn = match *sub {
            "5" => param(&m, "api_agent"),
            "6" => param(&m, "crawler_agent"),
            _ => param(&m, "user_agent"),
        };
        let want = match (drawn.as_str(), *sub) {
            ("default", "6") => "Wget/".to_string(),
            ("default", _) => "curl/".to_string(),
            (ua, _) => ua.to_string(),
        };
        assert!(
            agents.iter().all(|a| a.starts_with(&want)),
            "{what}: agents {agents:?}, drawn {drawn}"
        );
    }
    // every run verifies, pcaps included; labels cover the three services
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 6 * 3, "{labels}");
    assert!(labels.contains(",db,database,"), "{labels}");
}

#[test]
fn sql_over_https_shows_tls_to_the_client_and_mysql_behind_the_app() {
    if !docker_required("sql https run") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(
        out.path(),
        "sql",
        "1",
        751,
        &["--set", "scheme=https", "--force"],
    );
    completed(&run, "sql 1 https");
    let client = run.join("pcap/client.pcap");
    let hellos = tshark(
        &client,
        "tls.handshake.type == 1",
        &["tls.handshake.extensions_server_name"],
    );
    assert!(!hellos.is_empty(), "no TLS ClientHello");
    assert!(tshark(&client, "http.request", &["frame.number"]).is_empty());
    let stmts = statements(&run.join("pcap/app.pcap"));
    assert!(
        stmts.iter().any(|s| s.contains("FROM products")),
        "{stmts:?}"
    );
}
