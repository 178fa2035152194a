//! Half-open integer ranges within one document, and the set operations the span metrics need.
//! Ranges that touch (`a.end == b.start`) are merged, as in Chroma's `union_ranges`.

/// A range `start..end` of document `doc`, in characters (code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Range {
    pub doc: usize,
    pub start: usize,
    pub end: usize,
}

impl Range {
    pub fn new(doc: usize, start: usize, end: usize) -> Self {
        Range { doc, start, end }
    }
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The intersection, when the ranges overlap or touch (`Some` of an empty range when they only
    /// touch), as Chroma's `intersect_two_ranges`.
    pub fn intersect(&self, other: &Range) -> Option<Range> {
        if self.doc != other.doc {
            return None;
        }
        let s = self.start.max(other.start);
        let e = self.end.min(other.end);
        (s <= e).then_some(Range::new(self.doc, s, e))
    }
}

/// Sorts and merges overlapping or touching ranges.
pub fn union(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort_unstable();
    let mut out: Vec<Range> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if last.doc == r.doc && r.start <= last.end => {
                last.end = last.end.max(r.end)
            }
            _ => out.push(r),
        }
    }
    out
}

/// Total length of a set of ranges (callers union first when they want a set measure).
pub fn total(ranges: &[Range]) -> usize {
    ranges.iter().map(Range::len).sum()
}

/// `a` minus the union of `b`, both given as merged, sorted range lists.
pub fn difference(a: &[Range], b: &[Range]) -> Vec<Range> {
    let mut out = Vec::new();
    for r in a {
        let mut cur = r.start;
        for x in b
            .iter()
            .filter(|x| x.doc == r.doc && x.end > r.start && x.start < r.end)
        {
            if x.start > cur {
                out.push(Range::new(r.doc, cur, x.start));
            }
            cur = cur.max(x.end);
        }
        if cur < r.end {
            out.push(Range::new(r.doc, cur, r.end));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_touching() {
        let u = union(vec![
            Range::new(0, 5, 8),
            Range::new(0, 0, 5),
            Range::new(1, 0, 2),
        ]);
        assert_eq!(u, vec![Range::new(0, 0, 8), Range::new(1, 0, 2)]);
    }

    #[test]
    fn difference_cuts_holes() {
        let d = difference(
            &[Range::new(0, 0, 10)],
            &[Range::new(0, 2, 4), Range::new(0, 8, 12)],
        );
        assert_eq!(d, vec![Range::new(0, 0, 2), Range::new(0, 4, 8)]);
    }
}
