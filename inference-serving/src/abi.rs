//! The exported Solidity interface: both programs' functions in one
//! interface, since they share one address.

use core::fmt;

use stylus_sdk::abi::export::GenerateAbi;

use crate::{InferenceServing, InferenceViews};

struct Printer(fn(&mut fmt::Formatter<'_>) -> fmt::Result);

impl fmt::Display for Printer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.0)(f)
    }
}

/// The interface `IInferenceServing` with every function of both programs.
pub fn interface() -> String {
    let main = Printer(InferenceServing::fmt_abi).to_string();
    let views = Printer(InferenceViews::fmt_abi).to_string();
    let body = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| line.starts_with("    "))
            .map(str::to_owned)
            .collect()
    };
    let mut out = String::from("// SPDX-License-Identifier: MIT-OR-APACHE-2.0\npragma solidity ^0.8.23;\n\ninterface IInferenceServing {\n");
    for line in body(&main).into_iter().chain(body(&views)) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}
