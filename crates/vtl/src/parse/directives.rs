//! The text level: text, references in text, and `#` directives with their blocks.

use super::{ParseError, Parser};
use crate::ast::{Expr, Node};

/// Directives that end a block.
const ENDS: &[&str] = &["end", "else", "elseif"];

impl Parser {
    /// Nodes up to the end of input or one of `ends` (`#end`, `#else`, `#elseif`); returns which.
    pub(super) fn block(
        &mut self,
        ends: &[&str],
    ) -> Result<(Vec<Node>, Option<String>), ParseError> {
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
                                "#{directive} without a matching #if, #foreach or #define"
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
            "set" | "if" | "elseif" | "else" | "end" | "foreach" | "define" | "break" | "stop"
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
            "define" => {
                self.open_paren("#define")?;
                self.skip_space();
                if self.peek() != Some('$') {
                    return Err(self.error("#define needs a $name"));
                }
                self.pos += 1;
                let name = self
                    .identifier()
                    .ok_or_else(|| self.error("#define needs a $name"))?;
                self.close_paren("#define")?;
                gobble(self);
                let (body, end) = self.block(&["end"])?;
                if end.is_none() {
                    self.pos = start;
                    return Err(self.error("#define has no #end"));
                }
                Ok(Some(Node::Define { name, body }))
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

    pub(super) fn close_paren(&mut self, what: &str) -> Result<(), ParseError> {
        self.skip_space();
        if self.peek() != Some(')') {
            return Err(self.error(format!("{what}: expected `)`")));
        }
        self.pos += 1;
        Ok(())
    }
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}
