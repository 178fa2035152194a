//! Late chunking with the real all-MiniLM-L6-v2 (installed by `make models`): a document longer
//! than the model's input is read in overlapping windows whose kept tokens are exactly the
//! document's own word pieces, once each; a text that fits one window pools to (nearly) the
//! model's own sentence vector; and a chunk's late vector is its own text's, shifted towards its
//! surroundings.

use chunkbench::embed::late::late_vectors;
use chunkbench::embed::open::Backend;
use chunkbench::embed::{open, Embedder, EmbedderSpec, EmbeddingCache, Prefixes};

fn bundled() -> Box<dyn Embedder> {
    let spec = EmbedderSpec {
        backend: Backend::Local(None),
        pooling: None,
        max_tokens: None,
        prefixes: Prefixes::default(),
        threads: 1,
        sessions: 1,
    };
    open(&spec, &chunkbench::paths::models_dir(None))
        .unwrap_or_else(|e| panic!("{e} (models installed? `make models`)"))
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// About 1,500 word pieces of varied English: several windows of 254.
fn long_document() -> String {
    let topics = [
        "The hive keeps its brood at thirty-five degrees, and workers fan their wings to cool it.",
        "Lighthouse keepers trimmed the wicks at dusk and logged the weather every four hours.",
        "A sourdough starter is fed with equal weights of flour and water, then left to rise.",
        "Glaciers carve U-shaped valleys; rivers, by contrast, cut narrow V-shaped ones.",
    ];
    let mut doc = String::new();
    for round in 0..20 {
        for t in &topics {
            doc.push_str(&format!("Paragraph {round}: {t} "));
        }
        doc.push_str("\n\n");
    }
    doc
}

#[test]
fn windows_keep_every_word_piece_once() {
    let mut model = bundled();
    let doc = long_document();
    let tokens = model.token_vectors(&doc, 64).unwrap();
    // The document's own word pieces, [CLS] and [SEP] aside.
    let pieces = model.count_tokens(&[&doc])[0] - 2;
    assert!(pieces > 1000, "{pieces}");
    assert_eq!(
        tokens.ranges.len(),
        pieces,
        "every word piece kept exactly once"
    );
    assert!(tokens.windows >= 6, "{} windows", tokens.windows);
    assert!(
        tokens.model_tokens > pieces,
        "overlapping windows read more than the document"
    );
    assert!(
        tokens.ranges.windows(2).all(|p| p[0].1 <= p[1].0),
        "in order, disjoint"
    );
    assert_eq!(tokens.dim, 384);
    assert_eq!(tokens.data.len(), pieces * 384);
}

#[test]
fn one_window_pools_to_the_sentence_vector_and_chunks_see_their_surroundings() {
    let mut model = bundled();
    let text = "Lighthouse lamps were once fuelled by whale oil, later by kerosene.";
    let whole = model.token_vectors(text, 64).unwrap();
    assert_eq!(whole.windows, 1);
    let pooled = whole.pool((0, text.len()));
    let own = &model.embed(&[text]).unwrap()[0];
    // The model's mean pooling also averages [CLS] and [SEP]; late pooling keeps text tokens.
    assert!(cos(&pooled, own) > 0.95, "cos {}", cos(&pooled, own));

    let doc = long_document();
    let dir = tempfile::tempdir().unwrap();
    let mut cache = EmbeddingCache::open(dir.path(), model.id()).unwrap();
    let at = doc.find("Paragraph 7: A sourdough").unwrap();
    let end = at + doc[at..].find(" Paragraph 7: Glaciers").unwrap();
    let units = [(0, (at, end))];
    let (late, cost) = late_vectors(&mut *model, &mut cache, &[&doc], &units, 64).unwrap();
    assert_eq!(cost.documents, 1);
    let alone = &model.embed(&[&doc[at..end]]).unwrap()[0];
    let c = cos(&late[0], alone);
    assert!(
        c > 0.6 && c < 0.999,
        "late vector vs the chunk's own: cos {c}"
    );
    // A second call reads the cache, not the model.
    let (again, cost) = late_vectors(&mut *model, &mut cache, &[&doc], &units, 64).unwrap();
    assert_eq!((cost.documents, cost.windows), (0, 0));
    assert_eq!(again[0], late[0]);
    // An impossible overlap is one clear error.
    let e = model.token_vectors(&doc, 300).unwrap_err().to_string();
    assert!(
        e.contains("must be smaller than the model's window of 254 tokens"),
        "{e}"
    );
}
