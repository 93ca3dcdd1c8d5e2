//! The emulator over real HTTP on loopback: state, auth, rate limiting,
//! every fault, persistence, concurrency and the binary.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cf_ssh_settings_emulator::{Emulator, Fault, FaultSpec, Operation};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const ACCOUNT: &str = "699d98642c564d2e855e9661899b7252";
const OTHER: &str = "0123456789abcdef0123456789abcdef";
const KEY_B64: &str = "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA=";
const KEY2_B64: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
const BEARER: (&str, &str) = ("authorization", "Bearer T");

async fn start() -> Emulator {
    Emulator::builder()
        .token("T", [ACCOUNT])
        .token("OTHER", [OTHER])
        .api_key("user@example.com", "KEY", [ACCOUNT])
        .start()
        .await
        .expect("emulator starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

fn settings_url(emu: &Emulator, account: &str) -> String {
    format!(
        "{}/accounts/{account}/gateway/audit_ssh_settings",
        emu.base_url()
    )
}

fn rotate_url(emu: &Emulator, account: &str) -> String {
    format!("{}/rotate_seed", settings_url(emu, account))
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }

    /// The envelope's only error code.
    fn code(&self) -> u64 {
        let json = self.json();
        assert_eq!(json["success"], false, "{json}");
        assert_eq!(json["result"], Value::Null);
        assert_eq!(json["messages"], json!([]));
        json["errors"][0]["code"].as_u64().unwrap()
    }
}

async fn call(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let mut request = client.request(method, url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    let response = request.send().await.expect("response");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

fn put_body(key: &str) -> String {
    json!({ "public_key": key }).to_string()
}

fn is_ray(ray: &str) -> bool {
    let (hex, suffix) = ray.split_once('-').unwrap();
    hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) && suffix == "EMU"
}

fn assert_common_headers(answer: &Answer) {
    assert!(
        is_ray(answer.header("cf-ray")),
        "{}",
        answer.header("cf-ray")
    );
    assert!(answer.header("ratelimit").starts_with("\"default\";r="));
    assert_eq!(
        answer.header("ratelimit-policy"),
        "\"default\";q=1200;w=300"
    );
}

fn timestamp(value: &Value) -> chrono::DateTime<chrono::Utc> {
    let text = value.as_str().expect("timestamp string");
    assert!(text.ends_with('Z') && text.contains('.'), "{text}");
    chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[tokio::test]
async fn settings_state_sequence() {
    let emu = start().await;
    let c = client();
    assert_eq!(emu.settings(ACCOUNT), None);

    let got = call(
        &c,
        Method::GET,
        &settings_url(&emu, ACCOUNT),
        &[BEARER],
        None,
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), "application/json");
    assert_common_headers(&got);
    assert_eq!(got.header("ratelimit"), "\"default\";r=1199;t=300");
    let initial = got.json();
    assert_eq!(
        initial.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["errors", "messages", "result", "success"]
    );
    assert!(
        std::str::from_utf8(&got.body)
            .unwrap()
            .starts_with(r#"{"errors":[],"messages":[],"success":true,"result":{"created_at":"#)
    );
    let initial = &initial["result"];
    assert!(initial.get("public_key").is_none());
    assert_eq!(initial["created_at"], initial["updated_at"]);
    let seed = initial["seed_id"].as_str().unwrap().to_owned();
    assert_eq!(seed.len(), 36);
    assert_eq!(emu.settings(ACCOUNT).as_ref(), Some(initial));

    // Email + key works just as well.
    let key_auth = [("x-auth-email", "user@example.com"), ("x-auth-key", "KEY")];
    let put = call(
        &c,
        Method::PUT,
        &settings_url(&emu, ACCOUNT),
        &key_auth,
        Some(&put_body(KEY_B64)),
    )
    .await;
    assert_eq!(put.status, 200);
    let after_put = put.json()["result"].clone();
    assert_eq!(after_put["public_key"], KEY_B64);
    assert_eq!(after_put["seed_id"], seed.as_str());
    assert_eq!(after_put["created_at"], initial["created_at"]);
    assert!(timestamp(&after_put["updated_at"]) > timestamp(&initial["updated_at"]));

    let rotated = call(
        &c,
        Method::POST,
        &rotate_url(&emu, ACCOUNT),
        &[BEARER],
        None,
    )
    .await;
    assert_eq!(rotated.status, 200);
    let rotated = rotated.json()["result"].clone();
    assert_ne!(rotated["seed_id"], seed.as_str());
    assert_eq!(rotated["public_key"], KEY_B64);
    assert_eq!(rotated["created_at"], initial["created_at"]);
    assert!(timestamp(&rotated["updated_at"]) > timestamp(&after_put["updated_at"]));

    let again = call(
        &c,
        Method::GET,
        &settings_url(&emu, ACCOUNT),
        &[BEARER],
        None,
    )
    .await;
    assert_eq!(again.json()["result"], rotated);
    assert_eq!(emu.settings(ACCOUNT), Some(rotated));

    assert_eq!(emu.requests(Operation::GetSettings), 2);
    assert_eq!(emu.requests(Operation::UpdateSettings), 1);
    assert_eq!(emu.requests(Operation::RotateSeed), 1);
    assert_eq!(emu.requests(Operation::Any), 4);
    let received = emu.received();
    assert_eq!(received.len(), 4);
    let put = &received[1];
    assert_eq!(put.method, "PUT");
    assert_eq!(
        put.path,
        format!("/client/v4/accounts/{ACCOUNT}/gateway/audit_ssh_settings")
    );
    assert_eq!(put.header("x-auth-key"), Some("KEY"));
    assert!(
        put.headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );
    assert_eq!(put.body, put_body(KEY_B64).as_bytes());
    assert_eq!(received[2].header("authorization"), Some("Bearer T"));
    emu.shutdown().await;
}

#[tokio::test]
async fn auth_and_routing_errors() {
    let emu = start().await;
    let c = client();
    let url = settings_url(&emu, ACCOUNT);
    let get = |headers: &'static [(&'static str, &'static str)]| {
        call(&c, Method::GET, &url, headers, None)
    };

    let missing = get(&[]).await;
    assert_eq!((missing.status, missing.code()), (400, 9106));
    assert_common_headers(&missing);

    for bad in [
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer a b",
        "Bearer to\"ken",
        "T",
    ] {
        let answer = call(&c, Method::GET, &url, &[("authorization", bad)], None).await;
        assert_eq!((answer.status, answer.code()), (400, 6003), "{bad}");
        let chain = &answer.json()["errors"][0]["error_chain"];
        assert_eq!(
            chain,
            &json!([{"code": 6111, "message": "Invalid format for Authorization header"}])
        );
    }
    let bad_email = get(&[("x-auth-email", "nobody"), ("x-auth-key", "KEY")]).await;
    assert_eq!((bad_email.status, bad_email.code()), (400, 6003));
    assert_eq!(
        bad_email.json()["errors"][0]["error_chain"][0]["code"],
        6102
    );
    let no_key = get(&[("x-auth-email", "user@example.com")]).await;
    assert_eq!(no_key.json()["errors"][0]["error_chain"][0]["code"], 6103);

    let unknown = get(&[("authorization", "Bearer nope")]).await;
    assert_eq!((unknown.status, unknown.code()), (403, 10000));
    let wrong_key = get(&[("x-auth-email", "user@example.com"), ("x-auth-key", "NOPE")]).await;
    assert_eq!((wrong_key.status, wrong_key.code()), (403, 10000));
    // Email addresses compare case-insensitively.
    let upper = get(&[("x-auth-email", "USER@example.com"), ("x-auth-key", "KEY")]).await;
    assert_eq!(upper.status, 200);

    let other = call(&c, Method::GET, &settings_url(&emu, OTHER), &[BEARER], None).await;
    assert_eq!((other.status, other.code()), (403, 9109));
    assert_eq!(emu.settings(OTHER), None);

    for id in [
        "xyz",
        "699D98642C564D2E855E9661899B7252",
        "699d98642c564d2e855e9661899b72521",
    ] {
        let answer = call(&c, Method::GET, &settings_url(&emu, id), &[BEARER], None).await;
        assert_eq!((answer.status, answer.code()), (404, 7003), "{id}");
        let message = answer.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            message,
            format!(
                "Could not route to /accounts/{id}/gateway/audit_ssh_settings, perhaps your object identifier is invalid?"
            )
        );
    }
    let base = emu.base_url();
    let origin = format!("http://{}", emu.addr());
    for path in [
        format!("{base}/zones"),
        format!("{origin}/accounts/{ACCOUNT}/gateway/audit_ssh_settings"),
    ] {
        let answer = call(&c, Method::GET, &path, &[BEARER], None).await;
        assert_eq!((answer.status, answer.code()), (404, 7000), "{path}");
    }
    // `..` passes the spec's maxLength; a client that sends it raw (URL
    // libraries normalise it away) must not escape /accounts/.
    let raw = raw_exchange(
        &emu,
        "GET /client/v4/accounts/../gateway/audit_ssh_settings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\nconnection: close\r\n\r\n".into(),
    )
    .await;
    assert!(
        raw.starts_with("HTTP/1.1 404") && raw.contains("\"code\":7003"),
        "{raw}"
    );
    let deep = call(&c, Method::GET, &format!("{url}/nope"), &[BEARER], None).await;
    assert_eq!((deep.status, deep.code()), (404, 7003));

    let wrong_method = call(&c, Method::DELETE, &url, &[BEARER], None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), "GET, PUT");
    assert_eq!(wrong_method.json()["success"], false);
    let get_rotate = call(&c, Method::GET, &rotate_url(&emu, ACCOUNT), &[BEARER], None).await;
    assert_eq!(
        (get_rotate.status, get_rotate.header("allow")),
        (405, "POST")
    );

    // Unrouted and 405 requests count only as Any.
    assert_eq!(emu.requests(Operation::RotateSeed), 0);
    assert!(emu.requests(Operation::Any) > emu.requests(Operation::GetSettings));
}

#[tokio::test]
async fn put_body_validation() {
    let emu = start().await;
    let c = client();
    let url = settings_url(&emu, ACCOUNT);
    let cases = [
        ("", 10001),
        ("{not json", 10001),
        ("[1]", 10001),
        ("{}", 2001),
        (r#"{"public_key": 7}"#, 2001),
        (r#"{"public_key": "abc"}"#, 2001),
        (r#"{"public_key": "AAAA"}"#, 2001),
        (
            r#"{"public_key": "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA"}"#,
            2001,
        ),
        (
            r#"{"public_key": "1pyl6I1tL7xfJuFYVzXlUW8uXXlpxegHXBzGCBKaSFA=="}"#,
            2001,
        ),
    ];
    for (body, code) in cases {
        let answer = call(&c, Method::PUT, &url, &[BEARER], Some(body)).await;
        assert_eq!((answer.status, answer.code()), (400, code), "{body}");
        if code == 2001 {
            assert_eq!(
                answer.json()["errors"][0]["source"]["pointer"],
                "/public_key"
            );
        }
    }
    assert_eq!(emu.settings(ACCOUNT), None);
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = call(&c, Method::PUT, &url, &[BEARER], Some(&huge)).await;
    assert_eq!(too_large.status, 413);
    let ok = call(&c, Method::PUT, &url, &[BEARER], Some(&put_body(KEY_B64))).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn rate_limit_per_credential() {
    let emu = Emulator::builder()
        .token("T", [ACCOUNT])
        .token("U", [ACCOUNT])
        .rate_limit(3, Duration::from_millis(1500))
        .start()
        .await
        .unwrap();
    let c = client();
    let url = settings_url(&emu, ACCOUNT);
    for remaining in [2, 1, 0] {
        let ok = call(&c, Method::GET, &url, &[BEARER], None).await;
        assert_eq!(ok.status, 200);
        // t counts down from the 1.5 s window, rounded up.
        let header = ok.header("ratelimit");
        let prefix = format!("\"default\";r={remaining};t=");
        let t = header.strip_prefix(&prefix).expect(header);
        assert!(t == "2" || t == "1", "{header}");
        assert_eq!(ok.header("ratelimit-policy"), "\"default\";q=3;w=2");
    }
    let limited = call(&c, Method::GET, &url, &[BEARER], None).await;
    assert_eq!((limited.status, limited.code()), (429, 971));
    assert_eq!(
        limited.json()["errors"][0]["message"],
        "Please wait and consider throttling your request speed"
    );
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let other = call(
        &c,
        Method::GET,
        &url,
        &[("authorization", "Bearer U")],
        None,
    )
    .await;
    assert_eq!(other.status, 200);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let again = call(&c, Method::GET, &url, &[BEARER], None).await;
    assert_eq!(again.status, 200);
}

/// Raw HTTP/1.1 over TCP, for what a normal client would paper over:
/// returns everything the server sent before closing. Blocking I/O runs
/// off the runtime thread the emulator shares.
async fn raw_exchange(emu: &Emulator, request: String) -> String {
    let addr = emu.addr();
    let received = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut received = Vec::new();
        let _ = stream.read_to_end(&mut received);
        received
    });
    String::from_utf8(received.await.unwrap()).unwrap()
}

#[tokio::test]
async fn every_fault() {
    let emu = start().await;
    let c = client();
    let url = settings_url(&emu, ACCOUNT);
    let rotate = rotate_url(&emu, ACCOUNT);
    let initial = call(&c, Method::GET, &url, &[BEARER], None).await.json()["result"].clone();
    let post = |c| call(c, Method::POST, &rotate, &[BEARER], None);

    emu.inject(Operation::RotateSeed, Fault::HtmlError { status: 503 }, 2);
    for _ in 0..2 {
        let html = post(&c).await;
        assert_eq!(html.status, 503);
        assert_eq!(html.header("content-type"), "text/html; charset=UTF-8");
        assert_common_headers(&html);
        let page = String::from_utf8(html.body.clone()).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>") && page.contains("Cloudflare Ray ID"));
    }
    assert_eq!(emu.pending_faults(), 0);

    let date = "Wed, 21 Oct 2026 07:28:00 GMT";
    emu.inject(
        Operation::Any,
        Fault::RateLimited {
            retry_after: date.into(),
        },
        1,
    );
    let limited = post(&c).await;
    assert_eq!((limited.status, limited.code()), (429, 971));
    assert_eq!(limited.header("retry-after"), date);

    emu.inject(Operation::RotateSeed, Fault::SuccessFalse, 1);
    let success_false = post(&c).await;
    assert_eq!((success_false.status, success_false.code()), (200, 1001));

    emu.inject(Operation::RotateSeed, Fault::MissingResult, 1);
    let missing = post(&c).await.json();
    assert_eq!(
        missing,
        json!({"errors": [], "messages": [], "success": true})
    );

    emu.inject(Operation::RotateSeed, Fault::InvalidJson, 1);
    let invalid = post(&c).await;
    assert_eq!(invalid.header("content-type"), "application/json");
    assert!(serde_json::from_slice::<Value>(&invalid.body).is_err());

    emu.inject(Operation::RotateSeed, Fault::WrongShape, 1);
    assert_eq!(post(&c).await.json()["result"]["seed_id"], 42);

    emu.inject(
        Operation::RotateSeed,
        Fault::HugeBody { bytes: 3_000_000 },
        1,
    );
    let huge = post(&c).await;
    assert_eq!(huge.body.len(), 3_000_000);
    assert!(huge.body.starts_with(br#"{"pad":"xxx"#) && huge.body.ends_with(br#"xx"}"#));

    emu.inject(
        Operation::RotateSeed,
        Fault::Redirect {
            status: 307,
            location: "https://example.invalid/elsewhere".into(),
        },
        1,
    );
    let redirect = post(&c).await;
    assert_eq!(redirect.status, 307);
    assert_eq!(
        redirect.header("location"),
        "https://example.invalid/elsewhere"
    );

    emu.inject(
        Operation::RotateSeed,
        Fault::Status {
            status: 418,
            content_type: "text/plain".into(),
            body: "teapot".into(),
        },
        1,
    );
    let teapot = post(&c).await;
    assert_eq!(
        (teapot.status, teapot.header("content-type")),
        (418, "text/plain")
    );
    assert_eq!(teapot.body, b"teapot");

    emu.inject(Operation::RotateSeed, Fault::DropConnection, 1);
    let dropped = c
        .post(&rotate)
        .header("authorization", "Bearer T")
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");

    emu.inject(Operation::RotateSeed, Fault::TruncatedBody, 1);
    let truncated = c
        .post(&rotate)
        .header("authorization", "Bearer T")
        .send()
        .await
        .unwrap();
    assert_eq!(truncated.status(), 200);
    assert!(truncated.bytes().await.is_err());

    // None of the faulted rotations changed anything.
    assert_eq!(emu.settings(ACCOUNT), Some(initial.clone()));
    assert_eq!(emu.requests(Operation::RotateSeed), 12);

    // The same at the byte level: the truncated answer announces more than
    // it sends, the dropped one sends nothing.
    let request = format!(
        "POST /client/v4/accounts/{ACCOUNT}/gateway/audit_ssh_settings/rotate_seed HTTP/1.1\r\nhost: x\r\nauthorization: Bearer T\r\ncontent-length: 0\r\n\r\n"
    );
    emu.inject(Operation::RotateSeed, Fault::TruncatedBody, 1);
    let raw = raw_exchange(&emu, request.clone()).await;
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(body.len() < length && !body.is_empty(), "{raw}");
    emu.inject(Operation::RotateSeed, Fault::DropConnection, 1);
    assert!(raw_exchange(&emu, request).await.is_empty());

    // Delay answers normally after waiting, and does act.
    emu.inject(
        Operation::RotateSeed,
        Fault::Delay(Duration::from_millis(300)),
        1,
    );
    let started = Instant::now();
    let delayed = post(&c).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(delayed.status, 200);
    assert_ne!(delayed.json()["result"]["seed_id"], initial["seed_id"]);

    // Any applies to unrouted requests too; faults go in injection order.
    emu.inject(Operation::Any, Fault::HtmlError { status: 502 }, 1);
    emu.inject(Operation::GetSettings, Fault::HtmlError { status: 504 }, 1);
    let unrouted = call(
        &c,
        Method::GET,
        &format!("{}/nowhere", emu.base_url()),
        &[],
        None,
    )
    .await;
    assert_eq!(unrouted.status, 502);
    assert_eq!(call(&c, Method::GET, &url, &[], None).await.status, 504);
    assert_eq!(call(&c, Method::GET, &url, &[], None).await.status, 400);
    emu.inject(Operation::UpdateSettings, Fault::SuccessFalse, 5);
    emu.clear_faults();
    assert_eq!(emu.pending_faults(), 0);
}

#[tokio::test]
async fn state_file_survives_restart() {
    let dir = std::env::temp_dir().join(format!("cf-emu-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join("state.json");
    let _ = std::fs::remove_file(&path);
    let builder = Emulator::builder()
        .token("T", [ACCOUNT, OTHER])
        .state_file(&path);

    let emu = builder.clone().start().await.unwrap();
    let c = client();
    call(
        &c,
        Method::PUT,
        &settings_url(&emu, ACCOUNT),
        &[BEARER],
        Some(&put_body(KEY2_B64)),
    )
    .await;
    let rotated = call(
        &c,
        Method::POST,
        &rotate_url(&emu, ACCOUNT),
        &[BEARER],
        None,
    )
    .await
    .json();
    // Written at once, not only at shutdown.
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(on_disk["accounts"][ACCOUNT], rotated["result"]);
    emu.shutdown().await;

    let emu = builder.clone().start().await.unwrap();
    let got = call(
        &c,
        Method::GET,
        &settings_url(&emu, ACCOUNT),
        &[BEARER],
        None,
    )
    .await;
    assert_eq!(got.json()["result"], rotated["result"]);
    assert_eq!(emu.settings(OTHER), None);
    drop(emu);

    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["state.json"]);
    std::fs::write(&path, "not json").unwrap();
    let error = builder.start().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn shutdown_and_drop_stop_serving() {
    let emu = Emulator::builder()
        .path_prefix("/")
        .token("T", [ACCOUNT])
        .start()
        .await
        .unwrap();
    assert_eq!(emu.base_url(), format!("http://{}", emu.addr()));
    let c = client();
    let url = settings_url(&emu, ACCOUNT);
    assert_eq!(
        call(&c, Method::GET, &url, &[BEARER], None).await.status,
        200
    );
    let addr = emu.addr();
    emu.shutdown().await;
    emu.shutdown().await;
    assert!(TcpStream::connect(addr).is_err());

    let emu = start().await;
    let addr = emu.addr();
    drop(emu);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(TcpStream::connect(addr).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_lose_no_update() {
    const CLIENTS: usize = 64;
    const TOTAL: usize = 10_000;
    let emu = Emulator::builder()
        .token("T", [ACCOUNT])
        .rate_limit(1_000_000, Duration::from_secs(300))
        .start()
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let (settings, rotate) = (settings_url(&emu, ACCOUNT), rotate_url(&emu, ACCOUNT));
        // A distinct key per client, so the stored one names its writer.
        let key = {
            use base64::Engine;
            put_body(&base64::engine::general_purpose::STANDARD.encode([i as u8; 32]))
        };
        let share = TOTAL / CLIENTS + usize::from(i < TOTAL % CLIENTS);
        tasks.spawn(async move {
            let c = client();
            let mut seen = Vec::new();
            for n in 0..share {
                let (method, url, body) = match (i + n) % 3 {
                    0 => (Method::POST, &rotate, None),
                    1 => (Method::GET, &settings, None),
                    _ => (Method::PUT, &settings, Some(key.as_str())),
                };
                let answer = call(&c, method.clone(), url, &[BEARER], body).await;
                assert_eq!(
                    answer.status,
                    200,
                    "{}",
                    String::from_utf8_lossy(&answer.body)
                );
                seen.push((method, answer.json()["result"].clone()));
            }
            seen
        });
    }
    let mut rotations = Vec::new();
    let mut puts = Vec::new();
    let mut gets = 0;
    while let Some(seen) = tasks.join_next().await {
        for (method, result) in seen.unwrap() {
            let updated = timestamp(&result["updated_at"]);
            match method {
                Method::POST => {
                    rotations.push((updated, result["seed_id"].as_str().unwrap().to_owned()))
                }
                Method::PUT => {
                    puts.push((updated, result["public_key"].as_str().unwrap().to_owned()))
                }
                _ => gets += 1,
            }
        }
    }
    assert_eq!(rotations.len() + puts.len() + gets, TOTAL);
    assert_eq!(emu.requests(Operation::Any), TOTAL);
    assert_eq!(emu.requests(Operation::RotateSeed), rotations.len());
    let distinct: HashSet<_> = rotations.iter().map(|(_, seed)| seed).collect();
    assert_eq!(distinct.len(), rotations.len(), "a seed_id repeated");
    // updated_at strictly increases with every write, so the greatest one
    // of each kind is the last write of that kind.
    let stored = emu.settings(ACCOUNT).unwrap();
    let last_rotation = rotations.iter().max().unwrap();
    assert_eq!(stored["seed_id"], last_rotation.1.as_str());
    let last_put = puts.iter().max().unwrap();
    assert_eq!(stored["public_key"], last_put.1.as_str());
    let mut writes: Vec<_> = rotations
        .iter()
        .map(|r| r.0)
        .chain(puts.iter().map(|p| p.0))
        .collect();
    writes.sort();
    writes.dedup();
    assert_eq!(
        writes.len(),
        rotations.len() + puts.len(),
        "two writes share updated_at"
    );
    emu.shutdown().await;
}

#[test]
fn fault_spec_syntax() {
    let parse = |s: &str| s.parse::<FaultSpec>();
    let spec = |operation, fault, count| FaultSpec {
        operation,
        fault,
        count,
    };
    assert_eq!(
        parse("rotate_seed=html:503:2"),
        Ok(spec(
            Operation::RotateSeed,
            Fault::HtmlError { status: 503 },
            2
        ))
    );
    assert_eq!(
        parse("get=drop"),
        Ok(spec(Operation::GetSettings, Fault::DropConnection, 1))
    );
    assert_eq!(
        parse("update*3=success-false"),
        Ok(spec(Operation::UpdateSettings, Fault::SuccessFalse, 3))
    );
    assert_eq!(
        parse("any=truncated:4"),
        Ok(spec(Operation::Any, Fault::TruncatedBody, 4))
    );
    assert_eq!(
        parse("any*2=rate-limited:Wed, 21 Oct 2026 07:28:00 GMT"),
        Ok(spec(
            Operation::Any,
            Fault::RateLimited {
                retry_after: "Wed, 21 Oct 2026 07:28:00 GMT".into()
            },
            2
        ))
    );
    assert_eq!(
        parse("get=delay:250"),
        Ok(spec(
            Operation::GetSettings,
            Fault::Delay(Duration::from_millis(250)),
            1
        ))
    );
    assert_eq!(
        parse("get=huge:1000:2"),
        Ok(spec(
            Operation::GetSettings,
            Fault::HugeBody { bytes: 1000 },
            2
        ))
    );
    assert_eq!(
        parse("rotate=redirect:301:https://x.invalid/a"),
        Ok(spec(
            Operation::RotateSeed,
            Fault::Redirect {
                status: 301,
                location: "https://x.invalid/a".into()
            },
            1
        ))
    );
    assert_eq!(
        parse("put=status:500:application/json:{\"a\":1}"),
        Ok(spec(
            Operation::UpdateSettings,
            Fault::Status {
                status: 500,
                content_type: "application/json".into(),
                body: "{\"a\":1}".into()
            },
            1
        ))
    );
    for (text, want) in [
        ("invalid-json", Fault::InvalidJson),
        ("wrong-shape", Fault::WrongShape),
        ("missing-result", Fault::MissingResult),
    ] {
        assert_eq!(parse(&format!("any={text}")).unwrap().fault, want);
        assert_eq!(
            parse(&format!("any={text}")).unwrap().fault.to_string(),
            text
        );
    }
    for bad in [
        "html:503",
        "nope=drop",
        "get=html",
        "get=html:99",
        "get=frobnicate",
        "get*0=drop",
        "get*2=drop:2",
        "get=redirect:200:x",
        "get=delay:soon",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn binary_serves_logs_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cf-ssh-settings-emulator"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--token",
            "SECRET-TOKEN",
            "--account",
            ACCOUNT,
        ])
        .args(["--fault", "rotate_seed=html:503:1", "--rate-limit", "50/60"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    let base = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "no URL in {banner}"
        );
        banner.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            break url.to_owned();
        }
    };
    let rest = {
        let mut rest = String::new();
        // The banner ends with the fault line.
        while !rest.contains("fault:") {
            assert!(stdout.read_line(&mut rest).unwrap() > 0, "{rest}");
        }
        rest
    };
    assert!(
        rest.contains("SECRET-TOKEN") && rest.contains("50 requests per 60s"),
        "{rest}"
    );
    let port_addr = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let request = |method: &str, path: &str| {
        let mut stream = TcpStream::connect(&port_addr).unwrap();
        write!(
            stream,
            "{method} /client/v4/accounts/{ACCOUNT}/gateway/audit_ssh_settings{path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer SECRET-TOKEN\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    assert!(request("POST", "/rotate_seed").starts_with("HTTP/1.1 503"));
    assert!(request("GET", "").starts_with("HTTP/1.1 200"));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(
        log.contains(" 503 ") && log.contains("fault=html:503") && log.contains(" 200 "),
        "{log}"
    );
    assert!(!log.contains("SECRET-TOKEN"), "{log}");
}
