//! Unit tests of the ABI check and the artifacts.

use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn selector_of_add_ledger() {
    assert_eq!(
        selector("addLedger(uint256[2],string)"),
        [0x72, 0xad, 0xc0, 0xd9]
    );
    assert_eq!(hex(selector("addLedger(uint256[2],string)")), "0x72adc0d9");
    assert_eq!(parse_hex("0x72adc0d9"), Some([0x72, 0xad, 0xc0, 0xd9]));
    assert_eq!(parse_hex("0x72adc0d"), None);
}

#[test]
fn tuple_array_parameter_and_two_outputs() {
    let f = parse_function(
        "    function settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[] memory settlements) external returns ((address, uint256)[] memory, uint256);",
    )
    .unwrap();
    assert_eq!(f.name, "settleFeesWithTEE");
    assert_eq!(
        f.inputs,
        s(&["(address,address,uint256,bytes32,uint256,bytes)[]"])
    );
    assert_eq!(f.mutability, Mutability::NonPayable);
    assert_eq!(f.outputs, s(&["(address,uint256)[]", "uint256"]));
    assert_eq!(
        f.signature(),
        "settleFeesWithTEE((address,address,uint256,bytes32,uint256,bytes)[])"
    );
    assert_eq!(hex(f.selector()), "0x8be74119");
}

#[test]
fn names_and_locations_are_dropped() {
    let f = parse_function(
        "function addLedger(uint256[2] calldata inference_signer, string calldata additional_info) external payable returns (uint256, uint256)",
    )
    .unwrap();
    assert_eq!(f.signature(), "addLedger(uint256[2],string)");
    assert_eq!(f.mutability, Mutability::Payable);
    assert_eq!(f.outputs, s(&["uint256", "uint256"]));
    let f = parse_function("function f(address to, uint x) external").unwrap();
    assert_eq!(f.signature(), "f(address,uint256)");
    assert!(f.outputs.is_empty());
}

#[test]
fn one_struct_output_in_stylus_form() {
    let f = parse_function(
        "function getLedger(address user) external view returns (address,uint256,uint256[2],string,address[]) memory;",
    )
    .unwrap();
    assert_eq!(
        f.outputs,
        s(&["(address,uint256,uint256[2],string,address[])"])
    );
    let f = parse_function(
        "function getAllServices() external view returns (address,string,(uint256,bool)[])[] memory;",
    )
    .unwrap();
    assert_eq!(f.outputs, s(&["(address,string,(uint256,bool)[])[]"]));
    let f = parse_function(
        "function userInfo(address user) external view returns (uint256[2] memory, string memory, address[] memory);",
    )
    .unwrap();
    assert_eq!(f.outputs, s(&["uint256[2]", "string", "address[]"]));
}

#[test]
fn mutability() {
    for (decl, m) in [
        (
            "function a() external view returns (bool)",
            Mutability::View,
        ),
        (
            "function a() external pure returns (uint256)",
            Mutability::Pure,
        ),
        ("function a() external payable", Mutability::Payable),
        ("function a() external", Mutability::NonPayable),
        (
            "function a(uint256 x) external returns (uint256)",
            Mutability::NonPayable,
        ),
    ] {
        assert_eq!(parse_function(decl).unwrap().mutability, m, "{decl}");
    }
    for (word, m) in [
        ("view", Mutability::View),
        ("pure", Mutability::Pure),
        ("payable", Mutability::Payable),
        ("nonpayable", Mutability::NonPayable),
    ] {
        assert_eq!(Mutability::parse(word), Some(m));
        assert_eq!(m.as_str(), word);
    }
    assert_eq!(Mutability::parse(""), None);
    assert_eq!(Mutability::Pure.class(), Mutability::View);
    assert!(parse_function("function a() external constant").is_err());
}

#[test]
fn struct_names_are_refused_in_interfaces() {
    assert!(parse_function("function f(Ledger memory l) external").is_err());
    assert!(parse_function("function f(uint7 x) external").is_err());
}

#[test]
fn interface_skips_comments_and_other_items() {
    let src = "/**\n * generated; by Stylus\n */\n// SPDX; x\npragma solidity ^0.8.23;\n\
               interface I {\n    event E(address indexed a);\n    error Bad(uint256);\n\
               function a(uint256 x) // trailing; comment\n        external view returns (uint256);\n\
               function b() external;\n}\n";
    let fns = parse_interface(src).unwrap();
    let sigs: Vec<_> = fns.iter().map(Function::signature).collect();
    assert_eq!(sigs, ["a(uint256)", "b()"]);
    assert_eq!(fns[0].mutability, Mutability::View);
}

const SPEC: &str = "\
## Shared structs

```
Refund  (uint256 index, bool processed)
Ledger  (address user,
 uint256[2] signer, Refund[] refunds)
```

## LedgerManager

| kind | signature | selector | mutability | outputs |
| --- | --- | --- | --- | --- |
| public | addLedger(uint256[2],string) | 0x72adc0d9 | payable | (uint256,uint256) |
| public | getLedger(address) | 0xf7cd6af9 | view | (Ledger) |
| public | owner() | 0x8da5cb5b | view | (address) |
| public | transferOwnership(address) | 0xf2fde38b | nonpayable | () |
| public | renounceOwnership() | 0x715018a6 | nonpayable | () — owner only |
| internal | spendFund(address,uint256) | 0xdd8a4118 | nonpayable | () |

## InferenceServing

| kind | signature | selector | mutability | outputs |
| --- | --- | --- | --- | --- |
| public | lockTime() | 0x0d668087 | view | (uint256) = 20 |
| public | owner() / transferOwnership(address) / renounceOwnership() | as above | | |
| public | deleteLedger() | 0x410b3816 | nonpayable | () |

## FineTuningServing

| kind | signature | selector | mutability | outputs |
| --- | --- | --- | --- | --- |
| public | lockTime() | as inference | | |
| public | nothing() | as above | | |
";

#[test]
fn spec_rows_with_several_functions() {
    let spec = Spec::parse(SPEC);
    let inf = spec.section("InferenceServing").unwrap();
    let sigs: Vec<_> = inf.public.iter().map(|f| f.signature.as_str()).collect();
    assert_eq!(
        sigs,
        [
            "lockTime()",
            "owner()",
            "transferOwnership(address)",
            "renounceOwnership()",
            "deleteLedger()"
        ]
    );
    let owner = &inf.public[1];
    assert_eq!(hex(owner.selector), "0x8da5cb5b");
    assert_eq!(owner.mutability, Mutability::View);
    assert_eq!(owner.outputs, Some(s(&["address"])));
    assert_eq!(inf.public[2].mutability, Mutability::NonPayable);
    assert_eq!(inf.public[2].outputs, Some(vec![]));
    assert_eq!(inf.public[0].outputs, Some(s(&["uint256"])));

    let ft = spec.section("FineTuningServing").unwrap();
    assert_eq!(ft.public.len(), 1);
    assert_eq!(ft.public[0].mutability, Mutability::View);

    let lm = spec.section("LedgerManager").unwrap();
    assert_eq!(lm.public.len(), 5);
    assert_eq!(lm.internal, s(&["spendFund(address,uint256)"]));
    assert_eq!(
        spec.expand("LedgerManager", "Ledger[]").as_deref(),
        Some("(address,uint256[2],(uint256,bool)[])[]")
    );
    assert_eq!(spec.expand("LedgerManager", "Account"), None);

    // The spec's typo and the `as above` without an earlier row.
    assert_eq!(spec.errors.len(), 2, "{:?}", spec.errors);
    assert!(spec.errors[0].contains("0x410b3816") && spec.errors[0].contains("0x410b3815"));
    assert!(spec.errors[1].contains("nothing()"));
}

#[test]
fn check_reports_each_difference() {
    let spec = Spec::parse(SPEC);
    let src = "interface I {
        function addLedger(uint256[2] calldata s, string calldata i) external payable returns (uint256);
        function getLedger(address u) external view returns (address,uint256[2],(uint256,bool)[]) memory;
        function owner() external returns (address);
        function transferOwnership(address o) external;
        function spendFund(address a, uint256 b) external;
        function payProvider(address a, uint256 b) external;
    }";
    let r = check(&spec, "LedgerManager", &parse_interface(src).unwrap());
    assert_eq!(r.expected, 5);
    let matched: Vec<_> = r.matched.iter().map(|f| f.signature.as_str()).collect();
    assert_eq!(
        matched,
        ["getLedger(address)", "transferOwnership(address)"]
    );
    let extras: Vec<_> = r.extras.iter().map(|(f, i)| (f.signature(), *i)).collect();
    assert_eq!(
        extras,
        [
            ("spendFund(address,uint256)".into(), true),
            ("payProvider(address,uint256)".into(), false)
        ]
    );
    assert_eq!(r.mismatches.len(), 3, "{:#?}", r.mismatches);
    assert!(r.mismatches[0].contains("addLedger") && r.mismatches[0].contains("1 outputs"));
    assert!(
        r.mismatches[1].contains("owner()") && r.mismatches[1].contains("mutability nonpayable")
    );
    assert!(r.mismatches[2].contains("renounceOwnership()") && r.mismatches[2].contains("missing"));

    let bad = "interface I { function getLedger(address u) external view returns (address,uint256[2],(uint256,bool)) memory; }";
    let r = check(&spec, "LedgerManager", &parse_interface(bad).unwrap());
    assert!(
        r.mismatches.iter().any(|m| m.contains("output 0")),
        "{:#?}",
        r.mismatches
    );

    let r = check(&spec, "Nowhere", &[]);
    assert_eq!(r.mismatches.len(), 1);
}

mod artifacts_tests {
    use super::{
        super::{artifacts::*, *},
        s,
    };

    const SPEC: &str = "## Shared structs\n\n```\nRefund (uint256 index, bool processed)\n```\n\n\
## C\n\n```\nAccount (address user, Refund[] refunds)\nOther (address owner, (uint256,bool)[] refunds)\nPair (uint256 a, uint256 b)\n```\n\n\
| kind | signature | selector | mutability | outputs |\n| --- | --- | --- | --- | --- |\n\
| public | getAccount(address) | 0xfbcbc0f1 | view | (Other o) |\n\
| public | getRefund(uint256) | 0xd2f0be99 | view | (Refund r) |\n";

    const IFACE: &str = "interface IC {\n\
function getAccount(address user) external view returns ((address,(uint256,bool)[]) memory);\n\
function getRefund(uint256 refund_index) external view returns ((uint256,bool) memory);\n\
function put((address,(uint256,bool)[])[] calldata accounts, (bool,bool) calldata flags) external payable;\n\
event Put(address indexed, uint256);\n\
error Bad(string);\n}\n";

    fn spec() -> Spec {
        let spec = Spec::parse(SPEC);
        assert!(spec.errors.is_empty(), "{:?}", spec.errors);
        spec
    }

    #[test]
    fn struct_names_and_field_names_of_the_spec() {
        let spec = spec();
        let c = spec.section("C").unwrap();
        assert_eq!(
            c.field_names[0],
            ("Account".into(), s(&["user", "refunds"]))
        );
        let structs = Structs::of(&spec, "C");
        let names: Vec<&str> = structs.0.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Account", "Other", "Pair", "Refund"]);
        // Account and Other are the same tuple: the first, unless preferred.
        let t = "(address,(uint256,bool)[])";
        assert_eq!(structs.find(t, None).unwrap().name, "Account");
        assert_eq!(structs.find(t, Some("Other")).unwrap().name, "Other");
        assert_eq!(structs.find("(uint256,bool)", None).unwrap().name, "Refund");
        assert!(structs.find("(bool)", None).is_none());
    }

    #[test]
    fn declarations_keep_names_and_indexed() {
        let d = decls(&parse_items(IFACE).unwrap());
        assert_eq!(d.len(), 5);
        let Decl::Function { name, inputs, .. } = &d[1] else {
            panic!()
        };
        assert_eq!(
            (name.as_str(), inputs[0].name.as_str()),
            ("getRefund", "refund_index")
        );
        let Decl::Event { inputs, .. } = &d[3] else {
            panic!()
        };
        assert!(inputs[0].indexed && !inputs[1].indexed);
        assert!(matches!(&d[4], Decl::Error { name, .. } if name == "Bad"));
    }

    #[test]
    fn json_abi_names_tuples_after_the_spec() {
        let spec = spec();
        let abi = json_abi(&spec, "C", "IC", &decls(&parse_items(IFACE).unwrap())).unwrap();
        let (json, sol) = render(&abi, "IC").unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let items = v.as_array().unwrap();
        let find = |key: &str, value: &str| items.iter().find(|i| i[key] == value).unwrap();
        let get = find("name", "getAccount");
        // The spec row's output names the struct among equal tuples.
        assert_eq!(get["outputs"][0]["internalType"], "struct IC.Other");
        assert_eq!(get["outputs"][0]["components"][1]["name"], "refunds");
        assert_eq!(get["outputs"][0]["components"][1]["type"], "tuple[]");
        assert_eq!(
            get["outputs"][0]["components"][1]["components"][0]["name"],
            "index"
        );
        let put = find("name", "put");
        assert_eq!(put["stateMutability"], "payable");
        assert_eq!(put["inputs"][0]["internalType"], "struct IC.Account[]");
        // A tuple the spec does not name gets a struct of its own.
        assert_eq!(put["inputs"][1]["internalType"], "struct IC.Flags");
        let ev = find("type", "event");
        assert_eq!(ev["inputs"][0]["indexed"], true);
        assert_eq!(ev["inputs"][1]["indexed"], false);
        assert!(items
            .iter()
            .any(|i| i["type"] == "error" && i["name"] == "Bad"));
        assert!(sol.contains("struct Other {"), "{sol}");
        assert!(
            sol.contains("function getAccount(address user) external view returns (Other memory);"),
            "{sol}"
        );
        assert!(
            sol.contains("function getRefund(uint256 refundIndex)"),
            "{sol}"
        );
        // The JSON selectors are the spec's.
        assert_eq!(validate(&spec, "C", &json), Vec::<String>::new());
        let alloy: alloy_json_abi::JsonAbi = serde_json::from_str(&json).unwrap();
        let sel = alloy.function("put").unwrap()[0].selector();
        assert_eq!(
            sel.0,
            selector("put((address,(uint256,bool)[])[],(bool,bool))")
        );
    }

    #[test]
    fn validate_reports_a_missing_selector() {
        let spec = spec();
        let only = "interface IC { function getRefund(uint256 i) external view returns ((uint256,bool) memory); }";
        let abi = json_abi(&spec, "C", "IC", &decls(&parse_items(only).unwrap())).unwrap();
        let (json, _) = render(&abi, "IC").unwrap();
        let errs = validate(&spec, "C", &json);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("getAccount(address)"));
        assert_eq!(validate(&spec, "C", "[").len(), 1);
    }

    #[test]
    fn events_of_the_spec_name_parameters_and_check_indexed() {
        let md = format!(
            "{SPEC}\nEvents (indexed fields marked *):\n- Put(address* who, uint256 n) 0x00\n\
Events: Other(address indexed,address indexed).\n"
        );
        let spec = Spec::parse(&md);
        let c = spec.section("C").unwrap();
        assert_eq!(c.events.len(), 2, "{:?}", c.events);
        assert_eq!(c.events[0].1[0], ("address".into(), true, "who".into()));
        assert_eq!(c.events[1].1[1], ("address".into(), true, String::new()));
        let abi = json_abi(&spec, "C", "IC", &decls(&parse_items(IFACE).unwrap())).unwrap();
        let ev = &abi.events["Put"][0];
        assert_eq!(
            (ev.inputs[0].name.as_str(), ev.inputs[1].name.as_str()),
            ("who", "n")
        );
        let bad = IFACE.replace("uint256);", "uint256 indexed);");
        let err = json_abi(&spec, "C", "IC", &decls(&parse_items(&bad).unwrap())).unwrap_err();
        assert!(err.contains("indexed"), "{err}");
    }

    #[test]
    fn camel_case() {
        assert_eq!(camel("lock_time"), "lockTime");
        assert_eq!(camel("user"), "user");
        assert_eq!(upper_first("userInfo"), "UserInfo");
    }
}
