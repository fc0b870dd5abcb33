//! Where a program's bytes go (`cargo xtask sizes`): the size of every
//! function body of a wasm module that kept its name section, by function
//! and by the crate that defines it.
//!
//! Sizes are of the uncompressed code section (the chain stores the module
//! brotli-compressed, so they rank code rather than count stored bytes).

use std::collections::BTreeMap;

use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};

use crate::Error;

/// One function body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Its demangled name, without the hash (`?` when the module has none).
    pub name: String,
    /// Its body's size in bytes.
    pub bytes: usize,
}

/// The function bodies of a module, largest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes {
    /// Every function body.
    pub functions: Vec<Function>,
    /// The size of the code section's bodies together.
    pub code_bytes: usize,
}

impl Sizes {
    /// The function bodies of `wasm`, named from its name section.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] when wasmparser refuses the module.
    pub fn of(wasm: &[u8]) -> Result<Self, Error> {
        let parse = |e: wasmparser::BinaryReaderError| Error::Parse(e.to_string());
        let mut imported = 0u32;
        let mut bodies = Vec::new();
        let mut names = BTreeMap::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(parse)? {
                Payload::ImportSection(imports) => {
                    for import in imports {
                        if matches!(import.map_err(parse)?.ty, TypeRef::Func(_)) {
                            imported += 1;
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => bodies.push(body.range().len()),
                Payload::CustomSection(section) => {
                    if let KnownCustom::Name(reader) = section.as_known() {
                        for name in reader {
                            if let Name::Function(map) = name.map_err(parse)? {
                                for naming in map {
                                    let naming = naming.map_err(parse)?;
                                    names.insert(naming.index, naming.name);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let mut functions: Vec<Function> = (0u32..)
            .zip(&bodies)
            .map(|(i, &bytes)| Function {
                name: names.get(&(imported + i)).map_or_else(
                    || "?".into(),
                    |n| format!("{:#}", rustc_demangle::demangle(n)),
                ),
                bytes,
            })
            .collect();
        functions.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
        let code_bytes = bodies.iter().sum();
        Ok(Self {
            functions,
            code_bytes,
        })
    }

    /// Bytes per crate (the crate of the item's path; for an impl, of its
    /// type), largest first.
    pub fn by_crate(&self) -> Vec<(String, usize)> {
        let mut crates = BTreeMap::<String, usize>::new();
        for f in &self.functions {
            let krate = match crate_of(&f.name) {
                "" => "(unnamed)",
                krate => krate,
            };
            *crates.entry(krate.to_string()).or_default() += f.bytes;
        }
        let mut crates: Vec<_> = crates.into_iter().collect();
        crates.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        crates
    }

    /// The report `cargo xtask sizes` prints: per crate, then the `top`
    /// largest functions, each with its share of the code.
    pub fn report(&self, top: usize) -> String {
        let total = self.code_bytes.max(1) as f64;
        let share = |bytes: usize| 100.0 * bytes as f64 / total;
        let mut out = format!(
            "{} functions, {} bytes of code\n\nby crate:\n",
            self.functions.len(),
            self.code_bytes
        );
        for (krate, bytes) in self.by_crate() {
            out += &format!("{bytes:>8} {:>5.1} %  {krate}\n", share(bytes));
        }
        out += &format!("\nthe {top} largest functions:\n");
        for f in self.functions.iter().take(top) {
            out += &format!("{:>8} {:>5.1} %  {}\n", f.bytes, share(f.bytes), f.name);
        }
        out
    }
}

/// The crate a demangled path starts in: `alloc` for `alloc::vec::Vec<T>`,
/// `ruint` for `<ruint::Uint<256, 4> as core::ops::Add>::add`.
fn crate_of(name: &str) -> &str {
    let path = name.trim_start_matches(['<', '&', '*', '_', '(', '[']);
    let path = path.strip_prefix("mut ").unwrap_or(path);
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    match &path[..end] {
        "bool" | "char" | "str" | "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8"
        | "i16" | "i32" | "i64" | "i128" | "isize" => "core",
        krate => krate,
    }
}

#[cfg(test)]
mod tests {
    use wasm_encoder::{
        CodeSection, EntityType, Function as Body, FunctionSection, ImportSection, Instruction,
        Module, NameMap, NameSection, TypeSection,
    };

    use super::*;

    /// An imported function, then two functions of 1 and 5 instructions
    /// named with v0 mangling, one without a name.
    fn module() -> Vec<u8> {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let mut imports = ImportSection::new();
        imports.import("vm_hooks", "f", EntityType::Function(0));
        m.section(&imports);
        let mut functions = FunctionSection::new();
        functions.function(0).function(0).function(0);
        m.section(&functions);
        let mut code = CodeSection::new();
        for n in [1, 5, 2] {
            let mut body = Body::new([]);
            for _ in 1..n {
                body.instruction(&Instruction::Nop);
            }
            body.instruction(&Instruction::End);
            code.function(&body);
        }
        m.section(&code);
        let mut names = NameMap::new();
        names.append(0, "vm_hooks_f");
        names.append(1, "_RNvNtCs1234_5alloc3vec4push");
        names.append(2, "_RNvMNtCs5678_5ruint4bitsNtB2_4Uint3add");
        let mut section = NameSection::new();
        section.functions(&names);
        m.section(&section);
        m.finish()
    }

    #[test]
    fn functions_are_named_and_ranked_by_size() {
        let sizes = Sizes::of(&module()).unwrap();
        let listed: Vec<_> = sizes
            .functions
            .iter()
            .map(|f| (f.name.as_str(), f.bytes))
            .collect();
        // A body: its local count (1 byte) and its instructions.
        assert_eq!(
            listed,
            [
                ("<ruint::bits::Uint>::add", 6),
                ("?", 3),
                ("alloc::vec::push", 2)
            ]
        );
        assert_eq!(sizes.code_bytes, 11);
        assert_eq!(
            sizes.by_crate(),
            [
                ("ruint".into(), 6),
                ("(unnamed)".into(), 3),
                ("alloc".into(), 2)
            ]
        );
        assert!(sizes
            .report(2)
            .contains("       6  54.5 %  <ruint::bits::Uint>::add"));
    }

    #[test]
    fn the_crate_of_an_impl_is_its_types() {
        assert_eq!(
            crate_of("<ruint::Uint<256, 4> as core::ops::Add>::add"),
            "ruint"
        );
        assert_eq!(
            crate_of("<&mut serving_contracts::X>::f"),
            "serving_contracts"
        );
        assert_eq!(crate_of("stylus_sdk::abi::router_entrypoint"), "stylus_sdk");
        assert_eq!(crate_of("<(alloy_sol_types::X, u8)>::f"), "alloy_sol_types");
        assert_eq!(crate_of("<usize as core::fmt::Display>::fmt"), "core");
    }

    #[test]
    fn a_truncated_module_is_refused() {
        assert!(Sizes::of(b"\0asm\x01\0\0\0\x01\x05").is_err());
    }
}
