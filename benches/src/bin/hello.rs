//! The floor of the emulator's throughput: a minimal hyper 1 HTTP/1 server,
//! set up as the emulator's (Tokio multi-thread runtime, `TCP_NODELAY`,
//! `http1::Builder`), answering every request with a fixed JSON body the size
//! of the emulator's settings envelope.
//!
//! ```text
//! hello [--addr 127.0.0.1:0]    prints "listening on http://ADDR", serves until killed
//! ```

use std::{convert::Infallible, net::SocketAddr};

use http_body_util::Full;
use hyper::{
    Request, Response,
    body::{Bytes, Incoming},
    header::{CONTENT_TYPE, HeaderValue},
    server::conn::http1,
    service::service_fn,
};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// A settings envelope as the emulator sends it.
const BODY: &str = r#"{"result":{"created_at":"2026-01-01T00:00:00.000Z","public_key":null,"seed_id":"5f1d8c3e-2b4a-4c6e-9a7b-0d1e2f3a4b5c","updated_at":"2026-01-01T00:00:00.000Z"},"success":true,"errors":[],"messages":[]}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut addr: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => {
                addr = value
                    .parse()
                    .map_err(|e| std::io::Error::other(format!("--addr {value}: {e}")))?;
            }
            _ => {
                return Err(std::io::Error::other("usage: hello [--addr 127.0.0.1:0]"));
            }
        }
    }
    let listener = TcpListener::bind(addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|_request: Request<Incoming>| async {
                let mut response = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Ok::<_, Infallible>(response)
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
