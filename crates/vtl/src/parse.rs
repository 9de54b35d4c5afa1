//! Template text → [`Node`]s, in one pass over the characters: text, references and directives at
//! the top, a recursive-descent expression parser inside directives and method arguments.

use crate::ast::{BinaryOp, Expr, Node, Reference, Segment};
use crate::value::Value;

/// A template that cannot be parsed, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {col}: {message}")]
pub struct ParseError {
    /// 1-based line of the problem.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a whole template.
pub(crate) fn parse(source: &str) -> Result<Vec<Node>, ParseError> {
    let mut parser = Parser {
        chars: source.chars().collect(),
        pos: 0,
    };
    let (nodes, end) = parser.block(&[])?;
    match end {
        None => Ok(nodes),
        Some(word) => Err(parser.error(format!("#{word} without a matching #if or #foreach"))),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

/// Directives that end a block.
const ENDS: &[&str] = &["end", "else", "elseif"];

impl Parser {
    fn error(&self, message: impl Into<String>) -> ParseError {
        let before = &self.chars[..self.pos.min(self.chars.len())];
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let col = before.iter().rev().take_while(|c| **c != '\n').count() + 1;
        ParseError {
            line,
            col,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn starts_with(&self, text: &str) -> bool {
        text.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    /// Nodes up to the end of input or one of `ends` (`#end`, `#else`, `#elseif`); returns which.
    fn block(&mut self, ends: &[&str]) -> Result<(Vec<Node>, Option<String>), ParseError> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        while let Some(c) = self.peek() {
            match c {
                '\\' if matches!(self.peek_at(1), Some('$' | '#')) => {
                    // `\$x` renders `$x` literally.
                    text.push(self.chars[self.pos + 1]);
                    self.pos += 2;
                }
                '$' => match self.reference_node()? {
                    Some(node) => {
                        flush(&mut text, &mut nodes);
                        nodes.push(node);
                    }
                    None => {
                        text.push('$');
                        self.pos += 1;
                    }
                },
                '#' => {
                    let start = self.pos;
                    let Some(directive) = self.directive_word() else {
                        text.push('#');
                        self.pos += 1;
                        continue;
                    };
                    let line_start = self.line_start(start);
                    if line_start {
                        let keep = text.trim_end_matches([' ', '\t']).len();
                        text.truncate(keep);
                    }
                    flush(&mut text, &mut nodes);
                    if ends.contains(&directive.as_str()) || ENDS.contains(&directive.as_str()) {
                        if !ends.contains(&directive.as_str()) {
                            self.pos = start;
                            return Err(self.error(format!(
                                "#{directive} without a matching #if or #foreach"
                            )));
                        }
                        // The caller parses `#elseif`'s condition; gobble after `#end`/`#else`.
                        if directive != "elseif" && line_start {
                            self.gobble_line_end();
                        }
                        return Ok((nodes, Some(directive)));
                    }
                    if let Some(node) = self.directive(&directive, start, line_start)? {
                        nodes.push(node);
                    }
                }
                _ => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
        flush(&mut text, &mut nodes);
        Ok((nodes, None))
    }

    /// Whether only spaces and tabs stand between the line's start and `at`.
    fn line_start(&self, at: usize) -> bool {
        let mut i = at;
        while i > 0 {
            match self.chars[i - 1] {
                ' ' | '\t' => i -= 1,
                '\n' => return true,
                _ => return false,
            }
        }
        true
    }

    /// After a directive alone on its line: skips trailing spaces and the newline.
    fn gobble_line_end(&mut self) {
        let mut i = self.pos;
        while matches!(self.chars.get(i), Some(' ' | '\t')) {
            i += 1;
        }
        match self.chars.get(i) {
            Some('\n') => self.pos = i + 1,
            Some('\r') if self.chars.get(i + 1) == Some(&'\n') => self.pos = i + 2,
            None => self.pos = i,
            _ => {}
        }
    }

    /// At `#`: the directive's word (`set`, `if`, `comment` for `##`/`#*`, `literal` for `#[[`),
    /// consuming `#` and the word (and braces of `#{word}`); `None` (nothing consumed) for a `#` that
    /// is text.
    fn directive_word(&mut self) -> Option<String> {
        match self.peek_at(1) {
            Some('#') => return Some("comment".into()),
            Some('*') => return Some("comment".into()),
            Some('[') if self.peek_at(2) == Some('[') => return Some("literal".into()),
            _ => {}
        }
        let braced = self.peek_at(1) == Some('{');
        let mut i = self.pos + if braced { 2 } else { 1 };
        let mut word = String::new();
        while let Some(c) = self.chars.get(i).filter(|c| c.is_ascii_alphabetic()) {
            word.push(*c);
            i += 1;
        }
        if braced {
            if self.chars.get(i) != Some(&'}') {
                return None;
            }
            i += 1;
        }
        let known = matches!(
            word.as_str(),
            "set" | "if" | "elseif" | "else" | "end" | "foreach" | "break" | "stop"
        );
        if !known {
            return None;
        }
        self.pos = i;
        Some(word)
    }

    /// Parses the rest of one directive (after its word).
    /// A directive alone on its line (`line_start` and nothing after it) takes the line's newline:
    /// after its header for `#if`/`#foreach`, after the whole directive for the others.
    fn directive(
        &mut self,
        word: &str,
        start: usize,
        line_start: bool,
    ) -> Result<Option<Node>, ParseError> {
        let gobble = |parser: &mut Parser| {
            if line_start {
                parser.gobble_line_end();
            }
        };
        match word {
            "comment" => {
                if self.starts_with("##") {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                    // A line comment takes its newline with it.
                    if self.peek() == Some('\n') {
                        self.pos += 1;
                    }
                } else {
                    self.pos += 2;
                    loop {
                        if self.starts_with("*#") {
                            self.pos += 2;
                            break;
                        }
                        if self.peek().is_none() {
                            self.pos = start;
                            return Err(self.error("#* comment is never closed with *#"));
                        }
                        self.pos += 1;
                    }
                    gobble(self);
                }
                Ok(None)
            }
            "literal" => {
                self.pos += 3;
                let mut text = String::new();
                loop {
                    if self.starts_with("]]#") {
                        self.pos += 3;
                        return Ok(Some(Node::Text(text)));
                    }
                    let Some(c) = self.peek() else {
                        self.pos = start;
                        return Err(self.error("#[[ is never closed with ]]#"));
                    };
                    text.push(c);
                    self.pos += 1;
                }
            }
            "set" => {
                self.open_paren("#set")?;
                self.skip_space();
                if self.peek() != Some('$') {
                    return Err(self.error("#set needs a $reference to assign to"));
                }
                self.pos += 1;
                let (reference, _) = self.reference_body()?;
                self.skip_space();
                if self.peek() != Some('=') {
                    return Err(self.error("#set needs `=` after the reference"));
                }
                self.pos += 1;
                let value = self.expr()?;
                self.close_paren("#set")?;
                gobble(self);
                Ok(Some(Node::Set {
                    target: reference,
                    value,
                }))
            }
            "if" => {
                let mut branches = Vec::new();
                let mut condition = self.condition("#if")?;
                gobble(self);
                loop {
                    let (body, end) = self.block(ENDS)?;
                    branches.push((condition, body));
                    match end.as_deref() {
                        Some("elseif") => {
                            condition = self.condition("#elseif")?;
                            gobble(self);
                        }
                        Some("else") => {
                            let (otherwise, end) = self.block(&["end"])?;
                            if end.is_none() {
                                self.pos = start;
                                return Err(self.error("#if has no #end"));
                            }
                            return Ok(Some(Node::If {
                                branches,
                                otherwise: Some(otherwise),
                            }));
                        }
                        Some(_) => {
                            return Ok(Some(Node::If {
                                branches,
                                otherwise: None,
                            }))
                        }
                        None => {
                            self.pos = start;
                            return Err(self.error("#if has no #end"));
                        }
                    }
                }
            }
            "foreach" => {
                self.open_paren("#foreach")?;
                self.skip_space();
                if self.peek() != Some('$') {
                    return Err(self.error("#foreach needs a $variable"));
                }
                self.pos += 1;
                let var = self
                    .identifier()
                    .ok_or_else(|| self.error("#foreach needs a $variable"))?;
                self.skip_space();
                if !self.starts_with("in") {
                    return Err(self.error("#foreach needs `in` after the variable"));
                }
                self.pos += 2;
                let iterable = self.expr()?;
                self.close_paren("#foreach")?;
                gobble(self);
                let (body, end) = self.block(&["end"])?;
                if end.is_none() {
                    self.pos = start;
                    return Err(self.error("#foreach has no #end"));
                }
                Ok(Some(Node::Foreach {
                    var,
                    iterable,
                    body,
                }))
            }
            "break" => {
                gobble(self);
                Ok(Some(Node::Break))
            }
            "stop" => {
                gobble(self);
                Ok(Some(Node::Stop))
            }
            other => Err(self.error(format!("unexpected #{other}"))),
        }
    }

    fn condition(&mut self, what: &str) -> Result<Expr, ParseError> {
        self.open_paren(what)?;
        let condition = self.expr()?;
        self.close_paren(what)?;
        Ok(condition)
    }

    fn open_paren(&mut self, what: &str) -> Result<(), ParseError> {
        self.skip_space();
        if self.peek() != Some('(') {
            return Err(self.error(format!("{what} needs `(`")));
        }
        self.pos += 1;
        Ok(())
    }

    fn close_paren(&mut self, what: &str) -> Result<(), ParseError> {
        self.skip_space();
        if self.peek() != Some(')') {
            return Err(self.error(format!("{what}: expected `)`")));
        }
        self.pos += 1;
        Ok(())
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn identifier(&mut self) -> Option<String> {
        let first = self
            .peek()
            .filter(|c| c.is_ascii_alphabetic() || *c == '_')?;
        let mut name = String::from(first);
        self.pos += 1;
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        {
            // A `-` belongs to the name only when a name character follows (`$a-1` is arithmetic
            // in expressions, but Velocity allows `$my-var` in text).
            if c == '-' && !self.peek_at(1).is_some_and(|n| n.is_ascii_alphabetic()) {
                break;
            }
            name.push(c);
            self.pos += 1;
        }
        Some(name)
    }

    /// At `$` in text: a reference node, or `None` (nothing consumed) when `$` is text.
    fn reference_node(&mut self) -> Result<Option<Node>, ParseError> {
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
    fn reference_body(&mut self) -> Result<(Reference, usize), ParseError> {
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
                let nodes = parse(&raw).map_err(|e| self.error(e.message))?;
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

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}
