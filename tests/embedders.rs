//! Local sentence-transformers model directories with the real all-MiniLM-L6-v2 (installed by
//! `make models`): a directory whose config files say what the bundled model's settings are gives
//! the bundled model's vectors; one that says CLS pooling and 128 tokens is run that way, and its
//! identity says so; a directory without a model is one clear error.

use std::path::{Path, PathBuf};

use chunkbench::embed::open::Backend;
use chunkbench::embed::{open, EmbedderSpec, Prefixes};

/// The installed models directory, found as the binary finds it.
fn models() -> PathBuf {
    chunkbench::paths::models_dir(None)
}

fn spec(dir: Option<&Path>) -> EmbedderSpec {
    EmbedderSpec {
        backend: Backend::Local(dir.map(Path::to_path_buf)),
        pooling: None,
        max_tokens: None,
        prefixes: Prefixes::default(),
        threads: 1,
        sessions: 1,
    }
}

/// A sentence-transformers directory holding the bundled model's files plus `configs`.
fn st_dir(configs: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let minilm = models().join("all-MiniLM-L6-v2");
    for f in [
        "model.onnx",
        "tokenizer.json",
        "config.json",
        "special_tokens_map.json",
        "tokenizer_config.json",
    ] {
        std::os::unix::fs::symlink(minilm.join(f), d.path().join(f))
            .unwrap_or_else(|e| panic!("{f}: {e} (models installed? `make models`)"));
    }
    for (rel, text) in configs {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    d
}

const TEXTS: [&str; 3] = [
    "The queen bee lays up to two thousand eggs a day in early summer.",
    "Lighthouse lamps were once fuelled by whale oil, later by kerosene.",
    "Sourdough starter needs feeding with flour and water every day.",
];

#[test]
fn a_directory_runs_as_its_config_files_say() {
    let mut bundled = open(&spec(None), &models()).unwrap();
    let same = st_dir(&[
        (
            "1_Pooling/config.json",
            r#"{"pooling_mode_mean_tokens": true}"#,
        ),
        ("sentence_bert_config.json", r#"{"max_seq_length": 256}"#),
    ]);
    let mut local = open(&spec(Some(same.path())), &models()).unwrap();
    assert_eq!(bundled.embed(&TEXTS).unwrap(), local.embed(&TEXTS).unwrap());
    assert_eq!(local.identity().pooling, "mean");
    assert_eq!(local.identity().max_tokens, Some(256));

    let cls = st_dir(&[
        (
            "1_Pooling/config.json",
            r#"{"pooling_mode_cls_token": true}"#,
        ),
        ("sentence_bert_config.json", r#"{"max_seq_length": 128}"#),
    ]);
    let mut other = open(&spec(Some(cls.path())), &models()).unwrap();
    let id = other.identity();
    assert_eq!((id.pooling.as_str(), id.max_tokens), ("cls", Some(128)));
    assert!(other.id().ends_with("/max128/cls"), "{}", other.id());
    let (a, b) = (bundled.embed(&TEXTS).unwrap(), other.embed(&TEXTS).unwrap());
    let cos: f32 = a[0].iter().zip(&b[0]).map(|(x, y)| x * y).sum();
    assert!(
        cos < 0.99,
        "CLS pooling gave the mean-pooled vector (cos {cos})"
    );
    // The model counts its own word pieces, [CLS] and [SEP] included.
    assert_eq!(other.count_tokens(&["hello world"]), vec![4]);
}

#[test]
fn prefixes_change_the_identity_and_a_missing_model_is_named() {
    let mut s = spec(None);
    s.prefixes = Prefixes {
        query: "query: ".into(),
        document: "passage: ".into(),
    };
    let e = open(&s, &models()).unwrap();
    assert!(
        e.id().ends_with(r#"/q="query: "/d="passage: ""#),
        "{}",
        e.id()
    );
    let empty = tempfile::tempdir().unwrap();
    let err = open(&spec(Some(empty.path())), &models())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("model.onnx") && err.contains("--embed-model"),
        "{err}"
    );
}

/// The bundled model reads 256 word pieces: two texts that agree on their first 254 pieces share
/// an input key and get the same vector; texts it reads in full have keys of their own.
#[test]
fn texts_cut_alike_share_an_input_key_and_a_vector() {
    let mut e = chunkbench::embed::open(&spec(None), &models()).unwrap();
    let long: String = (0..400).map(|i| format!("word{} ", i % 37)).collect();
    let longer = format!("{long} and a tail the model never reads");
    let keys = e.input_keys(&[&long, &longer, "a short text", "a short text, longer"]);
    assert!(keys.iter().all(Option::is_some));
    assert_eq!(keys[0], keys[1]);
    assert_ne!(keys[2], keys[3]);
    assert_ne!(keys[0], keys[2]);
    let a = e.embed(&[&long]).unwrap();
    let b = e.embed(&[&longer]).unwrap();
    let cos: f32 = a[0].iter().zip(&b[0]).map(|(x, y)| x * y).sum();
    assert!(cos > 0.999_999, "same input, cosine {cos}");
}
