//! A PartiQL statement as a tree. Values are DynamoDB attribute values already (`{"S": …}`):
//! parameters are substituted while parsing.

use serde_json::Value;

use crate::protocol::{DynamoError, DynamoResult};

/// A parsed statement.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Statement {
    /// `SELECT * | path, … FROM table[."index"] [WHERE cond] [ORDER BY name [ASC|DESC]]`
    Select {
        /// `None` for `*`.
        projection: Option<Vec<Path>>,
        /// Table name.
        table: String,
        /// Index, when the FROM names one.
        index: Option<String>,
        /// The WHERE clause.
        filter: Option<Cond>,
        /// `ORDER BY … DESC`.
        descending: bool,
    },
    /// `INSERT INTO table VALUE {…}`
    Insert {
        /// Table name.
        table: String,
        /// The item, as a DynamoDB `M` value.
        item: Value,
    },
    /// `UPDATE table SET … REMOVE … WHERE cond [RETURNING …]`
    Update {
        /// Table name.
        table: String,
        /// An index named after the table (refused: writes go to tables).
        index: Option<String>,
        /// The SET/REMOVE actions in statement order.
        actions: Vec<Action>,
        /// The WHERE clause.
        filter: Cond,
        /// The RETURNING clause.
        returning: Option<Returning>,
    },
    /// `DELETE FROM table WHERE cond [RETURNING …]`
    Delete {
        /// Table name.
        table: String,
        /// An index named after the table (refused: writes go to tables).
        index: Option<String>,
        /// The WHERE clause.
        filter: Cond,
        /// The RETURNING clause.
        returning: Option<Returning>,
    },
}

/// One step of a document path.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step {
    /// An attribute or map member.
    Name(String),
    /// A list element.
    Index(u32),
}

/// A document path: a top-level name, then members and list elements.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Path(pub Vec<Step>);

impl Path {
    /// The top-level attribute name when the path is just that.
    pub fn top(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Step::Name(n)] => Some(n),
            _ => None,
        }
    }
}

/// Something compared: a path, a value, or `size(path)`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    /// A document path.
    Path(Path),
    /// A DynamoDB attribute value (`{"S": …}`).
    Value(Value),
    /// `size(path)`.
    Size(Path),
}

/// A WHERE condition.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cond {
    /// `a op b` with op one of `= <> < <= > >=`.
    Cmp(Operand, &'static str, Operand),
    /// `a BETWEEN b AND c`.
    Between(Operand, Operand, Operand),
    /// `a IN [b, …]`.
    In(Operand, Vec<Operand>),
    /// `begins_with`, `contains` or `attribute_type` with its arguments.
    Func(&'static str, Vec<Operand>),
    /// `path IS [NOT] MISSING` (`true`: IS MISSING).
    Missing(Path, bool),
    /// `path IS [NOT] NULL` (`true`: IS NULL).
    Null(Path, bool),
    /// `a AND b`.
    And(Box<Cond>, Box<Cond>),
    /// `a OR b`.
    Or(Box<Cond>, Box<Cond>),
    /// `NOT a`.
    Not(Box<Cond>),
}

/// One UPDATE action.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Action {
    /// `SET path = value`.
    Set(Path, SetValue),
    /// `REMOVE path`.
    Remove(Path),
}

/// The right side of a SET.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum SetValue {
    /// A value or another path.
    Operand(Operand),
    /// `a + b` or `a - b`.
    Arith(Operand, &'static str, Operand),
    /// `list_append(a, b)`, `set_add(path, set)`, `set_delete(path, set)`, `if_not_exists(path, v)`.
    Func(&'static str, Vec<Operand>),
}

/// What an UPDATE or DELETE returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Returning {
    /// `ALL OLD *`
    AllOld,
    /// `MODIFIED OLD *`
    ModifiedOld,
    /// `ALL NEW *`
    AllNew,
    /// `MODIFIED NEW *`
    ModifiedNew,
}

impl std::fmt::Display for Returning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Returning::AllOld => "RETURNING ALL OLD *",
            Returning::ModifiedOld => "RETURNING MODIFIED OLD *",
            Returning::AllNew => "RETURNING ALL NEW *",
            Returning::ModifiedNew => "RETURNING MODIFIED NEW *",
        })
    }
}

impl Returning {
    /// The `ReturnValues` of the single-item operation.
    pub fn return_values(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL_OLD",
            Returning::ModifiedOld => "UPDATED_OLD",
            Returning::AllNew => "ALL_NEW",
            Returning::ModifiedNew => "UPDATED_NEW",
        }
    }
}

/// DynamoDB refuses an ordering comparison of a value with no order (a boolean, null, list, map
/// or set) before it looks the table up.
pub(super) fn ordered_operands(c: &Cond) -> DynamoResult<()> {
    let check = |op: &str, operands: &[&Operand]| {
        for o in operands {
            if let Operand::Value(Value::Object(v)) = o {
                if let Some(kind) = v.keys().next() {
                    if !matches!(kind.as_str(), "S" | "N" | "B") {
                        return Err(DynamoError::Validation(format!(
                            "Incorrect operand type for operator or function; operator or function: {op}, operand type: {kind}"
                        )));
                    }
                }
            }
        }
        Ok(())
    };
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            ordered_operands(a)?;
            ordered_operands(b)
        }
        Cond::Not(a) => ordered_operands(a),
        Cond::Cmp(a, op, b) if *op != "=" && *op != "<>" => check(op, &[a, b]),
        Cond::Between(a, lo, hi) => check("BETWEEN", &[a, lo, hi]),
        _ => Ok(()),
    }
}
