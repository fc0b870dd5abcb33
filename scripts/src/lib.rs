//! The pure part of the build command: from the wasm rustc writes to the code a
//! Stylus chain stores, and the EVM init code that deploys it. The steps are
//! those of `cargo stylus` (strip, brotli, EOF prefix, deployment prelude), so
//! that what we deploy in tests is what `cargo stylus deploy` would deploy.

use std::{
    fmt,
    io::{Read, Write},
};

/// Largest stored code a chain accepts (EIP-170, enforced by Arbitrum).
pub const MAX_CODE_BYTES: usize = 24_576;
/// Largest uncompressed wasm Stylus activates (128 KiB).
pub const MAX_WASM_BYTES: usize = 131_072;

/// Stylus EOF prefix `EF F0 00` followed by dictionary byte 0 (no dictionary).
pub const CODE_PREFIX: [u8; 4] = [0xEF, 0xF0, 0x00, 0x00];
/// Brotli settings of cargo stylus and Nitro.
pub const BROTLI_QUALITY: u32 = 11;
/// Brotli window (log2 of its size in bytes).
pub const BROTLI_WINDOW: u32 = 22;

/// Length of the init code prelude (PUSH32 .. RETURN) before the version byte.
pub const PRELUDE_LEN: usize = 42;

#[derive(Debug)]
/// Why a wasm file cannot become a Stylus program.
pub enum Error {
    /// wasmparser refused the input.
    Parse(String),
    /// A section that Stylus' activation refuses ("unsupported section type").
    DataCount,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => write!(f, "invalid wasm: {e}"),
            Error::DataCount => write!(
                f,
                "the wasm has a DataCount section, which Stylus refuses (was it run through wasm-opt?)"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Drops every custom section (names, producers, target_features, ...) and
/// copies every other section byte for byte, in order, as cargo stylus does.
/// Nothing is added; a module that already has a DataCount section is refused.
pub fn strip(wasm: &[u8]) -> Result<Vec<u8>, Error> {
    use wasmparser::{Parser, Payload};
    let mut module = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| Error::Parse(e.to_string()))? {
            Payload::Version {
                encoding: wasmparser::Encoding::Component,
                ..
            } => return Err(Error::Parse("a component, not a core module".into())),
            // cargo stylus drops unknown sections too.
            Payload::CustomSection(_) | Payload::UnknownSection { .. } => {}
            Payload::DataCountSection { .. } => return Err(Error::DataCount),
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

/// EVM init code returning `code`, laid out as cargo stylus'
/// `contract_deployment_calldata`: PUSH32 len, DUP1, PUSH1 43, PUSH1 0,
/// CODECOPY, PUSH1 0, RETURN, then a version byte 0 and the code.
pub fn initcode(code: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(PRELUDE_LEN + 1 + code.len());
    out.push(0x7f); // PUSH32
    out.extend_from_slice(&[0u8; 24]);
    out.extend_from_slice(&(code.len() as u64).to_be_bytes());
    out.push(0x80); // DUP1
    out.extend_from_slice(&[0x60, (PRELUDE_LEN + 1) as u8]); // PUSH1 offset of the code
    out.extend_from_slice(&[0x60, 0x00]); // PUSH1 0
    out.push(0x39); // CODECOPY
    out.extend_from_slice(&[0x60, 0x00]); // PUSH1 0
    out.push(0xf3); // RETURN
    out.push(0x00); // version
    out.extend_from_slice(code);
    out
}

/// Decodes deployment init code made by [`initcode`] back to the wasm the
/// chain activates: checks the prelude and the length, the Stylus prefix,
/// and decompresses. `None` when any part does not match.
pub fn decode_initcode(initcode: &[u8]) -> Option<Vec<u8>> {
    let code = initcode.get(PRELUDE_LEN + 1..)?;
    if initcode[..PRELUDE_LEN + 1] != self::initcode(code)[..PRELUDE_LEN + 1] {
        return None;
    }
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
        let mut mem = MemorySection::new();
        mem.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        m.section(&mem);
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

    #[test]
    fn strip_refuses_data_count() {
        let mut m = Module::new();
        m.section(&wasm_encoder::DataCountSection { count: 0 });
        assert!(matches!(strip(&m.finish()), Err(Error::DataCount)));
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
        let mut back = Vec::new();
        brotli::Decompressor::new(&code[4..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, wasm);
    }

    #[test]
    fn compress_round_trips_large_input() {
        // Larger than one buffer and than the default window of small inputs.
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let code = compress(&data);
        let mut back = Vec::new();
        brotli::Decompressor::new(&code[4..], 4096)
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
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
        wrong_prefix[PRELUDE_LEN + 1] = 0;
        assert_eq!(decode_initcode(&wrong_prefix), None);
        assert_eq!(decode_initcode(&artifacts.initcode[..20]), None);
        assert_eq!(
            code_hash(&artifacts.code),
            alloy_primitives::keccak256(&artifacts.code).0
        );
    }

    #[test]
    fn initcode_layout() {
        let code = vec![0xAB; 0x1234];
        let init = initcode(&code);
        assert_eq!(init.len(), 43 + code.len());
        assert_eq!(init[0], 0x7f);
        assert_eq!(init[1..31], [0u8; 30]);
        assert_eq!(init[31..33], [0x12, 0x34]);
        assert_eq!(
            init[33..43],
            [0x80, 0x60, 0x2b, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00]
        );
        assert_eq!(init[43..], code[..]);
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

/// The pure part of `cargo xtask abi`: reads the Solidity interface a contract
/// exports (`--features export-abi`) and the target ABI of the spec
/// (../shared/spec/abi-0g.md), and compares them. main.rs runs the exports.
pub mod abi {
    use std::fmt;

    /// State mutability of a function.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Mutability {
        /// Reads nothing of the chain.
        Pure,
        /// Reads state.
        View,
        /// Changes state, takes no value.
        NonPayable,
        /// Changes state, takes value.
        Payable,
    }

    impl Mutability {
        /// `view`, `pure`, `payable`, or `nonpayable` (the spec's word for
        /// what Solidity leaves unwritten).
        pub fn parse(word: &str) -> Option<Self> {
            match word {
                "pure" => Some(Self::Pure),
                "view" => Some(Self::View),
                "nonpayable" => Some(Self::NonPayable),
                "payable" => Some(Self::Payable),
                _ => None,
            }
        }

        /// The class the spec compares (view / nonpayable / payable): a pure
        /// function is called like a view one.
        pub fn class(self) -> Self {
            match self {
                Self::Pure => Self::View,
                m => m,
            }
        }

        /// The Solidity word.
        pub fn as_str(self) -> &'static str {
            match self {
                Self::Pure => "pure",
                Self::View => "view",
                Self::NonPayable => "nonpayable",
                Self::Payable => "payable",
            }
        }
    }

    impl fmt::Display for Mutability {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.as_str())
        }
    }

    /// A function of an exported interface, its types canonical (no names,
    /// no data locations, no spaces; tuples as written).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Function {
        /// The name.
        pub name: String,
        /// Parameter types.
        pub inputs: Vec<String>,
        /// State mutability.
        pub mutability: Mutability,
        /// Return types.
        pub outputs: Vec<String>,
    }

    impl Function {
        /// `name(type,type)`, what the selector is the hash of.
        pub fn signature(&self) -> String {
            format!("{}({})", self.name, self.inputs.join(","))
        }

        /// The 4-byte selector.
        pub fn selector(&self) -> [u8; 4] {
            selector(&self.signature())
        }
    }

    /// First four bytes of keccak256 of a canonical signature.
    pub fn selector(signature: &str) -> [u8; 4] {
        let h = alloy_primitives::keccak256(signature.as_bytes());
        [h[0], h[1], h[2], h[3]]
    }

    /// `0x` and eight hex digits.
    pub fn hex(selector: [u8; 4]) -> String {
        format!("0x{:08x}", u32::from_be_bytes(selector))
    }

    fn parse_hex(s: &str) -> Option<[u8; 4]> {
        let digits = s.strip_prefix("0x")?;
        if digits.len() != 8 {
            return None;
        }
        u32::from_str_radix(digits, 16).ok().map(u32::to_be_bytes)
    }

    /// Every `function` of a Solidity interface, in order. Declarations may
    /// span lines; comments, events, errors and structs are skipped.
    pub fn parse_interface(src: &str) -> Result<Vec<Function>, String> {
        let src = strip_comments(src);
        let mut out = Vec::new();
        for stmt in src.split(';') {
            // What follows `interface I {` or a struct's `}`.
            let stmt = stmt.rsplit(['{', '}']).next().unwrap_or("").trim();
            if let Some(rest) = stmt.strip_prefix("function") {
                if rest.starts_with(char::is_whitespace) {
                    out.push(parse_function(stmt)?);
                }
            }
        }
        Ok(out)
    }

    fn strip_comments(src: &str) -> String {
        let mut out = String::with_capacity(src.len());
        let mut rest = src;
        loop {
            let line = rest.find("//");
            let block = rest.find("/*");
            match (line, block) {
                (Some(l), b) if b.is_none_or(|b| l < b) => {
                    out.push_str(&rest[..l]);
                    rest = rest[l..].find('\n').map_or("", |n| &rest[l + n..]);
                }
                (_, Some(b)) => {
                    out.push_str(&rest[..b]);
                    out.push(' ');
                    rest = rest[b + 2..]
                        .find("*/")
                        .map_or("", |e| &rest[b + 2 + e + 2..]);
                }
                _ => {
                    out.push_str(rest);
                    return out;
                }
            }
        }
    }

    /// One declaration: `function name(params) external [view|pure|payable]
    /// [returns (outputs)]`, with or without the final `;`.
    ///
    /// Stylus prints one returned struct as its tuple followed by a data
    /// location, `returns (address,uint256) memory` (and a struct array as
    /// `returns (address,uint256)[] memory`): the parentheses are then the
    /// tuple itself, the only output.
    pub fn parse_function(stmt: &str) -> Result<Function, String> {
        let stmt = stmt.trim().trim_end_matches(';').trim_end();
        let err = |m: String| format!("{m} in `{stmt}`");
        let s = stmt
            .strip_prefix("function")
            .ok_or_else(|| err("no `function`".into()))?
            .trim_start();
        let (name, rest) = split_ident(s);
        if name.is_empty() {
            return Err(err("no function name".into()));
        }
        let rest = rest.trim_start();
        if !rest.starts_with('(') {
            return Err(err("no parameter list".into()));
        }
        let end = closing(rest).map_err(err)?;
        let inputs = list(&rest[1..end], false).map_err(err)?;
        let after = &rest[end + 1..];
        let (mods, returns) = match find_word(after, "returns") {
            Some(i) => (&after[..i], Some(after[i + "returns".len()..].trim())),
            None => (after, None),
        };
        let mut mutability = Mutability::NonPayable;
        for w in mods.split_whitespace() {
            match (w, Mutability::parse(w)) {
                ("external" | "public" | "virtual" | "override", _) => {}
                (_, Some(m)) => mutability = m,
                _ => return Err(err(format!("unknown modifier `{w}`"))),
            }
        }
        let outputs = match returns {
            None => vec![],
            Some(r) => {
                if !r.starts_with('(') {
                    return Err(err("`returns` without a list".into()));
                }
                let end = closing(r).map_err(err)?;
                if r[end + 1..].trim().is_empty() {
                    list(&r[1..end], false).map_err(err)?
                } else {
                    vec![param(r, false).map_err(err)?]
                }
            }
        };
        Ok(Function {
            name: name.to_string(),
            inputs,
            mutability,
            outputs,
        })
    }

    /// `name(type,...)` of the spec, canonical.
    pub fn parse_signature(sig: &str) -> Result<(String, Vec<String>), String> {
        let sig = sig.trim();
        let (name, rest) = split_ident(sig);
        let rest = rest.trim_start();
        if name.is_empty() || !rest.starts_with('(') {
            return Err(format!("`{sig}` is not a signature `name(types)`"));
        }
        let end = closing(rest)?;
        if !rest[end + 1..].trim().is_empty() {
            return Err(format!("text after the signature `{sig}`"));
        }
        Ok((name.to_string(), list(&rest[1..end], false)?))
    }

    fn is_ident_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_' || c == '$'
    }

    fn split_ident(s: &str) -> (&str, &str) {
        let n = s.find(|c| !is_ident_char(c)).unwrap_or(s.len());
        s.split_at(n)
    }

    /// Index of `word` standing alone (not inside an identifier).
    fn find_word(s: &str, word: &str) -> Option<usize> {
        let mut from = 0;
        while let Some(i) = s[from..].find(word).map(|i| i + from) {
            let before = s[..i].chars().next_back().is_none_or(|c| !is_ident_char(c));
            let after = s[i + word.len()..]
                .chars()
                .next()
                .is_none_or(|c| !is_ident_char(c));
            if before && after {
                return Some(i);
            }
            from = i + word.len();
        }
        None
    }

    /// Index of the `)` closing the `(` that `s` starts with.
    fn closing(s: &str) -> Result<usize, String> {
        let mut depth = 0usize;
        for (i, c) in s.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => {}
            }
        }
        Err(format!("unbalanced parentheses in `{s}`"))
    }

    /// Splits at the commas outside parentheses and brackets; an empty list
    /// has no items.
    fn split_top(s: &str) -> Vec<&str> {
        if s.trim().is_empty() {
            return vec![];
        }
        let mut items = Vec::new();
        let (mut depth, mut start) = (0i32, 0);
        for (i, c) in s.char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(&s[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        items.push(&s[start..]);
        items
    }

    /// The canonical types of a parameter list (names and locations dropped).
    /// With `named`, identifiers that are no ABI type (the spec's struct names)
    /// are kept as they are.
    fn list(s: &str, named: bool) -> Result<Vec<String>, String> {
        split_top(s).into_iter().map(|p| param(p, named)).collect()
    }

    /// `type [location] [name]` to the canonical type.
    fn param(p: &str, named: bool) -> Result<String, String> {
        let (ty, rest) = take_type(p, named)?;
        let words: Vec<&str> = rest.split_whitespace().collect();
        let ok = words.len() <= 2 && words.iter().all(|w| w.chars().all(is_ident_char));
        if !ok {
            return Err(format!("cannot read the parameter `{}`", p.trim()));
        }
        Ok(ty)
    }

    /// The type at the start of `s`, canonical, and what follows it.
    fn take_type(s: &str, named: bool) -> Result<(String, &str), String> {
        let s = s.trim_start();
        let (mut ty, mut rest) = if s.starts_with('(') {
            let end = closing(s)?;
            let items = list(&s[1..end], named)?;
            (format!("({})", items.join(",")), &s[end + 1..])
        } else {
            let (word, mut rest) = split_ident(s);
            if word.is_empty() {
                return Err(format!("expected a type at `{}`", s.trim()));
            }
            let canon = match word {
                "uint" => "uint256",
                "int" => "int256",
                w => w,
            };
            if !named && !is_elementary(canon) {
                return Err(format!(
                    "`{word}` is no ABI type (a struct must be printed as a tuple)"
                ));
            }
            if canon == "address" {
                if let Some(i) = find_word(rest, "payable") {
                    if rest[..i].trim().is_empty() {
                        rest = &rest[i + "payable".len()..];
                    }
                }
            }
            (canon.to_string(), rest)
        };
        while let Some(r) = rest.trim_start().strip_prefix('[') {
            let close = r
                .find(']')
                .ok_or_else(|| format!("unclosed `[` in `{s}`"))?;
            let dim = r[..close].trim();
            if !dim.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("bad array size `{dim}` in `{s}`"));
            }
            ty.push_str(&format!("[{dim}]"));
            rest = &r[close + 1..];
        }
        Ok((ty, rest))
    }

    /// An elementary ABI type (without array suffix).
    pub fn is_elementary(t: &str) -> bool {
        let size = |n: &str, step: u32, max: u32| {
            !n.starts_with('0')
                && n.parse::<u32>()
                    .is_ok_and(|v| v > 0 && v <= max && v % step == 0)
        };
        match t {
            "address" | "bool" | "string" | "bytes" | "function" => true,
            _ => {
                if let Some(n) = t.strip_prefix("uint").or_else(|| t.strip_prefix("int")) {
                    size(n, 8, 256)
                } else if let Some(n) = t.strip_prefix("bytes") {
                    size(n, 1, 32)
                } else {
                    false
                }
            }
        }
    }

    /// An event parameter of the spec: type as written, indexed, name.
    pub type EventParam = (String, bool, String);

    /// A public function of the spec, rows with several functions expanded.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct SpecFunction {
        /// The contract section of the spec.
        pub section: String,
        /// `name(types)`.
        pub signature: String,
        /// The name.
        pub name: String,
        /// keccak of the signature (the spec's own selector is checked
        /// against it when parsing).
        pub selector: [u8; 4],
        /// State mutability.
        pub mutability: Mutability,
        /// Output types as the spec writes them (struct names kept), or None
        /// when the spec gives none.
        pub outputs: Option<Vec<String>>,
        /// Line in the spec (1-based).
        pub line: usize,
    }

    #[derive(Clone, Debug, Default)]
    /// One contract of the spec.
    pub struct Section {
        /// The name.
        pub name: String,
        /// Its public functions.
        pub public: Vec<SpecFunction>,
        /// Signatures of the rows marked internal (informative only).
        pub internal: Vec<String>,
        /// Structs of the section's code blocks: name and field types.
        pub structs: Vec<(String, Vec<String>)>,
        /// The same structs' field names, in the same order.
        pub field_names: Vec<(String, Vec<String>)>,
        /// Events written out in the section's text (`Name(address* user,
        /// ...)` or `Name(address indexed, ...)`): name and parameters
        /// (type as written, indexed, name).
        pub events: Vec<(String, Vec<EventParam>)>,
    }

    #[derive(Clone, Debug, Default)]
    /// The target ABI, read from the spec's markdown.
    pub struct Spec {
        /// One per contract.
        pub sections: Vec<Section>,
        /// Problems of the spec itself (a selector that is not the hash of its
        /// signature, a row that cannot be read).
        pub errors: Vec<String>,
    }

    /// The cells of a table row `| a | b | ... |`, or None for other lines.
    pub fn table_cells(line: &str) -> Option<Vec<&str>> {
        let line = line.trim();
        let inner = line.strip_prefix('|')?;
        let inner = inner.strip_suffix('|').unwrap_or(inner);
        Some(inner.split('|').map(str::trim).collect())
    }

    /// The leading `(type name, ...)` of an outputs cell; None when the cell
    /// is empty.
    pub fn parse_spec_outputs(cell: &str) -> Result<Option<Vec<String>>, String> {
        let cell = cell.trim();
        if cell.is_empty() {
            return Ok(None);
        }
        if !cell.starts_with('(') {
            return Err(format!("cannot read the outputs `{cell}`"));
        }
        let end = closing(cell)?;
        list(&cell[1..end], true).map(Some)
    }

    impl Spec {
        /// Reads the spec's markdown.
        pub fn parse(md: &str) -> Spec {
            let mut spec = Spec::default();
            let mut all: Vec<SpecFunction> = Vec::new();
            let mut code: Option<String> = None;
            for (i, line) in md.lines().enumerate() {
                let n = i + 1;
                if line.trim_start().starts_with("```") {
                    match code.take() {
                        Some(block) => {
                            if let Some(s) = spec.sections.last_mut() {
                                s.structs.extend(parse_structs(&block));
                                s.field_names.extend(parse_struct_names(&block));
                            }
                        }
                        None => code = Some(String::new()),
                    }
                    continue;
                }
                if let Some(block) = code.as_mut() {
                    block.push_str(line);
                    block.push('\n');
                    continue;
                }
                if let Some(name) = line.strip_prefix("## ") {
                    spec.sections.push(Section {
                        name: name.trim().to_string(),
                        ..Section::default()
                    });
                    continue;
                }
                let Some(cells) = table_cells(line) else {
                    if let Some(s) = spec.sections.last_mut() {
                        s.events.extend(parse_events(line));
                    }
                    continue;
                };
                let Some(section) = spec.sections.last_mut() else {
                    continue;
                };
                if cells.len() != 5 {
                    continue;
                }
                match cells[0] {
                    "kind" => continue,
                    c if c.starts_with("---") => continue,
                    "internal" => {
                        section
                            .internal
                            .extend(cells[1].split('/').map(|s| s.trim().to_string()));
                        continue;
                    }
                    "public" => {}
                    other => {
                        spec.errors
                            .push(format!("spec line {n}: unknown kind `{other}`"));
                        continue;
                    }
                }
                match public_row(&section.name, &cells, n, &all) {
                    Ok((fns, errs)) => {
                        spec.errors.extend(errs);
                        section.public.extend(fns.iter().cloned());
                        all.extend(fns);
                    }
                    Err(e) => spec.errors.push(e),
                }
            }
            spec
        }

        /// The section of contract `name`.
        pub fn section(&self, name: &str) -> Option<&Section> {
            self.sections.iter().find(|s| s.name == name)
        }

        /// A type of the spec's outputs with its struct names replaced by
        /// their tuples (structs of the section first, then of the shared
        /// section); None when a struct is unknown.
        pub fn expand(&self, section: &str, ty: &str) -> Option<String> {
            self.expand_at(section, ty, 0)
        }

        fn expand_at(&self, section: &str, ty: &str, depth: usize) -> Option<String> {
            if ty.starts_with('(') || depth > 16 {
                return (depth <= 16).then(|| ty.to_string());
            }
            let split = ty.find('[').unwrap_or(ty.len());
            let (base, suffix) = ty.split_at(split);
            if is_elementary(base) {
                return Some(ty.to_string());
            }
            let own = self.section(section).into_iter();
            let shared = self
                .sections
                .iter()
                .filter(|s| s.name.to_lowercase().contains("shared"));
            let fields = own
                .chain(shared)
                .find_map(|s| s.structs.iter().find(|(n, _)| n == base))?
                .1
                .iter()
                .map(|f| self.expand_at(section, f, depth + 1))
                .collect::<Option<Vec<_>>>()?;
            Some(format!("({}){suffix}", fields.join(",")))
        }
    }

    /// Structs of a code block: `Name (type field, ...)`, possibly over
    /// several lines. Stops at the first thing that is not one.
    fn parse_structs(block: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        let mut rest = block.trim_start();
        while !rest.is_empty() {
            let (name, r) = split_ident(rest);
            let r = r.trim_start();
            if name.is_empty() || !r.starts_with('(') {
                break;
            }
            let Ok(end) = closing(r) else { break };
            let Ok(fields) = list(&r[1..end], true) else {
                break;
            };
            out.push((name.to_string(), fields));
            rest = r[end + 1..].trim_start();
        }
        out
    }

    /// The field names of the structs of a code block, as [`parse_structs`]
    /// reads them (a field without a name gets an empty one).
    fn parse_struct_names(block: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        let mut rest = block.trim_start();
        while !rest.is_empty() {
            let (name, r) = split_ident(rest);
            let r = r.trim_start();
            if name.is_empty() || !r.starts_with('(') {
                break;
            }
            let Ok(end) = closing(r) else { break };
            let Ok(fields) = split_top(&r[1..end])
                .into_iter()
                .map(|p| param_name(p, true))
                .collect::<Result<Vec<_>, _>>()
            else {
                break;
            };
            out.push((name.to_string(), fields));
            rest = r[end + 1..].trim_start();
        }
        out
    }

    /// The events of a line of text: every `Name(params)` whose parameters
    /// mark an indexed one with `*` or `indexed`.
    fn parse_events(line: &str) -> Vec<(String, Vec<EventParam>)> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Some(i) = line[from..].find('(').map(|i| i + from) {
            from = i + 1;
            let start = line[..i].rfind(|c| !is_ident_char(c)).map_or(0, |j| j + 1);
            let name = &line[start..i];
            let Ok(end) = closing(&line[i..]) else { break };
            let inner = &line[i + 1..i + end];
            if name.is_empty() || !(inner.contains('*') || find_word(inner, "indexed").is_some()) {
                continue;
            }
            let params: Option<Vec<_>> = split_top(inner)
                .into_iter()
                .map(|p| {
                    let indexed = p.contains('*') || find_word(p, "indexed").is_some();
                    let p = p.replace('*', " ");
                    let (ty, _) = take_type(&p, true).ok()?;
                    Some((ty, indexed, param_name(&p, true).ok()?))
                })
                .collect();
            if let Some(params) = params {
                out.push((name.to_string(), params));
            }
            from = i + end;
        }
        out
    }

    /// The name of a parameter `type [location|indexed] [name]`, or "".
    fn param_name(p: &str, named: bool) -> Result<String, String> {
        let (_, rest) = take_type(p, named)?;
        Ok(rest
            .split_whitespace()
            .rfind(|w| {
                !matches!(
                    *w,
                    "calldata" | "memory" | "storage" | "indexed" | "payable"
                )
            })
            .unwrap_or("")
            .to_string())
    }

    /// The functions of one public row. A cell may hold several signatures
    /// separated by `/`; `as above` / `as <section>` in the selector column
    /// take mutability and outputs from the earlier row with the same
    /// signature (the latest one, or the latest in that section).
    fn public_row(
        section: &str,
        cells: &[&str],
        n: usize,
        earlier: &[SpecFunction],
    ) -> Result<(Vec<SpecFunction>, Vec<String>), String> {
        let at = |m: String| format!("spec line {n}: {m}");
        let sigs: Vec<&str> = cells[1].split('/').map(str::trim).collect();
        let sel_cell = cells[2];
        let given_sel = parse_hex(sel_cell);
        let inherit_from = sel_cell.strip_prefix("as ").map(str::trim);
        if given_sel.is_none() && inherit_from.is_none() {
            return Err(at(format!("cannot read the selector `{sel_cell}`")));
        }
        if given_sel.is_some() && sigs.len() > 1 {
            return Err(at("one selector for several functions".into()));
        }
        let mutability = match cells[3] {
            "" => None,
            m => Some(Mutability::parse(m).ok_or_else(|| at(format!("unknown mutability `{m}`")))?),
        };
        let outputs = parse_spec_outputs(cells[4]).map_err(at)?;
        let (mut fns, mut errs) = (Vec::new(), Vec::new());
        for sig in sigs {
            let (name, inputs) = parse_signature(sig).map_err(at)?;
            let signature = format!("{name}({})", inputs.join(","));
            let sel = selector(&signature);
            if let Some(given) = given_sel {
                if given != sel {
                    errs.push(at(format!(
                        "the selector {} of {signature} is not its keccak ({})",
                        hex(given),
                        hex(sel)
                    )));
                }
            }
            let source = match inherit_from {
                None => None,
                Some(from) => {
                    let from = from.to_lowercase();
                    let found = earlier.iter().rev().find(|f| {
                        f.signature == signature
                            && (from == "above" || f.section.to_lowercase().contains(&from))
                    });
                    match found {
                        Some(f) => Some(f),
                        None => {
                            errs.push(at(format!(
                                "{signature} is `as {from}` but no earlier row has it"
                            )));
                            continue;
                        }
                    }
                }
            };
            let Some(mutability) = mutability.or(source.map(|f| f.mutability)) else {
                errs.push(at(format!("no mutability for {signature}")));
                continue;
            };
            fns.push(SpecFunction {
                section: section.to_string(),
                signature,
                name,
                selector: sel,
                mutability,
                outputs: outputs
                    .clone()
                    .or_else(|| source.and_then(|f| f.outputs.clone())),
                line: n,
            });
        }
        Ok((fns, errs))
    }

    /// The comparison of one contract's interface with its spec section.
    #[derive(Debug, Default)]
    pub struct Report {
        /// Spec functions found in the interface as the spec wants them.
        pub matched: Vec<SpecFunction>,
        /// Interface functions the spec does not list as public, with a note
        /// when the spec lists them as internal.
        pub extras: Vec<(Function, bool)>,
        /// One line per difference.
        pub mismatches: Vec<String>,
        /// Public functions in the spec section.
        pub expected: usize,
    }

    fn outputs_str(types: &[String]) -> String {
        format!("({})", types.join(","))
    }

    /// Checks `exported` (the interface of the contract of spec section
    /// `section`) against the spec.
    pub fn check(spec: &Spec, section: &str, exported: &[Function]) -> Report {
        let mut report = Report::default();
        let Some(sec) = spec.section(section) else {
            report
                .mismatches
                .push(format!("{section}: the spec has no section `## {section}`"));
            return report;
        };
        report.expected = sec.public.len();
        if sec.public.is_empty() {
            report.mismatches.push(format!(
                "{section}: the spec section lists no public function"
            ));
        }
        for (i, f) in exported.iter().enumerate() {
            if exported[..i].iter().any(|g| g.selector() == f.selector()) {
                report.mismatches.push(format!(
                    "{section}: {} {} is exported twice (or its selector collides)",
                    f.signature(),
                    hex(f.selector())
                ));
            }
        }
        for want in &sec.public {
            let at = format!("{section}: {} {}", want.signature, hex(want.selector));
            let Some(got) = exported.iter().find(|f| f.selector() == want.selector) else {
                let same_name: Vec<String> = exported
                    .iter()
                    .filter(|f| f.name == want.name)
                    .map(Function::signature)
                    .collect();
                let hint = if same_name.is_empty() {
                    String::new()
                } else {
                    format!(" (exported: {})", same_name.join(", "))
                };
                report.mismatches.push(format!("{at}: missing{hint}"));
                continue;
            };
            let mut problems = Vec::new();
            if got.mutability.class() != want.mutability.class() {
                problems.push(format!(
                    "mutability {} but the spec wants {}",
                    got.mutability, want.mutability
                ));
            }
            if let Some(outs) = &want.outputs {
                if outs.len() != got.outputs.len() {
                    problems.push(format!(
                        "{} outputs {} but the spec wants {} {}",
                        got.outputs.len(),
                        outputs_str(&got.outputs),
                        outs.len(),
                        outputs_str(outs)
                    ));
                } else {
                    for (k, (w, g)) in outs.iter().zip(&got.outputs).enumerate() {
                        if let Some(p) = output_problem(spec, section, w, g) {
                            problems.push(format!("output {k}: {p}"));
                        }
                    }
                }
            }
            if problems.is_empty() {
                report.matched.push(want.clone());
            }
            for p in problems {
                report.mismatches.push(format!("{at}: {p}"));
            }
        }
        for f in exported {
            if !sec.public.iter().any(|w| w.selector == f.selector()) {
                let internal = sec.internal.iter().any(|s| *s == f.signature());
                report.extras.push((f.clone(), internal));
            }
        }
        report
    }

    /// Exact comparison where the spec's type is elementary or its structs
    /// are known; otherwise only that a struct is a tuple with the same array
    /// dimensions.
    fn output_problem(spec: &Spec, section: &str, want: &str, got: &str) -> Option<String> {
        match spec.expand(section, want) {
            Some(t) if t == got => None,
            Some(t) if t == want => Some(format!("{got} but the spec wants {want}")),
            Some(t) => Some(format!("{got} but the spec wants {want} = {t}")),
            None => {
                let suffix = &want[want.find('[').unwrap_or(want.len())..];
                let is_tuple =
                    got.starts_with('(') && closing(got).is_ok_and(|end| &got[end + 1..] == suffix);
                (!is_tuple).then(|| format!("{got} but the spec wants the struct {want}"))
            }
        }
    }

    /// The ABI artifacts of a contract for wallets and SDKs: `abi/<Contract>.json`
    /// (standard JSON ABI) and `abi/<Contract>.sol` (Solidity interface),
    /// generated from its exported interface, tuples named after the spec's
    /// structs (with their field names).
    pub mod artifacts {
        use alloy_json_abi::{EventParam, InternalType, JsonAbi, Param, StateMutability};

        use super::*;

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

        fn args(list_src: &str) -> Result<Vec<Arg>, String> {
            split_top(list_src)
                .into_iter()
                .map(|p| {
                    let (ty, rest) = take_type(p, false)?;
                    let indexed = rest.split_whitespace().any(|w| w == "indexed");
                    let name = param_name(p, false)?;
                    Ok(Arg { ty, name, indexed })
                })
                .collect()
        }

        /// Every function, event and error of an interface, in order.
        pub fn parse_decls(src: &str) -> Result<Vec<Decl>, String> {
            let src = strip_comments(src);
            let mut out = Vec::new();
            for stmt in src.split(';') {
                let stmt = stmt.rsplit(['{', '}']).next().unwrap_or("").trim();
                let (kw, rest) = split_ident(stmt);
                if !matches!(kw, "function" | "event" | "error") {
                    continue;
                }
                let (name, r) = split_ident(rest.trim_start());
                let r = r.trim_start();
                if name.is_empty() || !r.starts_with('(') {
                    return Err(format!("cannot read `{stmt}`"));
                }
                let end = closing(r)?;
                let inputs = args(&r[1..end]).map_err(|e| format!("{e} in `{stmt}`"))?;
                let name = name.to_string();
                out.push(match kw {
                    "function" => {
                        let f = parse_function(stmt)?;
                        Decl::Function {
                            name,
                            inputs,
                            mutability: f.mutability,
                            outputs: f.outputs,
                        }
                    }
                    "event" => {
                        if !r[end + 1..].trim().is_empty() {
                            return Err(format!("cannot read `{stmt}` (anonymous?)"));
                        }
                        Decl::Event { name, inputs }
                    }
                    _ => Decl::Error { name, inputs },
                });
            }
            Ok(out)
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
    }

    #[cfg(test)]
    mod tests {
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
            let f = parse_function("function f(address payable to, uint x) external").unwrap();
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
                r.mismatches[1].contains("owner()")
                    && r.mismatches[1].contains("mutability nonpayable")
            );
            assert!(
                r.mismatches[2].contains("renounceOwnership()")
                    && r.mismatches[2].contains("missing")
            );

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
                let d = parse_decls(IFACE).unwrap();
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
                let abi = json_abi(&spec, "C", "IC", &parse_decls(IFACE).unwrap()).unwrap();
                let (json, sol) = render(&abi, "IC").unwrap();
                let v: serde_json::Value = serde_json::from_str(&json).unwrap();
                let get = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["name"] == "getAccount")
                    .unwrap();
                // The spec row's output names the struct among equal tuples.
                assert_eq!(get["outputs"][0]["internalType"], "struct IC.Other");
                assert_eq!(get["outputs"][0]["components"][1]["name"], "refunds");
                assert_eq!(get["outputs"][0]["components"][1]["type"], "tuple[]");
                assert_eq!(
                    get["outputs"][0]["components"][1]["components"][0]["name"],
                    "index"
                );
                let put = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["name"] == "put")
                    .unwrap();
                assert_eq!(put["stateMutability"], "payable");
                assert_eq!(put["inputs"][0]["internalType"], "struct IC.Account[]");
                // A tuple the spec does not name gets a struct of its own.
                assert_eq!(put["inputs"][1]["internalType"], "struct IC.Flags");
                let ev = v
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|i| i["type"] == "event")
                    .unwrap();
                assert_eq!(ev["inputs"][0]["indexed"], true);
                assert_eq!(ev["inputs"][1]["indexed"], false);
                assert!(v
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i["type"] == "error" && i["name"] == "Bad"));
                assert!(sol.contains("struct Other {"), "{sol}");
                assert!(
                    sol.contains(
                        "function getAccount(address user) external view returns (Other memory);"
                    ),
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
                let abi = json_abi(&spec, "C", "IC", &parse_decls(only).unwrap()).unwrap();
                let (json, _) = render(&abi, "IC").unwrap();
                let errs = validate(&spec, "C", &json);
                assert_eq!(errs.len(), 1, "{errs:?}");
                assert!(errs[0].contains("getAccount(address)"));
                assert_eq!(validate(&spec, "C", "[").len(), 1);
            }

            #[test]
            fn events_of_the_spec_name_parameters_and_check_indexed() {
                let md = format!("{SPEC}\nEvents (indexed fields marked *):\n- Put(address* who, uint256 n) 0x00\n\
Events: Other(address indexed,address indexed).\n");
                let spec = Spec::parse(&md);
                let c = spec.section("C").unwrap();
                assert_eq!(c.events.len(), 2, "{:?}", c.events);
                assert_eq!(c.events[0].1[0], ("address".into(), true, "who".into()));
                assert_eq!(c.events[1].1[1], ("address".into(), true, String::new()));
                let abi = json_abi(&spec, "C", "IC", &parse_decls(IFACE).unwrap()).unwrap();
                let ev = &abi.events["Put"][0];
                assert_eq!(
                    (ev.inputs[0].name.as_str(), ev.inputs[1].name.as_str()),
                    ("who", "n")
                );
                let bad = IFACE.replace("uint256);", "uint256 indexed);");
                let err = json_abi(&spec, "C", "IC", &parse_decls(&bad).unwrap()).unwrap_err();
                assert!(err.contains("indexed"), "{err}");
            }

            #[test]
            fn camel_case() {
                assert_eq!(camel("lock_time"), "lockTime");
                assert_eq!(camel("user"), "user");
                assert_eq!(upper_first("userInfo"), "UserInfo");
            }
        }
    }
}
