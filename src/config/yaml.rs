//! A bounded YAML tree built from yaml-rust2's event stream.
//!
//! We drive the parser's events ourselves (never `YamlLoader`) so that nesting depth
//! and node count are bounded by [`crate::limits`] and aliases are **never expanded**
//! (no "billion laughs"): an alias is kept as [`Node::Alias`] and is an error only if
//! it appears inside the `rulePacks` section.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::ConfigError;
use crate::limits;

/// Position in the file (1-based line and column).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pos {
    pub(crate) line: usize,
    pub(crate) col: usize,
}

impl From<Marker> for Pos {
    fn from(m: Marker) -> Self {
        Self {
            line: m.line(),
            col: m.col().saturating_add(1),
        }
    }
}

/// A YAML node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// A scalar; `plain` is false for quoted and block scalars (never typed).
    Scalar {
        value: String,
        plain: bool,
        pos: Pos,
    },
    /// A sequence.
    Seq(Vec<Node>, Pos),
    /// A mapping with scalar keys, in document order (duplicates kept for detection).
    Map(Vec<(String, Node)>, Pos),
    /// An alias (`*name`), not expanded.
    Alias(Pos),
}

impl Node {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Self::Scalar { pos, .. } | Self::Seq(_, pos) | Self::Map(_, pos) | Self::Alias(pos) => {
                *pos
            }
        }
    }

    /// `null`, `~` or empty plain scalar (YAML 1.2 core schema).
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Self::Scalar { value, plain: true, .. } if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Scalar { .. } if self.is_null() => "null",
            Self::Scalar { .. } => "a scalar",
            Self::Seq(..) => "a list",
            Self::Map(..) => "a mapping",
            Self::Alias(_) => "an alias",
        }
    }
}

enum Frame {
    Seq(Vec<Node>, Pos),
    Map(Vec<(String, Node)>, Pos, Option<String>),
}

/// Parses one YAML document into a bounded tree.
pub(crate) fn parse(text: &str) -> Result<Node, ConfigError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    loop {
        let (ev, mark) = parser.next_token().map_err(|e| ConfigError::Yaml {
            line: e.marker().line(),
            col: e.marker().col().saturating_add(1),
            message: e.info().to_owned(),
        })?;
        let pos = Pos::from(mark);
        let node = match ev {
            Event::StreamStart | Event::DocumentStart | Event::Nothing => continue,
            Event::DocumentEnd => {
                // A second document would be ambiguous: reject it.
                if let Ok((Event::DocumentStart, m)) = parser.peek().cloned() {
                    return Err(ConfigError::Yaml {
                        line: m.line(),
                        col: m.col().saturating_add(1),
                        message: "more than one YAML document".into(),
                    });
                }
                continue;
            }
            Event::StreamEnd => break,
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= limits::MAX_YAML_DEPTH {
                    return Err(ConfigError::TooDeep {
                        limit: limits::MAX_YAML_DEPTH,
                    });
                }
                stack.push(if matches!(ev, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new(), pos)
                } else {
                    Frame::Map(Vec::new(), pos, None)
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, p)) => Node::Seq(items, p),
                _ => return Err(internal(pos)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(items, p, None)) => Node::Map(items, p),
                _ => return Err(internal(pos)),
            },
            Event::Scalar(value, style, _, _) => Node::Scalar {
                value,
                plain: style == TScalarStyle::Plain,
                pos,
            },
            Event::Alias(_) => Node::Alias(pos),
        };
        nodes = nodes.saturating_add(1);
        if nodes > limits::MAX_YAML_NODES {
            return Err(ConfigError::TooLarge {
                limit: limits::MAX_YAML_NODES,
                what: "YAML nodes",
            });
        }
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return Err(internal(pos));
                }
                root = Some(node);
            }
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(items, _, key)) => match key.take() {
                None => match node {
                    Node::Scalar { value, .. } => *key = Some(value),
                    // Complex keys are kept under a name no configuration key can have.
                    other => *key = Some(format!("<{} key>", other.kind())),
                },
                Some(k) => items.push((k, node)),
            },
        }
    }
    Ok(root.unwrap_or(Node::Scalar {
        value: String::new(),
        plain: true,
        pos: Pos { line: 1, col: 1 },
    }))
}

fn internal(pos: Pos) -> ConfigError {
    ConfigError::Yaml {
        line: pos.line,
        col: pos.col,
        message: "unbalanced YAML structure".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tree_and_keeps_aliases_unexpanded() {
        let n = parse("a: &x [1, 2]\nb: *x\nc: {d: 'q'}\n").unwrap();
        let Node::Map(items, _) = n else { panic!() };
        assert_eq!(items.len(), 3);
        assert!(matches!(items[1].1, Node::Alias(_)));
        assert!(
            matches!(&items[2].1, Node::Map(m, _) if matches!(&m[0].1, Node::Scalar{plain: false, ..}))
        );
    }

    #[test]
    fn billion_laughs_is_cheap() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..30 {
            doc.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n", p = i - 1));
        }
        let Node::Map(items, _) = parse(&doc).unwrap() else {
            panic!()
        };
        assert_eq!(items.len(), 30);
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(limits::MAX_YAML_DEPTH + 1) + &"]".repeat(limits::MAX_YAML_DEPTH + 1);
        assert!(matches!(parse(&deep), Err(ConfigError::TooDeep { .. })));
        let deep_block: String = (0..200)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        assert!(parse(&deep_block).is_err());
    }

    #[test]
    fn errors_carry_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(
            matches!(e, ConfigError::Yaml { line, .. } if line >= 1),
            "{e:?}"
        );
        assert!(parse("a: 1\n---\nb: 2\n").is_err());
    }
}
