//! Integration tests: the SDK against the emulator, over real HTTP on loopback.

mod calls;
mod errors;
mod faults;
mod input;
mod props;
mod redaction;
