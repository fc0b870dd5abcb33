//! The pure part of `cargo xtask abi`: reads the Solidity interface a contract
//! exports (`--features export-abi`) and the target ABI of the spec
//! (../shared/spec/abi-0g.md), and compares them. main.rs runs the exports.
//!
//! The exported interface is read with alloy-json-abi's parser of
//! human-readable declarations ([`parse_items`]); the spec, a markdown
//! page, with the small type-list reader of [`spec`].

mod check;
mod spec;
mod types;

pub mod artifacts;

use std::fmt;

use alloy_json_abi::StateMutability;
pub use check::{check, Report};
pub use spec::{parse_spec_outputs, table_cells, EventParam, Section, Spec, SpecFunction};
pub use types::{is_elementary, parse_signature};

/// State mutability of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutability {
    /// Reads nothing of the chain.
    Pure,
    /// Reads state.
    View,
    /// Changes state, takes no value.
    NonPayable,
    /// Changes state, takes value.
    Payable,
}

impl Mutability {
    /// `view`, `pure`, `payable`, or `nonpayable` (the spec's word for
    /// what Solidity leaves unwritten).
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "pure" => Some(Self::Pure),
            "view" => Some(Self::View),
            "nonpayable" => Some(Self::NonPayable),
            "payable" => Some(Self::Payable),
            _ => None,
        }
    }

    /// The class the spec compares (view / nonpayable / payable): a pure
    /// function is called like a view one.
    pub fn class(self) -> Self {
        match self {
            Self::Pure => Self::View,
            m => m,
        }
    }

    /// The Solidity word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pure => "pure",
            Self::View => "view",
            Self::NonPayable => "nonpayable",
            Self::Payable => "payable",
        }
    }
}

impl fmt::Display for Mutability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A function of an exported interface, its types canonical (no names,
/// no data locations, no spaces; tuples as written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// The name.
    pub name: String,
    /// Parameter types.
    pub inputs: Vec<String>,
    /// State mutability.
    pub mutability: Mutability,
    /// Return types.
    pub outputs: Vec<String>,
}

impl Function {
    /// `name(type,type)`, what the selector is the hash of.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.inputs.join(","))
    }

    /// The 4-byte selector.
    pub fn selector(&self) -> [u8; 4] {
        selector(&self.signature())
    }
}

/// First four bytes of keccak256 of a canonical signature.
pub fn selector(signature: &str) -> [u8; 4] {
    let h = alloy_primitives::keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// `0x` and eight hex digits.
pub fn hex(selector: [u8; 4]) -> String {
    format!("0x{:08x}", u32::from_be_bytes(selector))
}

pub(crate) fn parse_hex(s: &str) -> Option<[u8; 4]> {
    let digits = s.strip_prefix("0x")?;
    if digits.len() != 8 {
        return None;
    }
    u32::from_str_radix(digits, 16).ok().map(u32::to_be_bytes)
}

impl From<StateMutability> for Mutability {
    fn from(m: StateMutability) -> Self {
        match m {
            StateMutability::Pure => Self::Pure,
            StateMutability::View => Self::View,
            StateMutability::NonPayable => Self::NonPayable,
            StateMutability::Payable => Self::Payable,
        }
    }
}

/// A function, event or error of an exported interface, as
/// alloy-json-abi reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A function.
    Function(alloy_json_abi::Function),
    /// An event.
    Event(alloy_json_abi::Event),
    /// A custom error.
    Error(alloy_json_abi::Error),
}

/// Every function, event and error of a Solidity interface, in order;
/// comments, the pragma and structs are skipped.
///
/// # Errors
///
/// A declaration alloy cannot read, or one with a type that is no ABI
/// type (a struct must be printed as its tuple).
pub fn parse_items(src: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    for stmt in without_comments(src).split(';') {
        // What follows `interface I {` or a struct's `}`.
        let stmt = stmt.rsplit(['{', '}']).next().unwrap_or("");
        let stmt = &stmt.split_whitespace().collect::<Vec<_>>().join(" ");
        let item = match stmt.split_whitespace().next() {
            Some("function") => Item::Function(parse_function_item(stmt)?),
            Some("event") => Item::Event(
                alloy_json_abi::Event::parse(stmt).map_err(|e| format!("`{stmt}`: {e}"))?,
            ),
            Some("error") => Item::Error(
                alloy_json_abi::Error::parse(stmt).map_err(|e| format!("`{stmt}`: {e}"))?,
            ),
            _ => continue,
        };
        let types: Vec<String> = match &item {
            Item::Function(f) => f
                .inputs
                .iter()
                .chain(&f.outputs)
                .map(alloy_json_abi::Param::selector_type)
                .map(|t| t.into_owned())
                .collect(),
            Item::Event(e) => e
                .inputs
                .iter()
                .map(|p| p.selector_type().into_owned())
                .collect(),
            Item::Error(e) => e
                .inputs
                .iter()
                .map(|p| p.selector_type().into_owned())
                .collect(),
        };
        if let Some(bad) = types.iter().find(|t| !types::is_abi_type(t)) {
            return Err(format!(
                "`{bad}` is no ABI type (a struct must be printed as a tuple) in `{stmt}`"
            ));
        }
        items.push(item);
    }
    Ok(items)
}

/// `src` without its `//` and `/* */` comments.
fn without_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    out.push_str(rest);
    out.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One `function` declaration, with or without the final `;`. Stylus prints
/// one returned struct as its tuple followed by a data location, `returns
/// (address,uint256) memory` (a struct array as `(address,uint256)[]
/// memory`); that is read as the one output it is.
fn parse_function_item(stmt: &str) -> Result<alloy_json_abi::Function, String> {
    let stmt = stmt.trim().trim_end_matches(';').trim_end();
    let mut text = stmt.to_string();
    if let Some(at) = stmt.find(" returns ") {
        let ret = stmt[at + " returns ".len()..].trim();
        if ret.starts_with('(') && types::closing(ret)? + 1 != ret.len() {
            text = format!("{} returns ({ret})", &stmt[..at]);
        }
    }
    alloy_json_abi::Function::parse(&text).map_err(|e| format!("`{stmt}`: {e}"))
}

/// One `function` declaration as [`Function`] (types canonical).
///
/// # Errors
///
/// See [`parse_items`].
pub fn parse_function(stmt: &str) -> Result<Function, String> {
    match parse_items(stmt)?.pop() {
        Some(Item::Function(f)) => Ok(Function::from(&f)),
        _ => Err(format!("no function in `{}`", stmt.trim())),
    }
}

/// Every `function` of a Solidity interface, in order.
///
/// # Errors
///
/// See [`parse_items`].
pub fn parse_interface(src: &str) -> Result<Vec<Function>, String> {
    Ok(functions(&parse_items(src)?))
}

/// The functions of `items`.
pub fn functions(items: &[Item]) -> Vec<Function> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Function(f) => Some(Function::from(f)),
            _ => None,
        })
        .collect()
}

impl From<&alloy_json_abi::Function> for Function {
    fn from(f: &alloy_json_abi::Function) -> Self {
        let types = |params: &[alloy_json_abi::Param]| {
            params
                .iter()
                .map(|p| p.selector_type().into_owned())
                .collect()
        };
        Self {
            name: f.name.clone(),
            inputs: types(&f.inputs),
            mutability: f.state_mutability.into(),
            outputs: types(&f.outputs),
        }
    }
}

#[cfg(test)]
mod tests;
