#[cfg(feature = "chain")]
pub mod bindings;
#[cfg(feature = "chain")]
pub mod chain;
#[cfg(feature = "chain")]
pub mod deploy;
#[cfg(feature = "chain")]
pub mod e2e;
