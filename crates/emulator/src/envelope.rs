//! The v4 API envelope: the JSON bodies of success and failure responses,
//! and the errors the emulator answers with.

use serde::Serialize;

use crate::settings::Settings;

/// One entry of an envelope's `errors` array (the spec's `Message`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Message {
    pub code: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_chain: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// Where in the request body an error points (JSON pointer).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Source {
    pub pointer: String,
}

impl Message {
    pub fn new(code: u32, message: impl Into<String>) -> Self {
        Message {
            code,
            message: message.into(),
            error_chain: Vec::new(),
            source: None,
        }
    }
}

// Field order matches what the real API sends, so byte-level comparisons
// between the two stay meaningful.
#[derive(Serialize)]
struct Envelope<'a, R: Serialize> {
    errors: &'a [Message],
    messages: [(); 0],
    success: bool,
    result: Option<R>,
}

/// `{"errors":[],"messages":[],"success":true,"result":{...}}`.
pub(crate) fn success_body(result: &Settings) -> Vec<u8> {
    to_vec(&Envelope {
        errors: &[],
        messages: [],
        success: true,
        result: Some(result),
    })
}

/// `{"errors":[...],"messages":[],"success":false,"result":null}`.
pub(crate) fn failure_body(errors: &[Message]) -> Vec<u8> {
    to_vec(&Envelope::<()> {
        errors,
        messages: [],
        success: false,
        result: None,
    })
}

fn to_vec(value: &impl Serialize) -> Vec<u8> {
    // Serialising these plain structs cannot fail.
    serde_json::to_vec(value).expect("envelope serialises")
}

/// An error answer: HTTP status plus the envelope's `errors`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub errors: Vec<Message>,
    /// `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl ApiError {
    fn one(status: u16, message: Message) -> Self {
        ApiError {
            status,
            errors: vec![message],
            allow: None,
        }
    }

    pub fn missing_auth() -> Self {
        Self::one(
            400,
            Message::new(
                9106,
                "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
            ),
        )
    }

    /// 6003 with the specific header problems as its `error_chain`.
    pub fn invalid_headers(chain: Vec<Message>) -> Self {
        let mut message = Message::new(6003, "Invalid request headers");
        message.error_chain = chain;
        Self::one(400, message)
    }

    pub fn authentication() -> Self {
        Self::one(403, Message::new(10000, "Authentication error"))
    }

    pub fn unauthorized() -> Self {
        Self::one(
            403,
            Message::new(9109, "Unauthorized to access requested resource"),
        )
    }

    pub fn no_route() -> Self {
        Self::one(404, Message::new(7000, "No route for that URI"))
    }

    /// 7003, quoting the path below the base URL like the real API does.
    pub fn could_not_route(path: &str) -> Self {
        Self::one(
            404,
            Message::new(
                7003,
                format!("Could not route to {path}, perhaps your object identifier is invalid?"),
            ),
        )
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut error = Self::one(405, Message::new(7001, "Method not allowed for this route"));
        error.allow = Some(allow);
        error
    }

    pub fn invalid_json(detail: &str) -> Self {
        Self::one(
            400,
            Message::new(10001, format!("Malformed JSON in request body: {detail}")),
        )
    }

    /// A body that is JSON but whose `public_key` is missing or wrong.
    pub fn invalid_public_key(detail: &str) -> Self {
        let mut message = Message::new(2001, format!("Invalid public_key: {detail}"));
        message.source = Some(Source {
            pointer: "/public_key".into(),
        });
        Self::one(400, message)
    }

    pub fn body_too_large(limit: usize) -> Self {
        Self::one(
            413,
            Message::new(10013, format!("Request body larger than {limit} bytes")),
        )
    }

    pub fn rate_limited() -> Self {
        Self::one(
            429,
            Message::new(
                971,
                "Please wait and consider throttling your request speed",
            ),
        )
    }

    pub fn internal(detail: &str) -> Self {
        Self::one(
            500,
            Message::new(10002, format!("Internal error: {detail}")),
        )
    }

    pub fn body(&self) -> Vec<u8> {
        failure_body(&self.errors)
    }
}
