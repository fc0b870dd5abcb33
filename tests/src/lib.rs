#[cfg(feature = "chain")]
pub mod chain;
