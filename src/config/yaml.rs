//! A bounded YAML tree built from yaml-rust2's event stream.
//!
//! We drive the parser's events ourselves (never `YamlLoader`) so that nesting depth
//! and node count are bounded by [`crate::limits`] and aliases are **never expanded**
//! (no "billion laughs"): an alias is kept as [`Node::Alias`] and is an error only if
//! it appears inside the `rulePacks` section.
//!
//! Two YAML rules the loader would otherwise bend are enforced here, for the whole
//! document:
//! - YAML 1.2.2 §3.2.1.1: "The content of a mapping node is an unordered set of
//!   key/value node pairs, with the restriction that each of the keys is unique." A
//!   repeated key is an error (a loader that keeps the first or the last lets a second
//!   `rulePacks:` section hide the one the reader sees).
//! - YAML 1.2.2 §3.3.2 / §10.3.2: a tag decides how a scalar is read. A scalar is
//!   resolved with its tag: `!!str` (and the non-specific `!`) make it a string,
//!   `!!bool`/`!!null` must hold a core-schema boolean/null; any other tag is kept as
//!   [`Scalar::Tagged`] and refused where a value is read. Untagged plain scalars
//!   follow the core schema (§10.3.2); quoted and block scalars are strings.
//!
//! A leading byte-order mark (U+FEFF) is accepted (YAML 1.2.2 §5.2: "A byte order mark
//! may appear at the start of any document").

use std::collections::HashSet;

use yaml_rust2::parser::{Event, Parser, Tag};
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

/// The YAML 1.2 core-schema tag prefix (`!!` expands to it).
const CORE: &str = "tag:yaml.org,2002:";

/// How a scalar was resolved (YAML 1.2.2 §10.3.2, with tags honoured).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scalar {
    /// `null`, `~`, an empty plain scalar, or `!!null` with one of those.
    Null,
    /// A core-schema boolean (`true`/`True`/`TRUE`, `false`/…), plain or `!!bool`.
    Bool(bool),
    /// A plain scalar that is neither null nor a boolean.
    Plain,
    /// A quoted or block scalar, or one tagged `!!str` or `!`: always a string.
    Quoted {
        /// The tag as written, when a tag made it a string (for messages).
        tag: Option<String>,
    },
    /// A scalar with any other tag (or `!!bool`/`!!null` on a value that is not one):
    /// refused wherever a value is read.
    Tagged(String),
}

/// A YAML node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    /// A scalar, with how it resolved.
    Scalar {
        value: String,
        kind: Scalar,
        pos: Pos,
    },
    /// A sequence.
    Seq(Vec<Node>, Pos),
    /// A mapping with scalar keys, in document order (keys are unique).
    Map(Vec<(String, Node)>, Pos),
    /// An alias (`*name`), not expanded.
    Alias(Pos),
    /// A sequence or mapping with a tag other than `!!seq`/`!!map`: content dropped,
    /// refused wherever a value is read.
    TaggedCollection(String, Pos),
}

impl Node {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Self::Scalar { pos, .. }
            | Self::Seq(_, pos)
            | Self::Map(_, pos)
            | Self::Alias(pos)
            | Self::TaggedCollection(_, pos) => *pos,
        }
    }

    /// A null value (YAML 1.2 core schema; `!!null`).
    pub(crate) fn is_null(&self) -> bool {
        matches!(
            self,
            Self::Scalar {
                kind: Scalar::Null,
                ..
            }
        )
    }

    /// What the node is, for "must be X, not Y" messages: a scalar is quoted with its
    /// (shortened) value, so `"false"` reads as "the quoted string \"false\"".
    pub(crate) fn describe(&self) -> String {
        let short = |v: &str| -> String {
            let mut s: String = v.chars().take(40).collect();
            if s.len() < v.len() {
                s.push('…');
            }
            s
        };
        match self {
            Self::Scalar { value, kind, .. } => match kind {
                Scalar::Null => "empty (null)".into(),
                Scalar::Bool(b) => format!("the boolean {b}"),
                Scalar::Plain => format!("the plain value {:?}", short(value)),
                Scalar::Quoted { tag: None } => format!("the quoted string {:?}", short(value)),
                Scalar::Quoted { tag: Some(t) } => {
                    format!("the string {:?} (tagged {t})", short(value))
                }
                Scalar::Tagged(t) => format!("a value tagged {t}"),
            },
            Self::Seq(..) => "a list".into(),
            Self::Map(..) => "a mapping".into(),
            Self::Alias(_) => "an alias".into(),
            Self::TaggedCollection(t, _) => format!("a collection tagged {t}"),
        }
    }
}

/// `!!str` for core tags, the tag as written otherwise.
fn tag_text(t: &Tag) -> String {
    if t.handle == CORE {
        format!("!!{}", t.suffix)
    } else {
        format!("{}{}", t.handle, t.suffix)
    }
}

/// Resolves a scalar (YAML 1.2.2 §10.3.2 core schema, tags honoured).
fn resolve(value: &str, style: TScalarStyle, tag: Option<&Tag>) -> Scalar {
    let core_null = matches!(value, "" | "~" | "null" | "Null" | "NULL");
    let core_bool = match value {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    };
    match tag {
        None if style == TScalarStyle::Plain => match (core_null, core_bool) {
            (true, _) => Scalar::Null,
            (_, Some(b)) => Scalar::Bool(b),
            _ => Scalar::Plain,
        },
        None => Scalar::Quoted { tag: None },
        Some(t) => {
            let full = format!("{}{}", t.handle, t.suffix);
            // §6.9.1: the non-specific tag "!" forces a string for a scalar.
            if full == "!" || full == format!("{CORE}str") {
                return Scalar::Quoted {
                    tag: Some(tag_text(t)),
                };
            }
            match (full.strip_prefix(CORE), core_null, core_bool) {
                (Some("bool"), _, Some(b)) => Scalar::Bool(b),
                (Some("null"), true, _) => Scalar::Null,
                _ => Scalar::Tagged(tag_text(t)),
            }
        }
    }
}

/// A collection's tag, when it is not the standard one for its kind.
fn odd_collection_tag(tag: Option<&Tag>, standard: &str) -> Option<String> {
    let t = tag?;
    let full = format!("{}{}", t.handle, t.suffix);
    (full != "!" && full != format!("{CORE}{standard}")).then(|| tag_text(t))
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        tag: Option<String>,
    },
    Map {
        items: Vec<(String, Node)>,
        pos: Pos,
        tag: Option<String>,
        /// The key waiting for its value, and where it was.
        key: Option<(String, Pos)>,
        /// Scalar keys seen so far (uniqueness, §3.2.1.1).
        seen: HashSet<String>,
    },
}

/// The key path of the value being built (`rulePacks.trustedIdentities[1]`), computed
/// only for messages.
fn path_of(stack: &[Frame]) -> String {
    let mut p = String::new();
    for f in stack {
        match f {
            Frame::Seq { items, .. } => p.push_str(&format!("[{}]", items.len())),
            Frame::Map {
                key: Some((k, _)), ..
            } => {
                if !p.is_empty() {
                    p.push('.');
                }
                p.extend(k.chars().take(64));
            }
            Frame::Map { key: None, .. } => {}
        }
    }
    p
}

/// Parses one YAML document into a bounded tree.
pub(crate) fn parse(text: &str) -> Result<Node, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
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
            Event::SequenceStart(_, tag) => {
                push(&mut stack)?;
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    tag: odd_collection_tag(tag.as_ref(), "seq"),
                });
                continue;
            }
            Event::MappingStart(_, tag) => {
                push(&mut stack)?;
                stack.push(Frame::Map {
                    items: Vec::new(),
                    pos,
                    tag: odd_collection_tag(tag.as_ref(), "map"),
                    key: None,
                    seen: HashSet::new(),
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq {
                    tag: Some(t), pos, ..
                }) => Node::TaggedCollection(t, pos),
                Some(Frame::Seq { items, pos, .. }) => Node::Seq(items, pos),
                _ => return Err(internal(pos)),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    tag: Some(t),
                    pos,
                    key: None,
                    ..
                }) => Node::TaggedCollection(t, pos),
                Some(Frame::Map {
                    items,
                    pos,
                    key: None,
                    ..
                }) => Node::Map(items, pos),
                _ => return Err(internal(pos)),
            },
            Event::Scalar(value, style, _, tag) => {
                let kind = resolve(&value, style, tag.as_ref());
                // An empty value (`key:` then a newline) is reported where its key is,
                // not where the next token starts.
                let pos = match stack.last() {
                    Some(Frame::Map {
                        key: Some((_, kp)), ..
                    }) if value.is_empty() && style == TScalarStyle::Plain => *kp,
                    _ => pos,
                };
                Node::Scalar { value, kind, pos }
            }
            Event::Alias(_) => Node::Alias(pos),
        };
        nodes = nodes.saturating_add(1);
        if nodes > limits::MAX_YAML_NODES {
            return Err(ConfigError::TooLarge {
                limit: limits::MAX_YAML_NODES,
                what: "YAML nodes in the values file".into(),
            });
        }
        if let (
            Some(Frame::Map {
                key: None, seen, ..
            }),
            Node::Scalar { value, .. },
        ) = (stack.last(), &node)
        {
            if seen.contains(value) {
                let path = path_of(&stack);
                return Err(ConfigError::DuplicateKey {
                    path: if path.is_empty() {
                        "the top level of the values file".into()
                    } else {
                        path
                    },
                    key: value.clone(),
                    line: pos.line,
                });
            }
        }
        match stack.last_mut() {
            None => {
                if root.is_some() {
                    return Err(internal(pos));
                }
                root = Some(node);
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                items, key, seen, ..
            }) => match key.take() {
                None => {
                    let k = match node {
                        Node::Scalar { value, .. } => {
                            seen.insert(value.clone());
                            value
                        }
                        // Complex keys are kept under a name no configuration key can have.
                        other => format!("<{} key>", other.describe()),
                    };
                    *key = Some((k, pos));
                }
                Some((k, _)) => items.push((k, node)),
            },
        }
    }
    Ok(root.unwrap_or(Node::Scalar {
        value: String::new(),
        kind: Scalar::Null,
        pos: Pos { line: 1, col: 1 },
    }))
}

fn push(stack: &mut [Frame]) -> Result<(), ConfigError> {
    if stack.len() >= limits::MAX_YAML_DEPTH {
        return Err(ConfigError::TooDeep {
            limit: limits::MAX_YAML_DEPTH,
        });
    }
    Ok(())
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
            matches!(&items[2].1, Node::Map(m, _) if matches!(&m[0].1, Node::Scalar{kind: Scalar::Quoted { tag: None }, ..}))
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

    #[test]
    fn duplicate_keys_are_refused_at_every_level() {
        for (doc, path, key, line) in [
            (
                "rulePacks:\n  verifySignature: true\nrulePacks:\n  verifySignature: false\n",
                "the top level",
                "rulePacks",
                3,
            ),
            ("image:\n  tag: 1\n  tag: 2\n", "image", "tag", 3),
            ("a:\n  - {x: 1}\n  - {x: 1, y: 2, 'x': 3}\n", "a[1]", "x", 3),
        ] {
            match parse(doc) {
                Err(ConfigError::DuplicateKey {
                    path: p,
                    key: k,
                    line: l,
                }) => {
                    assert!(p.starts_with(path), "{doc}: {p}");
                    assert_eq!((k.as_str(), l), (key, line), "{doc}");
                }
                other => panic!("{doc}: {other:?}"),
            }
        }
        // The same key in two different mappings is fine.
        parse("a: {x: 1}\nb: {x: 1}\n").unwrap();
    }

    #[test]
    fn scalars_are_read_with_their_tags() {
        let Node::Map(items, _) = parse(
            "a: !!str false\nb: !!bool true\nc: !custom x\nd: ! true\ne: !!bool yes\nf: !!null ~\ng: false\nh: \"false\"\ni: !<tag:yaml.org,2002:str> true\nj: !!seq [1]\nk: !!set {x: 1}\n",
        )
        .unwrap() else {
            panic!()
        };
        let kind = |i: usize| match &items[i].1 {
            Node::Scalar { kind, .. } => kind.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            kind(0),
            Scalar::Quoted {
                tag: Some("!!str".into())
            }
        );
        assert_eq!(kind(1), Scalar::Bool(true));
        assert_eq!(kind(2), Scalar::Tagged("!custom".into()));
        assert_eq!(
            kind(3),
            Scalar::Quoted {
                tag: Some("!".into())
            }
        );
        assert_eq!(kind(4), Scalar::Tagged("!!bool".into()));
        assert_eq!(kind(5), Scalar::Null);
        assert_eq!(kind(6), Scalar::Bool(false));
        assert_eq!(kind(7), Scalar::Quoted { tag: None });
        assert!(matches!(kind(8), Scalar::Quoted { tag: Some(_) }));
        assert!(matches!(items[9].1, Node::Seq(..)));
        assert!(matches!(&items[10].1, Node::TaggedCollection(t, _) if t == "!!set"));
    }

    #[test]
    fn byte_order_mark_and_empty_value_position() {
        let Node::Map(items, _) =
            parse("\u{feff}rulePacks:\n  verifySignature:\n  extras: []\n").unwrap()
        else {
            panic!()
        };
        assert_eq!(items[0].0, "rulePacks");
        let Node::Map(inner, _) = &items[0].1 else {
            panic!()
        };
        assert!(inner[0].1.is_null());
        // Reported on its key's line, not on the next one.
        assert_eq!(inner[0].1.pos().line, 2);
    }
}
