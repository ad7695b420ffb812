//! The `wordpress` scenario for real: all five subscenarios run under
//! Docker over plain HTTP. Every capture begins with a TCP handshake; the
//! client and the blog see the same HTTP requests, to WordPress's own paths
//! (wp-content, wp-includes, wp-login.php, wp-admin, wp-comments-post.php,
//! the REST API, xmlrpc.php, feeds), with the drawn User-Agent and the
//! answers each subscenario is about (a conditional feed request answered
//! 304, a comment POST answered 302 and its duplicate 409, a login POST
//! answered 302, a wrong password refused, XML-RPC calls and a fault 403);
//! behind them, the blog and MariaDB exchange the MySQL statements those
//! requests cause, with the drawn table prefix. One more run over HTTPS
//! shows TLS instead of HTTP to the client and MySQL behind the blog.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use detgen::manifest::Manifest;

const SEED: &str = "906";
const HTTPS_SEED: u64 = 907;

fn completed(run: &Path, what: &str) -> Manifest {
    let m = manifest(run);
    let results = m.results.as_ref().unwrap();
    let log = std::fs::read_to_string(run.join("logs/client.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    assert_eq!(
        results.outcome,
        "completed",
        "{what}: {tail:#?}\n{}",
        logs_tail(run, 40)
    );
    assert_eq!(results.exit_codes["client"], 0, "{what}: {tail:#?}");
    for side in ["client", "wordpress", "db"] {
        assert!(
            first_tcp_is_syn(&run.join(format!("pcap/{side}.pcap"))),
            "{what} {side}: first TCP packet is not a SYN"
        );
    }
    m
}

/// One HTTP exchange as the client's capture shows it.
#[derive(Debug)]
struct Exchange {
    method: String,
    uri: String,
    agent: String,
    code: String,
}

/// Requests and their answers (tshark's request-response pairing).
fn exchanges(pcap: &Path) -> Vec<Exchange> {
    let requests = tshark(
        pcap,
        "http.request",
        &[
            "frame.number",
            "http.request.method",
            "http.request.uri",
            "http.user_agent",
        ],
    );
    let responses = tshark(
        pcap,
        "http.response",
        &["http.request_in", "http.response.code"],
    );
    requests
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let code = responses
                .iter()
                .find_map(|r| {
                    let (req, code) = r.split_once('\t')?;
                    (req == f[0]).then(|| code.to_string())
                })
                .unwrap_or_default();
            Exchange {
                method: f[1].to_string(),
                uri: f[2].to_string(),
                agent: f.get(3).unwrap_or(&"").to_string(),
                code,
            }
        })
        .collect()
}

/// The statements WordPress sent MariaDB once the client's first request
/// arrived (before it, the blog was being installed).
fn statements_after_first_request(pcap: &Path) -> Vec<String> {
    let first = tshark(pcap, "http.request", &["frame.time_epoch"]);
    let first = first.first().expect("an HTTP request reached the blog");
    tshark(
        pcap,
        &format!("mysql.query && frame.time_epoch >= {first}"),
        &["mysql.query"],
    )
}

fn has(ex: &[Exchange], method: &str, uri: impl Fn(&str) -> bool, code: &str) -> bool {
    ex.iter()
        .any(|e| e.method == method && uri(&e.uri) && e.code == code)
}

#[test]
fn wordpress_subscenarios_carry_http_to_wp_paths_and_mysql_behind_it() {
    if !docker_required("wordpress runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "wordpress",
        "--subscenario",
        "all",
        "--seed",
        SEED,
        "--set",
        "scheme=http",
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for sub in ["1", "2", "3", "4", "5"] {
        let run = out.path().join(format!("wordpress-{sub}-0"));
        let what = format!("wordpress {sub}");
        let m = completed(&run, &what);
        let client = run.join("pcap/client.pcap");
        let blog = run.join("pcap/wordpress.pcap");
        let ex = exchanges(&client);
        let fields = ["http.request.method", "http.request.uri"];
        assert_eq!(
            tshark(&client, "http.request", &fields),
            tshark(&blog, "http.request", &fields),
            "{what}: both ends see the same requests"
        );
        assert!(
            ex.iter()
                .all(|e| !e.code.is_empty() && !e.code.starts_with('5')),
            "{what}: {ex:?}"
        );
        // The drawn User-Agent (curl's own for the `default` choice).
        let drawn = if sub == "5" {
            param(&m, "xmlrpc_agent")
        } else {
            param(&m, "user_agent")
        };
        assert!(
            ex.iter().all(|e| if drawn == "default" {
                e.agent.starts_with("curl/")
            } else {
                e.agent == drawn
            }),
            "{what}: agents {:?}, drawn {drawn}",
            ex.iter().map(|e| &e.agent).collect::<BTreeSet<_>>()
        );
        // WordPress's assets, when the browser fetches them.
        if sub != "5" && param(&m, "assets") == "yes" {
            assert!(
                has(&ex, "GET", |u| u.starts_with("/wp-includes/"), "200"),
                "{what}: no wp-includes asset"
            );
            assert!(
                has(&ex, "GET", |u| u.starts_with("/wp-content/themes/"), "200"),
                "{what}: no theme asset"
            );
        }
        let prefix = param(&m, "table_prefix");
        let sql = statements_after_first_request(&blog);
        let greeting = tshark(&blog, "mysql.version", &["mysql.version"]);
        assert!(
            greeting.iter().any(|v| v.contains("MariaDB")),
            "{what}: {greeting:?}"
        );
        assert_eq!(
            tshark(&blog, "mysql.query", &["mysql.query"]),
            tshark(&run.join("pcap/db.pcap"), "mysql.query", &["mysql.query"]),
            "{what}: the blog and the database see the same statements"
        );
        assert!(
            sql.iter()
                .any(|s| s.contains(&format!("FROM {prefix}posts"))),
            "{what}: no SELECT from {prefix}posts"
        );
        let sql_has = |piece: &str| sql.iter().any(|s| s.contains(piece));
        match sub {
            "1" => {
                // Pages, then the feed, then the feed again: 304.
                let feed: Vec<&Exchange> = ex.iter().filter(|e| e.uri.contains("feed")).collect();
                assert_eq!(
                    feed.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
                    ["200", "304"],
                    "{what}: {feed:?}"
                );
                // The home page and at least one visit (more unless the
                // session ran out of time), all answered 200.
                let pages: Vec<&Exchange> = ex
                    .iter()
                    .filter(|e| !e.uri.starts_with("/wp-") && !e.uri.contains("feed"))
                    .collect();
                let visits: usize = param(&m, "visits").parse().unwrap();
                assert!(
                    (2..=visits + 1).contains(&pages.len())
                        && pages.iter().all(|e| e.code == "200"),
                    "{what}: {pages:?}"
                );
            }
            "2" => {
                // The drawn terms in order (the first always, the others
                // unless the session ran out of time), each a LIKE query.
                let n: usize = param(&m, "searches").parse().unwrap();
                let drawn: Vec<String> = (1..=n).map(|i| param(&m, &format!("term{i}"))).collect();
                let searched: Vec<String> = ex
                    .iter()
                    .filter(|e| e.uri.starts_with("/?s=") && !e.uri.contains('&'))
                    .map(|e| e.uri["/?s=".len()..].to_string())
                    .collect();
                assert!(
                    !searched.is_empty() && drawn.starts_with(&searched),
                    "{what}: searched {searched:?}, drawn {drawn:?}"
                );
                for term in &searched {
                    assert!(
                        sql_has(&format!("LIKE '%{term}%'")),
                        "{what}: no LIKE for {term}"
                    );
                }
            }
            "3" => {
                assert!(
                    has(&ex, "POST", |u| u == "/wp-comments-post.php", "302"),
                    "{what}: {ex:?}"
                );
                assert!(sql_has(&format!("INSERT INTO `{prefix}comments`")));
                let dup = has(&ex, "POST", |u| u == "/wp-comments-post.php", "409");
                assert_eq!(dup, param(&m, "resend") == "yes", "{what}: {ex:?}");
            }
            "4" => {
                assert!(
                    has(&ex, "POST", |u| u == "/wp-login.php", "302"),
                    "{what}: no login answered 302: {ex:?}"
                );
                let refused = has(&ex, "POST", |u| u == "/wp-login.php", "200");
                assert_eq!(refused, param(&m, "wrong_first") == "yes", "{what}");
                assert!(
                    has(&ex, "GET", |u| u == "/wp-admin/post-new.php", "200"),
                    "{what}"
                );
                let publish = |u: &str| u.contains("wp/v2/posts/");
                assert!(has(&ex, "POST", publish, "200"), "{what}: {ex:?}");
                assert!(
                    has(
                        &ex,
                        "GET",
                        |u| u.contains("wp-login.php?action=logout"),
                        "302"
                    ),
                    "{what}: {ex:?}"
                );
                // The draft the editor opened, then published.
                assert!(sql_has(&format!("INSERT INTO `{prefix}posts`")), "{what}");
                assert!(
                    sql.iter()
                        .any(|s| s.starts_with(&format!("UPDATE `{prefix}posts`"))
                            && s.contains("publish")),
                    "{what}: no UPDATE publishing the post"
                );
            }
            "5" => {
                assert!(
                    ex.iter().all(|e| e.uri.starts_with("/xmlrpc.php")),
                    "{what}: {ex:?}"
                );
                let calls: BTreeSet<String> =
                    tshark(&client, "http.request && xml.cdata", &["xml.cdata"])
                        .into_iter()
                        .flat_map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
                        .collect();
                for method in [
                    "system.listMethods",
                    "wp.getUsersBlogs",
                    "wp.newPost",
                    "wp.editPost",
                ] {
                    assert!(calls.contains(method), "{what}: no {method} in {calls:?}");
                }
                let faults = tshark(
                    &client,
                    "http.response && xml.cdata == \"403\"",
                    &["frame.number"],
                );
                assert_eq!(
                    !faults.is_empty(),
                    param(&m, "wrong_first") == "yes",
                    "{what}: fault 403"
                );
                assert!(sql_has(&format!("INSERT INTO `{prefix}posts`")), "{what}");
                assert_eq!(
                    calls.contains("wp.deletePost"),
                    param(&m, "delete") == "yes",
                    "{what}"
                );
            }
            _ => unreachable!(),
        }
    }
    // every run verifies, pcaps included; labels cover the three services
    let o = detgen(&["verify", out.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let labels = std::fs::read_to_string(out.path().join("labels.csv")).unwrap();
    assert_eq!(labels.lines().count(), 1 + 5 * 3, "{labels}");
    assert!(labels.contains(",db,database,"), "{labels}");
}

#[test]
fn wordpress_over_https_shows_tls_to_the_client_and_mysql_behind_the_blog() {
    if !docker_required("wordpress https run") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(
        out.path(),
        "wordpress",
        "1",
        HTTPS_SEED,
        &["--set", "scheme=https", "--force"],
    );
    let m = completed(&run, "wordpress 1 https");
    let client = run.join("pcap/client.pcap");
    let sni: BTreeSet<String> = tshark(
        &client,
        "tls.handshake.type == 1",
        &["tls.handshake.extensions_server_name"],
    )
    .into_iter()
    .collect();
    assert_eq!(sni, ["www.myblog.test".to_string()].into(), "SNI");
    assert!(tshark(&client, "http.request", &["frame.number"]).is_empty());
    // Apache's log: TLS requests from the drawn browser, the feed's 304.
    let log = std::fs::read_to_string(run.join("logs/wordpress.log")).unwrap();
    let agent = param(&m, "user_agent");
    let tls: Vec<&str> = log.lines().filter(|l| l.contains(" TLSv1.")).collect();
    assert!(tls.len() > 3, "{log}");
    assert!(
        tls.iter().all(|l| l.contains(&format!("\"{agent}\""))),
        "{tls:?}"
    );
    assert!(
        tls.iter()
            .any(|l| l.contains("feed") && l.contains("\" 304 ")),
        "{tls:?}"
    );
    let prefix = param(&m, "table_prefix");
    let sql = statements_after_first_request_tls(&run.join("pcap/wordpress.pcap"));
    assert!(
        sql.iter()
            .any(|s| s.contains(&format!("FROM {prefix}posts"))),
        "{sql:?}"
    );
}

/// The statements sent once the first TLS handshake reached the blog.
fn statements_after_first_request_tls(pcap: &Path) -> Vec<String> {
    let first = tshark(pcap, "tls.handshake.type == 1", &["frame.time_epoch"]);
    let first = first.first().expect("a TLS handshake reached the blog");
    tshark(
        pcap,
        &format!("mysql.query && frame.time_epoch >= {first}"),
        &["mysql.query"],
    )
}
