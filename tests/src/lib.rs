//! The native harness: the simulated marketplace (`market`, in process or
//! on a chain) and the end-to-end layer on a Stylus node.
extern crate alloc;

#[cfg(feature = "chain")]
pub mod bindings;
#[cfg(feature = "chain")]
pub mod chain;
#[cfg(feature = "chain")]
pub mod deploy;
#[cfg(feature = "chain")]
pub mod deployment;
#[cfg(feature = "chain")]
pub mod e2e;
pub mod fuzz;
pub mod market;
#[cfg(feature = "chain")]
pub mod upgrade;
