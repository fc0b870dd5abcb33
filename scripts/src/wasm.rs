//! The pure part of the build command: from the wasm rustc writes to the code a
//! Stylus chain stores, and the EVM init code that deploys it. The steps are
//! those of `cargo stylus` (strip, brotli, EOF prefix, deployment prelude), so
//! that what we deploy in tests is what `cargo stylus deploy` would deploy.

use std::{
    fmt,
    io::{Read, Write},
};

pub use crate::evm::initcode;

/// Largest stored code a chain accepts (EIP-170, enforced by Arbitrum).
pub const MAX_CODE_BYTES: usize = 24_576;
/// Our budget of stored code per program (issue 19): room below the
/// chain's limit for what is still to come, and initialization gas, which
/// grows with the code. `cargo xtask build` fails above it.
pub const CODE_BUDGET_BYTES: usize = 20_480;
/// Largest uncompressed wasm Stylus activates (128 KiB).
pub const MAX_WASM_BYTES: usize = 131_072;

/// Stylus EOF prefix `EF F0 00` followed by dictionary byte 0 (no dictionary).
pub const CODE_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];
/// Brotli settings of cargo stylus and Nitro.
pub const BROTLI_QUALITY: u32 = 11;
/// Brotli window (log2 of its size in bytes).
pub const BROTLI_WINDOW: u32 = 22;

#[derive(Debug)]
/// Why a wasm file cannot become a Stylus program.
pub enum Error {
    /// wasmparser refused the input.
    Parse(String),
    /// The code uses passive data (`memory.init`, `data.drop`), which needs
    /// the DataCount section that Stylus' activation refuses ("unsupported
    /// section type").
    PassiveData,
    /// binaryen's wasm-opt failed.
    Optimize(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "invalid wasm: {e}"),
            Error::PassiveData => write!(
                f,
                "the code uses passive data segments, whose DataCount section Stylus refuses"
            ),
            Error::Optimize(e) => write!(f, "wasm-opt: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Drops every custom section (names, producers, target_features, ...) and
/// copies every other section byte for byte, in order, as cargo stylus does.
/// Nothing is added. A DataCount section (which binaryen writes whenever
/// bulk memory is enabled, and Stylus refuses) is dropped too, unless the
/// code needs it: then the module is refused.
pub fn strip(wasm: &[u8]) -> Result<Vec<u8>, Error> {
    use wasmparser::{Parser, Payload};
    if uses_passive_data(wasm)? {
        return Err(Error::PassiveData);
    }
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| Error::Parse(e.to_string()))? {
            Payload::Version {
                encoding: wasmparser::Encoding::Component,
                ..
            } => return Err(Error::Parse("a component, not a core module".into())),
            // cargo stylus drops unknown sections too.
            Payload::CustomSection(_)
            | Payload::UnknownSection { .. }
            | Payload::DataCountSection { .. } => {}
            other => {
                // Function bodies are covered by their CodeSectionStart range.
                if let Some((id, range)) = other.as_section() {
                    module.section(&wasm_encoder::RawSection {
                        id,
                        data: &wasm[range],
                    });
                }
            }
        }
    }
    Ok(module.finish())
}

/// Whether a function uses `memory.init` or `data.drop`, the instructions
/// that need a DataCount section.
fn uses_passive_data(wasm: &[u8]) -> Result<bool, Error> {
    use wasmparser::{Operator, Parser, Payload};
    let parse = |e: wasmparser::BinaryReaderError| Error::Parse(e.to_string());
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionEntry(body) = payload.map_err(parse)? {
            let mut ops = body.get_operators_reader().map_err(parse)?;
            while !ops.eof() {
                if let Operator::MemoryInit { .. } | Operator::DataDrop { .. } =
                    ops.read().map_err(parse)?
                {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// binaryen's `wasm-opt -Oz` on the wasm rustc wrote, for the feature set
/// Stylus accepts (MVP and bulk memory, as `.cargo/config.toml` builds):
/// about a fifth less wasm and half the functions, so 5-8k less gas to
/// initialize a program at every entry (docs/build.md). `keep_names` keeps
/// the name section (for `cargo xtask sizes`); `scratch` is a directory for
/// the files binaryen reads and writes.
#[cfg(feature = "wasm-opt")]
pub fn optimize(raw: &[u8], scratch: &std::path::Path, keep_names: bool) -> Result<Vec<u8>, Error> {
    use wasm_opt::{Feature, OptimizationOptions};
    let io = |e: std::io::Error| Error::Optimize(e.to_string());
    std::fs::create_dir_all(scratch).map_err(io)?;
    let input = scratch.join("in.wasm");
    let output = scratch.join("out.wasm");
    std::fs::write(&input, raw).map_err(io)?;
    OptimizationOptions::new_optimize_for_size_aggressively()
        .mvp_features_only()
        .enable_feature(Feature::BulkMemory)
        .debug_info(keep_names)
        .run(&input, &output)
        .map_err(|e| Error::Optimize(e.to_string()))?;
    std::fs::read(&output).map_err(io)
}

/// Brotli (quality 11, window 22) behind the 4-byte prefix: the bytes that the
/// chain stores as the program's code.
pub fn compress(wasm: &[u8]) -> Vec<u8> {
    let mut out = CODE_PREFIX.to_vec();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
        w.write_all(wasm).expect("writing to a Vec cannot fail");
    } // dropping the writer flushes the last block
    out
}

/// Decodes deployment init code made by [`initcode`] back to the wasm the
/// chain activates: checks the prelude and the length, the Stylus prefix,
/// and decompresses. `None` when any part does not match.
pub fn decode_initcode(initcode: &[u8]) -> Option<Vec<u8>> {
    let code = crate::evm::initcode_code(initcode)?;
    let compressed = code.strip_prefix(CODE_PREFIX.as_slice())?;
    let mut wasm = Vec::new();
    brotli::Decompressor::new(compressed, 4096)
        .read_to_end(&mut wasm)
        .ok()?;
    Some(wasm)
}

/// The code hash a chain records for `code` (keccak256 of the stored code).
pub fn code_hash(code: &[u8]) -> [u8; 32] {
    alloy_primitives::keccak256(code).0
}

/// What one contract turns into.
pub struct Artifacts {
    /// The stripped wasm (what the chain decompresses and activates).
    pub wasm: Vec<u8>,
    /// Prefixed, compressed wasm (what the chain stores).
    pub code: Vec<u8>,
    /// Init code of a deployment transaction.
    pub initcode: Vec<u8>,
}

impl Artifacts {
    /// The artifacts of the wasm rustc wrote. Errors: [`Error`].
    pub fn from_wasm(raw: &[u8]) -> Result<Self, Error> {
        let wasm = strip(raw)?;
        let code = compress(&wasm);
        let initcode = initcode(&code);
        Ok(Artifacts {
            wasm,
            code,
            initcode,
        })
    }

    /// Whether the program fits the code and wasm limits.
    pub fn fits(&self) -> bool {
        self.code.len() <= MAX_CODE_BYTES && self.wasm.len() <= MAX_WASM_BYTES
    }
}

#[cfg(test)]
mod tests {
    use wasm_encoder::{
        CodeSection, CustomSection, DataSection, ExportKind, ExportSection, Function,
        FunctionSection, Instruction, MemorySection, MemoryType, Module, TypeSection,
    };

    use super::*;

    /// A memory section with one memory of one page.
    fn one_page_memory() -> MemorySection {
        let mut mem = MemorySection::new();
        mem.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        mem
    }

    /// A module with a function, a memory, an active data segment and two
    /// custom sections, one before and one after the others.
    fn sample() -> Vec<u8> {
        let mut m = Module::new();
        m.section(&CustomSection {
            name: "producers".into(),
            data: b"rustc"[..].into(),
        });
        let mut types = TypeSection::new();
        types.ty().function([], [wasm_encoder::ValType::I32]);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        m.section(&one_page_memory());
        let mut exports = ExportSection::new();
        exports.export("answer", ExportKind::Func, 0);
        m.section(&exports);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instruction(&Instruction::I32Const(42));
        f.instruction(&Instruction::End);
        code.function(&f);
        m.section(&code);
        let mut data = DataSection::new();
        data.active(
            0,
            &wasm_encoder::ConstExpr::i32_const(8),
            b"hello".iter().copied(),
        );
        m.section(&data);
        m.section(&CustomSection {
            name: "name".into(),
            data: b"\x00\x02ab"[..].into(),
        });
        m.finish()
    }

    fn section_ids(wasm: &[u8]) -> Vec<u8> {
        wasmparser::Parser::new(0)
            .parse_all(wasm)
            .filter_map(|p| p.unwrap().as_section().map(|(id, _)| id))
            .collect()
    }

    #[test]
    fn strip_drops_custom_sections_only() {
        let raw = sample();
        assert_eq!(section_ids(&raw), vec![0, 1, 3, 5, 7, 10, 11, 0]);
        let out = strip(&raw).unwrap();
        assert_eq!(section_ids(&out), vec![1, 3, 5, 7, 10, 11]);
        // The non-custom sections are copied verbatim: the output is the input
        // with the custom sections cut out.
        let mut expected = raw[..8].to_vec(); // magic and version
        let mut prev_end = 8;
        for p in wasmparser::Parser::new(0).parse_all(&raw) {
            if let Some((id, range)) = p.unwrap().as_section() {
                // A section's header (id, LEB128 size) lies between the end of
                // the previous section and the start of its content.
                if id != 0 {
                    expected.extend_from_slice(&raw[prev_end..range.end]);
                }
                prev_end = range.end;
            }
        }
        assert_eq!(out, expected);
        wasmparser::Validator::new().validate_all(&out).unwrap();
        // Stripping again changes nothing.
        assert_eq!(strip(&out).unwrap(), out);
    }

    /// A module with a DataCount section and one function, whose body is
    /// `body` (then `end`).
    fn with_data_count(body: &[Instruction<'_>]) -> Vec<u8> {
        let mut m = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        m.section(&funcs);
        m.section(&one_page_memory());
        m.section(&wasm_encoder::DataCountSection { count: 1 });
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        for i in body {
            f.instruction(i);
        }
        f.instruction(&Instruction::End);
        code.function(&f);
        m.section(&code);
        let mut data = DataSection::new();
        data.passive([1u8, 2]);
        m.section(&data);
        m.finish()
    }

    #[test]
    fn strip_drops_an_unused_data_count() {
        let ids = section_ids(&strip(&with_data_count(&[])).unwrap());
        assert!(!ids.contains(&12), "DataCount kept: {ids:?}");
        assert!(ids.contains(&10) && ids.contains(&11));
    }

    #[test]
    fn strip_refuses_passive_data_in_use() {
        let init = with_data_count(&[
            Instruction::I32Const(0),
            Instruction::I32Const(0),
            Instruction::I32Const(2),
            Instruction::MemoryInit {
                mem: 0,
                data_index: 0,
            },
        ]);
        assert!(matches!(strip(&init), Err(Error::PassiveData)));
        let drop = with_data_count(&[Instruction::DataDrop(0)]);
        assert!(matches!(strip(&drop), Err(Error::PassiveData)));
    }

    #[test]
    fn strip_refuses_garbage() {
        assert!(matches!(strip(b"not wasm"), Err(Error::Parse(_))));
    }

    #[test]
    fn compress_round_trips() {
        let wasm = strip(&sample()).unwrap();
        let code = compress(&wasm);
        assert_eq!(code[..4], [0xEF, 0xF0, 0x00, 0x00]);
        assert_eq!(decompress(&code), wasm);
    }

    /// The wasm of stored code.
    fn decompress(code: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        brotli::Decompressor::new(&code[4..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        back
    }

    #[test]
    fn compress_round_trips_large_input() {
        // Larger than one buffer and than the default window of small inputs.
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert_eq!(decompress(&compress(&data)), data);
    }

    #[test]
    fn initcode_decodes_back_to_the_wasm() {
        let module = sample();
        let artifacts = Artifacts::from_wasm(&module).unwrap();
        assert_eq!(
            decode_initcode(&artifacts.initcode).unwrap(),
            artifacts.wasm
        );
        // A wrong length, prefix or truncation is refused.
        let mut wrong_len = artifacts.initcode.clone();
        wrong_len[32] ^= 1;
        assert_eq!(decode_initcode(&wrong_len), None);
        let mut wrong_prefix = artifacts.initcode.clone();
        wrong_prefix[crate::evm::CODE_OFFSET] = 0;
        assert_eq!(decode_initcode(&wrong_prefix), None);
        assert_eq!(decode_initcode(&artifacts.initcode[..20]), None);
        assert_eq!(
            code_hash(&artifacts.code),
            alloy_primitives::keccak256(&artifacts.code).0
        );
    }

    #[test]
    fn artifacts_and_limits() {
        let a = Artifacts::from_wasm(&sample()).unwrap();
        assert_eq!(a.initcode[43..], a.code[..]);
        assert!(a.fits());
        let big = Artifacts {
            wasm: vec![0; MAX_WASM_BYTES + 1],
            code: vec![],
            initcode: vec![],
        };
        assert!(!big.fits());
        let big = Artifacts {
            wasm: vec![],
            code: vec![0; MAX_CODE_BYTES + 1],
            initcode: vec![],
        };
        assert!(!big.fits());
    }
}
