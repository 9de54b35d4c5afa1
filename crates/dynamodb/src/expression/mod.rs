//! DynamoDB's expression language: lexer, syntax trees, the grammars (conditions and projections,
//! updates) over one shared token cursor, and the evaluator.
//!
//! Dependencies run one way: `ast` and `attrs` are leaves; `cursor` uses both; the grammars use the
//! cursor; `eval` reads only the trees.

pub mod ast;
mod attrs;
mod cursor;
pub mod eval;
pub mod lexer;
mod parser;
mod update_parser;

pub use ast::{CmpOp, Condition, Operand, Path, PathElem, SetOperand, SetValue, UpdateExpression};
pub use attrs::ExprAttrs;
pub use eval::{evaluate, project, resolve};
pub use parser::{parse_condition, parse_projection};
pub use update_parser::parse_update;
