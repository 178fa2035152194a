//! Markup helpers of `report.html`: escaping, element ids, the style sheet, collapsible blocks.

use std::fmt::Write;

pub const STYLE: &str = "
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222;
  margin: 0 auto; padding: 1.5rem 1.25rem 3rem; max-width: 72rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .6rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
h3 { font-size: 1.02rem; margin: 1.4rem 0 .4rem; }
p.lede, p.note { color: #555; margin: .3rem 0 .8rem; }
nav { font-size: .9rem; margin: .8rem 0 0; }
nav a { margin-right: .9rem; color: #0072B2; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .86rem; margin: .3rem 0 .6rem; }
th, td { padding: .3rem .65rem; vertical-align: top; border-bottom: 1px solid #e6e6e6; text-align: right; white-space: nowrap; }
th { background: #f6f6f6; font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
td.best .m { font-weight: 700; }
.ci { display: block; color: #777; font-size: .74rem; }
table.meta td, table.meta th { text-align: left; white-space: normal; }
table.meta th { width: 14rem; background: none; }
td.sig { font-weight: 700; }
figure { margin: 1.2rem 0 1.8rem; }
figure svg { width: 100%; max-width: 800px; height: auto; display: block; }
figcaption { color: #555; font-size: .88rem; max-width: 800px; margin-top: .3rem; }
details > summary { cursor: pointer; color: #0072B2; margin: .4rem 0; }
.hists { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 1rem 1.4rem; }
.hist svg { width: 100%; height: auto; display: block; }
.hist h3 { margin: 0 0 .1rem; font-size: .92rem; }
.hist p { margin: 0; color: #666; font-size: .8rem; }
footer { margin-top: 3rem; color: #777; font-size: .8rem; }
";

/// HTML-escapes `s`.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` reduced to `[a-z0-9-]` for an element id.
pub fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// Writes `body` inside a closed `<details>` when there are many groups (a long page), as is when
/// few.
pub fn collapsible(o: &mut String, n: usize, what: &str, body: impl FnOnce(&mut String)) {
    if n > 4 {
        let _ = writeln!(
            o,
            "<details><summary>Show the tables of all {n} {what}</summary>"
        );
        body(o);
        o.push_str("</details>\n");
    } else {
        body(o);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(slug("Beta Notes_2"), "beta-notes-2");
    }
}
