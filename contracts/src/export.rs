//! The exported Solidity interface of a contract: the functions of its
//! programs (a contract may be split in two programs at one address) and
//! the paged views its fallback routes, as one interface.

use alloc::{string::String, vec::Vec};
use core::fmt;

use stylus_sdk::abi::export::GenerateAbi;

struct Printer(fn(&mut fmt::Formatter<'_>) -> fmt::Result);

impl fmt::Display for Printer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

/// The body lines (functions, errors, events) of `T`'s exported interface.
pub fn body<T: GenerateAbi>() -> Vec<String> {
    alloc::format!("{}", Printer(T::fmt_abi))
        .lines()
        .filter(|line| line.starts_with("    ") && !line.trim().is_empty())
        .map(String::from)
        .collect()
}

/// The interface `name` with the given body lines.
pub fn interface(name: &str, lines: impl IntoIterator<Item = String>) -> String {
    let mut out = alloc::format!(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.23;\n\ninterface {name} {{\n"
    );
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

/// Splits a canonical parameter list at its top-level commas.
fn split_params(params: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in params.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&params[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !params.is_empty() {
        out.push(&params[start..]);
    }
    out
}

/// The interface line `    event Name(type indexed, type, ...);` of a
/// `sol!` event, from its canonical signature. The indexed parameters are
/// the first ones (every event of these contracts declares them first);
/// their number is what the event's topic list holds besides the signature.
pub fn event<E: alloy_sol_types::SolEvent>() -> String {
    use alloy_sol_types::TopicList;
    let indexed = <E::TopicList as TopicList>::COUNT - usize::from(!E::ANONYMOUS);
    let (name, params) = E::SIGNATURE.split_once('(').unwrap_or((E::SIGNATURE, ")"));
    let params = &params[..params.len() - 1];
    let params: Vec<String> = split_params(params)
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            if i < indexed {
                alloc::format!("{p} indexed")
            } else {
                p.into()
            }
        })
        .collect();
    alloc::format!("    event {name}({});", params.join(", "))
}

/// The interface line `    error Name(type, ...);` of a `sol!` error.
pub fn error<E: alloy_sol_types::SolError>() -> String {
    alloc::format!("    error {};", E::SIGNATURE)
}
