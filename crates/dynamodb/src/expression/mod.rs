//! DynamoDB's expression language: lexer, parser (with a depth limit) and evaluator.

pub mod eval;
pub mod lexer;
pub mod parser;

pub use eval::{evaluate, project, resolve};
pub use parser::{parse_condition, parse_projection, Condition, ExprAttrs, Path, PathElem};
