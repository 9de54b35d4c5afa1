//! Reads a PartiQL statement (the subset DynamoDB accepts: SELECT, INSERT, UPDATE, DELETE) into
//! its tree ([`super::ast`]). Parameters (`?`) are replaced by the request's values while parsing.

use serde_json::{json, Map, Value};

pub(super) use super::ast::*;
use super::lexer::{malformed, tokens, Token};
use crate::protocol::{DynamoError, DynamoResult};

/// Longest statement DynamoDB takes (`Statement`: 1 to 8192 characters).
const MAX_STATEMENT_CHARS: usize = 8192;
/// Deepest nesting of parentheses, NOT and literal documents; DynamoDB nests documents at most 32
/// deep, and the limit keeps the recursive parser's stack small whatever the input.
const MAX_DEPTH: usize = 32;
/// Most AND/OR/NOT in one WHERE, as DynamoDB's expressions allow at most 300 operators (it also
/// bounds the recursion over the condition tree).
const MAX_OPERATORS: usize = 300;

/// Parses `text`, taking `?` values from `params` in order.
pub(super) fn parse(text: &str, params: &[Value]) -> DynamoResult<Statement> {
    let chars = text.chars().count();
    if chars == 0 || chars > MAX_STATEMENT_CHARS {
        return Err(DynamoError::Validation(format!(
            "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length {}",
            if chars == 0 {
                "greater than or equal to 1".to_owned()
            } else {
                format!("less than or equal to {MAX_STATEMENT_CHARS}")
            }
        )));
    }
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
        params,
        next_param: 0,
        depth: 0,
        operators: 0,
    };
    let statement = p.statement()?;
    if let Statement::Select {
        filter: Some(c), ..
    }
    | Statement::Update { filter: c, .. }
    | Statement::Delete { filter: c, .. } = &statement
    {
        ordered_operands(c)?;
    }
    if let Some(t) = p.peek() {
        return Err(malformed(format!("Unexpected token {t:?}")));
    }
    if p.next_param != params.len() {
        return Err(DynamoError::Validation(format!(
            "Number of parameters in request and statement don't match. Parameters in request: {}, Parameters in statement: {}",
            params.len(),
            p.next_param
        )));
    }
    Ok(statement)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    params: &'a [Value],
    next_param: usize,
    /// Current nesting (see [`MAX_DEPTH`]).
    depth: usize,
    /// Logical operators read so far (see [`MAX_OPERATORS`]).
    operators: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> DynamoResult<Token> {
        let t = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| malformed("Unexpected end of statement"))?;
        self.at += 1;
        Ok(t)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.is_word(word);
        if found {
            self.at += 1;
        }
        found
    }

    fn word(&mut self, word: &str) -> DynamoResult<()> {
        if self.eat_word(word) {
            Ok(())
        } else {
            Err(malformed(format!("Expected {word}")))
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Sym(s)) if *s == sym);
        if found {
            self.at += 1;
        }
        found
    }

    fn sym(&mut self, sym: &str) -> DynamoResult<()> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            Err(malformed(format!("Expected '{sym}'")))
        }
    }

    fn statement(&mut self) -> DynamoResult<Statement> {
        if self.eat_word("SELECT") {
            self.select()
        } else if self.eat_word("INSERT") {
            self.word("INTO")?;
            let (table, index) = self.table_ref()?;
            if index.is_some() {
                return Err(malformed(
                    "FROM clause may only contain a single table name",
                ));
            }
            self.word("VALUE")?;
            let item = self.value()?;
            if item.get("M").is_none() {
                return Err(malformed("INSERT VALUE must be a tuple {...}"));
            }
            Ok(Statement::Insert { table, item })
        } else if self.eat_word("UPDATE") {
            self.update()
        } else if self.eat_word("DELETE") {
            self.word("FROM")?;
            let (table, index) = self.table_ref()?;
            self.word("WHERE")?;
            let filter = self.cond()?;
            let returning = self.returning()?;
            Ok(Statement::Delete {
                table,
                index,
                filter,
                returning,
            })
        } else {
            Err(malformed("Expected data manipulation"))
        }
    }

    fn select(&mut self) -> DynamoResult<Statement> {
        let projection = if self.eat_sym("*") {
            None
        } else {
            let mut paths = vec![self.path()?];
            while self.eat_sym(",") {
                paths.push(self.path()?);
            }
            Some(paths)
        };
        self.word("FROM")?;
        let (table, index) = self.table_ref()?;
        let filter = if self.eat_word("WHERE") {
            Some(self.cond()?)
        } else {
            None
        };
        let mut descending = false;
        if self.eat_word("ORDER") {
            self.word("BY")?;
            self.path()?;
            if self.eat_word("DESC") {
                descending = true;
            } else {
                self.eat_word("ASC");
            }
        }
        Ok(Statement::Select {
            projection,
            table,
            index,
            filter,
            descending,
        })
    }

    fn update(&mut self) -> DynamoResult<Statement> {
        let (table, index) = self.table_ref()?;
        let mut actions = Vec::new();
        loop {
            if self.eat_word("SET") {
                loop {
                    let path = self.path()?;
                    self.sym("=")?;
                    actions.push(Action::Set(path, self.set_value()?));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            } else if self.eat_word("REMOVE") {
                loop {
                    actions.push(Action::Remove(self.path()?));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            } else {
                break;
            }
        }
        if actions.is_empty() {
            return Err(malformed("Expected SET or REMOVE"));
        }
        self.word("WHERE")?;
        let filter = self.cond()?;
        let returning = self.returning()?;
        Ok(Statement::Update {
            table,
            index,
            actions,
            filter,
            returning,
        })
    }

    fn returning(&mut self) -> DynamoResult<Option<Returning>> {
        if !self.eat_word("RETURNING") {
            return Ok(None);
        }
        let all = if self.eat_word("ALL") {
            true
        } else if self.eat_word("MODIFIED") {
            false
        } else {
            return Err(malformed("Expected ALL or MODIFIED after RETURNING"));
        };
        let old = if self.eat_word("OLD") {
            true
        } else if self.eat_word("NEW") {
            false
        } else {
            return Err(malformed("Expected OLD or NEW"));
        };
        self.sym("*")?;
        Ok(Some(match (all, old) {
            (true, true) => Returning::AllOld,
            (false, true) => Returning::ModifiedOld,
            (true, false) => Returning::AllNew,
            (false, false) => Returning::ModifiedNew,
        }))
    }

    fn set_value(&mut self) -> DynamoResult<SetValue> {
        for (word, name) in [
            ("list_append", "list_append"),
            ("set_add", "set_add"),
            ("set_delete", "set_delete"),
            ("if_not_exists", "if_not_exists"),
        ] {
            if self.is_word(word) && self.tokens.get(self.at + 1) == Some(&Token::Sym("(")) {
                self.at += 2;
                let args = self.args()?;
                return Ok(SetValue::Func(name, args));
            }
        }
        let left = self.operand()?;
        for op in ["+", "-"] {
            if self.eat_sym(op) {
                return Ok(SetValue::Arith(left, op, self.operand()?));
            }
        }
        Ok(SetValue::Operand(left))
    }

    /// Comma-separated operands up to the closing parenthesis (the opening one is consumed).
    fn args(&mut self) -> DynamoResult<Vec<Operand>> {
        let mut args = vec![self.operand()?];
        while self.eat_sym(",") {
            args.push(self.operand()?);
        }
        self.sym(")")?;
        Ok(args)
    }

    /// Enters one level of nesting, refusing past [`MAX_DEPTH`]; [`Parser::leave`] undoes it.
    fn enter(&mut self) -> DynamoResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(malformed("The statement is nested too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Counts one AND/OR/NOT, refusing past [`MAX_OPERATORS`].
    fn operator(&mut self) -> DynamoResult<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(DynamoError::Validation(format!(
                "The statement has more than {MAX_OPERATORS} operators"
            )));
        }
        Ok(())
    }

    fn cond(&mut self) -> DynamoResult<Cond> {
        let mut left = self.and()?;
        while self.eat_word("OR") {
            self.operator()?;
            left = Cond::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> DynamoResult<Cond> {
        let mut left = self.not()?;
        while self.eat_word("AND") {
            self.operator()?;
            left = Cond::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> DynamoResult<Cond> {
        if self.eat_word("NOT") {
            self.operator()?;
            self.enter()?;
            let inner = self.not()?;
            self.leave();
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.predicate()
    }

    fn predicate(&mut self) -> DynamoResult<Cond> {
        if self.eat_sym("(") {
            self.enter()?;
            let inner = self.cond()?;
            self.leave();
            self.sym(")")?;
            return Ok(inner);
        }
        for (word, name) in [
            ("begins_with", "begins_with"),
            ("contains", "contains"),
            ("attribute_type", "attribute_type"),
        ] {
            if self.is_word(word) && self.tokens.get(self.at + 1) == Some(&Token::Sym("(")) {
                self.at += 2;
                return Ok(Cond::Func(name, self.args()?));
            }
        }
        let left = self.operand()?;
        if self.eat_word("IS") {
            let negated = self.eat_word("NOT");
            let Operand::Path(path) = left else {
                return Err(malformed("IS needs an attribute path"));
            };
            return if self.eat_word("MISSING") {
                Ok(Cond::Missing(path, !negated))
            } else if self.eat_word("NULL") {
                Ok(Cond::Null(path, !negated))
            } else {
                Err(malformed("Expected MISSING or NULL"))
            };
        }
        if self.eat_word("BETWEEN") {
            let low = self.operand()?;
            self.word("AND")?;
            let high = self.operand()?;
            return Ok(Cond::Between(left, low, high));
        }
        if self.eat_word("IN") {
            let close = if self.eat_sym("[") {
                "]"
            } else if self.eat_sym("(") {
                ")"
            } else {
                return Err(malformed("Expected a list after IN"));
            };
            let mut items = vec![self.operand()?];
            while self.eat_sym(",") {
                items.push(self.operand()?);
            }
            self.sym(close)?;
            return Ok(Cond::In(left, items));
        }
        let op = match self.next()? {
            Token::Sym("=") => "=",
            Token::Sym("<>" | "!=") => "<>",
            Token::Sym("<") => "<",
            Token::Sym("<=") => "<=",
            Token::Sym(">") => ">",
            Token::Sym(">=") => ">=",
            t => return Err(malformed(format!("Unexpected token {t:?}"))),
        };
        Ok(Cond::Cmp(left, op, self.operand()?))
    }

    fn operand(&mut self) -> DynamoResult<Operand> {
        if self.is_word("size") && self.tokens.get(self.at + 1) == Some(&Token::Sym("(")) {
            self.at += 2;
            let path = self.path()?;
            self.sym(")")?;
            return Ok(Operand::Size(path));
        }
        match self.peek() {
            Some(Token::Word(w))
                if !["true", "false", "null", "missing"]
                    .iter()
                    .any(|k| w.eq_ignore_ascii_case(k)) =>
            {
                Ok(Operand::Path(self.path()?))
            }
            Some(Token::Quoted(_)) => Ok(Operand::Path(self.path()?)),
            _ => Ok(Operand::Value(self.value()?)),
        }
    }

    /// `table` or `table.index`, each part checked as DynamoDB checks it before any lookup.
    fn table_ref(&mut self) -> DynamoResult<(String, Option<String>)> {
        let mut parts = vec![self.name()?];
        while self.eat_sym(".") {
            parts.push(self.name()?);
        }
        if parts.len() > 2 {
            return Err(DynamoError::Validation(
                "A path may contain at most 2 components in the FROM clause".into(),
            ));
        }
        if parts.iter().any(String::is_empty) {
            return Err(DynamoError::Validation(
                "Path component cannot be an empty string".into(),
            ));
        }
        let index = (parts.len() == 2).then(|| parts.remove(1));
        Ok((parts.remove(0), index))
    }

    /// A table, index or attribute name.
    fn name(&mut self) -> DynamoResult<String> {
        match self.next()? {
            Token::Word(w) | Token::Quoted(w) => Ok(w),
            t => Err(malformed(format!("Expected a name, found {t:?}"))),
        }
    }

    fn path(&mut self) -> DynamoResult<Path> {
        let mut steps = vec![Step::Name(self.name()?)];
        loop {
            if self.eat_sym(".") {
                steps.push(Step::Name(self.name()?));
            } else if self.eat_sym("[") {
                let step = match self.next()? {
                    Token::Num(n) => Step::Index(
                        n.parse()
                            .map_err(|_| malformed(format!("Invalid list index {n}")))?,
                    ),
                    Token::Str(s) => Step::Name(s),
                    t => return Err(malformed(format!("Expected a list index, found {t:?}"))),
                };
                self.sym("]")?;
                steps.push(step);
            } else {
                return Ok(Path(steps));
            }
        }
    }

    /// A literal or parameter as a DynamoDB attribute value.
    fn value(&mut self) -> DynamoResult<Value> {
        self.enter()?;
        let value = self.literal();
        self.leave();
        value
    }

    fn literal(&mut self) -> DynamoResult<Value> {
        match self.next()? {
            Token::Str(s) => Ok(json!({ "S": s })),
            Token::Num(n) => Ok(json!({ "N": n })),
            Token::Param => {
                let v = self
                    .params
                    .get(self.next_param)
                    .cloned()
                    .ok_or_else(|| {
                        DynamoError::Validation(format!(
                            "Number of parameters in request and statement don't match. Parameters in request: {}, Parameters in statement: {}",
                            self.params.len(),
                            self.next_param + 1
                        ))
                    })?;
                self.next_param += 1;
                Ok(v)
            }
            Token::Word(w) if w.eq_ignore_ascii_case("true") => Ok(json!({ "BOOL": true })),
            Token::Word(w) if w.eq_ignore_ascii_case("false") => Ok(json!({ "BOOL": false })),
            Token::Word(w) if w.eq_ignore_ascii_case("null") => Ok(json!({ "NULL": true })),
            Token::Sym("{") => {
                let mut map = Map::new();
                if !self.eat_sym("}") {
                    loop {
                        let key = match self.next()? {
                            Token::Str(s) | Token::Quoted(s) => s,
                            t => return Err(malformed(format!("Expected a key, found {t:?}"))),
                        };
                        self.sym(":")?;
                        map.insert(key, self.value()?);
                        if self.eat_sym("}") {
                            break;
                        }
                        self.sym(",")?;
                    }
                }
                Ok(json!({ "M": map }))
            }
            Token::Sym("[") => Ok(json!({ "L": self.values_until("]")? })),
            Token::Sym("<<") => set_of(self.values_until(">>")?),
            t => Err(malformed(format!("Unexpected token {t:?}"))),
        }
    }

    /// Comma-separated values up to `close` (the opening bracket is consumed; may be empty).
    fn values_until(&mut self, close: &str) -> DynamoResult<Vec<Value>> {
        let mut values = Vec::new();
        if !self.eat_sym(close) {
            loop {
                values.push(self.value()?);
                if self.eat_sym(close) {
                    break;
                }
                self.sym(",")?;
            }
        }
        Ok(values)
    }
}

/// `<<…>>` as a string, number or binary set (all members of one type).
fn set_of(members: Vec<Value>) -> DynamoResult<Value> {
    let kind = members
        .first()
        .and_then(|m| m.as_object())
        .and_then(|m| m.keys().next().cloned())
        .ok_or_else(|| malformed("A set may not be empty"))?;
    let set_kind = match kind.as_str() {
        "S" => "SS",
        "N" => "NS",
        "B" => "BS",
        _ => return Err(malformed("A set holds strings, numbers or binaries")),
    };
    let mut out = Vec::new();
    for m in members {
        match m.get(&kind) {
            Some(v) => out.push(v.clone()),
            None => return Err(malformed("A set's members must all be of one type")),
        }
    }
    Ok(json!({ set_kind: out }))
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
