//! The target ABI, read from the spec's markdown: per contract section,
//! the public functions' rows, the structs of its code blocks and the events
//! written out in its text.

use super::{hex, parse_hex, selector, types::*, Mutability};

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
/// several lines, with their field types. Stops at the first thing that is
/// not one.
fn parse_structs(block: &str) -> Vec<(String, Vec<String>)> {
    parse_struct_fields(block, |fields| list(fields, true))
}

/// The field names of the structs of a code block, as [`parse_structs`]
/// reads them (a field without a name gets an empty one).
fn parse_struct_names(block: &str) -> Vec<(String, Vec<String>)> {
    parse_struct_fields(block, |fields| {
        split_top(fields)
            .into_iter()
            .map(|p| param_name(p, true))
            .collect()
    })
}

/// The structs of a code block, each struct's fields (the text between its
/// parentheses) read by `fields`; stops at the first thing that is not a
/// struct or whose fields `fields` refuses.
fn parse_struct_fields<E>(
    block: &str,
    fields: impl Fn(&str) -> Result<Vec<String>, E>,
) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = block.trim_start();
    while !rest.is_empty() {
        let (name, r) = split_ident(rest);
        let r = r.trim_start();
        if name.is_empty() || !r.starts_with('(') {
            break;
        }
        let Ok(end) = closing(r) else { break };
        let Ok(fields) = fields(&r[1..end]) else {
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
