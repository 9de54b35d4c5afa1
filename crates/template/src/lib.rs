//! SAM template → [`Model`]: YAML with CloudFormation tags, intrinsics, parameters, conditions,
//! `Globals`, and the serverless resources Sluice emulates.

pub mod model;

pub use model::{Code, Function, Model, RestApi, Route};
