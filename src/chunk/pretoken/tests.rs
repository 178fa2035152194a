//! The hand-written pieces against bpe-openai's regex split, the reference: on every Unicode
//! scalar value in a few contexts, on edge cases, on every bundled (and shared) document and on
//! random text.

use std::path::Path;

use proptest::prelude::*;

use super::*;

fn reference(text: &str) -> Vec<&str> {
    bpe_openai::cl100k_base().split(text).collect()
}

#[track_caller]
fn assert_same(text: &str) {
    let ours: Vec<&str> = Cl100kPieces::new(text).collect();
    assert_eq!(ours, reference(text), "pieces of {text:?}");
}

#[test]
fn edge_cases_split_as_bpe_openai() {
    #[rustfmt::skip]
    let cases = [
        "",
        // Contractions, in every case, followed by letters or not, and near misses.
        "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'Re 'rE 'VE 'Ve 'M 'LL 'Ll 'lL 'D",
        "it's don't they're we've I'm you'll he'd IT'S DON'T THEY'RE WE'VE I'M YOU'LL HE'D",
        "'sdf", "'ſdf", "'Sdf", "'tis", "'Red", "'rEd", "'VEx", "'llama", "'LLama", "'dx", "'mx",
        "x'ſdf", "'ſ", "'ſ ", "'ſ1", "'ſſ", "'\u{212a}x", "'kx", "'Kx", "'rx", "'vx", "'lx", "'x",
        "'", "'s", "'r", "'l", "'ll", "'\u{301}s", "''''s", "?'s", "('sa)", " 'sa", "\t'sa", "'1",
        "'\n", "'' x", "'.'s", "'😀", "'ßa", "'İa", "'ıa", "'Σa",
        // Whitespace runs with and without newlines, at the end, before each class.
        " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", " \n ", " \n \n ", "\n \t ", "a b", "a  b",
        "a   b", "a \tb", "  \tword", "\t\tword", " 123", "  123", "\t1", "a  .", "a .", "a\t.",
        "a  \n.", "x \n\ny", "x\r\n\r\ny", "x \r \n \r y", "x\n\r", "x\r", "a   ", "a \n", "a\n ",
        "a\n  ", " \u{a0}a", "\u{a0}a", "\u{a0}\u{a0}1", "\u{a0}.", "a\u{2028}b", "a \u{2028} b",
        "\u{2028}\n", "\u{3000}漢字", "\u{3000}\u{3000}.", "\u{85}x", "\u{b}x", "\u{c}\u{c}x",
        "\u{1680}x", "\u{200b}x", " \u{200b}", "\u{feff}a",
        // Numbers: runs of 1 to 7, non-ASCII digits, superscripts, Nl, No.
        "1", "12", "123", "1234", "12345", "123456", "1234567", "a1234567b", "1,234.5", "٣٤٥٦٧",
        "۱۲۳۴", "x²³", "²³⁴⁵", "Ⅻ", "ⅫⅫⅫⅫ", "aⅫ", "½", "½¼¾⅓", "1½", " ½", "①②③④", "१२३४", "𝟙𝟚𝟛𝟜",
        "〇一二", "a1b2c3", " 1", "\n1", ".1",
        // Letters, marks, emoji, scripts.
        "e\u{301}", "e\u{301}\u{301}x", " \u{301}", "\u{301}a", "café", "naïve", "ǅemal", "ʰa",
        "😀", "😀😀 😀", " 😀", "👍🏽", "👨\u{200d}👩\u{200d}👧", "a👨\u{200d}👩b", "🇩🇪🇫🇷", "漢字かなカナ", "漢字 漢字",
        "한국어 텍스트", "हिन्दी भाषा", "कि", "क्ष", "ไทย", "ß ẞ İı", "\u{212a}elvin", "Ωmega", "ﬁne",
        "x\u{fe0f}", "\u{e0041}", "\u{10ffff}a", "\u{0}a\u{0}",
        // Punctuation runs followed by newlines.
        "...\n", "!!\r\n\r\n", " ?\n\n", " ... \n", "--\n a", "#\n#", "**bold**\n\n", "a.\n",
        " —\n", "«»\r", "), \n", " (\n)", "{\n  \"a\": 1,\n}\n", "<p>\n</p>", " ' \n",
    ];
    for text in cases {
        assert_same(text);
    }
}

/// Every scalar value in contexts that exercise each alternative: alone and in runs (its class,
/// whitespace at the end and before a letter), inside contractions followed by a letter (case
/// folding), after a space and before a letter, number, punctuation or newline (the optional
/// prefixes), between newlines, and among numbers.
#[test]
fn every_char_splits_as_bpe_openai() {
    const CONTEXTS: [&str; 10] = [
        "X",
        "XXa",
        "'Xa",
        "'Xea'Xla",
        "'rXa'vXa'lXa",
        " Xa",
        "aXa X1X.X\n",
        "\nX\nX X\r\n",
        "1X1XXX1",
        "abcdefghijXklmnopqrstuvwxyz",
    ];
    let mut text = String::new();
    let mut buf = [0; 4];
    for x in (0..=0x10_FFFF).filter_map(char::from_u32) {
        let x = &*x.encode_utf8(&mut buf);
        for context in CONTEXTS {
            text.clear();
            for (i, part) in context.split('X').enumerate() {
                if i > 0 {
                    text.push_str(x);
                }
                text.push_str(part);
            }
            assert_same(&text);
        }
    }
}

/// The eight-byte letter test agrees with the class table for every byte at every position,
/// whatever follows it.
#[test]
fn ascii_letters_agrees_with_the_classes() {
    let is_letter = |b: u8| b < 0x80 && CLASSES.ascii[usize::from(b)] == LETTER;
    for b in 0..=255u8 {
        for at in 0..8 {
            for fill in [b'a', b'Z', b'z' + 1, b'A' - 1, 0x7F, 0xFF, b' '] {
                let mut bytes = [b'q'; 8];
                bytes[at] = b;
                bytes[at + 1..].fill(fill);
                let expected = bytes.iter().take_while(|&&b| is_letter(b)).count();
                assert_eq!(
                    ascii_letters(u64::from_le_bytes(bytes)),
                    expected,
                    "{bytes:?}"
                );
            }
        }
    }
}

fn texts_under(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() {
            texts_under(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "md" || e == "txt" || e == "json")
        {
            if let Ok(text) = std::fs::read_to_string(&path) {
                out.push((path.display().to_string(), text));
            }
        }
    }
}

#[test]
fn bundled_documents_split_as_bpe_openai() {
    let mut texts = Vec::new();
    texts_under(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/datasets/larkspur/documents"
        )),
        &mut texts,
    );
    assert!(texts.len() >= 10, "the bundled documents are there");
    for (path, text) in &texts {
        assert!(Cl100kPieces::new(text).eq(reference(text)), "{path}");
    }
}

#[test]
fn shared_documents_split_as_bpe_openai() {
    let Some(shared) = std::env::var_os("CHUNKBENCH_SHARED") else {
        eprintln!("skipped: CHUNKBENCH_SHARED is not set (point it at the shared reference data)");
        return;
    };
    let mut texts = Vec::new();
    texts_under(&Path::new(&shared).join("datasets"), &mut texts);
    eprintln!("{} shared text files", texts.len());
    for (path, text) in &texts {
        assert!(Cl100kPieces::new(text).eq(reference(text)), "{path}");
    }
}

#[test]
fn pieces_keeps_other_vocabularies_on_their_regex() {
    let text = "Héllo wörld's 12345 😀\n\n  x ";
    let o200k = bpe_openai::o200k_base();
    assert!(pieces(o200k, text).eq(o200k.split(text)));
    assert!(pieces(bpe_openai::cl100k_base(), text).eq(reference(text)));
}

/// Chars weighted toward the classes and boundaries the pattern tells apart.
fn tricky_char() -> impl Strategy<Value = char> {
    let pick = |s: &'static str| prop::sample::select(s.chars().collect::<Vec<_>>());
    prop_oneof![
        6 => pick("aZq'sStTrRvVeElLmMdDſ"),
        5 => pick(" \n\r\t"),
        3 => pick("0123456789"),
        3 => pick(".,!?-()\"#*/"),
        2 => pick("\u{a0}\u{85}\u{b}\u{c}\u{2028}\u{2029}\u{3000}\u{1680}\u{200b}\u{feff}"),
        2 => pick("٣۴²³Ⅻⅻ½¾①१𝟙〇"),
        2 => pick("\u{301}\u{308}\u{93f}\u{94d}\u{200d}\u{fe0f}\u{1f3fd}"),
        2 => pick("é漢字한क😀👍ǅʰ々ßİ\u{212a}—«"),
        1 => any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn random_tricky_text_splits_as_bpe_openai(
        chars in prop::collection::vec(tricky_char(), 0..80),
    ) {
        let text: String = chars.into_iter().collect();
        let ours: Vec<&str> = Cl100kPieces::new(&text).collect();
        prop_assert_eq!(ours, reference(&text));
    }

    #[test]
    fn random_documents_split_as_bpe_openai(text in crate::chunk::proptests::document()) {
        let ours: Vec<&str> = Cl100kPieces::new(&text).collect();
        prop_assert_eq!(ours, reference(&text));
    }
}
