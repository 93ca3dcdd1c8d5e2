//! Integration tests: the SDK against the emulator, over real HTTP on loopback.

mod calls;
mod errors;
mod faults;
mod input;
mod main_job;
mod props;
mod redaction;
