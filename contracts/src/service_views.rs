//! The service views both serving contracts expose, written once: a
//! contract says where its providers are listed and how it shows one
//! service; `getService`, `getAllServices` and the paged `getServices` come
//! from here.

use alloc::vec::Vec;
use core::ops::Range;

use alloy_primitives::{Address, U256};
use alloy_sol_types::private::SolTypeValue;
use stylus_sdk::abi::AbiType;

use crate::{
    abi::{revert, ServiceNotExist},
    address_set::AddressSet,
    pagination::{page, with_total},
};

/// `getService`, `getAllServices` and `getServices` of a serving contract.
pub trait ServiceViews {
    /// A service as the contract's views show it.
    type Service;

    /// The providers with a service.
    fn providers(&self) -> &AddressSet;

    /// The service of `provider`, which has one.
    fn service(&self, provider: Address) -> Self::Service;

    /// The services of the providers at `range` in the list.
    fn services_in(&self, range: Range<usize>) -> Vec<Self::Service> {
        range
            .map(|i| self.service(self.providers().at(i)))
            .collect()
    }

    /// The service of `provider`.
    ///
    /// # Errors
    ///
    /// `ServiceNotExist`.
    fn get_service(&self, provider: Address) -> Result<Self::Service, Vec<u8>> {
        if !self.providers().contains(provider) {
            return Err(revert(ServiceNotExist { provider }));
        }
        Ok(self.service(provider))
    }

    /// Every service.
    fn get_all_services(&self) -> Vec<Self::Service> {
        self.services_in(0..self.providers().len())
    }

    /// A page of the services (`limit` 0: all, else at most 50) and their
    /// number, ABI-encoded as `getServices` returns them (with the encoder
    /// of `getAllServices`): what a client reads when `getAllServices` would
    /// cost too much.
    ///
    /// # Errors
    ///
    /// `InvalidLimit`.
    fn get_services(&self, offset: U256, limit: U256) -> Result<Vec<u8>, Vec<u8>>
    where
        Vec<Self::Service>: AbiType + SolTypeValue<<Vec<Self::Service> as AbiType>::SolType>,
    {
        let total = self.providers().len();
        let services = self.services_in(page(total, offset, limit)?);
        Ok(with_total(&stylus_sdk::abi::encode(&services), total))
    }
}
