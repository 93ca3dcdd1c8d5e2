//! The fault matrix: every way the server can misbehave, the outcome the
//! SDK gives, and exactly how many requests it made for it.

use std::time::{Duration, Instant, SystemTime};

use cf_ssh_settings::{Client, ErrorKind, GatewaySettings, PublicKey, RetryPolicy};
use cf_ssh_settings_emulator::{Emulator, Fault, Operation};
use cf_ssh_settings_tests::*;

/// The attempt timeout of the matrix's client: short, so timeouts are quick.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(300);

/// What a case must end in.
#[derive(Debug)]
pub enum Expect {
    Ok,
    Err {
        kind: ErrorKind,
        status: Option<u16>,
        outcome_unknown: bool,
        /// A part of the error's Display.
        says: &'static str,
    },
}

/// One row of the matrix.
pub struct Case {
    pub name: &'static str,
    pub operation: Operation,
    pub faults: Vec<(Fault, usize)>,
    pub policy: RetryPolicy,
    pub expect: Expect,
    /// Requests the emulator must have received for the operation.
    pub requests: usize,
}

fn html(status: u16) -> Fault {
    Fault::HtmlError { status }
}

fn err(kind: ErrorKind, status: Option<u16>, outcome_unknown: bool, says: &'static str) -> Expect {
    Expect::Err {
        kind,
        status,
        outcome_unknown,
        says,
    }
}

/// The matrix. Waits are kept short: a `Retry-After` of 1 s is the longest.
pub fn matrix() -> Vec<Case> {
    use ErrorKind::*;
    use Operation::*;
    let fast = fast_retries();
    let in_two_seconds = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    vec![
        Case {
            name: "get: 503, 503, 200 succeeds on the third attempt",
            operation: GetSettings,
            faults: vec![(html(503), 2)],
            policy: fast.clone(),
            expect: Expect::Ok,
            requests: 3,
        },
        Case {
            name: "get: 503 three times fails after 3 attempts",
            operation: GetSettings,
            faults: vec![(html(503), 3)],
            policy: fast.clone(),
            expect: err(
                InvalidResponse,
                Some(503),
                false,
                "503 Service Unavailable: expected a JSON body, got text/html",
            ),
            requests: 3,
        },
        Case {
            name: "get: 500, 502, 504 then 200",
            operation: GetSettings,
            faults: vec![(html(500), 1), (html(502), 1)],
            policy: fast.clone().max_attempts(3),
            expect: Expect::Ok,
            requests: 3,
        },
        Case {
            name: "update: 502 then 200 (a PUT of the same key is idempotent)",
            operation: UpdateSettings,
            faults: vec![(html(502), 1)],
            policy: fast.clone(),
            expect: Expect::Ok,
            requests: 2,
        },
        Case {
            name: "rotate: 503 fails after 1 attempt, outcome unknown",
            operation: RotateSeed,
            faults: vec![(html(503), 1)],
            policy: fast.clone(),
            expect: err(
                InvalidResponse,
                Some(503),
                true,
                "the rotation may or may not have happened: call get_settings",
            ),
            requests: 1,
        },
        Case {
            name: "rotate: 503 then 200 with retry_writes opted in",
            operation: RotateSeed,
            faults: vec![(html(503), 1)],
            policy: fast.clone().retry_writes(true),
            expect: Expect::Ok,
            requests: 2,
        },
        Case {
            name: "rotate: 429 with Retry-After: 1 is waited out",
            operation: RotateSeed,
            faults: vec![(
                Fault::RateLimited {
                    retry_after: "1".into(),
                },
                1,
            )],
            policy: fast.clone(),
            expect: Expect::Ok,
            requests: 2,
        },
        Case {
            name: "get: 429 with Retry-After as an HTTP date is waited out",
            operation: GetSettings,
            faults: vec![(
                Fault::RateLimited {
                    retry_after: in_two_seconds,
                },
                1,
            )],
            policy: fast.clone(),
            expect: Expect::Ok,
            requests: 2,
        },
        Case {
            name: "get: 429 with Retry-After: 3600 fails at once",
            operation: GetSettings,
            faults: vec![(
                Fault::RateLimited {
                    retry_after: "3600".into(),
                },
                1,
            )],
            policy: fast.clone(),
            expect: err(
                Api,
                Some(429),
                false,
                "[971] Please wait and consider throttling your request speed (Cloudflare asked to wait 3600 s",
            ),
            requests: 1,
        },
        Case {
            name: "rotate: 429 three times fails after 3 attempts, outcome known",
            operation: RotateSeed,
            faults: vec![(
                Fault::RateLimited {
                    retry_after: "0".into(),
                },
                3,
            )],
            policy: fast.clone(),
            expect: err(Api, Some(429), false, "429 Too Many Requests: [971]"),
            requests: 3,
        },
        Case {
            name: "get: a dropped connection is retried",
            operation: GetSettings,
            faults: vec![(Fault::DropConnection, 1)],
            policy: fast.clone(),
            expect: Expect::Ok,
            requests: 2,
        },
        Case {
            name: "rotate: a dropped connection fails after 1 attempt, outcome unknown",
            operation: RotateSeed,
            faults: vec![(Fault::DropConnection, 1)],
            policy: fast.clone(),
            expect: err(Transport, None, true, "may or may not have happened"),
            requests: 1,
        },
        Case {
            name: "get: a body cut off mid-way is retried",
            operation: GetSettings,
            faults: vec![(Fault::TruncatedBody, 1)],
            policy: fast.clone(),
            expect: Expect::Ok,
            requests: 2,
        },
        Case {
            name: "get: a truncated body every time fails with the status",
            operation: GetSettings,
            faults: vec![(Fault::TruncatedBody, 3)],
            policy: fast.clone(),
            expect: err(
                InvalidResponse,
                Some(200),
                false,
                "the response body ended early",
            ),
            requests: 3,
        },
        Case {
            name: "get: a delay past the attempt timeout is retried",
            operation: GetSettings,
            faults: vec![(Fault::Delay(Duration::from_secs(2)), 1)],
            policy: fast.clone(),
            expect: Expect::Ok,
            requests: 2,
        },
        Case {
            name: "rotate: a delay past the timeout fails after 1 attempt, outcome unknown",
            operation: RotateSeed,
            faults: vec![(Fault::Delay(Duration::from_secs(2)), 1)],
            policy: fast.clone(),
            expect: err(Timeout, None, true, "no response within 300ms"),
            requests: 1,
        },
        Case {
            name: "get: a body over 1 MiB is refused, not retried",
            operation: GetSettings,
            faults: vec![(Fault::HugeBody { bytes: 3 << 20 }, 1)],
            policy: fast.clone(),
            expect: err(InvalidResponse, Some(200), false, "over the size limit"),
            requests: 1,
        },
        Case {
            name: "get: 200 with success false is not retried",
            operation: GetSettings,
            faults: vec![(Fault::SuccessFalse, 1)],
            policy: fast.clone(),
            expect: err(Api, Some(200), false, "200 OK: ["),
            requests: 1,
        },
        Case {
            name: "get: invalid JSON is not retried",
            operation: GetSettings,
            faults: vec![(Fault::InvalidJson, 1)],
            policy: fast.clone(),
            expect: err(InvalidResponse, Some(200), false, "not valid JSON"),
            requests: 1,
        },
        Case {
            name: "get: a wrong shape gives the JSON path",
            operation: GetSettings,
            faults: vec![(Fault::WrongShape, 1)],
            policy: fast.clone(),
            expect: err(InvalidResponse, Some(200), false, "at result."),
            requests: 1,
        },
        Case {
            name: "get: 200 without result",
            operation: GetSettings,
            faults: vec![(Fault::MissingResult, 1)],
            policy: fast.clone(),
            expect: err(InvalidResponse, Some(200), false, "no result"),
            requests: 1,
        },
        Case {
            name: "rotate: a redirect is not followed",
            operation: RotateSeed,
            faults: vec![(
                Fault::Redirect {
                    status: 307,
                    location: "http://127.0.0.1:9/elsewhere".into(),
                },
                1,
            )],
            policy: fast.clone(),
            expect: err(
                InvalidResponse,
                Some(307),
                false,
                "redirects are not followed",
            ),
            requests: 1,
        },
        Case {
            name: "get: RetryPolicy::none() makes one attempt",
            operation: GetSettings,
            faults: vec![(html(503), 1)],
            policy: RetryPolicy::none(),
            expect: err(InvalidResponse, Some(503), false, "503 Service Unavailable"),
            requests: 1,
        },
    ]
}

/// Runs one case against a fresh emulator with `client`'s credentials and
/// returns the outcome and the time it took.
pub async fn run(
    case: &Case,
    make_client: fn(&Emulator) -> Client,
) -> (
    Result<GatewaySettings, cf_ssh_settings::Error>,
    Duration,
    Emulator,
) {
    let emu = emulator().await;
    for (fault, count) in &case.faults {
        emu.inject(case.operation, fault.clone(), *count);
    }
    let client = make_client(&emu).with_retry_policy(case.policy.clone());
    let account = account();
    let started = Instant::now();
    let outcome = match case.operation {
        Operation::RotateSeed => client.rotate_seed(&account).await,
        Operation::UpdateSettings => {
            client
                .update_settings(&account, &PUBLIC_KEY.parse::<PublicKey>().unwrap())
                .await
        }
        _ => client.get_settings(&account).await,
    };
    (outcome, started.elapsed(), emu)
}

/// A token client with the matrix's short attempt timeout.
pub fn matrix_token_client(emu: &Emulator) -> Client {
    Client::builder()
        .api_token(TOKEN)
        .base_url(emu.base_url())
        .attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
        .unwrap()
}

/// An email+key client with the matrix's short attempt timeout.
pub fn matrix_key_client(emu: &Emulator) -> Client {
    Client::builder()
        .api_key(EMAIL, KEY)
        .base_url(emu.base_url())
        .attempt_timeout(ATTEMPT_TIMEOUT)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_fault_matrix() {
    let mut failures = Vec::new();
    for case in matrix() {
        let (outcome, elapsed, emu) = run(&case, matrix_token_client).await;
        let received = emu.requests(case.operation);
        let mut problems = Vec::new();
        if received != case.requests {
            problems.push(format!("{received} requests, expected {}", case.requests));
        }
        match (&case.expect, &outcome) {
            (Expect::Ok, Ok(_)) => {}
            (
                Expect::Err {
                    kind,
                    status,
                    outcome_unknown,
                    says,
                },
                Err(e),
            ) => {
                if e.kind() != *kind {
                    problems.push(format!("kind {:?}, expected {kind:?}", e.kind()));
                }
                if e.status().map(|s| s.as_u16()) != *status {
                    problems.push(format!("status {:?}, expected {status:?}", e.status()));
                }
                if e.is_outcome_unknown() != *outcome_unknown {
                    problems.push(format!(
                        "outcome_unknown {}, expected {outcome_unknown}",
                        e.is_outcome_unknown()
                    ));
                }
                if !e.to_string().contains(says) {
                    problems.push(format!("Display lacks {says:?}"));
                }
                if e.attempts() as usize != case.requests {
                    problems.push(format!(
                        "error counts {} attempts, expected {}",
                        e.attempts(),
                        case.requests
                    ));
                }
            }
            (expect, outcome) => problems.push(format!("expected {expect:?}, got {outcome:?}")),
        }
        if case.name.contains("3600") && elapsed > Duration::from_secs(5) {
            problems.push(format!(
                "took {elapsed:?}: a long Retry-After must fail at once"
            ));
        }
        if case.name.contains("Retry-After: 1 ") && elapsed < Duration::from_secs(1) {
            problems.push(format!(
                "took {elapsed:?}: Retry-After: 1 was not waited out"
            ));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} [{outcome:?}]",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fault matrix failures:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_rotation_that_timed_out_did_happen_and_get_settings_tells() {
    let emu = emulator().await;
    let client = matrix_token_client(&emu);
    let before = client.get_settings(&account()).await.unwrap();
    emu.inject(
        Operation::RotateSeed,
        Fault::Delay(Duration::from_secs(1)),
        1,
    );
    let err = client.rotate_seed(&account()).await.unwrap_err();
    assert!(err.is_outcome_unknown());
    let after = client.get_settings(&account()).await.unwrap();
    assert_ne!(
        before.seed_id, after.seed_id,
        "the delayed rotation did act, as the error warned"
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_carries_no_credentials() {
    let elsewhere = emulator().await;
    for client in [matrix_token_client, matrix_key_client] {
        let emu = emulator().await;
        let location = format!(
            "{}/accounts/{ACCOUNT}/gateway/audit_ssh_settings",
            elsewhere.base_url()
        );
        emu.inject(
            Operation::GetSettings,
            Fault::Redirect {
                status: 302,
                location,
            },
            3,
        );
        let err = client(&emu).get_settings(&account()).await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
        assert_eq!(emu.requests(Operation::GetSettings), 1);
    }
    assert_eq!(
        elsewhere.requests(Operation::Any),
        0,
        "nothing, credentials least of all, reached the other host"
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_rotate_since_nothing_was_sent() {
    let client = refused_client(fast_retries());
    let err = client.rotate_seed(&account()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(err.attempts(), 3);
    assert!(!err.is_outcome_unknown(), "{err}");
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_call() {
    let emu = emulator().await;
    emu.inject(
        Operation::GetSettings,
        Fault::Delay(Duration::from_secs(2)),
        3,
    );
    let client = matrix_token_client(&emu).with_deadline(Duration::from_millis(450));
    let started = Instant::now();
    let err = client.get_settings(&account()).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("the call's deadline"), "{err}");
    assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
    assert!(emu.requests(Operation::GetSettings) <= 2);
}

#[tokio::test]
async fn the_client_side_limiter_keeps_concurrent_tasks_under_the_server_limit() {
    let emu = Emulator::builder()
        .token(TOKEN, [ACCOUNT])
        .rate_limit(5, Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .api_token(TOKEN)
        .base_url(emu.base_url())
        .retry_policy(RetryPolicy::none())
        .limit_requests(5, Duration::from_millis(1100))
        .build()
        .unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_settings(&account()).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("no call is answered 429");
    }
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(emu.requests(Operation::GetSettings), 10);
}
