//! The exported Solidity interface of a contract: the functions of its
//! programs (a contract may be split in two programs at one address) and
//! the paged views its fallback routes, as one interface.

use alloc::{string::String, vec::Vec};
use core::fmt;

use alloy_sol_types::JsonAbiExt;
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

/// `T`'s constructor signature (`constructor(uint256 lock_time, ...)`), what
/// `cargo stylus deploy` asks an export-abi binary for with the argument
/// `constructor` to encode `--constructor-args`.
pub fn constructor<T: GenerateAbi>() -> String {
    alloc::format!("{}", Printer(T::fmt_constructor_signature))
}

/// What an export-abi binary prints: `T`'s constructor signature when its
/// arguments include `constructor`, else the interface `contract` builds.
pub fn print<T: GenerateAbi>(contract: fn() -> String) {
    if std::env::args().skip(1).any(|arg| arg == "constructor") {
        println!("{}", constructor::<T>().trim());
    } else {
        print!("{}", contract());
    }
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

/// The interface line `    event Name(type indexed name, ...);` of a
/// `sol!` event, parameter names included.
pub fn event<E: JsonAbiExt<Abi = alloy_json_abi::Event>>() -> String {
    let event = E::abi();
    let params: Vec<String> = event
        .inputs
        .iter()
        .map(|param| {
            let indexed = if param.indexed { " indexed" } else { "" };
            alloc::format!("{}{indexed} {}", param.selector_type(), param.name)
        })
        .collect();
    alloc::format!("    event {}({});", event.name, params.join(", "))
}

/// The interface line `    error Name(type name, ...);` of a `sol!`
/// error, parameter names included.
pub fn error<E: JsonAbiExt<Abi = alloy_json_abi::Error>>() -> String {
    let error = E::abi();
    let params: Vec<String> = error
        .inputs
        .iter()
        .map(|param| alloc::format!("{} {}", param.selector_type(), param.name))
        .collect();
    alloc::format!("    error {}({});", error.name, params.join(", "))
}

/// The interface lines of `sol!` events and errors, in order:
/// `declarations!(events: [A, B], errors: [C, D])`.
#[macro_export]
macro_rules! declarations {
    (events: [$($event:ty),* $(,)?], errors: [$($error:ty),* $(,)?]) => {
        [$($crate::export::event::<$event>(),)* $($crate::export::error::<$error>(),)*]
    };
}

/// The events and errors every contract declares: ownership,
/// initialization, bounds, and the account errors the ledger shares with
/// the serving contracts.
pub fn common_declarations() -> Vec<String> {
    use crate::{abi::*, ownable::*};
    declarations!(
        events: [OwnershipTransferred],
        errors: [
            AccountNotExists, ServiceNotExist, InsufficientBalance, AmountTooLarge, Unauthorized,
            InvalidInitialization, NotInitialized, InvalidLimit, OwnableUnauthorizedAccount,
            OwnableInvalidOwner,
        ]
    )
    .into()
}

/// The interface `name` of a serving contract as users see it at its
/// address: `functions` (both programs' and those its fallbacks route),
/// [`serving_declarations`], then the contract's own `declarations`.
pub fn serving_interface(
    name: &str,
    functions: impl IntoIterator<Item = String>,
    declarations: impl IntoIterator<Item = String>,
) -> String {
    let declarations = serving_declarations().into_iter().chain(declarations);
    interface(name, functions.into_iter().chain(declarations))
}

/// [`common_declarations`] and the events and errors of the sub-accounts
/// and the views program, which both serving contracts declare.
pub fn serving_declarations() -> Vec<String> {
    use crate::abi::*;
    let mut lines = common_declarations();
    lines.extend(declarations!(
        events: [BalanceUpdated, RefundRequested, ServiceRemoved, ViewsUpgraded],
        errors: [AccountExists, AccountHasFunds, TooManyRefunds, SignerChangePending]
    ));
    lines
}
