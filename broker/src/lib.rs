//! A provider broker for the serving contracts: it sits in front of an
//! OpenAI-compatible model server, speaks the HTTP protocol of the 0G SDK
//! (`@0glabs/0g-serving-broker` 0.4.4) to users, checks that each request
//! is signed and can be paid, signs responses with its TEE key and settles
//! the fees on chain (issue 18).

pub mod babyjubjub;
pub mod request;
