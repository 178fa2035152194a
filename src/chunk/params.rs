//! Reading a strategy's parameters: each family declares what it takes, and anything left over is
//! an error that names the strategy and lists what the family accepts.

use crate::error::{Error, Result};
use crate::strategy::{Strategy, Value};

/// Reads named parameters out of a strategy, so each chunker family can declare what it takes;
/// [`Params::finish`] rejects anything left over (a typo or a parameter of another family).
pub struct Params<'a> {
    strategy: &'a Strategy,
    rest: Vec<(String, Value)>,
}

impl<'a> Params<'a> {
    pub fn new(strategy: &'a Strategy) -> Self {
        Params {
            strategy,
            rest: strategy.params.clone(),
        }
    }

    /// Where the strategy was written, naming it: what its errors start with.
    pub fn origin(&self) -> String {
        let s = self.strategy;
        let quoted = format!("{:?}", s.name);
        match s.origin.contains(&quoted) {
            true => s.origin.clone(),
            false => format!("{} (strategy {quoted})", s.origin),
        }
    }

    /// The error for this strategy with a message.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::strategy(self.origin(), message)
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        let i = self.rest.iter().position(|(k, _)| k == key)?;
        Some(self.rest.remove(i).1)
    }

    /// An optional non-negative integer.
    pub fn usize_opt(&mut self, key: &str) -> Result<Option<usize>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Int(i)) if i >= 0 => Ok(Some(i as usize)),
            Some(v) => Err(self.error(format!("`{key}` must be a non-negative integer, got {v}"))),
        }
    }

    /// A required positive integer.
    pub fn positive(&mut self, key: &str) -> Result<usize> {
        match self.usize_opt(key)? {
            Some(0) => Err(self.error(format!("`{key}` must be at least 1"))),
            Some(n) => Ok(n),
            None => Err(self.error(format!("missing required parameter `{key}`"))),
        }
    }

    /// An optional finite number (an integer is accepted too).
    pub fn f64_opt(&mut self, key: &str) -> Result<Option<f64>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(i as f64)),
            Some(Value::Float(x)) if x.is_finite() => Ok(Some(x)),
            Some(v) => Err(self.error(format!("`{key}` must be a number, got {v}"))),
        }
    }

    /// An optional string.
    pub fn str_opt(&mut self, key: &str) -> Result<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(v) => Err(self.error(format!("`{key}` must be a string, got {v}"))),
        }
    }

    /// One of a fixed set of words, with a default.
    pub fn choice<T: Copy>(&mut self, key: &str, choices: &[(&str, T)], default: T) -> Result<T> {
        match self.str_opt(key)? {
            None => Ok(default),
            Some(s) => choices
                .iter()
                .find(|(n, _)| *n == s)
                .map(|(_, t)| *t)
                .ok_or_else(|| {
                    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                    self.error(format!(
                        "`{key}` must be one of {}, got {s:?}",
                        names.join(", ")
                    ))
                }),
        }
    }

    /// Rejects leftover parameters.
    pub fn finish(&self, accepted: &[&str]) -> Result<()> {
        if let Some((k, _)) = self.rest.first() {
            return Err(self.error(format!(
                "unknown parameter `{k}` for family {:?}; it accepts: {}",
                self.strategy.family,
                accepted.join(", ")
            )));
        }
        Ok(())
    }
}

/// Checks the shared size/overlap rule with a message that names both values.
pub(crate) fn check_overlap(params: &Params, size: usize, overlap: usize) -> Result<()> {
    if overlap >= size {
        return Err(params.error(format!(
            "overlap ({overlap}) must be smaller than size ({size}); the window would never advance"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_floats() {
        let s = Strategy::parse("semantic:amount=1.5,buffer=2,method=iqr").unwrap();
        let mut p = Params::new(&s);
        assert_eq!(p.f64_opt("amount").unwrap(), Some(1.5));
        assert_eq!(p.f64_opt("buffer").unwrap(), Some(2.0));
        assert!(p.f64_opt("method").is_err());
        assert_eq!(p.f64_opt("absent").unwrap(), None);
    }

    #[test]
    fn leftovers_name_the_family_and_what_it_accepts() {
        let s = Strategy::parse("fixed:size=3,sise=4").unwrap();
        let mut p = Params::new(&s);
        p.positive("size").unwrap();
        let e = p.finish(&["size", "overlap"]).unwrap_err().to_string();
        assert!(
            e.contains("unknown parameter `sise` for family \"fixed\""),
            "{e}"
        );
        assert!(e.contains("it accepts: size, overlap"), "{e}");
    }
}
