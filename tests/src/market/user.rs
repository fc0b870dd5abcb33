//! A user: a ledger, sub-accounts with the providers it chose, the
//! attestation root it trusts, and its own checks on every answer.
//!
//! A user acknowledges a provider's TEE signer only after checking the
//! provider's attestation report against the root it trusts; it sends
//! requests with growing nonces, checks every response's signature (from
//! the provider's signature download endpoint) against the signer it
//! acknowledged, and stops using a provider whose signature fails.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};

use super::{
    backend::{Backend, Kind, Outcome, SubAccount},
    provider::{Provider, Request, Response},
};

/// The user's relation with one provider.
#[derive(Clone, Debug, Default)]
struct Link {
    /// The TEE signer it acknowledged on chain.
    signer: Address,
    /// The last request nonce it used.
    nonce: u64,
    /// Why it stopped using this provider.
    stopped: Option<String>,
}

/// A user of the marketplace.
pub struct User {
    /// Its account.
    pub address: Address,
    trusted_root: Address,
    links: BTreeMap<usize, Link>,
    /// Verified responses.
    pub verified: u64,
}

/// Why a user refused to deal with a provider.
pub const ATTESTATION_REFUSED: &str = "attestation not signed by the trusted root";
/// Why a user stopped using a provider after a bad response signature.
pub const SIGNATURE_REFUSED: &str = "response signature not by the acknowledged TEE signer";
/// Why a user stopped using a provider after asking for its funds back.
pub const FUNDS_RETRIEVED: &str = "funds retrieved";

impl User {
    /// A user at `address` trusting attestations signed by `trusted_root`.
    pub fn new(address: Address, trusted_root: Address) -> Self {
        Self {
            address,
            trusted_root,
            links: BTreeMap::new(),
            verified: 0,
        }
    }

    /// Opens its ledger with `deposit`.
    pub fn open_ledger(&self, backend: &mut dyn Backend, deposit: U256) -> Outcome<()> {
        backend.add_ledger(self.address, deposit)
    }

    /// Checks `provider`'s attestation against the trusted root; if it
    /// holds, moves `amount` into a `kind` sub-account and acknowledges
    /// the attested signer. Returns whether the provider was accepted.
    pub fn engage(
        &mut self,
        backend: &mut dyn Backend,
        index: usize,
        provider: &Provider,
        kind: Kind,
        amount: U256,
    ) -> Outcome<bool> {
        let report = provider.attestation();
        if !report.verify(self.trusted_root) {
            return Ok(false);
        }
        let account = SubAccount::new(self.address, provider.address, kind);
        backend.transfer_fund(account, amount)?;
        backend.acknowledge_signer(account, report.signing_address)?;
        if kind == Kind::Inference {
            self.links.insert(
                index,
                Link {
                    signer: report.signing_address,
                    ..Link::default()
                },
            );
        }
        Ok(true)
    }

    /// The providers it still uses, by index.
    pub fn usable(&self) -> Vec<usize> {
        self.links
            .iter()
            .filter(|(_, l)| l.stopped.is_none())
            .map(|(i, _)| *i)
            .collect()
    }

    /// Every provider it engaged for inference, by index.
    pub fn engaged(&self) -> Vec<usize> {
        self.links.keys().copied().collect()
    }

    /// A new request to provider `index` (the next nonce).
    ///
    /// # Panics
    ///
    /// If the user never engaged that provider.
    pub fn request(&mut self, index: usize, input_tokens: u64, output_tokens: u64) -> Request {
        let link = self.links.get_mut(&index).expect("an engaged provider");
        link.nonce += 1;
        Request {
            user: self.address,
            nonce: link.nonce,
            input_tokens,
            output_tokens,
        }
    }

    /// Checks `response` to `request` with the signature the provider's
    /// download endpoint serves; stops using the provider when it fails.
    /// Returns whether it holds.
    pub fn verify(
        &mut self,
        index: usize,
        provider: &Provider,
        request: &Request,
        response: &Response,
    ) -> bool {
        let link = self.links.get_mut(&index).expect("an engaged provider");
        let holds = provider.tee().signature(&response.id).is_some_and(|s| {
            s.verify(
                &request.content(provider.address),
                &response.content,
                link.signer,
            )
        });
        if holds {
            self.verified += 1;
        } else {
            link.stopped.get_or_insert_with(|| SIGNATURE_REFUSED.into());
        }
        holds
    }

    /// Stops using provider `index` for `reason`.
    pub fn stop(&mut self, index: usize, reason: &str) {
        if let Some(link) = self.links.get_mut(&index) {
            link.stopped.get_or_insert_with(|| reason.into());
        }
    }

    /// Why it stopped using provider `index`, if it did.
    pub fn stopped(&self, index: usize) -> Option<&str> {
        self.links.get(&index).and_then(|l| l.stopped.as_deref())
    }
}
