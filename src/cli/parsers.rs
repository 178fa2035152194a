//! Value parsers of the flags. clap prefixes their message with the value and the flag.

// e.g. `error: invalid value '0' for '--k <N>': must be at least 1`.

pub(crate) fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>().map_err(|e| e.to_string())? {
        0 => Err("must be at least 1".into()),
        n => Ok(n),
    }
}

pub(crate) fn sample_size(s: &str) -> Result<usize, String> {
    at_least_one(s).map_err(|e| format!("{e} (or leave it out for all questions)"))
}

pub(crate) fn number(s: &str) -> Result<f64, String> {
    s.parse::<f64>().map_err(|e| e.to_string())
}

pub(crate) fn nats(s: &str) -> Result<f64, String> {
    match number(s)? {
        x if x.is_finite() => Ok(x),
        _ => Err("must be a finite number of nats per token, e.g. 0.3".into()),
    }
}

pub(crate) fn share(s: &str) -> Result<f64, String> {
    match number(s)? {
        x if x > 0.0 && x <= 1.0 => Ok(x),
        _ => Err("must be in (0, 1]".into()),
    }
}

pub(crate) fn cosine(s: &str) -> Result<f64, String> {
    share(s).map_err(|_| "must be a cosine similarity in (0, 1]".into())
}

pub(crate) fn price(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if p.is_finite() && p >= 0.0 => Ok(p),
        _ => Err(format!(
            "must be a non-negative number of US dollars per million tokens, got {s:?}"
        )),
    }
}

pub(crate) fn seconds(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    match std::time::Duration::try_from_secs_f64(x) {
        Ok(d) if !d.is_zero() => Ok(x),
        _ => Err("must be a positive number of seconds".into()),
    }
}

pub(crate) fn http_url(s: &str) -> Result<String, String> {
    if s.starts_with("http://") || s.starts_with("https://") {
        Ok(s.to_string())
    } else {
        Err("must start with http:// or https:// (e.g. http://127.0.0.1:8080/v1)".into())
    }
}

pub(crate) fn model_name(s: &str) -> Result<String, String> {
    if s.is_empty() {
        Err("is empty; name the model the endpoint serves".into())
    } else {
        Ok(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_parsers_check_ranges() {
        assert_eq!(at_least_one("3"), Ok(3));
        assert!(at_least_one("0").is_err() && at_least_one("-1").is_err());
        assert!(sample_size("0").unwrap_err().contains("leave it out"));
        assert_eq!(share("1"), Ok(1.0));
        for bad in ["0", "1.5", "-0.1", "NaN", "x"] {
            assert!(share(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("0.5"), Ok(0.5));
        for bad in ["0", "-1", "inf", "NaN", "1e300"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert!(http_url("localhost:8080").is_err() && http_url("https://x/v1").is_ok());
        assert!(model_name("").is_err());
    }
}
