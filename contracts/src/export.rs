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
