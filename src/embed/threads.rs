//! How a local model shares the cores between ONNX Runtime sessions and their threads.

/// How a local model uses the cores: `sessions` ONNX Runtime sessions run parts of each batch in
/// parallel, each with `threads` intra-op threads. Their product is the number of cores by
/// default, so the model never runs more threads than there are cores; rayon's threads wait while
/// it runs (the embedding stage), and chunkers that embed share it behind a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ThreadSplit {
    pub sessions: usize,
    pub threads: usize,
}

impl ThreadSplit {
    /// The split for `--threads` and `--sessions` (0 = choose). With neither given: one session
    /// per core, one thread each — measured fastest on 2 cores (`benches/embedding.rs`). With one
    /// given, the other fills the cores.
    pub fn resolve(threads: usize, sessions: usize) -> ThreadSplit {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        match (threads, sessions) {
            (0, 0) => ThreadSplit {
                sessions: cores,
                threads: 1,
            },
            (t, 0) => ThreadSplit {
                sessions: (cores / t).max(1),
                threads: t,
            },
            (0, s) => ThreadSplit {
                sessions: s,
                threads: (cores / s).max(1),
            },
            (t, s) => ThreadSplit {
                sessions: s,
                threads: t,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_fills_the_cores_and_respects_what_is_given() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let default = ThreadSplit::resolve(0, 0);
        assert_eq!((default.sessions, default.threads), (cores, 1));
        let one = ThreadSplit::resolve(cores, 0);
        assert_eq!((one.sessions, one.threads), (1, cores));
        let s = ThreadSplit::resolve(0, 1);
        assert_eq!((s.sessions, s.threads), (1, cores));
        // More than the cores, when asked for, is the user's choice.
        let many = ThreadSplit::resolve(3, 4);
        assert_eq!((many.sessions, many.threads), (4, 3));
        // Never zero.
        let big = ThreadSplit::resolve(cores * 4, 0);
        assert_eq!(big.sessions, 1);
    }
}
