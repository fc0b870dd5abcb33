#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
