//! References (`$a.b(c)[0]`) and the recursive-descent expression parser used inside directives
//! and method arguments.

use super::{ParseError, Parser};
use crate::ast::{BinaryOp, Expr, Node, Reference, Segment};
use crate::value::Value;

impl Parser {
    /// At `$` in text: a reference node, or `None` (nothing consumed) when `$` is text.
    pub(super) fn reference_node(&mut self) -> Result<Option<Node>, ParseError> {
        let start = self.pos;
        let mut i = 1;
        let quiet = self.peek_at(i) == Some('!');
        if quiet {
            i += 1;
        }
        let braced = self.peek_at(i) == Some('{');
        if braced {
            i += 1;
        }
        if !self
            .peek_at(i)
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            return Ok(None);
        }
        self.pos += i;
        let (reference, _) = self.reference_body()?;
        if braced {
            if self.peek() != Some('}') {
                return Err(self.error("expected `}` to close ${"));
            }
            self.pos += 1;
        }
        Ok(Some(Node::Reference {
            reference,
            quiet,
            source: self.chars[start..self.pos].iter().collect(),
        }))
    }

    /// After `$` (and `!`/`{`): the name and its properties, calls and indexes.
    pub(super) fn reference_body(&mut self) -> Result<(Reference, usize), ParseError> {
        let name = self
            .identifier()
            .ok_or_else(|| self.error("expected a name after $"))?;
        let mut path = Vec::new();
        loop {
            match self.peek() {
                Some('.')
                    if self
                        .peek_at(1)
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_') =>
                {
                    self.pos += 1;
                    let member = self
                        .identifier()
                        .ok_or_else(|| self.error("expected a name after ."))?;
                    if self.peek() == Some('(') {
                        self.pos += 1;
                        let args = self.arguments(')')?;
                        path.push(Segment::Method(member, args));
                    } else {
                        path.push(Segment::Property(member));
                    }
                }
                Some('[') => {
                    self.pos += 1;
                    let index = self.expr()?;
                    self.skip_space();
                    if self.peek() != Some(']') {
                        return Err(self.error("expected `]`"));
                    }
                    self.pos += 1;
                    path.push(Segment::Index(index));
                }
                _ => break,
            }
        }
        let len = path.len();
        Ok((Reference { name, path }, len))
    }

    /// Comma-separated expressions up to `close` (consumed).
    fn arguments(&mut self, close: char) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        self.skip_space();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(args);
                }
                _ => return Err(self.error(format!("expected `,` or `{close}`"))),
            }
        }
    }

    pub(crate) fn expr(&mut self) -> Result<Expr, ParseError> {
        self.binary(0)
    }

    /// Precedence climbing over Velocity's operator levels.
    fn binary(&mut self, level: usize) -> Result<Expr, ParseError> {
        const LEVELS: &[&[(&str, BinaryOp)]] = &[
            &[("||", BinaryOp::Or), ("or", BinaryOp::Or)],
            &[("&&", BinaryOp::And), ("and", BinaryOp::And)],
            &[
                ("==", BinaryOp::Eq),
                ("!=", BinaryOp::Ne),
                ("eq", BinaryOp::Eq),
                ("ne", BinaryOp::Ne),
            ],
            &[
                ("<=", BinaryOp::Le),
                (">=", BinaryOp::Ge),
                ("<", BinaryOp::Lt),
                (">", BinaryOp::Gt),
                ("le", BinaryOp::Le),
                ("ge", BinaryOp::Ge),
                ("lt", BinaryOp::Lt),
                ("gt", BinaryOp::Gt),
            ],
            &[("+", BinaryOp::Add), ("-", BinaryOp::Sub)],
            &[
                ("*", BinaryOp::Mul),
                ("/", BinaryOp::Div),
                ("%", BinaryOp::Mod),
            ],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        'outer: loop {
            self.skip_space();
            for (symbol, op) in LEVELS[level] {
                if self.starts_with(symbol) {
                    let word = symbol.chars().all(|c| c.is_ascii_alphabetic());
                    if word
                        && self
                            .peek_at(symbol.len())
                            .is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        continue;
                    }
                    self.pos += symbol.len();
                    let right = self.binary(level + 1)?;
                    left = Expr::Binary(*op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        self.skip_space();
        if self.peek() == Some('!') && self.peek_at(1) != Some('=') {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.starts_with("not") && !self.peek_at(3).is_some_and(|c| c.is_ascii_alphanumeric()) {
            self.pos += 3;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some('-') && !self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.skip_space();
        let Some(c) = self.peek() else {
            return Err(self.error("expected an expression, found the end of the template"));
        };
        match c {
            '(' => {
                self.pos += 1;
                let inner = self.expr()?;
                self.close_paren("(")?;
                Ok(inner)
            }
            '$' => {
                self.pos += 1;
                let braced = self.peek() == Some('{');
                if self.peek() == Some('!') {
                    self.pos += 1;
                }
                if braced {
                    self.pos += 1;
                }
                let (reference, _) = self.reference_body()?;
                if braced {
                    if self.peek() != Some('}') {
                        return Err(self.error("expected `}` to close ${"));
                    }
                    self.pos += 1;
                }
                Ok(Expr::Ref(reference))
            }
            '\'' => {
                let open = self.pos;
                self.pos += 1;
                let mut text = String::new();
                loop {
                    match self.peek() {
                        None => {
                            self.pos = open;
                            return Err(self.error("string is never closed with '"));
                        }
                        Some('\'') => {
                            self.pos += 1;
                            return Ok(Expr::Literal(Value::Str(text)));
                        }
                        Some(c) => {
                            text.push(c);
                            self.pos += 1;
                        }
                    }
                }
            }
            '"' => {
                let open = self.pos;
                self.pos += 1;
                let mut raw = String::new();
                loop {
                    match self.peek() {
                        None => {
                            self.pos = open;
                            return Err(self.error("string is never closed with \""));
                        }
                        Some('\\') if self.peek_at(1) == Some('"') => {
                            raw.push('"');
                            self.pos += 2;
                        }
                        Some('"') => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            raw.push(c);
                            self.pos += 1;
                        }
                    }
                }
                if !raw.contains('$') && !raw.contains('#') {
                    return Ok(Expr::Literal(Value::Str(raw)));
                }
                let nodes = super::parse(&raw).map_err(|e| self.error(e.message))?;
                Ok(Expr::Interpolated(nodes))
            }
            '[' => {
                self.pos += 1;
                self.skip_space();
                if self.peek() == Some(']') {
                    self.pos += 1;
                    return Ok(Expr::List(Vec::new()));
                }
                let first = self.expr()?;
                self.skip_space();
                if self.starts_with("..") {
                    self.pos += 2;
                    let last = self.expr()?;
                    self.skip_space();
                    if self.peek() != Some(']') {
                        return Err(self.error("expected `]` to close the range"));
                    }
                    self.pos += 1;
                    return Ok(Expr::Range(Box::new(first), Box::new(last)));
                }
                let mut items = vec![first];
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(',') => {
                            self.pos += 1;
                            items.push(self.expr()?);
                        }
                        Some(']') => {
                            self.pos += 1;
                            return Ok(Expr::List(items));
                        }
                        _ => return Err(self.error("expected `,` or `]` in the list")),
                    }
                }
            }
            '{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_space();
                if self.peek() == Some('}') {
                    self.pos += 1;
                    return Ok(Expr::Map(entries));
                }
                loop {
                    let key = self.expr()?;
                    self.skip_space();
                    if self.peek() != Some(':') {
                        return Err(self.error("expected `:` in the map"));
                    }
                    self.pos += 1;
                    let value = self.expr()?;
                    entries.push((key, value));
                    self.skip_space();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some('}') => {
                            self.pos += 1;
                            return Ok(Expr::Map(entries));
                        }
                        _ => return Err(self.error("expected `,` or `}` in the map")),
                    }
                }
            }
            c if c.is_ascii_digit() || c == '-' => self.number(),
            _ => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.starts_with(word)
                        && !self
                            .peek_at(word.len())
                            .is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        self.pos += word.len();
                        return Ok(Expr::Literal(value));
                    }
                }
                Err(self.error(format!("unexpected `{c}` in an expression")))
            }
        }
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let mut float = false;
        // `1..3` is a range, not a float.
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        let value = if float {
            text.parse().ok().map(Value::Float)
        } else {
            text.parse().ok().map(Value::Int)
        };
        value
            .map(Expr::Literal)
            .ok_or_else(|| self.error(format!("{text:?} is not a number")))
    }
}
