//! Parser for condition/filter/key-condition and projection expressions, with a nesting depth limit so
//! hostile input gets a ValidationException instead of overflowing the stack.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

#[cfg(test)]
use serde_json::{Map, Value};

use super::lexer::{tokenize, Tok, Token};
use crate::attribute_value::{AttributeValue, AttributeValueError};
use crate::protocol::{DynamoError, DynamoResult, Req};

/// Longest expression DynamoDB accepts, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// Deepest nesting of parentheses / NOT we parse. AWS: documented only indirectly (4 KB expressions);
/// Sluice: a fixed bound so recursion can never exhaust the stack.
pub const MAX_DEPTH: usize = 100;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElem {
    /// Map key / top-level attribute name.
    Attr(String),
    /// List index.
    Index(usize),
}

/// A document path such as `a.b[1].c`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path(pub Vec<PathElem>);

impl Path {
    /// The top-level attribute name.
    pub fn root(&self) -> &str {
        match self.0.first() {
            Some(PathElem::Attr(a)) => a,
            // Parser always starts a path with an attribute name.
            _ => "",
        }
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| match e {
                PathElem::Attr(a) => a.clone(),
                PathElem::Index(i) => format!("[{i}]"),
            })
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}

/// A value-producing operand in a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// Attribute at a path (absent if the item lacks it).
    Path(Path),
    /// A `:value`.
    Value(AttributeValue),
    /// `size(path)`.
    Size(Path),
}

/// Comparators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A boolean condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a <op> b`
    Compare(Operand, CmpOp, Operand),
    /// `a BETWEEN lo AND hi`
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, …)`
    In(Operand, Vec<Operand>),
    /// `x AND y`
    And(Box<Condition>, Box<Condition>),
    /// `x OR y`
    Or(Box<Condition>, Box<Condition>),
    /// `NOT x`
    Not(Box<Condition>),
    /// `attribute_exists(path)`
    Exists(Path),
    /// `attribute_not_exists(path)`
    NotExists(Path),
    /// `attribute_type(path, :t)`
    AttributeType(Path, Operand),
    /// `begins_with(a, b)`
    BeginsWith(Operand, Operand),
    /// `contains(a, b)`
    Contains(Operand, Operand),
}

/// `ExpressionAttributeNames` / `ExpressionAttributeValues` of one request, with use tracking so unused
/// entries are rejected as DynamoDB does.
#[derive(Debug, Default)]
pub struct ExprAttrs {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    used_names: HashSet<String>,
    used_values: HashSet<String>,
}

impl ExprAttrs {
    /// Reads the two maps from a request whose operation takes the expression members `expressions`
    /// (in DynamoDB's order for its messages). Names need some expression, values one that is not
    /// `ProjectionExpression`; DynamoDB checks that before the maps' contents.
    pub fn from_request(req: &Req, expressions: &[&str]) -> DynamoResult<ExprAttrs> {
        let present = |k: &str| req.0.get(k).is_some_and(|v| !v.is_null());
        if present("ExpressionAttributeNames") && !expressions.iter().any(|e| present(e)) {
            return Err(DynamoError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        let value_exprs: Vec<&str> = expressions
            .iter()
            .copied()
            .filter(|e| *e != "ProjectionExpression")
            .collect();
        if present("ExpressionAttributeValues") && !value_exprs.iter().any(|e| present(e)) {
            let suffix = match value_exprs.as_slice() {
                [] => String::new(),
                [one] => format!(": {one} is null"),
                [init @ .., last] => format!(": {} and {last} are null", init.join(", ")),
            };
            return Err(DynamoError::validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions{suffix}"
            )));
        }
        let mut attrs = ExprAttrs::default();
        if let Some(names) = req.opt_obj("ExpressionAttributeNames")? {
            if names.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeNames must not be empty",
                ));
            }
            for (k, v) in names {
                let v = v
                    .as_str()
                    .ok_or_else(|| DynamoError::Serialization("Unexpected field type".into()))?;
                attrs.names.insert(k.clone(), v.to_string());
            }
        }
        if let Some(values) = req.opt_obj("ExpressionAttributeValues")? {
            if values.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            for (k, v) in values {
                let av = AttributeValue::from_json(v).map_err(|e| match e {
                    AttributeValueError::Validation(m) => DynamoError::validation(format!(
                        "ExpressionAttributeValues contains invalid value: {m} for key {k}"
                    )),
                    other => other.into(),
                })?;
                attrs.values.insert(k.clone(), av);
            }
        }
        Ok(attrs)
    }

    /// Builds from explicit maps (unit tests).
    #[cfg(test)]
    pub fn new(names: &Map<String, Value>, values: &Map<String, Value>) -> DynamoResult<ExprAttrs> {
        let mut m = Map::new();
        if !names.is_empty() {
            m.insert(
                "ExpressionAttributeNames".into(),
                Value::Object(names.clone()),
            );
        }
        if !values.is_empty() {
            m.insert(
                "ExpressionAttributeValues".into(),
                Value::Object(values.clone()),
            );
        }
        // The unit tests parse the expression themselves; mark one as present for the placement check.
        m.insert("ConditionExpression".into(), Value::String(String::new()));
        ExprAttrs::from_request(&Req(&m), &["ConditionExpression"])
    }

    /// After all expressions are parsed: every given name and value must have been used.
    pub fn check_all_used(&self) -> DynamoResult<()> {
        let mut unused: Vec<&String> = self
            .names
            .keys()
            .filter(|k| !self.used_names.contains(*k))
            .collect();
        if !unused.is_empty() {
            unused.sort();
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                unused
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let mut unused: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.used_values.contains(*k))
            .collect();
        if !unused.is_empty() {
            unused.sort();
            return Err(DynamoError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                unused
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(())
    }
}

fn reserved_words() -> &'static HashSet<&'static str> {
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| {
        include_str!("reserved_words.txt")
            .split_whitespace()
            .collect()
    })
}

/// True if `word` is one of DynamoDB's reserved words (case-insensitive).
pub fn is_reserved(word: &str) -> bool {
    reserved_words().contains(word.to_ascii_uppercase().as_str())
}

/// Recursive-descent parser over one expression's tokens.
pub struct Parser<'a> {
    toks: Vec<Token>,
    pos: usize,
    src: &'a str,
    kind: &'static str,
    attrs: &'a mut ExprAttrs,
    depth: usize,
}

impl<'a> Parser<'a> {
    /// Tokenizes `src`; `kind` is the request member name used in messages ("ConditionExpression", …).
    pub fn new(
        src: &'a str,
        kind: &'static str,
        attrs: &'a mut ExprAttrs,
    ) -> DynamoResult<Parser<'a>> {
        if src.trim().is_empty() {
            return Err(DynamoError::validation(format!(
                "Invalid {kind}: The expression can not be empty;"
            )));
        }
        if src.len() > MAX_EXPRESSION_BYTES {
            return Err(DynamoError::validation(format!(
                "Invalid {kind}: Expression size has exceeded the maximum allowed size; expression size: {}",
                src.len()
            )));
        }
        let toks = tokenize(src).map_err(|(_, ch)| {
            DynamoError::validation(format!(
                "Invalid {kind}: Invalid character encountered; character: \"{ch}\""
            ))
        })?;
        Ok(Parser {
            toks,
            pos: 0,
            src,
            kind,
            attrs,
            depth: 0,
        })
    }

    /// An error prefixed as DynamoDB does: `Invalid <Kind>: <msg>`.
    pub fn err(&self, msg: impl std::fmt::Display) -> DynamoError {
        DynamoError::validation(format!("Invalid {}: {msg}", self.kind))
    }

    /// DynamoDB's syntax error naming the offending token and its neighbourhood.
    pub fn syntax_error(&self) -> DynamoError {
        let tok = &self.toks[self.pos.min(self.toks.len() - 1)];
        let from = if self.pos > 0 {
            self.toks[self.pos - 1].at
        } else {
            tok.at
        };
        let to = self
            .toks
            .get(self.pos + 1)
            .map(|t| t.at + t.text.len())
            .unwrap_or(self.src.len())
            .min(self.src.len());
        let near = self.src.get(from..to).unwrap_or("").trim();
        self.err(format!(
            "Syntax error; token: \"{}\", near: \"{}\"",
            tok.text, near
        ))
    }

    /// Current token.
    pub fn peek(&self) -> &Tok {
        &self.toks[self.pos].kind
    }

    /// Token after the current one.
    pub fn peek2(&self) -> &Tok {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)].kind
    }

    /// Consumes the current token.
    pub fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].kind.clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// Consumes `want` or fails with a syntax error.
    pub fn expect(&mut self, want: Tok) -> DynamoResult<()> {
        if *self.peek() == want {
            self.bump();
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// True if the current token is the keyword `kw` (case-insensitive).
    pub fn at_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
    }

    /// Fails unless all input was consumed.
    pub fn finish(&self) -> DynamoResult<()> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn enter(&mut self) -> DynamoResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!(
                "The expression has exceeded the maximum nesting depth; maximum depth: {MAX_DEPTH}"
            )));
        }
        Ok(())
    }

    /// Resolves a `:value` placeholder.
    pub fn value_ref(&mut self, name: &str) -> DynamoResult<AttributeValue> {
        match self.attrs.values.get(name) {
            Some(v) => {
                self.attrs.used_values.insert(name.to_string());
                Ok(v.clone())
            }
            None => Err(self.err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {name}"
            ))),
        }
    }

    fn name_part(&mut self) -> DynamoResult<String> {
        match self.bump() {
            Tok::Ident(w) => {
                if is_reserved(&w) {
                    return Err(self.err(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {w}"
                    )));
                }
                Ok(w)
            }
            Tok::NameRef(n) => {
                let key = format!("#{n}");
                match self.attrs.names.get(&key) {
                    Some(v) => {
                        let v = v.clone();
                        self.attrs.used_names.insert(key);
                        Ok(v)
                    }
                    None => Err(self.err(format!(
                        "An expression attribute name used in the document path is not defined; attribute name: {key}"
                    ))),
                }
            }
            _ => {
                self.pos = self.pos.saturating_sub(1);
                Err(self.syntax_error())
            }
        }
    }

    /// Parses a document path `a.b[1].#c`.
    pub fn path(&mut self) -> DynamoResult<Path> {
        let mut elems = vec![PathElem::Attr(self.name_part()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    elems.push(PathElem::Attr(self.name_part()?));
                }
                Tok::LBracket => {
                    self.bump();
                    let idx = match self.bump() {
                        Tok::Int(n) => n
                            .parse::<usize>()
                            .map_err(|_| self.err("List index is too large"))?,
                        _ => {
                            self.pos = self.pos.saturating_sub(1);
                            return Err(self.syntax_error());
                        }
                    };
                    self.expect(Tok::RBracket)?;
                    elems.push(PathElem::Index(idx));
                }
                _ => break,
            }
        }
        Ok(Path(elems))
    }

    /// Parses a whole condition expression.
    pub fn condition_expression(mut self) -> DynamoResult<Condition> {
        let c = self.or()?;
        self.finish()?;
        Ok(c)
    }

    fn or(&mut self) -> DynamoResult<Condition> {
        let mut left = self.and()?;
        while self.at_keyword("OR") {
            self.bump();
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> DynamoResult<Condition> {
        let mut left = self.not()?;
        while self.at_keyword("AND") {
            self.bump();
            let right = self.not()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> DynamoResult<Condition> {
        if self.at_keyword("NOT") {
            self.bump();
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> DynamoResult<Condition> {
        if *self.peek() == Tok::LParen {
            self.bump();
            self.enter()?;
            let c = self.or()?;
            self.depth -= 1;
            self.expect(Tok::RParen)?;
            return Ok(c);
        }
        // Condition functions (size is an operand, handled below).
        if let (Tok::Ident(f), Tok::LParen) = (self.peek().clone(), self.peek2().clone()) {
            if f != "size" {
                return self.function(&f);
            }
        }
        let left = self.operand()?;
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            Tok::Ident(w) if w.eq_ignore_ascii_case("BETWEEN") => {
                self.bump();
                let lo = self.operand()?;
                if !self.at_keyword("AND") {
                    return Err(self.syntax_error());
                }
                self.bump();
                let hi = self.operand()?;
                if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
                    if super::eval::order(l, h) == Some(std::cmp::Ordering::Greater) {
                        let show = |v: &AttributeValue| match v {
                            AttributeValue::S(s) => format!("{{S:{s}}}"),
                            AttributeValue::N(n) => format!("{{N:{n}}}"),
                            other => format!("{{{}}}", other.type_name()),
                        };
                        return Err(self.err(format!(
                            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                            show(l),
                            show(h)
                        )));
                    }
                }
                return Ok(Condition::Between(left, lo, hi));
            }
            Tok::Ident(w) if w.eq_ignore_ascii_case("IN") => {
                self.bump();
                self.expect(Tok::LParen)?;
                let mut list = vec![self.operand()?];
                while *self.peek() == Tok::Comma {
                    self.bump();
                    list.push(self.operand()?);
                }
                self.expect(Tok::RParen)?;
                if list.len() > 100 {
                    return Err(self.err("The IN operator is provided with too many operands; number of operands: 101"));
                }
                return Ok(Condition::In(left, list));
            }
            _ => return Err(self.syntax_error()),
        };
        self.bump();
        let right = self.operand()?;
        Ok(Condition::Compare(left, op, right))
    }

    fn function(&mut self, name: &str) -> DynamoResult<Condition> {
        let known = [
            "attribute_exists",
            "attribute_not_exists",
            "attribute_type",
            "begins_with",
            "contains",
        ];
        if !known.contains(&name) {
            return Err(self.err(format!("Invalid function name; function: {name}")));
        }
        self.bump();
        self.expect(Tok::LParen)?;
        let c = match name {
            "attribute_exists" => Condition::Exists(self.path()?),
            "attribute_not_exists" => Condition::NotExists(self.path()?),
            "attribute_type" => {
                let p = self.path()?;
                self.expect(Tok::Comma)?;
                let t = self.operand()?;
                if let Operand::Value(AttributeValue::S(s)) = &t {
                    let types = ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
                    if !types.contains(&s.as_str()) {
                        return Err(self.err(format!("Invalid attribute type name found; type: {s}, valid types: {{ B,NULL,SS,BOOL,L,BS,N,NS,S,M }}")));
                    }
                }
                Condition::AttributeType(p, t)
            }
            "begins_with" => {
                let a = self.operand()?;
                self.expect(Tok::Comma)?;
                Condition::BeginsWith(a, self.operand()?)
            }
            _ => {
                let a = self.operand()?;
                self.expect(Tok::Comma)?;
                Condition::Contains(a, self.operand()?)
            }
        };
        self.expect(Tok::RParen)?;
        Ok(c)
    }

    /// Parses an operand: path, `:value` or `size(path)`.
    pub fn operand(&mut self) -> DynamoResult<Operand> {
        match self.peek().clone() {
            Tok::ValueRef(v) => {
                self.bump();
                Ok(Operand::Value(self.value_ref(&v)?))
            }
            Tok::Ident(f) if *self.peek2() == Tok::LParen => {
                if f != "size" {
                    return Err(self.err(format!(
                        "The function is not allowed to be used this way in an expression; function: {f}"
                    )));
                }
                self.bump();
                self.bump();
                let p = self.path()?;
                self.expect(Tok::RParen)?;
                Ok(Operand::Size(p))
            }
            Tok::Ident(_) | Tok::NameRef(_) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    /// Parses a projection expression: comma-separated paths.
    pub fn projection_expression(mut self) -> DynamoResult<Vec<Path>> {
        let mut paths = vec![self.path()?];
        while *self.peek() == Tok::Comma {
            self.bump();
            paths.push(self.path()?);
        }
        self.finish()?;
        Ok(paths)
    }
}

/// Parses a condition-style expression (`kind` names the request member).
pub fn parse_condition(
    src: &str,
    kind: &'static str,
    attrs: &mut ExprAttrs,
) -> DynamoResult<Condition> {
    Parser::new(src, kind, attrs)?.condition_expression()
}

/// Parses a `ProjectionExpression`.
pub fn parse_projection(src: &str, attrs: &mut ExprAttrs) -> DynamoResult<Vec<Path>> {
    Parser::new(src, "ProjectionExpression", attrs)?.projection_expression()
}
