//! Expression text (`#n0 = :v0 AND …`) for parts of a PartiQL statement, with the names and
//! values it uses, for the operation the statement runs as.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::ast::{Cond, Operand, Path, Step};

/// Expression text under construction, with the names and values it uses.
#[derive(Default)]
pub(super) struct Expr {
    names: Map<String, Value>,
    name_ids: HashMap<String, String>,
    values: Map<String, Value>,
}

impl Expr {
    pub fn name(&mut self, name: &str) -> String {
        if let Some(id) = self.name_ids.get(name) {
            return id.clone();
        }
        let id = format!("#n{}", self.name_ids.len());
        self.names
            .insert(id.clone(), Value::String(name.to_owned()));
        self.name_ids.insert(name.to_owned(), id.clone());
        id
    }

    pub fn value(&mut self, v: &Value) -> String {
        let id = format!(":v{}", self.values.len());
        self.values.insert(id.clone(), v.clone());
        id
    }

    pub fn path(&mut self, p: &Path) -> String {
        let mut out = String::new();
        for step in &p.0 {
            match step {
                Step::Name(n) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&self.name(n));
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// A `ProjectionExpression` of `paths`.
    pub fn projection(&mut self, paths: &[Path]) -> String {
        paths
            .iter()
            .map(|p| self.path(p))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn operand(&mut self, o: &Operand) -> String {
        match o {
            Operand::Path(p) => self.path(p),
            Operand::Value(v) => self.value(v),
            Operand::Size(p) => format!("size({})", self.path(p)),
        }
    }

    pub fn operands(&mut self, os: &[Operand]) -> String {
        os.iter()
            .map(|o| self.operand(o))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `c` as condition text, parenthesised when it binds looser than its parent
    /// (precedence: OR 1, AND 2, NOT 3, a predicate 4).
    pub fn cond(&mut self, c: &Cond, parent: u8) -> String {
        let (text, own) = match c {
            Cond::Or(a, b) => (format!("{} OR {}", self.cond(a, 1), self.cond(b, 1)), 1),
            Cond::And(a, b) => (format!("{} AND {}", self.cond(a, 2), self.cond(b, 2)), 2),
            Cond::Not(a) => (format!("NOT {}", self.cond(a, 3)), 3),
            Cond::Cmp(a, op, b) => (format!("{} {op} {}", self.operand(a), self.operand(b)), 4),
            Cond::Between(a, lo, hi) => (
                format!(
                    "{} BETWEEN {} AND {}",
                    self.operand(a),
                    self.operand(lo),
                    self.operand(hi)
                ),
                4,
            ),
            Cond::In(a, items) => (
                format!("{} IN ({})", self.operand(a), self.operands(items)),
                4,
            ),
            Cond::Func(name, args) => (format!("{name}({})", self.operands(args)), 4),
            Cond::Missing(p, missing) => {
                let f = if *missing {
                    "attribute_not_exists"
                } else {
                    "attribute_exists"
                };
                (format!("{f}({})", self.path(p)), 4)
            }
            Cond::Null(p, null) => {
                let test = format!(
                    "attribute_type({}, {})",
                    self.path(p),
                    self.value(&json!({"S": "NULL"}))
                );
                if *null {
                    (test, 4)
                } else {
                    (format!("NOT {test}"), 3)
                }
            }
        };
        if own < parent {
            format!("({text})")
        } else {
            text
        }
    }

    /// Adds the names and values used to `req`.
    pub fn into_request(self, req: &mut Map<String, Value>) {
        if !self.names.is_empty() {
            req.insert("ExpressionAttributeNames".into(), Value::Object(self.names));
        }
        if !self.values.is_empty() {
            req.insert(
                "ExpressionAttributeValues".into(),
                Value::Object(self.values),
            );
        }
    }
}
