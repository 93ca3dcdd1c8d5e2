//! Response bodies, including the deliberately broken ones.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, SizeHint};

/// Bytes of padding handed to hyper per frame when streaming a huge body.
const CHUNK: usize = 64 * 1024;
static PAD: [u8; CHUNK] = [b'x'; CHUNK];

/// A response body.
pub(crate) enum EmuBody {
    Full(Option<Bytes>),
    /// `head`, then `pad` bytes of `x`, then `tail`; exact length known.
    Padded {
        head: Option<Bytes>,
        pad: usize,
        tail: Option<Bytes>,
    },
    /// Sends `part`, then fails, which makes hyper abort the connection
    /// short of the announced `content-length`.
    Truncated {
        part: Option<Bytes>,
        /// hyper drops its unflushed buffer when a body fails, and only
        /// flushes while the body is pending: pause before failing.
        pause: Option<Pin<Box<tokio::time::Sleep>>>,
    },
}

impl EmuBody {
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        EmuBody::Full(Some(bytes.into()))
    }

    /// Announces more than `part` and closes after it.
    pub fn truncated(part: Bytes) -> Self {
        EmuBody::Truncated {
            part: Some(part),
            pause: None,
        }
    }

    pub fn empty() -> Self {
        EmuBody::Full(None)
    }

    /// `{"pad":"xxx…"}` of exactly `len` bytes.
    pub fn huge(len: usize) -> Self {
        const HEAD: &[u8] = b"{\"pad\":\"";
        const TAIL: &[u8] = b"\"}";
        if len < HEAD.len() + TAIL.len() {
            return EmuBody::full(vec![b' '; len]);
        }
        EmuBody::Padded {
            head: Some(Bytes::from_static(HEAD)),
            pad: len - HEAD.len() - TAIL.len(),
            tail: Some(Bytes::from_static(TAIL)),
        }
    }
}

impl Body for EmuBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let next = match self.get_mut() {
            EmuBody::Full(bytes) => bytes.take().map(Ok),
            EmuBody::Padded { head, pad, tail } => head
                .take()
                .or_else(|| {
                    (*pad > 0).then(|| {
                        let n = (*pad).min(CHUNK);
                        *pad -= n;
                        Bytes::from_static(&PAD[..n])
                    })
                })
                .or_else(|| tail.take())
                .map(Ok),
            EmuBody::Truncated { part, pause } => match part.take() {
                Some(part) => Some(Ok(part)),
                None => {
                    let pause = pause.get_or_insert_with(|| {
                        Box::pin(tokio::time::sleep(Duration::from_millis(50)))
                    });
                    if pause.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "body truncated on purpose",
                    )))
                }
            },
        };
        Poll::Ready(next.map(|r| r.map(Frame::data)))
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, EmuBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            EmuBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            EmuBody::Padded { head, pad, tail } => {
                let len = |b: &Option<Bytes>| b.as_ref().map_or(0, |b| b.len() as u64);
                SizeHint::with_exact(len(head) + *pad as u64 + len(tail))
            }
            // Unknown on purpose: the handler sets content-length itself.
            EmuBody::Truncated { .. } => SizeHint::default(),
        }
    }
}
