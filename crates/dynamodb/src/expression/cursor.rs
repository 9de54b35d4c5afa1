//! The token cursor the expression grammars (conditions, projections, updates) walk: lookahead,
//! DynamoDB's error wording, placeholders and document paths. Private to `expression`, so each
//! grammar is reached only through its `parse_*` function.

use super::ast::{Path, PathElem};
use super::attrs::{is_reserved, ExprAttrs};
use super::lexer::{tokenize, Tok, Token};
use crate::attribute_value::AttributeValue;
use crate::protocol::{DynamoError, DynamoResult};

/// Longest expression DynamoDB accepts, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// Most steps a document path may have (DynamoDB's 32 nesting levels).
pub const MAX_PATH_LEVELS: usize = 32;
/// Most operators (comparisons, BETWEEN, IN, AND, OR, NOT) one condition may hold. DynamoDB
/// accepts 299 nested `<`/`or` and refuses the 301st operator (Alternator's
/// test_deeply_nested_expression_2, written against DynamoDB, quotes "operator count: 301").
pub const MAX_OPERATORS: usize = 300;
/// Deepest nesting of parentheses / NOT we parse. AWS: bounded only through [`MAX_OPERATORS`] and
/// its 4 KB expressions; Sluice: a fixed bound so recursion can never exhaust the stack (a 2 MB
/// worker stack holds it, see eval.rs's test). Nesting an operator costs one, so the operator limit
/// is what valid input meets first.
pub const MAX_DEPTH: usize = MAX_OPERATORS;

/// A position in one expression's tokens, with the placeholders it may use and its nesting depth.
pub(super) struct Cursor<'a> {
    toks: Vec<Token>,
    pos: usize,
    src: &'a str,
    kind: &'static str,
    attrs: &'a mut ExprAttrs,
    depth: usize,
    operators: usize,
}

impl<'a> Cursor<'a> {
    /// Tokenizes `src`; `kind` is the request member name used in messages ("ConditionExpression", …).
    pub(super) fn new(
        src: &'a str,
        kind: &'static str,
        attrs: &'a mut ExprAttrs,
    ) -> DynamoResult<Cursor<'a>> {
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
        Ok(Cursor {
            toks,
            pos: 0,
            src,
            kind,
            attrs,
            depth: 0,
            operators: 0,
        })
    }

    /// An error prefixed as DynamoDB does: `Invalid <Kind>: <msg>`.
    pub(super) fn err(&self, msg: impl std::fmt::Display) -> DynamoError {
        DynamoError::validation(format!("Invalid {}: {msg}", self.kind))
    }

    /// DynamoDB's syntax error naming the offending token and its neighbourhood.
    pub(super) fn syntax_error(&self) -> DynamoError {
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
    pub(super) fn peek(&self) -> &Tok {
        &self.toks[self.pos].kind
    }

    /// Token after the current one.
    pub(super) fn peek2(&self) -> &Tok {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)].kind
    }

    /// Consumes the current token.
    pub(super) fn bump(&mut self) -> Tok {
        let t = self.toks[self.pos].kind.clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    /// Consumes `want` or fails with a syntax error.
    pub(super) fn expect(&mut self, want: Tok) -> DynamoResult<()> {
        if *self.peek() == want {
            self.bump();
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// True if the current token is the keyword `kw` (case-insensitive).
    pub(super) fn at_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case(kw))
    }

    /// Fails unless all input was consumed.
    pub(super) fn finish(&self) -> DynamoResult<()> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// Goes one nesting level deeper (parentheses, NOT), failing past [`MAX_DEPTH`].
    pub(super) fn enter(&mut self) -> DynamoResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!(
                "The expression has exceeded the maximum nesting depth; maximum depth: {MAX_DEPTH}"
            )));
        }
        Ok(())
    }

    /// Counts one operator, failing past [`MAX_OPERATORS`] with DynamoDB's words.
    pub(super) fn operator(&mut self) -> DynamoResult<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(self.err(format!(
                "The expression contains too many operators; operator count: {}",
                self.operators
            )));
        }
        Ok(())
    }

    /// Comes back up one nesting level.
    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Resolves a `:value` placeholder.
    pub(super) fn value_ref(&mut self, name: &str) -> DynamoResult<AttributeValue> {
        match self.attrs.use_value(name) {
            Some(v) => Ok(v),
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
                match self.attrs.use_name(&key) {
                    Some(v) => Ok(v),
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
    pub(super) fn path(&mut self) -> DynamoResult<Path> {
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
        if elems.len() > MAX_PATH_LEVELS {
            return Err(self.err(format!(
                "The document path has too many nesting levels; nesting levels: {}",
                elems.len()
            )));
        }
        Ok(Path(elems))
    }

    /// Rejects two paths of one expression that overlap or conflict (projections, update targets).
    pub(super) fn check_clashes(&self, paths: &[&Path]) -> DynamoResult<()> {
        for (i, a) in paths.iter().enumerate() {
            for b in &paths[i + 1..] {
                if let Some(clash) = a.clash(b) {
                    return Err(self.err(format!(
                        "Two document paths {clash} with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The request member being parsed ("ConditionExpression", …).
    pub(super) fn kind(&self) -> &'static str {
        self.kind
    }

    /// Position of the current token (for the redundant-parentheses check).
    pub(super) fn pos(&self) -> usize {
        self.pos
    }

    /// Whether the token at `open` is `(` and its matching `)` is at `close`.
    pub(super) fn group_spans(&self, open: usize, close: usize) -> bool {
        if self.toks.get(open).map(|t| &t.kind) != Some(&Tok::LParen) {
            return false;
        }
        let mut depth = 0usize;
        for (i, t) in self.toks.iter().enumerate().skip(open) {
            match t.kind {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return i == close;
                    }
                }
                _ => {}
            }
        }
        false
    }
}
