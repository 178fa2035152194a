//! Dataset statistics (`chunkbench dataset stats`).
