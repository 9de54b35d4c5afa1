//! Template text → [`Node`]s, in one pass over the characters: text, references and directives at
//! the top, a recursive-descent expression parser inside directives and method arguments.
//!
//! `directives` reads the text level (text, references in text, `#` directives and their blocks);
//! `expressions` reads references and the expressions inside directives and method arguments;
//! this file holds the cursor they share.

mod directives;
mod expressions;

use crate::ast::Node;

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
        Some(word) => Err(parser.error(format!(
            "#{word} without a matching #if, #foreach or #define"
        ))),
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

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
}
