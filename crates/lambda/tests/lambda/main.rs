//! Integration tests for the Lambda service: real runtime processes over the Runtime API.

mod harness;

mod concurrency;
mod failures;
mod logs;
mod node;
mod provided;
mod python;
