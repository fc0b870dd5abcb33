//! The small reader of the spec's type lists: `name(type,...)`, tuples,
//! arrays and, in the spec's own tables, struct names.

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

pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

pub(crate) fn split_ident(s: &str) -> (&str, &str) {
    let n = s.find(|c| !is_ident_char(c)).unwrap_or(s.len());
    s.split_at(n)
}

/// Index of `word` standing alone (not inside an identifier).
pub(crate) fn find_word(s: &str, word: &str) -> Option<usize> {
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
pub(crate) fn closing(s: &str) -> Result<usize, String> {
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
pub(crate) fn split_top(s: &str) -> Vec<&str> {
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
pub(crate) fn list(s: &str, named: bool) -> Result<Vec<String>, String> {
    split_top(s).into_iter().map(|p| param(p, named)).collect()
}

/// `type [location] [name]` to the canonical type.
pub(crate) fn param(p: &str, named: bool) -> Result<String, String> {
    let (ty, rest) = take_type(p, named)?;
    let words: Vec<&str> = rest.split_whitespace().collect();
    let ok = words.len() <= 2 && words.iter().all(|w| w.chars().all(is_ident_char));
    if !ok {
        return Err(format!("cannot read the parameter `{}`", p.trim()));
    }
    Ok(ty)
}

/// The type at the start of `s`, canonical, and what follows it.
pub(crate) fn take_type(s: &str, named: bool) -> Result<(String, &str), String> {
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

/// The name of a parameter `type [location|indexed] [name]`, or "".
pub(crate) fn param_name(p: &str, named: bool) -> Result<String, String> {
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

/// A canonical ABI type: elementary types, tuples and arrays of them.
pub(crate) fn is_abi_type(ty: &str) -> bool {
    let mut base = ty;
    while let Some(open) = base.strip_suffix(']').and_then(|t| t.rfind('[')) {
        base = &base[..open];
    }
    match base.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => split_top(inner).into_iter().all(is_abi_type),
        None => is_elementary(base),
    }
}
