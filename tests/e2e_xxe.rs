//! The XXE scenario for real: the external entities are in the requests,
//! the leaks in the responses, and the SSRF request goes from the victim
//! to the internal API, never from the attacker.

mod common;

use common::*;
use detgen::sample::Value;

#[test]
fn xxe_entities_leak_files_config_and_an_internal_token() {
    if !docker_required("xxe runs") {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let o = detgen(&[
        "run",
        "xxe",
        "--subscenario",
        "all",
        "--seed",
        "871",
        "--jobs",
        "2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let run_of = |sub: &str| out.path().join(format!("xxe-{sub}-0"));
    let param = |m: &detgen::manifest::Manifest, name: &str| match &m.parameters[name].value {
        Value::Str(s) => s.clone(),
        v => panic!("{name}: {v:?}"),
    };
    for sub in ["1", "2", "3"] {
        let run = run_of(sub);
        let m = manifest(&run);
        let r = m.results.as_ref().unwrap();
        assert_eq!(
            (r.outcome.as_str(), r.exit_codes["attacker"]),
            ("completed", 0),
            "sub {sub}"
        );
        let pcap = run.join("pcap/attacker.pcap");
        assert!(first_tcp_is_syn(&pcap));
        let bodies = tshark(
            &pcap,
            "http.request.method == \"POST\"",
            &["http.file_data"],
        );
        let entity = format!("<!ENTITY {} SYSTEM ", param(&m, "entity"));
        let attacks: Vec<&String> = bodies.iter().filter(|b| b.contains(&entity)).collect();
        let legit = match m.parameters["legit"].value {
            Value::Int(n) => n as usize,
            _ => unreachable!(),
        };
        assert_eq!(
            bodies.len() - attacks.len(),
            legit,
            "sub {sub}: ordinary updates"
        );
        let responses = tshark(&pcap, "http.response", &["http.file_data"]);
        match sub {
            "1" => {
                assert!(
                    attacks[0].contains("file:///etc/passwd")
                        && attacks[1].contains("file:///etc/shadow")
                );
                assert!(responses
                    .iter()
                    .any(|r| r.contains("Saved profile of root:x:0:0")));
                assert!(
                    !responses.last().unwrap().contains("root:"),
                    "shadow must not leak"
                );
            }
            "2" => {
                assert!(attacks[0].contains("php://filter/convert.base64-encode/resource="));
                let leaked = responses
                    .last()
                    .unwrap()
                    .split("Saved profile of ")
                    .nth(1)
                    .and_then(|s| s.split(' ').next())
                    .unwrap()
                    .to_string();
                let decoded = std::process::Command::new("base64")
                    .arg("-d")
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .and_then(|mut c| {
                        use std::io::Write;
                        c.stdin.take().unwrap().write_all(leaked.as_bytes())?;
                        c.wait_with_output()
                    })
                    .unwrap();
                let config = String::from_utf8_lossy(&decoded.stdout);
                assert!(config.contains(&param(&m, "db_password")), "{config}");
            }
            _ => {
                let token = param(&m, "token");
                assert!(attacks[0].contains("http://internal/admin/token"));
                assert!(responses.last().unwrap().contains(&token));
                // the request to the internal API comes from the victim
                let app_ip = &m.services["app"].ip;
                let internal_ip = &m.services["internal"].ip;
                let fetched = tshark(
                    &run.join("pcap/internal.pcap"),
                    "http.request",
                    &["ip.src", "http.request.uri"],
                );
                assert_eq!(fetched, [format!("{app_ip}\t/admin/token")]);
                let direct = tshark(
                    &pcap,
                    &format!("ip.addr == {internal_ip} && tcp"),
                    &["frame.number"],
                );
                assert!(
                    direct.is_empty(),
                    "the attacker reached the internal API itself"
                );
            }
        }
        assert!(leftovers(&m.run.project).is_empty());
    }
}
