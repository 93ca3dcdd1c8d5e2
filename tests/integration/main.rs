//! Integration tests: the SDK against the emulator, over real HTTP on loopback.

mod calls;
mod errors;
mod input;
mod redaction;
