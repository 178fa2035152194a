//! Strategies as data. A strategy is a name, a chunker family and its parameters. It is written on
//! the command line as `family:key=value,key=value` (e.g. `fixed:size=200,overlap=0`) or in a TOML
//! grid file, where array values sweep (one strategy per combination):
//!
//! ```toml
//! [[strategy]]
//! name = "recursive_{size}_{overlap}"   # optional; {param} placeholders are filled in
//! family = "recursive"
//! size = [128, 256, 512]
//! overlap = [0, 64]
//! unit = "cl100k"
//! ```
//!
//! This module is plain data: it knows nothing of the families. Parameters are validated when the
//! chunker is built (`chunk::build`, through `chunk::Params`), with errors that name the strategy
//! and the parameter.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A parameter value: an integer, a float or a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s}"),
        }
    }
}

impl Value {
    fn parse(s: &str) -> Value {
        if let Ok(i) = s.parse::<i64>() {
            Value::Int(i)
        } else if let Ok(x) = s.parse::<f64>() {
            Value::Float(x)
        } else {
            Value::Str(s.to_string())
        }
    }
}

/// One strategy: a display name, a family and its parameters (in the order written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strategy {
    pub name: String,
    pub family: String,
    pub params: Vec<(String, Value)>,
    /// Where the strategy was written, for error messages.
    #[serde(skip)]
    pub origin: String,
}

impl Strategy {
    /// Parses a command-line spec: `family` or `family:key=value,key=value`.
    ///
    /// ```
    /// let s = chunkbench::strategy::Strategy::parse("fixed:size=200,overlap=0").unwrap();
    /// assert_eq!(s.family, "fixed");
    /// assert_eq!(s.name, "fixed:size=200,overlap=0");
    /// ```
    pub fn parse(spec: &str) -> Result<Strategy> {
        let spec = spec.trim();
        let (family, rest) = match spec.split_once(':') {
            Some((f, r)) => (f.trim(), r.trim()),
            None => (spec, ""),
        };
        if family.is_empty() {
            return Err(Error::strategy(
                format!("strategy {spec:?}"),
                "missing family; write it as family:key=value,... e.g. fixed:size=200",
            ));
        }
        let mut params = Vec::new();
        for kv in top_level_items(rest, spec)? {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(Error::strategy(
                    format!("strategy {spec:?}"),
                    format!("parameter {kv:?} has no value; write key=value"),
                ));
            };
            let v = v.trim();
            let value = match v.strip_prefix('(').and_then(|v| v.strip_suffix(')')) {
                Some(nested) => Value::Str(nested.trim().to_string()),
                None => Value::parse(v),
            };
            params.push((k.trim().to_string(), value));
        }
        let name = canonical_name(family, &params);
        Ok(Strategy {
            name,
            family: family.to_string(),
            params,
            origin: format!("strategy {spec:?}"),
        })
    }

    /// The parameter `key`, if given.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.params.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The spec string that rebuilds this strategy (`family:key=value,...`).
    pub fn spec(&self) -> String {
        canonical_name(&self.family, &self.params)
    }
}

/// The comma-separated items of a spec's parameter list; commas inside parentheses belong to a
/// nested spec (`base=(recursive:size=256,overlap=32)`).
fn top_level_items<'s>(rest: &'s str, spec: &str) -> Result<Vec<&'s str>> {
    let mut items = Vec::new();
    let (mut depth, mut from) = (0usize, 0);
    for (i, c) in rest.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                return Err(Error::strategy(
                    format!("strategy {spec:?}"),
                    "a `)` closes no `(`; a nested spec is written base=(family:key=value,...)",
                ))
            }
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&rest[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    if depth > 0 {
        return Err(Error::strategy(
            format!("strategy {spec:?}"),
            "a `(` is not closed; a nested spec is written base=(family:key=value,...)",
        ));
    }
    items.push(&rest[from..]);
    Ok(items
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect())
}

fn canonical_name(family: &str, params: &[(String, Value)]) -> String {
    if params.is_empty() {
        return family.to_string();
    }
    let kv: Vec<String> = params
        .iter()
        .map(|(k, v)| match v {
            Value::Str(s) if s.contains(',') => format!("{k}=({s})"),
            v => format!("{k}={v}"),
        })
        .collect();
    format!("{family}:{}", kv.join(","))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GridFile {
    #[serde(default)]
    strategy: Vec<toml::Table>,
    #[serde(default)]
    retrieval: Option<GridRetrieval>,
}

/// A grid's optional `[retrieval]` table: the retrievers and hand-over rules every strategy of
/// the sweep runs under, as `--retrievers` and `--budget` write them (the flags win):
///
/// ```toml
/// [retrieval]
/// retrievers = ["dense", "bm25", "hybrid:fusion=rrf,k=60"]
/// budget = ["top-k", 1000]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridRetrieval {
    #[serde(default)]
    pub retrievers: Vec<String>,
    #[serde(default, deserialize_with = "budget_values")]
    pub budget: Vec<String>,
}

/// `budget` values: token counts or the word `top-k`, read as `--budget` writes them.
fn budget_values<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum One {
        Tokens(u64),
        Word(String),
    }
    let values: Vec<One> = Vec::deserialize(d)?;
    Ok(values
        .into_iter()
        .map(|v| match v {
            One::Tokens(n) => n.to_string(),
            One::Word(w) => w,
        })
        .collect())
}

/// The `[retrieval]` table of the first grid file among the `--strategies` arguments that has
/// one.
pub fn grid_retrieval(args: &[String]) -> Result<Option<GridRetrieval>> {
    for a in args {
        let p = Path::new(a);
        if a.ends_with(".toml") && p.is_file() {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
            let grid = parse_file(&text, &p.display().to_string())?;
            if grid.retrieval.is_some() {
                return Ok(grid.retrieval);
            }
        }
    }
    Ok(None)
}

/// Parses a grid file's TOML; `origin` names the file in errors.
fn parse_file(text: &str, origin: &str) -> Result<GridFile> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(":{l}")).unwrap_or_default();
        Error::strategy(
            format!("{origin}{at}"),
            format!(
                "{}; a grid is a list of [[strategy]] tables with family = \"...\" and parameters, and an optional [retrieval] table",
                e.message()
            ),
        )
    })
}

/// Reads a TOML grid file into strategies (arrays are expanded into every combination).
pub fn load_grid(path: &Path) -> Result<Vec<Strategy>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_grid(&text, &path.display().to_string())
}

/// Parses a TOML grid; `origin` names the file in errors.
pub fn parse_grid(text: &str, origin: &str) -> Result<Vec<Strategy>> {
    let grid = parse_file(text, origin)?;
    let mut out = Vec::new();
    for (i, table) in grid.strategy.iter().enumerate() {
        let here = format!("{origin} ([[strategy]] #{})", i + 1);
        let family = match table.get("family") {
            Some(toml::Value::String(s)) => s.clone(),
            _ => {
                return Err(Error::strategy(
                    here,
                    "missing `family = \"...\"`; `chunkbench run --help` lists the families",
                ));
            }
        };
        let template = match table.get("name") {
            Some(toml::Value::String(s)) => Some(s.clone()),
            None => None,
            Some(_) => return Err(Error::strategy(here, "`name` must be a string")),
        };
        let axes = parameter_axes(table, &here)?;
        let combos = cartesian(&axes);
        let sweeping = axes.iter().any(|(_, v)| v.len() > 1);
        for params in combos {
            let name = match &template {
                Some(t) => fill_template(t, &params),
                None => canonical_name(&family, &params),
            };
            if sweeping && template.as_ref().is_some_and(|t| !t.contains('{')) {
                return Err(Error::strategy(
                    here,
                    "this entry sweeps parameters but its name has no {param} placeholder, so every strategy would get the same name",
                ));
            }
            out.push(Strategy {
                name,
                family: family.clone(),
                params,
                origin: here.clone(),
            });
        }
    }
    if out.is_empty() {
        return Err(Error::strategy(origin, "no [[strategy]] entries"));
    }
    Ok(out)
}

/// Each parameter of a `[[strategy]]` table with its one or more values, in written order.
fn parameter_axes(table: &toml::Table, here: &str) -> Result<Vec<(String, Vec<Value>)>> {
    let mut axes: Vec<(String, Vec<Value>)> = Vec::new();
    for (k, v) in table {
        if k == "family" || k == "name" {
            continue;
        }
        let values = match v {
            toml::Value::Array(items) => items
                .iter()
                .map(|x| toml_value(x, here, k))
                .collect::<Result<Vec<_>>>()?,
            other => vec![toml_value(other, here, k)?],
        };
        if values.is_empty() {
            return Err(Error::strategy(
                here,
                format!("parameter `{k}` is an empty list; give it at least one value"),
            ));
        }
        axes.push((k.clone(), values));
    }
    Ok(axes)
}

/// Every combination of one value per axis, the first axis varying slowest.
fn cartesian(axes: &[(String, Vec<Value>)]) -> Vec<Vec<(String, Value)>> {
    let mut combos: Vec<Vec<(String, Value)>> = vec![Vec::new()];
    for (k, values) in axes {
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push((k.clone(), v.clone()));
                    c
                })
            })
            .collect();
    }
    combos
}

fn toml_value(v: &toml::Value, here: &str, key: &str) -> Result<Value> {
    match v {
        toml::Value::Integer(i) => Ok(Value::Int(*i)),
        toml::Value::Float(x) => Ok(Value::Float(*x)),
        toml::Value::String(s) => Ok(Value::Str(s.clone())),
        toml::Value::Boolean(b) => Ok(Value::Str(b.to_string())),
        _ => Err(Error::strategy(
            here,
            format!("parameter `{key}` must be a number, a string or a list of them"),
        )),
    }
}

fn fill_template(template: &str, params: &[(String, Value)]) -> String {
    let mut out = template.to_string();
    for (k, v) in params {
        out = out.replace(&format!("{{{k}}}"), &v.to_string());
    }
    out
}

/// Resolves the `--strategies` arguments: each is a TOML grid file (a path that exists or ends in
/// `.toml`) or a spec string. Names must be unique across the result.
pub fn resolve(args: &[String]) -> Result<Vec<Strategy>> {
    let mut out: Vec<Strategy> = Vec::new();
    for a in args {
        let p = Path::new(a);
        let mut got = if a.ends_with(".toml") || p.is_file() {
            if !p.is_file() {
                return Err(Error::strategy(
                    a,
                    "no such strategy grid file; give a path to a .toml grid or a spec like fixed:size=200",
                ));
            }
            load_grid(p)?
        } else {
            vec![Strategy::parse(a)?]
        };
        out.append(&mut got);
    }
    let mut seen = BTreeMap::new();
    for s in &out {
        if let Some(prev) = seen.insert(s.name.clone(), s.origin.clone()) {
            return Err(Error::strategy(
                &s.origin,
                format!(
                    "strategy name {:?} is already used by {prev}; names must be unique",
                    s.name
                ),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_spec() {
        let s = Strategy::parse("recursive:size=200, overlap=20,unit=chars").unwrap();
        assert_eq!(s.family, "recursive");
        assert_eq!(s.get("size"), Some(&Value::Int(200)));
        assert_eq!(s.get("unit"), Some(&Value::Str("chars".into())));
        assert_eq!(s.name, "recursive:size=200,overlap=20,unit=chars");
    }

    #[test]
    fn nested_specs_keep_their_commas_inside_parentheses() {
        let s = Strategy::parse("contextual:base=(recursive:size=256,overlap=32),context=headings")
            .unwrap();
        assert_eq!(
            s.get("base"),
            Some(&Value::Str("recursive:size=256,overlap=32".into()))
        );
        assert_eq!(s.get("context"), Some(&Value::Str("headings".into())));
        assert_eq!(
            s.name,
            "contextual:base=(recursive:size=256,overlap=32),context=headings"
        );
        assert_eq!(Strategy::parse(&s.spec()).unwrap(), s);
        // One parameter needs no parentheses.
        let s = Strategy::parse("late:base=fixed:size=128").unwrap();
        assert_eq!(s.get("base"), Some(&Value::Str("fixed:size=128".into())));
        for bad in ["late:base=(fixed:size=1", "late:base=fixed:size=1)"] {
            let e = Strategy::parse(bad).unwrap_err().to_string();
            assert!(e.contains("nested spec is written"), "{e}");
        }
    }

    #[test]
    fn grid_sweeps_and_names() {
        let g = parse_grid(
            "[[strategy]]\nname='r_{size}_{overlap}'\nfamily='recursive'\nsize=[100,200]\noverlap=[0,10]\n",
            "t.toml",
        )
        .unwrap();
        let names: Vec<_> = g.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["r_100_0", "r_100_10", "r_200_0", "r_200_10"]);
    }

    #[test]
    fn grid_errors_name_the_line() {
        let e = parse_grid("[[strategy]]\nfamily = 'fixed'\nsize = [1,\n", "g.toml").unwrap_err();
        assert!(e.to_string().starts_with("g.toml:"), "{e}");
        let e = parse_grid("[[strategy]]\nsize = 3\n", "g.toml").unwrap_err();
        assert!(e.to_string().contains("missing `family"), "{e}");
    }

    #[test]
    fn a_retrieval_table_names_retrievers_and_budgets() {
        let g = parse_file(
            "[retrieval]\nretrievers = ['dense', 'bm25:k1=1.5']\nbudget = ['top-k', 1000]\n[[strategy]]\nfamily='fixed'\nsize=4\n",
            "g.toml",
        )
        .unwrap();
        let r = g.retrieval.unwrap();
        assert_eq!(r.retrievers, ["dense", "bm25:k1=1.5"]);
        assert_eq!(r.budget, ["top-k", "1000"]);
        let e = parse_file("[retrieval]\nretriever = ['dense']\n", "g.toml").unwrap_err();
        assert!(e.to_string().contains("g.toml:"), "{e}");
    }

    #[test]
    fn duplicate_names_rejected() {
        let e = resolve(&["fixed:size=10".into(), "fixed:size=10".into()]).unwrap_err();
        assert!(e.to_string().contains("already used"), "{e}");
    }
}
