//! The ABI artifacts of a contract for wallets and SDKs: `abi/<Contract>.json`
//! (standard JSON ABI) and `abi/<Contract>.sol` (Solidity interface),
//! generated from its exported interface, tuples named after the spec's
//! structs (with their field names).
use alloy_json_abi::{EventParam, InternalType, JsonAbi, Param, StateMutability};

use super::{hex, types::*, Item, Mutability, Spec};

/// A parameter of a declaration: canonical type, name (may be
/// empty) and whether it is an indexed event parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// Canonical type.
    pub ty: String,
    /// The name.
    pub name: String,
    /// Indexed (events only).
    pub indexed: bool,
}

/// A function, event or error of an exported interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decl {
    /// A function.
    Function {
        /// The name.
        name: String,
        /// Parameters.
        inputs: Vec<Arg>,
        /// State mutability.
        mutability: Mutability,
        /// Return types.
        outputs: Vec<String>,
    },
    /// An event.
    Event {
        /// The name.
        name: String,
        /// Parameters.
        inputs: Vec<Arg>,
    },
    /// A custom error.
    Error {
        /// The name.
        name: String,
        /// Parameters.
        inputs: Vec<Arg>,
    },
}

/// The declarations of `items` (from [`super::parse_items`]).
pub fn decls(items: &[Item]) -> Vec<Decl> {
    fn args<'a>(params: impl Iterator<Item = (&'a str, String, bool)>) -> Vec<Arg> {
        params
            .map(|(name, ty, indexed)| Arg {
                ty,
                name: name.to_string(),
                indexed,
            })
            .collect()
    }
    let plain = |params: &[Param]| {
        args(
            params
                .iter()
                .map(|p| (p.name.as_str(), p.selector_type().into_owned(), false)),
        )
    };
    items
        .iter()
        .map(|item| match item {
            Item::Function(f) => Decl::Function {
                name: f.name.clone(),
                inputs: plain(&f.inputs),
                mutability: f.state_mutability.into(),
                outputs: f
                    .outputs
                    .iter()
                    .map(|p| p.selector_type().into_owned())
                    .collect(),
            },
            Item::Event(e) => Decl::Event {
                name: e.name.clone(),
                inputs: args(
                    e.inputs
                        .iter()
                        .map(|p| (p.name.as_str(), p.selector_type().into_owned(), p.indexed)),
                ),
            },
            Item::Error(e) => Decl::Error {
                name: e.name.clone(),
                inputs: plain(&e.inputs),
            },
        })
        .collect()
}

/// A struct of the spec: name, fields (type as the spec writes it,
/// name) and its canonical tuple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    /// The name.
    pub name: String,
    /// Field types and names.
    pub fields: Vec<(String, String)>,
    /// The canonical tuple type.
    pub tuple: String,
}

/// The structs a contract's section of the spec knows: its own,
/// then the shared ones.
#[derive(Clone, Debug, Default)]
pub struct Structs(pub Vec<StructDef>);

impl Structs {
    /// The structs of contract `section`, its own first.
    pub fn of(spec: &Spec, section: &str) -> Structs {
        let own = spec.section(section).into_iter();
        let shared = spec
            .sections
            .iter()
            .filter(|s| s.name.to_lowercase().contains("shared"));
        let mut list: Vec<StructDef> = Vec::new();
        for sec in own.chain(shared) {
            for (name, types) in &sec.structs {
                if list.iter().any(|d| &d.name == name) {
                    continue;
                }
                let Some(tuple) = spec.expand(section, name) else {
                    continue;
                };
                let names = sec
                    .field_names
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, f)| f.clone())
                    .unwrap_or_default();
                let fields = types
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.clone(), names.get(i).cloned().unwrap_or_default()))
                    .collect();
                list.push(StructDef {
                    name: name.clone(),
                    fields,
                    tuple,
                });
            }
        }
        Structs(list)
    }

    /// The struct whose tuple is `tuple` (without array suffix):
    /// `prefer` when it is one of them, else the first.
    pub fn find(&self, tuple: &str, prefer: Option<&str>) -> Option<&StructDef> {
        let all: Vec<&StructDef> = self.0.iter().filter(|d| d.tuple == tuple).collect();
        prefer
            .and_then(|p| all.iter().find(|d| d.name == p).copied())
            .or(all.first().copied())
    }

    /// The JSON parameter of canonical type `ty`: a tuple becomes the
    /// struct it is (`prefer`, a spec type such as `Account[]`, when
    /// several match), with its field names. A tuple that is no struct
    /// of the spec (the internal functions' own) becomes the struct
    /// `fallback` with fields `field0`, `field1`...
    pub fn param(
        &self,
        iface: &str,
        ty: &str,
        name: &str,
        prefer: Option<&str>,
        fallback: &str,
    ) -> Result<Param, String> {
        if !ty.starts_with('(') {
            return Ok(Param {
                ty: ty.to_string(),
                name: name.to_string(),
                components: vec![],
                internal_type: Some(InternalType::Other {
                    contract: None,
                    ty: ty.to_string(),
                }),
            });
        }
        let end = closing(ty)?;
        let (tuple, suffix) = ty.split_at(end + 1);
        let prefer = prefer.map(|p| &p[..p.find('[').unwrap_or(p.len())]);
        let types = split_top(&tuple[1..tuple.len() - 1]);
        let def = match self.find(tuple, prefer) {
            Some(d) => d.clone(),
            None => StructDef {
                name: fallback.to_string(),
                fields: (0..types.len())
                    .map(|i| (String::new(), format!("field{i}")))
                    .collect(),
                tuple: tuple.to_string(),
            },
        };
        if types.len() != def.fields.len() {
            return Err(format!("{tuple} does not fit the struct {}", def.name));
        }
        let components = def
            .fields
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, ((spec_ty, field), t))| {
                let spec_ty = (!spec_ty.is_empty()).then_some(spec_ty.as_str());
                let inner = format!("{}{}", def.name, upper_first(field));
                let inner = if field.is_empty() {
                    format!("{}{i}", def.name)
                } else {
                    inner
                };
                self.param(iface, t, field, spec_ty, &inner)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Param {
            ty: format!("tuple{suffix}"),
            name: name.to_string(),
            components,
            internal_type: Some(InternalType::Struct {
                contract: Some(iface.to_string()),
                ty: format!("{}{suffix}", def.name),
            }),
        })
    }
}

/// `userInfo` -> `UserInfo`.
pub fn upper_first(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `lock_time` -> `lockTime` (Stylus exports Rust's parameter names).
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn state(m: Mutability) -> StateMutability {
    match m {
        Mutability::Pure => StateMutability::Pure,
        Mutability::View => StateMutability::View,
        Mutability::NonPayable => StateMutability::NonPayable,
        Mutability::Payable => StateMutability::Payable,
    }
}

/// The JSON ABI of the interface `iface` (declarations `decls`) of
/// the contract of spec section `section`.
pub fn json_abi(
    spec: &Spec,
    section: &str,
    iface: &str,
    decls: &[Decl],
) -> Result<JsonAbi, String> {
    let structs = Structs::of(spec, section);
    let public = spec
        .section(section)
        .map(|s| s.public.as_slice())
        .unwrap_or(&[]);
    let params = |args: &[Arg]| {
        args.iter()
            .enumerate()
            .map(|(i, a)| {
                let n = camel(&a.name);
                let fallback = if n.is_empty() {
                    format!("Param{i}")
                } else {
                    upper_first(&n)
                };
                structs.param(iface, &a.ty, &n, None, &fallback)
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let mut abi = JsonAbi::new();
    for d in decls {
        match d {
            Decl::Function {
                name,
                inputs,
                mutability,
                outputs,
            } => {
                let types: Vec<&str> = inputs.iter().map(|a| a.ty.as_str()).collect();
                let sig = format!("{name}({})", types.join(","));
                let spec_outs = public
                    .iter()
                    .find(|f| f.signature == sig)
                    .and_then(|f| f.outputs.clone())
                    .unwrap_or_default();
                let outputs = outputs
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let fallback = match outputs.len() {
                            1 => upper_first(name),
                            _ => format!("{}{i}", upper_first(name)),
                        };
                        let prefer = spec_outs.get(i).map(String::as_str);
                        structs.param(iface, t, "", prefer, &fallback)
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{sig}: {e}"))?;
                let f = alloy_json_abi::Function {
                    name: name.clone(),
                    inputs: params(inputs).map_err(|e| format!("{sig}: {e}"))?,
                    outputs,
                    state_mutability: state(*mutability),
                };
                abi.functions.entry(name.clone()).or_default().push(f);
            }
            Decl::Event { name, inputs } => {
                // The spec's event of that name and types (the
                // section's own first): parameter names, and the
                // indexed flags checked against it.
                let types: Vec<&str> = inputs.iter().map(|a| a.ty.as_str()).collect();
                let own = spec.section(section).into_iter();
                let written = own
                    .chain(spec.sections.iter())
                    .flat_map(|s| s.events.iter())
                    .find(|(n, ps)| {
                        n == name
                            && ps.len() == types.len()
                            && ps.iter().zip(&types).all(|((t, _, _), want)| {
                                spec.expand(section, t).as_deref() == Some(*want)
                            })
                    });
                let mut inputs = inputs.clone();
                if let Some((_, ps)) = written {
                    for (a, (_, indexed, n)) in inputs.iter_mut().zip(ps) {
                        if a.indexed != *indexed {
                            return Err(format!(
                                "event {name}: the indexed parameters differ from the spec"
                            ));
                        }
                        if a.name.is_empty() {
                            a.name = n.clone();
                        }
                    }
                }
                let ps = params(&inputs).map_err(|e| format!("event {name}: {e}"))?;
                let inputs = ps
                    .into_iter()
                    .zip(&inputs)
                    .map(|(p, a)| EventParam {
                        ty: p.ty,
                        name: p.name,
                        indexed: a.indexed,
                        components: p.components,
                        internal_type: p.internal_type,
                    })
                    .collect();
                let e = alloy_json_abi::Event {
                    name: name.clone(),
                    inputs,
                    anonymous: false,
                };
                abi.events.entry(name.clone()).or_default().push(e);
            }
            Decl::Error { name, inputs } => {
                let e = alloy_json_abi::Error {
                    name: name.clone(),
                    inputs: params(inputs).map_err(|e| format!("error {name}: {e}"))?,
                };
                abi.errors.entry(name.clone()).or_default().push(e);
            }
        }
    }
    Ok(abi)
}

/// The two files: `<Contract>.json` and `<Contract>.sol`.
pub fn render(abi: &JsonAbi, iface: &str) -> Result<(String, String), String> {
    let json = serde_json::to_string_pretty(abi).map_err(|e| e.to_string())? + "\n";
    let sol = format!(
        "// SPDX-License-Identifier: MIT\n\
         // Generated by `cargo xtask abi` from the contract's export-abi and the\n\
         // struct names of ../shared/spec/abi-0g.md. Do not edit.\n\
         pragma solidity ^0.8.23;\n\n{}",
        abi.to_sol(iface, None)
    );
    let sol = if sol.ends_with('\n') { sol } else { sol + "\n" };
    Ok((json, sol))
}

/// Loads a JSON ABI with alloy-json-abi and checks that every public
/// function of the spec section is in it with the spec's selector
/// and mutability class. One line per problem.
pub fn validate(spec: &Spec, section: &str, json: &str) -> Vec<String> {
    let abi: JsonAbi = match serde_json::from_str(json) {
        Ok(a) => a,
        Err(e) => return vec![format!("{section}: the JSON ABI does not load: {e}")],
    };
    let Some(sec) = spec.section(section) else {
        return vec![format!("{section}: the spec has no section `## {section}`")];
    };
    let mut out = Vec::new();
    for want in &sec.public {
        let found = abi.functions().find(|f| f.selector().0 == want.selector);
        match found {
            None => out.push(format!(
                "{section}: {} {} is not in the JSON ABI",
                want.signature,
                hex(want.selector)
            )),
            Some(f) => {
                let got = state(want.mutability.class());
                let class = match f.state_mutability {
                    StateMutability::Pure => StateMutability::View,
                    m => m,
                };
                if class != got {
                    out.push(format!(
                        "{section}: {} has mutability {:?} in the JSON ABI",
                        want.signature, f.state_mutability
                    ));
                }
            }
        }
    }
    out
}
